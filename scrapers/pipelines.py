"""Item pipeline: validate and normalise each review, drop duplicates, upsert into the store in batches.

DuckDB allows one writer per file, so this pipeline owns the crawl's only store connection: it opens the store in
``open_spider``, loads what is already stored for the source, answers the spider's incremental question
(``page_is_known``) from that snapshot, and flushes in ``close_spider``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

from scrapy.exceptions import DropItem, NotConfigured

from pipeline.records import Feedback, Reject
from pipeline.store import Store, record_hash
from scrapers.items import InvalidItem, ReviewItem, to_feedback

log = logging.getLogger(__name__)

# Below this length an anonymous text ("Great app!") is too common to call two reviews the same one.
MIN_ANONYMOUS_DUPLICATE_CHARS = 40

ContentKey = tuple[str | None, str, float | None]


class FeedbackPipeline:
    """ReviewItem → Feedback → dedupe by (source, external_id) and content → batched upsert; invalid → rejects."""

    def __init__(self, crawler: Any, *, store_path: Path, batch_size: int) -> None:
        self.crawler = crawler
        self.store_path = store_path
        self.batch_size = batch_size
        self.store: Store | None = None
        self.source = ""
        self._known: dict[str, str] = {}
        self._known_content: dict[ContentKey, str] = {}
        self._seen: set[str] = set()
        self._seen_content: dict[ContentKey, str] = {}
        self._pending: list[Feedback] = []
        self._rejects: list[Reject] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> FeedbackPipeline:
        path = crawler.settings.get("VOCMINE_STORE")
        if not path:
            raise NotConfigured("VOCMINE_STORE (the store file) is not set")
        return cls(crawler, store_path=Path(path), batch_size=crawler.settings.getint("VOCMINE_BATCH_SIZE", 200))

    @property
    def stats(self) -> Any:
        return self.crawler.stats

    # -- lifecycle ----------------------------------------------------------------------------------------
    def open_spider(self) -> None:
        self.source = self.crawler.spider.name
        self.store = Store(self.store_path)
        rows = self.store.con.execute(
            "SELECT external_id, record_hash, author_hash, text_hash, rating FROM feedback WHERE source = ?",
            [self.source],
        ).fetchall()
        self._known = {external_id: digest for external_id, digest, *_ in rows}
        self._known_content = {(a, t, r): external_id for external_id, _, a, t, r in rows}
        log.info("%s: %d reviews already stored", self.source, len(self._known))

    def close_spider(self) -> None:
        try:
            self.flush()
        finally:
            if self.store is not None:
                self.store.close()
                self.store = None

    # -- items ----------------------------------------------------------------------------------------------
    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ReviewItem):
            return item
        self.stats.inc_value("vocmine/items_scraped")
        try:
            record = to_feedback(item)
        except InvalidItem as exc:
            self._reject(item, str(exc))
            # INFO: the reject is stored with its reason and counted in the summary; the log file keeps the detail.
            raise DropItem(f"invalid review {item.external_id!r} at {item.url}: {exc}", log_level="INFO") from None
        if record.external_id in self._seen:
            self.stats.inc_value("vocmine/duplicates")
            raise DropItem(f"duplicate review {record.external_id!r} (already seen in this crawl)", log_level="INFO")
        content = _content_key(record)
        twin = content and (self._seen_content.get(content) or self._known_content.get(content))
        if twin and twin != record.external_id:
            self.stats.inc_value("vocmine/duplicates")
            raise DropItem(f"review {record.external_id!r} repeats the text of review {twin!r}", log_level="INFO")
        self._seen.add(record.external_id)
        if content:
            self._seen_content[content] = record.external_id
        self._pending.append(record)
        if len(self._pending) >= self.batch_size:
            self.flush()
        return item

    def page_is_known(self, items: list[ReviewItem]) -> bool:
        """True when every valid review of a page is already stored unchanged (incremental crawls stop there)."""
        records = []
        for item in items:
            try:
                records.append(to_feedback(item))
            except InvalidItem:
                continue  # rejected before, and kept in rejects; it does not make the page new
        return bool(records) and all(self._is_stored(r) for r in records)

    def _is_stored(self, record: Feedback) -> bool:
        if self._known.get(record.external_id) == record_hash(record):
            return True
        content = _content_key(record)
        return bool(content and self._known_content.get(content) not in (None, record.external_id))

    def _reject(self, item: ReviewItem, reason: str) -> None:
        self.stats.inc_value("vocmine/rejected")
        self._rejects.append(
            Reject.from_payload(
                "crawl", item.source, reason, asdict(item), external_id=item.external_id, location=item.url
            )
        )

    def flush(self) -> None:
        """Write pending reviews and rejects to the store."""
        if self.store is None:
            return
        if self._pending:
            result = self.store.upsert_feedback(self._pending)
            for name in ("inserted", "updated", "unchanged"):
                self.stats.inc_value(f"vocmine/{name}", getattr(result, name))
            log.info("%s: stored %d reviews (%s)", self.source, len(self._pending), result)
            self._pending = []
        if self._rejects:
            self.store.add_rejects(self._rejects)
            self._rejects = []


def _content_key(record: Feedback) -> ContentKey | None:
    """Same author, same text, same rating: the same review even under another id (re-posted or syndicated)."""
    text = " ".join(t for _, t in record.text_fields())
    if not text or (record.author_hash is None and len(text) < MIN_ANONYMOUS_DUPLICATE_CHARS):
        return None
    return (record.author_hash, record.text_hash, record.rating)
