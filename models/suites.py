"""Benchmark suites on public corpora (evaluation only — never training data).

The corpora live outside the repository, in ``../shared/data`` beside it, or wherever ``VOCMINE_SHARED_DATA``
points; a suite whose files are absent is skipped with the reason. Their text is never copied anywhere but the
evaluation report under the data directory.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from models.examples import LabelledExample
from models.readers import (
    read_indonlu_aspect,
    read_jrte,
    read_semeval,
    read_smsa,
    read_span_labels,
    read_star_ratings,
)

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
APP_REVIEW_LABELS = REPO_ROOT / "data" / "eval" / "app_reviews.labels.jsonl"
Head = str  # "service" | "sentiment" | "sharp_edge"


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    lang: str | None
    heads: tuple[Head, ...]
    examples: tuple[LabelledExample, ...]
    service_kinds_labelled: bool = True  # False: gold says "service or not", not which kind
    records: bool = False  # texts are whole reviews: also scored sentence by sentence, aggregated as the pipeline does

    def __len__(self) -> int:
        return len(self.examples)


def shared_data_dir(explicit: Path | str | None = None) -> Path:
    """``explicit``, else ``$VOCMINE_SHARED_DATA``, else ``../shared/data`` beside the repository."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get("VOCMINE_SHARED_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


def _files(root: Path, *names: str) -> list[Path]:
    paths = [root / n for n in names]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(", ".join(missing))
    return paths


def _semeval_sentences(root: Path) -> list[LabelledExample]:
    """The in-scope sentences of SemEval-2016 laptops, test then train (the reader skips the out-of-scope ones)."""
    return [ex for path in _files(root, "semeval16-laptops/test.xml", "semeval16-laptops/train.xml")
            for ex in read_semeval(path, source="semeval16-laptops")]  # fmt: skip


def _semeval_support(*, every_sentence: bool) -> Callable[[Path], Suite]:
    """SemEval-2016 annotates only the aspects an opinion is about: a sentence without opinions has no categories,
    so whether it mentions support is unknown. The main suite keeps the sentences with opinions; the ``_all`` one
    counts every in-scope sentence, calling one without opinions "not service"."""

    def load(root: Path) -> Suite:
        examples = [ex for ex in _semeval_sentences(root) if every_sentence or ex.note]
        if every_sentence:
            name, which = "semeval16_laptops_service_all", "every sentence (one without opinions counts as not service)"
        else:
            name, which = "semeval16_laptops_service", "sentences with at least one opinion"
        return Suite(
            name, f"SemEval-2016 laptops (test + train), {which}: a SUPPORT#* aspect = service; out-of-scope "
            "sentences skipped", "en", ("service",), tuple(examples), False,
        )  # fmt: skip

    return load


def _semeval_sentiment(*, every_sentence: bool) -> Callable[[Path], Suite]:
    """The main suite scores the sentences whose opinions all share one polarity: every sentence in it is
    evaluative, so it holds almost no neutral ones (4 %). The ``_all`` one adds the in-scope sentences without
    opinions as neutral (SemEval annotates every evaluation of the laptop or its parts, so a sentence without one
    states no opinion on them), which is closer to the mix of a whole review."""

    def load(root: Path) -> Suite:
        examples = []
        for ex in _semeval_sentences(root):
            if ex.sentiment is not None:
                examples.append(ex)
            elif every_sentence and not ex.note:
                examples.append(ex.model_copy(update={"sentiment": "neutral"}))
        if every_sentence:
            name, which = "semeval16_laptops_sentiment_all", "plus those without opinions, as neutral"
        else:
            name, which = "semeval16_laptops_sentiment", "sentences without opinions skipped"
        return Suite(
            name, "SemEval-2016 laptops (test + train): English review sentences whose opinions all share one "
            f"polarity; {which}", "en", ("sentiment",), tuple(examples),
        )  # fmt: skip

    return load


def _indonlu_service(corpus: str, stem: str) -> Callable[[Path], Suite]:
    def load(root: Path) -> Suite:
        names = [f"indonlu/{stem}_{split}_preprocess.csv" for split in ("train", "valid", "test")]
        examples = [ex for p in _files(root, *names) for ex in read_indonlu_aspect(p, source=f"indonlu-{corpus}")]
        return Suite(
            f"{corpus}_service", f"IndoNLU {corpus.upper()} (train + valid + test reviews): the 'service' aspect "
            "mentioned (pos / neg) vs not (neutral)", "id", ("service",), tuple(examples), False, True,
        )  # fmt: skip

    return load


