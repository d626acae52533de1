"""The hand-labelled gold set (data/gold/<lang>.jsonl): format, label sets, coverage, no leakage."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from models.data import text_key
from models.examples import LabelledExample
from pipeline.taxonomy import NO_SHARP_EDGE, load_taxonomy

REPO_ROOT = Path(__file__).resolve().parents[2]
GOLD_DIR = REPO_ROOT / "data" / "gold"
GOLD_FILES = sorted(GOLD_DIR.glob("*.jsonl"))
FIELDS = {"text", "lang", "service", "sentiment", "sharp_edge", "source"}
MIN_EN_LINES = 1500
MIN_PER_LABEL = 20
MIN_LEAK_CHARS = 30


@cache
def read_gold(path: Path) -> tuple[LabelledExample, ...]:
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        record = json.loads(line)
        assert set(record) == FIELDS, f"{path.name}:{number}: fields {sorted(record)}"
        examples.append(LabelledExample.model_validate({**record, "origin": "gold"}))
    return tuple(examples)


def by_file() -> pytest.MarkDecorator:
    return pytest.mark.parametrize("path", GOLD_FILES, ids=[p.name for p in GOLD_FILES])


def test_english_gold_file_is_large_enough() -> None:
    path = GOLD_DIR / "en.jsonl"
    assert path in GOLD_FILES
    assert len(read_gold(path)) >= MIN_EN_LINES


@by_file()
def test_every_line_is_fully_labelled(path: Path) -> None:
    for example in read_gold(path):
        assert example.lang == path.stem, example.text
        assert example.service is not None, example.text
        assert example.sentiment is not None, example.text
        assert example.sharp_edge is not None, example.text
        assert example.source in {"review", "nps"}, example.text
        assert example.text == example.text.strip(), example.text


@by_file()
def test_labels_come_from_the_taxonomy(path: Path) -> None:
    taxonomy = load_taxonomy(REPO_ROOT / "configs" / "taxonomy.yaml")
    for example in read_gold(path):
        assert set(example.service or ()) <= set(taxonomy.service_kinds), example.text
        assert example.sentiment in taxonomy.sentiment, example.text
        assert example.sharp_edge in taxonomy.sharp_edge_labels, example.text


@by_file()
def test_every_service_kind_and_sharp_edge_is_covered(path: Path) -> None:
    taxonomy = load_taxonomy(REPO_ROOT / "configs" / "taxonomy.yaml")
    examples = read_gold(path)
    kinds = Counter(kind for example in examples for kind in example.service or ())
    edges = Counter(example.sharp_edge for example in examples)
    sentiments: Counter[str | None] = Counter(example.sentiment for example in examples)
    thin = {kind: kinds[kind] for kind in taxonomy.service_kinds if kinds[kind] < MIN_PER_LABEL}
    thin |= {edge: edges[edge] for edge in taxonomy.sharp_edge_labels if edges[edge] < MIN_PER_LABEL}
    thin |= {label: sentiments[label] for label in taxonomy.sentiment if sentiments[label] < MIN_PER_LABEL}
    assert not thin, f"{path.name}: fewer than {MIN_PER_LABEL} examples of {thin}"
    assert edges[NO_SHARP_EDGE] < len(examples), "no sharp-edge examples at all"


def test_no_duplicate_texts_within_or_across_files() -> None:
    seen: dict[str, str] = {}
    duplicates = []
    for path in GOLD_FILES:
        for number, example in enumerate(read_gold(path), 1):
            key = text_key(example.text)  # the key train/dev/test splits are made on
            where = f"{path.name}:{number}"
            if key in seen:
                duplicates.append(f"{where} repeats {seen[key]}: {example.text!r}")
            seen.setdefault(key, where)
    assert not duplicates, "\n".join(duplicates[:20])


def test_gold_texts_do_not_come_from_the_evaluation_corpora(shared_data: Path) -> None:
    """No gold sentence of 30+ characters appears verbatim in ../shared/data (evaluation only)."""
    corpus = "\n".join(  # whitespace is flattened on both sides: a re-wrapped copy still counts
        path.read_text(encoding="utf-8", errors="replace") for path in sorted(shared_data.rglob("*")) if path.is_file()
    )
    flat_corpus = re.sub(r"\s+", " ", corpus)
    leaked = [
        f"{path.name}: {example.text!r}"
        for path in GOLD_FILES
        for example in read_gold(path)
        if len(example.text) >= MIN_LEAK_CHARS and re.sub(r"\s+", " ", example.text) in flat_corpus
    ]
    assert not leaked, "gold text found verbatim in the evaluation corpora:\n" + "\n".join(leaked[:20])
