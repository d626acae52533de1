"""The bundled demo pages: rendered from ``data/sample/reviews.jsonl`` and up to date with it, and a crawl of them
over ``file://`` stores every sample review exactly once, with the text, rating, date and author it was written with.
"""

from __future__ import annotations

import importlib.util
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import Settings
from pipeline.records import author_hash
from pipeline.store import Store
from scrapers.crawl import crawl_sources

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
PAGES = SAMPLE / "pages"


def demo_source(spider: str, first_page: str, **options: str) -> dict[str, object]:
    return {
        "spider": spider,
        "product": "orbitask",
        "start_urls": [f"data/sample/pages/{spider}/{first_page}"],
        **options,
    }


# The scrapers.sources of configs/demo.yaml.
DEMO_SOURCES = [
    demo_source("trustpilot", "orbitask.com.html"),
    demo_source("appstore", "us-page1.json", country="us"),
    demo_source("appstore", "jp-page1.json", country="jp"),
    demo_source("googleplay", "id-page1.json", country="id", language="id"),
    demo_source("g2", "orbitask-reviews.html"),
    demo_source("itreview", "orbitask-reviews.html"),
]
DATE_ONLY = {"g2", "itreview"}  # these sites show the day, not the time


def renderer() -> Any:
    spec = importlib.util.spec_from_file_location("render_pages", SAMPLE / "render_pages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sample_reviews() -> list[dict[str, Any]]:
    path = SAMPLE / "reviews.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not generated yet (python data/sample/generate.py)")
    return renderer().read_reviews(path)


def test_committed_pages_are_rendered_from_the_current_reviews(sample_reviews: list[dict[str, Any]]) -> None:
    expected = renderer().render_all(sample_reviews)
    on_disk = {p.relative_to(PAGES).as_posix(): p.read_text(encoding="utf-8") for p in PAGES.glob("*/*")}
    assert sorted(on_disk) == sorted(expected), "run: python data/sample/render_pages.py"
    stale = [name for name, text in expected.items() if on_disk[name] != text]
    assert not stale, f"stale pages {stale}; run: python data/sample/render_pages.py"


def test_demo_crawl_stores_every_sample_review_once(
    sample_reviews: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)  # the demo config's paths are relative to the repository root
    settings = Settings.model_validate(
        {
            "paths": {"data_dir": str(tmp_path)},
            "scrapers": {"download_delay": 0, "autothrottle": False, "sources": DEMO_SOURCES},
        }
    )
    result = crawl_sources(settings)

    unique = {(r["source"], r["id"]): r for r in sample_reviews}
    assert result.total("inserted") == len(unique)
    assert result.total("duplicates") == len(sample_reviews) - len(unique)
    assert result.total("rejected") == 0 and not result.blocked and not result.errors
    with Store(settings.paths.store_path, read_only=True) as store:
        frame = store.frame("SELECT * FROM feedback")
    assert len(frame) == len(unique)
    rows = {(r.source, r.external_id): r for r in frame.itertuples()}
    assert set(rows) == set(unique)
    for key, sample in unique.items():
        got = rows[key]
        assert got.rating == float(sample["rating"]), key
        assert got.author_hash == author_hash(sample["author"]), key
        for field in ("title", "body", "pros", "cons"):
            assert _words(getattr(got, field)) == _words(sample.get(field)), (key, field)
        published = datetime.fromisoformat(sample["date"])
        if key[0] in DATE_ONLY:
            assert got.created_at.date() == published.date(), key
        else:
            assert got.created_at == published, key


def _words(text: Any) -> str | None:
    """Text compared word by word (pages re-wrap lines); missing (None, or NaN from the frame) is None."""
    return " ".join(text.split()) if isinstance(text, str) and text.strip() else None
