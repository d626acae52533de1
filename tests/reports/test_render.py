"""The HTML file: self-contained (plotly.js once, no CDN), each chart beside its table and formula, text escaped."""

from __future__ import annotations

import re

import pytest
from plotly.offline import get_plotlyjs

from reports.analysis import analyse
from reports.attribution import Resampling
from reports.markdown import render_markdown
from reports.render import ReportMeta, render_html
from reports.sections import build_sections, cards
from tests.reports.corpus import CATEGORIES, KINDS, make_corpus

META = ReportMeta(
    title="VoC",
    product="orbitask",
    window="w",
    records="n",
    model_version="m",
    generated="g",
    version="0",
    min_sample=10,
)


@pytest.fixture(scope="module")
def analysis():
    corpus = make_corpus(n=120, months=6)
    quotes = corpus["sentences"]
    quotes.loc[quotes["sharp_edge"] != "none", "text_redacted"] = 'Refund refused <b>"bold"</b> & <script>x()</script>'
    return analyse(
        corpus["feedback"],
        corpus["tags"],
        quotes,
        model_version="m",
        service_kinds=KINDS,
        sharp_edge_categories=list(CATEGORIES),
        opts=Resampling(samples=20, min_sample=10),
    )


@pytest.fixture(scope="module")
def html(analysis) -> str:
    return render_html(
        build_sections(analysis),
        cards(analysis),
        findings=analysis.findings,
        notes=analysis.notes,
        meta=META,
        downloads=sorted(analysis.tables),
    )


def test_plotly_is_inlined_once_and_nothing_is_fetched(html: str) -> None:
    bundle = get_plotlyjs()
    assert html.count(bundle) == 1
    rest = html.replace(bundle, "")
    assert "<script src" not in rest and "cdn." not in rest and "<link" not in rest
    assert "mathjax" not in rest.lower()


def test_every_chart_sits_beside_its_table_and_formula(html: str) -> None:
    blocks = re.findall(r'<article class="block[^"]*" id="([^"]+)">(.*?)</article>', html, flags=re.S)
    assert len(blocks) >= 15
    charts = 0
    for block_id, body in blocks:
        assert "<table>" in body, block_id
        assert "<details><summary>How this is computed</summary><pre>" in body, block_id
        assert "tables/" in body, block_id
        charts += "plotly-graph-div" in body
    assert charts >= 12
    assert html.count('class="plotly-graph-div"') == charts  # no chart outside a block


def test_review_text_is_escaped(html: str) -> None:
    assert "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "<script>x()</script>" not in html
    assert "&lt;b&gt;&#34;bold&#34;&lt;/b&gt; &amp;" in html


def test_markdown_summary_has_headlines_and_escapes_quotes(analysis) -> None:
    text = render_markdown(analysis, cards(analysis), meta=META)
    assert text.startswith("# VoC — orbitask")
    assert "| **Net Promoter Score** |" in text and "## Top sharp edges" in text
    assert "not causal" in text
    assert "<script>" not in text


def test_markdown_escape_neutralises_html_and_tables() -> None:
    from reports.markdown import escape

    assert escape("<script>a|b</script>\n x") == "&lt;script&gt;a\\|b&lt;/script&gt; x"
