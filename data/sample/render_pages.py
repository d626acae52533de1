"""Render ``reviews.jsonl`` into recorded review pages, in each site's own format, for the demo crawl.

Run ``python data/sample/render_pages.py`` after ``generate.py``; the output is deterministic. It writes
``pages/<spider>/…`` the way a site would have served them, saved for offline replay: the links between pages are
rewritten to the saved file names (as ``wget --convert-links`` does), so the spiders paginate over ``file://``.

- trustpilot: ``orbitask.com.html``, ``orbitask.com-page2.html``, … — 20 reviews a page (Trustpilot's page size),
  Next.js page data (``__NEXT_DATA__``) plus the "next page" link;
- appstore: ``<country>-page1.json``, … — the customer-reviews RSS feed in JSON, 50 entries a page, ``rel=next``;
- googleplay: ``<country>-page1.json`` then ``<token>.json`` — batchexecute answers of the reviews RPC, 40 a page,
  each naming the continuation token of the next;
- g2: ``orbitask-reviews.html``, ``orbitask-reviews-page2.html``, … — microdata review cards, 10 a page;
- itreview: ``orbitask-reviews.html``, … — review articles with 良いポイント / 改善してほしいポイント, 10 a page.

Reviews stay in the file's order (newest first per channel), so a review repeated 20 lines further down lands on
the next page, as when a site's pagination shifts during a crawl.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PRODUCT = "Orbitask"
PAGE_SIZES = {"trustpilot": 20, "appstore": 50, "googleplay": 40, "g2": 10, "itreview": 10}
APP_ID = "1600000001"


def page_name(first: str, n: int) -> str:
    """``orbitask.com.html`` for page 1, ``orbitask.com-page2.html`` for page 2."""
    stem, _, ext = first.rpartition(".")
    return first if n == 1 else f"{stem}-page{n}.{ext}"


def chunks(rows: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)] or [[]]


def script_json(data: Any) -> str:
    """JSON safe inside ``<script>``: ``</`` cannot close the tag."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def utc_iso(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def esc(text: str | None) -> str:
    return html.escape(text or "")


def paragraphs(text: str | None) -> str:
    return "".join(f"<p>{esc(p)}</p>" for p in (text or "").split("\n") if p.strip())


# -- Trustpilot ------------------------------------------------------------------------------------------------
def trustpilot_page(rows: list[dict[str, Any]], *, page: int, pages: int, next_href: str | None) -> str:
    reviews = [
        {
            "id": r["id"], "filtered": False, "pending": False, "text": r.get("body") or "", "rating": r["rating"],
            "labels": {"merged": None, "verification": {"isVerified": False, "verificationLevel": "not-verified"}},
            "title": r.get("title") or "", "likes": 0,
            "dates": {"experiencedDate": None, "publishedDate": utc_iso(r["date"]), "updatedDate": None},
            "consumer": {"displayName": r.get("author"), "countryCode": (r.get("country") or "").upper() or None,
                         "numberOfReviews": 1, "hasImage": False, "isVerified": False},
            "reply": None, "language": r.get("lang"), "location": None,
        }
        for r in rows
    ]  # fmt: skip
    data = {
        "props": {"pageProps": {
            "businessUnit": {"displayName": PRODUCT, "identifyingName": "orbitask.com"},
            "reviews": reviews,
            "filters": {"pagination": {"currentPage": page, "perPage": 20, "totalPages": pages}},
        }},
        "page": "/review/[businessUnit]", "query": {"businessUnit": "orbitask.com"},
    }  # fmt: skip
    nav = (
        f'<a name="pagination-button-next" href="{esc(next_href)}" data-pagination-button-next-link="true">'
        "Next page</a>"
        if next_href
        else '<a name="pagination-button-next" aria-disabled="true">Next page</a>'
    )
    return (
        '<!DOCTYPE html>\n<html lang="en-US">\n<head><meta charset="utf-8">'
        f"<title>{PRODUCT} Reviews | Read Customer Service Reviews of orbitask.com</title></head>\n"
        f"<body>\n<main><nav>{nav}</nav></main>\n"
        f'<script id="__NEXT_DATA__" type="application/json">{script_json(data)}</script>\n</body>\n</html>\n'
    )


def render_trustpilot(rows: list[dict[str, Any]]) -> dict[str, str]:
    pages = chunks(rows, PAGE_SIZES["trustpilot"])
    first = "orbitask.com.html"
    return {
        page_name(first, n): trustpilot_page(
            part, page=n, pages=len(pages), next_href=page_name(first, n + 1) if n < len(pages) else None
        )
        for n, part in enumerate(pages, 1)
    }


