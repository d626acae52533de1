"""Labels from the store's structure (distant supervision) and the unlabelled sentences weak rules run on.

Distant sentiment: a sentence from a "pros" section is positive, from a "cons" section negative; a review that is
one sentence long takes its star rating (1–2 negative, 4–5 positive; 3 says nothing). Only the sentiment head is
labelled; service and sharp edge stay unlabelled (masked out of the loss).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from models.examples import LabelledExample

log = logging.getLogger(__name__)

POSITIVE_SECTIONS = ("pros", "like_best", "likes")
NEGATIVE_SECTIONS = ("cons", "dislike", "dislikes")

_DISTANT_SQL = f"""
WITH n AS (SELECT source, external_id, count(*) AS n_sentences FROM sentences GROUP BY ALL)
SELECT s.text, s.language,
       CASE WHEN s.section IN {POSITIVE_SECTIONS} THEN 'positive'
            WHEN s.section IN {NEGATIVE_SECTIONS} THEN 'negative'
            WHEN n.n_sentences = 1 AND f.kind = 'review' AND f.rating <= 2 THEN 'negative'
            WHEN n.n_sentences = 1 AND f.kind = 'review' AND f.rating >= 4 THEN 'positive'
       END AS sentiment,
       f.source
FROM sentences s
JOIN feedback f USING (source, external_id)
JOIN n USING (source, external_id)
WHERE sentiment IS NOT NULL AND length(trim(s.text)) > 0
"""


def _order_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def distant_examples(store_path: Path, *, weight: float, limit: int) -> list[LabelledExample]:
    """Up to ``limit`` distant sentiment examples, half positive and half negative where possible, in hash order."""
    if limit <= 0 or stored_sentence_count(store_path) == 0:
        log.info("no stored sentences in %s: no distant labels", store_path)
        return []
    from pipeline.store import Store

    with Store(store_path, read_only=True) as store:
        rows = store.execute(_DISTANT_SQL)
    by_label: dict[str, list[tuple[str, str | None, str]]] = {"positive": [], "negative": []}
    for text, lang, sentiment, source in rows:
        by_label[sentiment].append((text, lang, source))
    out: list[LabelledExample] = []
    for sentiment, items in by_label.items():
        items.sort(key=lambda item: _order_key(item[0]))
        share = limit // 2 if by_label[_other(sentiment)] else limit
        for text, lang, source in items[:share]:
            out.append(
                LabelledExample(
                    text=text, lang=lang, sentiment=sentiment, weight=weight, origin="distant", source=source
                )
            )
    return out


def _other(sentiment: str) -> str:
    return "negative" if sentiment == "positive" else "positive"


def stored_sentence_count(store_path: Path) -> int:
    """Rows of the store's ``sentences`` table; 0 when there is no store yet (it is never created here)."""
    if not store_path.is_file():
        return 0
    from pipeline.store import Store

    with Store(store_path, read_only=True) as store:
        return store.count("sentences")
