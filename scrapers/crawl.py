"""Run the configured review spiders into the store: ``crawl_sources(settings) -> CrawlResult``.

Each call runs Scrapy in a fresh child process (``python -m scrapers.crawl``). Twisted's reactor cannot be
restarted inside one process, so an in-process ``CrawlerProcess`` would allow exactly one crawl per program —
not enough for ``vocmine run`` followed by another command, or for a test-suite. A child process also keeps
Scrapy's logging, signal handlers and reactor out of the caller. Inside the child the sources run one after the
other through one ``AsyncCrawlerRunner`` (sequentially: two sources on one site never double the request rate).

DuckDB allows one writer per file: the caller must not hold the store open for writing while it crawls.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.errors import UserError
from pipeline.store import StoreError
from scrapers.config import SourceSettings

log = logging.getLogger(__name__)

SPIDERS = ("trustpilot", "appstore", "googleplay", "g2", "capterra", "trustradius", "itreview")
STOP_GRACE_S = 60  # after Ctrl-C the child gets this long to save its queue (JOBDIR) before it is killed


@dataclass(frozen=True)
class SpiderCounts:
    """What one configured source's crawl did."""

    spider: str
    product: str
    label: str
    scraped: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    duplicates: int = 0
    pages: int = 0
    requests: int = 0
    blocked_by_robots: int = 0
    blocked: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    finish_reason: str = ""


@dataclass(frozen=True)
class CrawlResult:
    spiders: tuple[SpiderCounts, ...] = field(default_factory=tuple)

    def total(self, name: str) -> int:
        return sum(getattr(s, name) for s in self.spiders)

    @property
    def blocked(self) -> tuple[str, ...]:
        """Every block met (robots.txt, bot walls, HTTP 401/403), each naming the site's official path."""
        return tuple(message for s in self.spiders for message in s.blocked)

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(message for s in self.spiders for message in s.errors)

    def summary(self) -> str:
        lines = [
            f"crawl: {len(self.spiders)} source(s), {self.total('pages')} pages, {self.total('scraped')} reviews: "
            f"{self.total('inserted')} new, {self.total('updated')} updated, {self.total('unchanged')} unchanged; "
            f"dropped {self.total('duplicates')} duplicates, rejected {self.total('rejected')}",
            f"  {'source':<26} {'pages':>5} {'reviews':>7} {'new':>6} {'updated':>7} {'rejected':>8}  status",
        ]
        for s in self.spiders:
            lines.append(
                f"  {s.label:<26} {s.pages:>5} {s.scraped:>7} {s.inserted:>6} {s.updated:>7} {s.rejected:>8}  "
                f"{s.finish_reason or 'not run'}"
            )
        lines += [f"  blocked: {m}" for m in self.blocked]
        lines += [f"  error: {m}" for m in self.errors]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {"spiders": [asdict(s) for s in self.spiders]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CrawlResult:
        names = {f.name for f in fields(SpiderCounts)}
        spiders = []
        for raw in data.get("spiders", []):
            values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items() if k in names}
            spiders.append(SpiderCounts(**values))
        return cls(tuple(spiders))


def select_sources(settings: Settings, only: Sequence[str] | None = None) -> list[SourceSettings]:
    """The enabled sources, narrowed to the spiders in ``only``. Unknown names are a UserError."""
    unknown = sorted(set(only or []) - set(SPIDERS))
    if unknown:
        raise UserError(f"unknown spider(s) {', '.join(unknown)}; spiders: {', '.join(SPIDERS)}")
    return [s for s in settings.scrapers.sources if s.enabled and (not only or s.spider in only)]


def crawl_sources(settings: Settings, *, only: Sequence[str] | None = None) -> CrawlResult:
    """Crawl the configured sources (or only these spiders) into the store, in a child process."""
    sources = select_sources(settings, only)
    if not sources:
        raise UserError("no review sources to crawl: add some under scrapers.sources in the config")
    with tempfile.TemporaryDirectory(prefix="vocmine-crawl-") as tmp:
        job, out = Path(tmp) / "job.json", Path(tmp) / "result.json"
        job.write_text(json.dumps({"settings": settings.resolved(), "only": list(only or [])}), encoding="utf-8")
        returncode = _run_child([sys.executable, "-m", "scrapers.crawl", str(job), str(out)])
        data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    if "fatal" in data:
        raise StoreError(data["fatal"])
    if returncode != 0 or "spiders" not in data:
        raise RuntimeError(f"the crawl process failed (exit {returncode}); see {_log_path(settings)}")
    return CrawlResult.from_json(data)


def _run_child(command: list[str]) -> int:
    process = subprocess.Popen(command, cwd=os.getcwd())
    try:
        return process.wait()
    except KeyboardInterrupt:  # the child got the same Ctrl-C: let it stop cleanly so the crawl can resume
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
        raise


def _log_path(settings: Settings) -> Path:
    return settings.paths.crawl_dir.resolve() / "crawl.log"


