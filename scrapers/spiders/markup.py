"""Small readers shared by the spiders: page text, embedded JSON (Next.js, schema.org JSON-LD), nested lookups."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from parsel import Selector, SelectorList
from w3lib.html import remove_tags, replace_entities

_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(?:p|div|li|h[1-6]|ul|ol|section|blockquote)>")


def clean(text: str | None) -> str | None:
    """Collapse spaces inside lines, drop empty lines; None when nothing is left."""
    if text is None:
        return None
    lines = (" ".join(line.split()) for line in str(text).splitlines())
    joined = "\n".join(line for line in lines if line)
    return joined or None


def block_text(node: Selector | SelectorList | None) -> str | None:
    """Readable text of an HTML element: paragraphs and ``<br>`` become line breaks."""
    if node is None:
        return None
    html = node.get() if isinstance(node, Selector | SelectorList) else None
    if not html:
        return None
    return clean(replace_entities(remove_tags(_BLOCK_END.sub("\n", html))))


def inline_text(node: Selector | SelectorList | None) -> str | None:
    """Text of an element on one line."""
    text = block_text(node)
    return " ".join(text.split()) if text else None


def next_data(response: Any) -> dict[str, Any] | None:
    """The JSON that Next.js embeds in ``<script id="__NEXT_DATA__">``, if the page has it."""
    raw = response.css("script#__NEXT_DATA__::text").get()
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def json_ld(response: Any) -> Iterator[dict[str, Any]]:
    """Every schema.org object in the page's JSON-LD scripts, ``@graph`` and lists flattened."""
    for raw in response.css('script[type="application/ld+json"]::text').getall():
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            continue
        yield from _flatten(data)


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for part in data:
            yield from _flatten(part)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "review"):  # a product's reviews may sit inside it: {"@type": "Product", "review": […]}
            if key in data:
                yield from _flatten(data[key])


def is_type(obj: dict[str, Any], name: str) -> bool:
    kind = obj.get("@type")
    return kind == name or (isinstance(kind, list) and name in kind)


def dig(obj: Any, *path: str | int) -> Any:
    """``obj[p0][p1]…`` or None when any step is missing (JSON from sites changes shape)."""
    for key in path:
        try:
            obj = obj[key]
        except (KeyError, IndexError, TypeError):
            return None
    return obj


def label(obj: Any, *path: str) -> str | None:
    """``obj[…]["label"]`` as in Apple's RSS JSON, where every value is wrapped as ``{"label": …}``."""
    value = dig(obj, *path, "label")
    return str(value) if value is not None else None


def number(text: str | float | None) -> float | None:
    """The first number in a text such as ``"4.5 out of 5"`` or ``"Rated 8 out of 10"``."""
    if text is None:
        return None
    if isinstance(text, int | float):
        return float(text)
    m = re.search(r"\d+(?:[.,]\d+)?", text)
    return float(m.group().replace(",", ".")) if m else None


# Headings, and label-like leaf elements ending in "?" or ":" (restyled sites turn <h5> into <div class="bold">).
HEADINGS = (
    ".//*[self::h2 or self::h3 or self::h4 or self::h5 or self::h6 or self::dt"
    " or ((self::div or self::span or self::strong or self::b or self::label) and not(*)"
    " and (substring(normalize-space(.), string-length(normalize-space(.))) = '?'"
    " or substring(normalize-space(.), string-length(normalize-space(.))) = ':'))]"
)


def sections(card: Selector) -> dict[str, str]:
    """Question / heading → answer text, for review cards laid out as headings each followed by its answer.

    Keys are the heading text on one line; matching on that text (not on class names) survives restyling.
    """
    out: dict[str, str] = {}
    for heading in card.xpath(HEADINGS):
        title = inline_text(heading)
        answer = block_text(heading.xpath("following-sibling::*[1]"))
        if title and answer and title not in out:
            out[title] = answer
    return out


def pick(found: dict[str, str], *prefixes: str) -> str | None:
    """The first section whose heading starts with one of the prefixes (case-insensitive)."""
    for title, text in found.items():
        if any(title.lower().startswith(p.lower()) for p in prefixes):
            return text
    return None
