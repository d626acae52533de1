"""Hand-written multilingual feedback for the processing tests, and settings overrides on temporary stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from pipeline.config import Settings
from pipeline.records import Feedback
from pipeline.store import Store

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "pipeline"
GARBAGE = "\x00\x01\x02\x7fPNG\x1a\x00\x00\x0dIHDR\x00\x00\x01\x00\x08\x06\x00\x00\x00\x1f\xff\xd8"


def reviews() -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / "reviews.jsonl").read_text(encoding="utf-8").splitlines()]


def make_feedback(n: int, *, start: int = 0) -> list[Feedback]:
    """``n`` records cycling through the hand-written reviews, with score-only NPS rows and garbage mixed in."""
    texts = reviews()
    base = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for i in range(start, start + n):
        created = base + timedelta(hours=i)
        if i % 10 == 9:
            out.append(Feedback(source="nps", external_id=f"n{i:05d}", kind="nps", product="orbitask",
                                nps_score=i % 11, created_at=created))  # fmt: skip
            continue
        if i % 37 == 36:
            out.append(Feedback(source="app", external_id=f"r{i:05d}", product="orbitask", body=GARBAGE,
                                rating=1, created_at=created))  # fmt: skip
            continue
        review = texts[i % len(texts)]
        out.append(
            Feedback(
                source="app",
                external_id=f"r{i:05d}",
                product="orbitask",
                title=review.get("title"),
                body=review.get("body"),
                pros=review.get("pros"),
                cons=review.get("cons"),
                language=review.get("lang"),
                rating=1 + i % 5,
                created_at=created,
            )
        )
    return out


def tiny_overrides(data_dir: Path, store: Path | None = None) -> list[str]:
    overrides = [
        f"paths.data_dir={data_dir}",
        f"paths.taxonomy={REPO_ROOT / 'configs' / 'taxonomy.yaml'}",
        f"classifier.gold_dir={REPO_ROOT / 'data' / 'gold'}",
        "nlp.chunk_size=25",
        "nlp.tag_batch=64",
    ]
    if store is not None:
        overrides.append(f"paths.store={store}")
    return overrides


def fill_store(settings: Settings, records: list[Feedback]) -> None:
    with Store(settings.paths.store_path) as store:
        store.upsert_feedback(records)


# Every table processing writes, with its key: what "the same rows" means.
TABLES = {
    "segmented": ["source", "external_id"],
    "sentences": ["source", "external_id", "idx"],
    "predictions": ["source", "external_id", "idx", "model_version"],
    "feedback_tags": ["source", "external_id", "model_version"],
    "rejects": ["reject_id"],
}


def snapshot(store_path: Path) -> dict[str, pd.DataFrame]:
    with Store(store_path, read_only=True) as store:
        out = {}
        for table, keys in TABLES.items():
            frame = store.frame(f"SELECT * FROM {table}").drop(columns=["created_at"], errors="ignore")
            for column in frame.columns:  # lists -> tuples, so rows compare by value
                frame[column] = frame[column].map(lambda v: tuple(v) if hasattr(v, "__len__") and
                                                  not isinstance(v, str) else v)  # fmt: skip
            out[table] = frame.sort_values(keys).reset_index(drop=True)
        return out