def _jrte_sentiment(root: Path) -> Suite:
    (path,) = _files(root, "jrte/pn_train_dev.tsv")
    return Suite(
        "jrte_sentiment", "JRTE pn.tsv (train + dev rows): Japanese hotel-review sentences, 1 / 0 / -1",
        "ja", ("sentiment",), tuple(read_jrte(path, source="jrte")),
    )  # fmt: skip


def _smsa_sentiment(root: Path) -> Suite:
    (path,) = _files(root, "indonlu/smsa_doc-sentiment-prosa_valid_preprocess.tsv")
    return Suite(
        "smsa_sentiment", "IndoNLU SmSA valid: Indonesian review / comment sentiment",
        "id", ("sentiment",), tuple(read_smsa(path, source="smsa")), records=True,
    )  # fmt: skip


def _tokopedia_stars(root: Path) -> Suite:
    (path,) = _files(root, "tokopedia/data_tokopedia_reviews.csv")
    return Suite(
        "tokopedia_stars", "Tokopedia Google Play reviews (id): star ratings as distant sentiment, 1–2 negative, "
        "3 neutral, 4–5 positive", "id", ("sentiment",), tuple(read_star_ratings(path, lang="id", source="tokopedia")),
        records=True,
    )  # fmt: skip


def _app_reviews(root: Path) -> Suite:
    """Our own labels (all three heads, by the gold guide) of the shared English SaaS app reviews, split into
    sentences; the label file holds offsets and keys, never the text."""
    (path,) = _files(root, "app-reviews/asana_google_play.csv")
    _files(APP_REVIEW_LABELS.parent, APP_REVIEW_LABELS.name)
    result = read_span_labels(APP_REVIEW_LABELS, path, text_column="Content", lang="en", source="app-reviews")
    if result.rejects:
        log.warning("app-reviews: %d labels no longer match the corpus", len(result.rejects))
    return Suite(
        "app_reviews_saas", "SaaS work-management app reviews from Google Play (en), split into sentences and "
        "labelled by us with the gold guide", "en", ("service", "sentiment", "sharp_edge"), result.examples,
    )  # fmt: skip


SUITES: dict[str, Callable[[Path], Suite]] = {
    "semeval16_laptops_service": _semeval_support(every_sentence=False),
    "semeval16_laptops_service_all": _semeval_support(every_sentence=True),
    "semeval16_laptops_sentiment": _semeval_sentiment(every_sentence=False),
    "semeval16_laptops_sentiment_all": _semeval_sentiment(every_sentence=True),
    "hoasa_service": _indonlu_service("hoasa", "hoasa_absa-airy"),
    "casa_service": _indonlu_service("casa", "casa_absa-prosa"),
    "jrte_sentiment": _jrte_sentiment,
    "smsa_sentiment": _smsa_sentiment,
    "tokopedia_stars": _tokopedia_stars,
    "app_reviews_saas": _app_reviews,
}


def load_suites(
    shared_dir: Path | str | None = None, *, names: Sequence[str] | None = None, limit: int | None = None
) -> tuple[list[Suite], list[str]]:
    """(suites found, reasons for the ones skipped). ``limit`` keeps the first n examples of each suite."""
    root = shared_data_dir(shared_dir)
    unknown = set(names or ()) - set(SUITES)
    if unknown:
        raise ValueError(f"unknown suites {sorted(unknown)} (known: {', '.join(SUITES)})")
    suites, skipped = [], []
    for name in names or SUITES:
        try:
            suite = SUITES[name](root)
        except FileNotFoundError as exc:
            skipped.append(f"{name}: shared data not found ({exc})")
            continue
        if limit is not None:
            suite = Suite(suite.name, suite.description, suite.lang, suite.heads, suite.examples[:limit],
                          suite.service_kinds_labelled, suite.records)  # fmt: skip
        suites.append(suite)
    for reason in skipped:
        log.info("skipped %s", reason)
    return suites, skipped
