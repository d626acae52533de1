"""Hand-built stored frames (feedback, tags, sentences) for the aggregation, advocacy and sharp-edge tests."""

from __future__ import annotations

import pandas as pd

FEEDBACK_COLUMNS = [
    "source",
    "external_id",
    "kind",
    "product",
    "url",
    "rating",
    "nps_score",
    "language",
    "created_at",
    "plan_tier",
    "region",
    "account_id",
]


def feedback(*rows: dict) -> pd.DataFrame:
    """Feedback rows with defaults; ``created_at`` as ISO text in UTC."""
    defaults = {
        "source": "nps",
        "kind": "nps",
        "product": "p",
        "url": None,
        "rating": None,
        "nps_score": None,
        "language": "en",
        "plan_tier": "paid",
        "region": "emea",
        "account_id": None,
    }
    frame = pd.DataFrame([{**defaults, **row} for row in rows])[FEEDBACK_COLUMNS]
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame["nps_score"] = frame["nps_score"].astype("Int64")
    frame["rating"] = frame["rating"].astype(float)
    return frame


def tags(frame: pd.DataFrame, *, skip: tuple[str, ...] = ()) -> pd.DataFrame:
    """One tag row per record (except ``skip``): the report uses them for language and the tagged set."""
    kept = frame[~frame["external_id"].isin(skip)]
    return pd.DataFrame(
        {
            "source": kept["source"],
            "external_id": kept["external_id"],
            "language": kept["language"],
            "n_sentences": 0,
            "has_service": False,
            "service_kinds": [[]] * len(kept),
            "service_sentiment": None,
            "sharp_edges": [[]] * len(kept),
            "overall_sentiment": "neutral",
        }
    )


def sentences(*rows: tuple) -> pd.DataFrame:
    """Rows of (source, external_id, idx, text, service list, sentiment, sharp_edge, sentiment_score, edge_score)."""
    columns = [
        "source",
        "external_id",
        "idx",
        "text_redacted",
        "service",
        "sentiment",
        "sharp_edge",
        "sentiment_score",
        "sharp_edge_score",
    ]
    frame = pd.DataFrame(list(rows), columns=columns)
    frame["section"] = "body"
    frame["sentence_language"] = "en"
    return frame
