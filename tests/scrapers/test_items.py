"""Normalisation of scraped reviews: dates to UTC, ratings to 1–5, language hints, reasons for refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scrapers.items import InvalidItem, ReviewItem, language_hint, parse_date, rating_1_to_5, to_feedback


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-04T09:12:33.000Z", datetime(2026, 5, 4, 9, 12, 33, tzinfo=UTC)),
        ("2026-08-12T07:41:09-07:00", datetime(2026, 8, 12, 14, 41, 9, tzinfo=UTC)),
        ("2026-09-18", datetime(2026, 9, 18, tzinfo=UTC)),
        ("2026/03/01", datetime(2026, 3, 1, tzinfo=UTC)),
        ("投稿日：2026年5月7日", datetime(2026, 5, 7, tzinfo=UTC)),
        ("2026年09月20日 14:05", datetime(2026, 9, 20, 14, 5, tzinfo=UTC)),
        ("June 3, 2026", datetime(2026, 6, 3, tzinfo=UTC)),
        ("Sept. 3, 2026", datetime(2026, 9, 3, tzinfo=UTC)),
        ("3 March 2026", datetime(2026, 3, 3, tzinfo=UTC)),
        (1786780800, datetime(2026, 8, 15, 8, tzinfo=UTC)),
        (date(2026, 1, 2), datetime(2026, 1, 2, tzinfo=UTC)),
    ],
)
def test_dates_in_the_formats_sites_use_become_utc(text: str | int | date, expected: datetime) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [(None, "missing"), ("  ", "missing"), ("yesterday", "unreadable"), ("2026-02-30", "unreadable"),
     ("1970-01-01", "implausible"), ("2099-01-01", "implausible")],
)  # fmt: skip
def test_unusable_dates_are_refused_with_a_reason(text: str | None, reason: str) -> None:
    with pytest.raises(InvalidItem, match=reason):
        parse_date(text)


@given(st.integers(min_value=1, max_value=10), st.integers(min_value=1, max_value=10))
def test_ratings_on_a_ten_point_scale_map_monotonically_onto_one_to_five(a: int, b: int) -> None:
    ra, rb = rating_1_to_5(a, scale=10), rating_1_to_5(b, scale=10)
    assert ra is not None and rb is not None
    assert 1 <= ra <= 5 and (ra <= rb) == (a <= b)


def test_ratings_keep_half_stars_and_refuse_out_of_scale() -> None:
    assert rating_1_to_5("4.5") == 4.5 and rating_1_to_5(None) is None
    assert rating_1_to_5(10, scale=10) == 5 and rating_1_to_5(1, scale=10) == 1
    with pytest.raises(InvalidItem, match="outside 1–5"):
        rating_1_to_5(0)


def item(**fields: object) -> ReviewItem:
    values: dict[str, object] = {"external_id": "x1", "body": "ok", "created_at": "2026-01-01", **fields}
    return ReviewItem(source="appstore", product="orbitask", **values)  # type: ignore[arg-type]


def test_language_hint_prefers_the_site_then_recognises_japanese() -> None:
    assert language_hint(item(language="en-US")) == "en"
    assert language_hint(item(body="サポートが早い")) == "ja"
    assert language_hint(item(body="Supportnya cepat")) is None


def test_every_problem_of_an_item_is_named_at_once() -> None:
    with pytest.raises(InvalidItem) as caught:
        to_feedback(item(external_id=None, created_at="soon", rating=6))
    assert str(caught.value) == "external_id: missing; created_at: unreadable date 'soon'; rating: 6 is outside 1–5"
    record = to_feedback(item(author="  Mika ", region="jp", title="  "))
    assert record.region == "JP" and record.title is None and record.author_hash is not None
