"""Builders for report tests: a seeded synthetic corpus with planted stories, written into a real DuckDB store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.records import Feedback
from pipeline.store import Store

KINDS = ("support", "success", "onboarding")
CATEGORIES = ("billing", "cancellation_refunds", "support_access")
MODEL = "m-test-1"


def make_corpus(n: int = 240, *, seed: int = 3, months: int = 8) -> dict[str, pd.DataFrame]:
    """A seeded corpus with two planted stories: onboarding praise rises from month 5, and a cancellation spike
    in month 7 (paid tier). Scores follow the themes so attribution has something to find."""
    rng = np.random.default_rng(seed)
    feedback, tags, sentences = [], [], []
    texts = {
        ("onboarding", "positive"): "The onboarding sessions were excellent.",
        ("support", "positive"): "Support answered within the hour.",
        ("support", "negative"): "Support never replied to my ticket.",
        ("success", "positive"): "Our customer success manager is great.",
        (None, "positive"): "The boards are fast and clean.",
        (None, "negative"): "The mobile app crashes a lot.",
        (None, "neutral"): "We use it for sprint planning.",
    }
    for i in range(n):
        month = i % months
        created = datetime(2026, 1 + month, 1 + (i // months) % 27, 12, tzinfo=UTC)
        kind = "nps" if i % 3 else "review"
        plan = "paid" if rng.random() < 0.5 else "free"
        lang = ("en", "ja", "id")[i % 3 if i % 5 else 0]
        rows: list[tuple[tuple[str, ...], str, str | None, str]] = []
        if rng.random() < (0.35 if month >= 4 else 0.05):
            rows.append((("onboarding",), "positive", None, texts[("onboarding", "positive")]))
        if rng.random() < 0.2:
            rows.append((("support",), "positive", None, texts[("support", "positive")]))
        if rng.random() < 0.15:
            rows.append((("support",), "negative", None, texts[("support", "negative")]))
        if rng.random() < 0.08:
            rows.append((("success",), "positive", None, texts[("success", "positive")]))
        if month == 6 and plan == "paid" and rng.random() < 0.6:
            rows.append(((), "negative", "cancellation_refunds", f"They refused my refund after renewal {i}."))
        if rng.random() < 0.05:
            rows.append(((), "negative", "billing", f"I was charged twice this month, invoice {i}."))
        rows.append(((), *(("positive",) if rng.random() < 0.5 else ("negative",)), None, ""))
        rows[-1] = ((), rows[-1][1], None, texts[(None, rows[-1][1])])
        signal = sum(+1.2 if s == "positive" else -1.5 for _, s, _, _ in rows) + rng.normal(0, 1)
        nps_score = int(np.clip(np.round(7 + 1.5 * signal), 0, 10)) if kind == "nps" else None
        rating = float(np.clip(np.round(3.5 + 0.8 * signal), 1, 5)) if kind == "review" else None
        source = "nps-csv" if kind == "nps" else ("trustpilot" if i % 2 else "g2")
        ext = f"r{i:04d}"
        feedback.append(
            {
                "source": source,
                "external_id": ext,
                "kind": kind,
                "product": "orbitask",
                "url": None if kind == "nps" else f"https://example.test/reviews/{ext}",
                "rating": rating,
                "nps_score": nps_score,
                "language": lang,
                "created_at": created,
                "plan_tier": plan,
                "region": "apac" if lang != "en" else "emea",
                "account_id": f"acct-{i}" if kind == "nps" else None,
            }
        )
        tags.append(
            {
                "source": source,
                "external_id": ext,
                "language": lang,
                "n_sentences": len(rows),
                "has_service": any(r[0] for r in rows),
                "service_kinds": [],
                "service_sentiment": None,
                "sharp_edges": [],
                "overall_sentiment": "neutral",
            }
        )
        for idx, (service, sentiment, edge, text) in enumerate(rows):
            sentences.append(
                {
                    "source": source,
                    "external_id": ext,
                    "idx": idx,
                    "section": "body",
                    "text_redacted": text,
                    "sentence_language": lang,
                    "service": list(service),
                    "sentiment": sentiment,
                    "sharp_edge": edge or "none",
                    "sentiment_score": 0.6 + 0.4 * rng.random(),
                    "sharp_edge_score": 0.5 + 0.5 * rng.random() if edge else 0.1,
                }
            )
    frame = pd.DataFrame(feedback)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame["nps_score"] = frame["nps_score"].astype("Int64")
    return {"feedback": frame, "tags": pd.DataFrame(tags), "sentences": pd.DataFrame(sentences)}


def write_store(path: Path, corpus: dict[str, pd.DataFrame], *, model_version: str = MODEL) -> Path:
    """Insert a corpus into a real store: feedback through ``upsert_feedback``, the rest with plain SQL."""
    with Store(path) as store:
        records = []
        for raw in corpus["feedback"].to_dict("records"):
            row = {k: (None if not isinstance(v, list | tuple) and pd.isna(v) else v) for k, v in raw.items()}
            body = " ".join(
                corpus["sentences"].loc[corpus["sentences"]["external_id"] == row["external_id"], "text_redacted"]
            )
            score = None if row["nps_score"] is None else int(row["nps_score"])
            rating = None if row["rating"] is None else float(row["rating"])
            records.append(
                Feedback(
                    source=row["source"],
                    external_id=row["external_id"],
                    kind=row["kind"],
                    product=row["product"],
                    url=row["url"],
                    rating=rating,
                    nps_score=score,
                    body=body or None,
                    language=row["language"],
                    created_at=row["created_at"],
                    plan_tier=row["plan_tier"],
                    region=row["region"],
                    account_id=row["account_id"],
                )
            )
        store.upsert_feedback(records)
        for s in corpus["sentences"].to_dict("records"):
            store.con.execute(
                "INSERT INTO sentences VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, 'h')",
                [
                    s["source"],
                    s["external_id"],
                    s["idx"],
                    s["section"],
                    s["text_redacted"],
                    s["text_redacted"],
                    len(s["text_redacted"]),
                    s["sentence_language"],
                ],
            )
            store.con.execute(
                "INSERT INTO predictions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, [])",
                [
                    s["source"],
                    s["external_id"],
                    s["idx"],
                    model_version,
                    s["service"],
                    s["sentiment"],
                    s["sharp_edge"],
                    s["sentiment_score"],
                    s["sharp_edge_score"],
                    json.dumps({}),
                ],
            )
        for t in corpus["tags"].to_dict("records"):
            store.con.execute(
                "INSERT INTO feedback_tags VALUES (?, ?, ?, 'h', ?, ?, ?, ?, ?, ?, ?)",
                [
                    t["source"],
                    t["external_id"],
                    model_version,
                    t["language"],
                    t["n_sentences"],
                    t["has_service"],
                    t["service_kinds"],
                    t["service_sentiment"],
                    t["sharp_edges"],
                    t["overall_sentiment"],
                ],
            )
    return path