# -- App Store -------------------------------------------------------------------------------------------------
def appstore_feed(rows: list[dict[str, Any]], *, country: str, next_href: str | None) -> str:
    profile = "https://itunes.apple.com/{country}/reviews/id{user}"
    entries = [
        {
            "author": {"uri": {"label": profile.format(country=country, user=hash_id(r.get("author") or r["id"]))},
                       "name": {"label": r.get("author") or ""}, "label": ""},
            "updated": {"label": r["date"]}, "im:rating": {"label": str(r["rating"])},
            "im:version": {"label": "5.14.0"}, "id": {"label": r["id"]},
            "title": {"label": r.get("title") or ""},
            "content": {"label": r.get("body") or "", "attributes": {"type": "text"}},
            "link": {"attributes": {"rel": "related", "href": f"https://itunes.apple.com/{country}/review?id={APP_ID}&type=Purple%20Software"}},
            "im:voteSum": {"label": "0"}, "im:voteCount": {"label": "0"},
            "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
        }
        for r in rows
    ]  # fmt: skip
    links = [{"attributes": {"rel": "alternate", "type": "text/html",
                             "href": f"https://apps.apple.com/{country}/app/orbitask/id{APP_ID}"}}]  # fmt: skip
    if next_href:
        links.append({"attributes": {"rel": "next", "href": next_href}})
    feed = {
        "author": {"name": {"label": "iTunes Store"}, "uri": {"label": "http://www.apple.com/itunes/"}},
        "entry": entries,
        "title": {"label": "iTunes Store: Customer Reviews"},
        "link": links,
    }
    return json.dumps({"feed": feed}, ensure_ascii=False, separators=(",", ":")) + "\n"


def hash_id(text: str) -> int:
    """A stable made-up user id for the feed's author link (Python's hash() changes between runs)."""
    return sum(ord(c) * 31**i for i, c in enumerate(text)) % 10**10


def render_appstore(rows: list[dict[str, Any]], *, country: str) -> dict[str, str]:
    pages = chunks(rows, PAGE_SIZES["appstore"])
    return {
        f"{country}-page{n}.json": appstore_feed(
            part, country=country, next_href=f"{country}-page{n + 1}.json" if n < len(pages) else None
        )
        for n, part in enumerate(pages, 1)
    }


# -- Google Play -----------------------------------------------------------------------------------------------
def googleplay_answer(rows: list[dict[str, Any]], *, token: str | None) -> str:
    reviews = [
        [r["id"], [r.get("author"), [None, 2, [96, 96], [None, None, "https://play-lh.googleusercontent.com/a-/x"]]],
         r["rating"], None, r.get("body"), [int(datetime.fromisoformat(r["date"]).timestamp()), 0], 0, None,
         None, None, "5.14.0", None, None, None, None, None, None, None, [None, None, None]]
        for r in rows
    ]  # fmt: skip
    result = [reviews, [None, token], None]
    envelope = [["wrb.fr", "UsvDTd", json.dumps(result, ensure_ascii=False, separators=(",", ":")), None, None, None,
                 "generic"], ["di", 61], ["af.httprm", 60, "-4452173306542187113", 17]]  # fmt: skip
    return ")]}'\n\n" + json.dumps(envelope, ensure_ascii=False, separators=(",", ":")) + "\n"


def render_googleplay(rows: list[dict[str, Any]], *, country: str) -> dict[str, str]:
    pages = chunks(rows, PAGE_SIZES["googleplay"])
    tokens = [base64.urlsafe_b64encode(f"orbitask:{country}:{n}".encode()).decode().rstrip("=") for n in
              range(2, len(pages) + 1)] + [None]  # fmt: skip
    names = [f"{country}-page1.json"] + [f"{t}.json" for t in tokens[:-1]]
    return {name: googleplay_answer(part, token=tok) for name, part, tok in zip(names, pages, tokens, strict=True)}


# -- G2 ----------------------------------------------------------------------------------------------------------
def g2_card(r: dict[str, Any]) -> str:
    day = datetime.fromisoformat(r["date"]).date()
    stars = round(float(r["rating"]) * 2)
    sections = [
        (f"What do you like best about {PRODUCT}?", r.get("pros")),
        (f"What do you dislike about {PRODUCT}?", r.get("cons")),
        (f"What problems is {PRODUCT} solving and how is that benefiting you?", r.get("body")),
    ]
    answers = "".join(
        f'<div><h5 class="l5 mt-2">{esc(q)}</h5><div class="formatted-text">{paragraphs(a)}</div></div>'
        for q, a in sections
        if a
    )
    details = "".join(
        f'<div class="mt-4th">{esc(v)}</div>' for v in (r.get("reviewer_role"), r.get("company_size")) if v
    )
    return (
        '<div class="paper paper--white paper--box mb-2 position-relative border-bottom"'
        f' id="survey-response-{r["id"]}" itemprop="review" itemscope itemtype="http://schema.org/Review">\n'
        '<div class="review-list-heading"><div itemprop="author" itemscope itemtype="http://schema.org/Person">'
        f'<meta itemprop="name" content="{esc(r.get("author"))}"><div class="fw-semibold">{esc(r.get("author"))}</div>'
        f"</div>{details}</div>\n"
        '<div itemprop="reviewRating" itemscope itemtype="http://schema.org/Rating">'
        f'<meta itemprop="ratingValue" content="{float(r["rating"]):.1f}"><meta itemprop="bestRating" content="5">'
        f'<div class="stars large xlarge stars-{stars}"></div></div>\n'
        f'<div class="time-stamp"><meta itemprop="datePublished" content="{day.isoformat()}">'
        f'<time datetime="{day.isoformat()}">{day:%m/%d/%Y}</time></div>\n'
        f'<h3 class="m-0 l2" itemprop="name">"{esc(r.get("title"))}"</h3>\n'
        f'<div itemprop="reviewBody">{answers}</div>\n</div>\n'
    )