# -- the child process -------------------------------------------------------------------------------------------
def run_in_this_process(settings: Settings, sources: Sequence[SourceSettings]) -> CrawlResult:
    """Run the crawls here, starting Twisted's reactor: call at most once per process (``main`` does)."""
    from scrapy.crawler import AsyncCrawlerRunner, Crawler
    from scrapy.settings import Settings as ScrapySettings
    from scrapy.utils.defer import deferred_from_coro
    from scrapy.utils.log import configure_logging
    from scrapy.utils.reactor import install_reactor

    from scrapers import settings as project
    from scrapers.settings import for_source, job_dir

    base = ScrapySettings()
    base.setmodule(project, priority="project")
    log_file = _log_path(settings)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    base.setdict({"LOG_FILE": str(log_file), "LOG_FILE_APPEND": True}, priority="cmdline")
    install_reactor(base["TWISTED_REACTOR"])
    configure_logging(base)
    stderr = logging.StreamHandler()
    stderr.setLevel(os.environ.get("VOCMINE_LOG", "WARNING"))
    stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(stderr)

    from twisted.internet import reactor as installed

    reactor: Any = installed  # the module attribute is typed as a bare object
    runner = AsyncCrawlerRunner(base)
    store_path = str(settings.paths.store_path.resolve())
    counts: list[SpiderCounts] = []
    stopping: list[bool] = []

    async def crawl_all() -> None:
        for source in sources:
            if stopping:
                break
            crawler_settings = base.copy()
            crawler_settings.setdict(for_source(settings, source, store_path=store_path), priority="cmdline")
            crawler = Crawler(runner.spider_loader.load(source.spider), crawler_settings)
            error = None
            try:
                await runner.crawl(crawler, **spider_arguments(settings, source))
            except Exception as exc:  # one broken source must not lose the others
                log.exception("crawl of %s failed", source.spider)
                error = f"{type(exc).__name__}: {exc}"
            counts.append(_counts(source, crawler, error))
            if counts[-1].finish_reason == "finished":
                shutil.rmtree(job_dir(settings, source), ignore_errors=True)  # done: the next crawl starts fresh
            else:
                log.warning(
                    "%s stopped (%s); run the crawl again to resume it", source.spider, counts[-1].finish_reason
                )

    def stop_gracefully() -> Any:
        if len(counts) == len(sources):  # the normal end of the run also shuts the reactor down
            return None
        log.warning("interrupted: stopping; the next crawl resumes from the saved queue")
        stopping.append(True)
        return deferred_from_coro(runner.stop())

    reactor.addSystemEventTrigger("before", "shutdown", stop_gracefully)
    done = deferred_from_coro(crawl_all())
    done.addErrback(lambda failure: log.error("crawl failed: %s", failure.getErrorMessage()))
    done.addBoth(lambda _: reactor.callLater(0, reactor.stop))
    reactor.run()
    return CrawlResult(tuple(counts))


def spider_arguments(settings: Settings, source: SourceSettings) -> dict[str, Any]:
    return {
        "product": source.product,
        "start_urls": list(source.start_urls),
        "app_id": source.app_id,
        "country": source.country,
        "language": source.language,
        "max_pages": source.max_pages,
        "since": source.since.isoformat() if source.since else None,
        "incremental": settings.scrapers.incremental,
    }


def _counts(source: SourceSettings, crawler: Any, error: str | None) -> SpiderCounts:
    stats = crawler.stats.get_stats() if getattr(crawler, "_stats", None) is not None else {}
    label = f"{source.spider} {source.product}"
    if source.spider in ("appstore", "googleplay"):
        label += f" {source.country}" + (f"/{source.language}" if source.language else "")
    return SpiderCounts(
        spider=source.spider,
        product=source.product,
        label=label,
        scraped=stats.get("vocmine/items_scraped", 0),
        inserted=stats.get("vocmine/inserted", 0),
        updated=stats.get("vocmine/updated", 0),
        unchanged=stats.get("vocmine/unchanged", 0),
        rejected=stats.get("vocmine/rejected", 0),
        duplicates=stats.get("vocmine/duplicates", 0),
        pages=stats.get("vocmine/pages", 0),
        requests=stats.get("downloader/request_count", 0),
        blocked_by_robots=stats.get("robotstxt/forbidden", 0),
        blocked=tuple(stats.get("vocmine/blocked", [])),
        errors=tuple(stats.get("vocmine/errors", [])) + ((error,) if error else ()),
        finish_reason=str(stats.get("finish_reason", "failed" if error else "")),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m scrapers.crawl JOB.json RESULT.json`` — the child side of :func:`crawl_sources`."""
    from pipeline.store import Store

    job_file, out_file = argv or sys.argv[1:]
    job = json.loads(Path(job_file).read_text(encoding="utf-8"))
    settings = Settings.model_validate(job["settings"])
    sources = select_sources(settings, job.get("only") or None)
    out = Path(out_file)
    try:
        with Store(settings.paths.store_path) as store:
            run_id = store.start_run("crawl", settings.resolved())
    except StoreError as exc:
        out.write_text(json.dumps({"fatal": str(exc)}), encoding="utf-8")
        return 2
    result = run_in_this_process(settings, sources)
    with Store(settings.paths.store_path) as store:
        status = "ok" if all(s.finish_reason == "finished" for s in result.spiders) else "incomplete"
        store.finish_run(run_id, status=status, stats=result.to_json())
    out.write_text(json.dumps(result.to_json()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