def render_g2(rows: list[dict[str, Any]]) -> dict[str, str]:
    pages = chunks(rows, PAGE_SIZES["g2"])
    out = {}
    for n, part in enumerate(pages, 1):
        nxt = page_name("orbitask-reviews.html", n + 1)
        nav = f'<a class="pagination__named-link" rel="next" href="{nxt}">Next ›</a>' if n < len(pages) else ""
        out[page_name("orbitask-reviews.html", n)] = (
            f'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>{PRODUCT} Reviews | G2</title>'
            f'</head>\n<body>\n<div class="nested-ajax-loading">\n{"".join(g2_card(r) for r in part)}</div>\n'
            f'<div class="pagination">{nav}</div>\n</body>\n</html>\n'
        )
    return out


# -- ITreview ----------------------------------------------------------------------------------------------------
def itreview_card(r: dict[str, Any]) -> str:
    day = datetime.fromisoformat(r["date"]).date()
    sections = [
        ("良いポイント", r.get("pros")),
        ("改善してほしいポイント", r.get("cons")),
        ("どのような課題解決に貢献しましたか？どのような効果がありましたか？", r.get("body")),
    ]
    body = "".join(f'<h3>{q}</h3><div class="review-text">{paragraphs(a)}</div>' for q, a in sections if a)
    profile = "".join(
        f"<dt>{k}</dt><dd>{esc(v)}</dd>"
        for k, v in (("役職", r.get("reviewer_role")), ("従業員規模", r.get("company_size")))
        if v
    )
    return (
        '<article class="review-item">\n<div class="review-header">'
        f'<h2 class="review-title"><a href="/products/orbitask/reviews/{r["id"]}">{esc(r.get("title"))}</a></h2>'
        f'<div class="star-rating" data-rating="{float(r["rating"]):.1f}">{float(r["rating"]):.1f}</div>'
        f'<time datetime="{day.isoformat()}">投稿日：{day.year}年{day.month:02d}月{day.day:02d}日</time></div>\n'
        f'<div class="reviewer-profile"><p data-reviewer-name="true">{esc(r.get("author"))}</p>'
        f"<dl>{profile}</dl></div>\n"
        f'<div class="review-body">{body}</div>\n</article>\n'
    )


def render_itreview(rows: list[dict[str, Any]]) -> dict[str, str]:
    pages = chunks(rows, PAGE_SIZES["itreview"])
    out = {}
    for n, part in enumerate(pages, 1):
        nxt = page_name("orbitask-reviews.html", n + 1)
        nav = f'<a rel="next" href="{nxt}">次へ</a>' if n < len(pages) else ""
        out[page_name("orbitask-reviews.html", n)] = (
            f'<!DOCTYPE html>\n<html lang="ja">\n<head><meta charset="utf-8"><title>{PRODUCT}の評判・口コミ | ITreview'
            f'</title></head>\n<body>\n<div class="review-list">\n{"".join(itreview_card(r) for r in part)}</div>\n'
            f'<nav class="pagination">{nav}</nav>\n</body>\n</html>\n'
        )
    return out


# -- all ---------------------------------------------------------------------------------------------------------
def render_all(rows: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Relative path under ``pages/`` → file content, for every source in the rows."""
    rows = list(rows)

    def pick(source: str, country: str | None = None) -> list[dict[str, Any]]:
        return [r for r in rows if r["source"] == source and (country is None or r.get("country") == country)]

    files: dict[str, dict[str, str]] = {
        "trustpilot": render_trustpilot(pick("trustpilot")),
        "g2": render_g2(pick("g2")),
        "itreview": render_itreview(pick("itreview")),
        "appstore": {},
        "googleplay": {},
    }
    for country in sorted({str(r.get("country")) for r in pick("appstore")}):
        files["appstore"].update(render_appstore(pick("appstore", country), country=country))
    for country in sorted({str(r.get("country")) for r in pick("googleplay")}):
        files["googleplay"].update(render_googleplay(pick("googleplay", country), country=country))
    return {f"{spider}/{name}": text for spider, pages in files.items() for name, text in pages.items() if pick(spider)}


def read_reviews(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_pages(rows: Iterable[dict[str, Any]], out_dir: Path) -> list[Path]:
    written = []
    for rel, text in render_all(rows).items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


def main() -> None:
    out_dir = HERE / "pages"
    for old in out_dir.glob("*/*"):
        old.unlink()
    written = write_pages(read_reviews(HERE / "reviews.jsonl"), out_dir)
    print(f"wrote {len(written)} pages under {out_dir}")


if __name__ == "__main__":
    main()
