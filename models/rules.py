"""Rule tagger: the taxonomy's phrases and token patterns, matched with spaCy per label and language.

Phrases are matched token by token (spaCy ``PhraseMatcher``): on the lower-cased form for space-separated
languages, and on Sudachi's normalised form for Japanese, so 解約 matches inside 解約できない and 問合せ matches
問い合わせ. ``token_patterns`` go to a spaCy ``Matcher``; ``exclude`` phrases veto a label in the sentence.
The lexicon in ``sentiment_lexicon`` gives ``sentiment.positive`` / ``sentiment.negative`` hits, flipped by a
nearby negation word.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from pipeline.taxonomy import Taxonomy

log = logging.getLogger(__name__)

MAX_CHARS = 10_000  # longer texts are matched on their first 10k characters (Sudachi refuses inputs > 49 kB)
NEGATION_WINDOW = 3  # tokens between a negation word and the lexicon hit it flips
NEGATION_AFTER = frozenset({"ja", "ko"})  # head-final languages put the negation after the word
LANG_ALIASES = {"in": "id", "jp": "ja", "jpn": "ja", "eng": "en", "ind": "id"}
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")


def normalise_lang(lang: str | None) -> str | None:
    """'ja-JP' -> 'ja', 'in' -> 'id', '' -> None."""
    if not lang:
        return None
    code = lang.strip().lower().replace("_", "-").split("-")[0]
    return LANG_ALIASES.get(code, code) or None


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One match: a label id ('service.support', 'sharp_edge.billing', 'sentiment.positive') and its span."""

    label: str
    text: str
    start: int  # character offsets into the matched text
    end: int
    negated: bool = False


@cache
def blank_pipeline(lang: str):  # -> spacy.Language
    """A tokenizer-only spaCy pipeline, cached per language (Japanese: Sudachi, split mode A)."""
    import spacy

    if lang == "ja":
        return spacy.blank("ja", config={"nlp": {"tokenizer": {"split_mode": "A"}}})
    try:
        return spacy.blank(lang)
    except (ImportError, KeyError, ValueError):
        log.info("spaCy has no tokenizer for %r; using the multi-language one", lang)
        return spacy.blank("xx")


class _LanguageRules:
    """The compiled matchers of one language."""

    def __init__(self, taxonomy: Taxonomy, lang: str) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        self.lang = lang
        self.nlp = blank_pipeline(lang)
        self.attr = "NORM" if lang == "ja" else "LOWER"
        self.phrases = PhraseMatcher(self.nlp.vocab, attr=self.attr)
        self.tokens = Matcher(self.nlp.vocab, validate=True)
        self.labels: list[str] = []
        for head, defs in (("service", taxonomy.service), ("sharp_edge", taxonomy.sharp_edge)):
            for name, label in defs.items():
                label_id = f"{head}.{name}"
                self.labels.append(label_id)
                self._add_phrases(label_id, label.patterns.get(lang, []))
                self._add_phrases(f"exclude:{label_id}", label.exclude.get(lang, []))
                if label.token_patterns.get(lang):
                    self.tokens.add(label_id, label.token_patterns[lang])
        for polarity, by_lang in taxonomy.sentiment_lexicon.items():
            self._add_phrases(f"sentiment.{polarity}", by_lang.get(lang, []))
        self.negations = frozenset(self._key(w) for w in taxonomy.negations.get(lang, []))

    def _key(self, word: str) -> str:
        doc = self.nlp.make_doc(word)
        return " ".join((t.norm_ if self.attr == "NORM" else t.lower_) for t in doc)

    def _add_phrases(self, label_id: str, phrases: Iterable[str]) -> None:
        docs = [self.nlp.make_doc(p) for p in dict.fromkeys(phrases) if p.strip()]
        if docs:
            self.phrases.add(label_id, docs)

    def match(self, doc) -> tuple[RuleHit, ...]:  # doc: spacy.tokens.Doc
        vocab = self.nlp.vocab.strings
        found = [(vocab[m], s, e) for m, s, e in self.phrases(doc)] if len(self.phrases) else []
        if len(self.tokens):
            found += [(vocab[m], s, e) for m, s, e in self.tokens(doc)]
        vetoed = {label.removeprefix("exclude:") for label, _, _ in found if label.startswith("exclude:")}
        hits: dict[tuple[str, int, int], RuleHit] = {}
        for label, s, e in sorted(found, key=lambda f: (f[1], f[2], f[0])):
            if label.startswith("exclude:") or label in vetoed:
                continue
            negated = False
            if label.startswith("sentiment.") and self._negated(doc, s, e):
                negated = True
                label = "sentiment.negative" if label == "sentiment.positive" else "sentiment.positive"
            span = doc[s:e]
            hits.setdefault((label, span.start_char, span.end_char), RuleHit(
                label, span.text, span.start_char, span.end_char, negated
            ))  # fmt: skip
        return tuple(hits.values())

    def _negated(self, doc, start: int, end: int) -> bool:
        if self.lang in NEGATION_AFTER:
            window = list(doc[end : end + NEGATION_WINDOW])
        else:
            window = list(reversed(doc[max(0, start - NEGATION_WINDOW) : start]))
        for token in window:
            if token.is_punct:
                return False
            if (token.norm_ if self.attr == "NORM" else token.lower_) in self.negations:
                return True
        return False


class RuleTagger:
    """Match the taxonomy's rules in sentences. Compiled per language on first use, then cached.

    ``lang=None`` guesses: Japanese when the text has kana or kanji, otherwise every other language that has
    patterns (their hits are merged).
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._rules: dict[str, _LanguageRules] = {}
        self.languages = sorted(
            {lang for defs in (taxonomy.service, taxonomy.sharp_edge) for d in defs.values() for lang in d.patterns}
            | {lang for d in (*taxonomy.service.values(), *taxonomy.sharp_edge.values()) for lang in d.token_patterns}
            | {lang for by_lang in taxonomy.sentiment_lexicon.values() for lang in by_lang}
        )
        self.label_order = [f"service.{k}" for k in taxonomy.service] + [f"sharp_edge.{k}" for k in taxonomy.sharp_edge]

    def rules_for(self, lang: str) -> _LanguageRules:
        if lang not in self._rules:
            self._rules[lang] = _LanguageRules(self.taxonomy, lang)
        return self._rules[lang]

    def languages_for(self, text: str, lang: str | None) -> list[str]:
        code = normalise_lang(lang)
        if code is not None:
            return [code] if code in self.languages else []
        if _CJK.search(text):
            return [c for c in self.languages if c in ("ja", "zh", "ko")]
        return [c for c in self.languages if c not in ("ja", "zh", "ko")]

    def matches(self, text: str, lang: str | None = None) -> tuple[RuleHit, ...]:
        """Every hit in ``text``: service, sharp-edge and sentiment-lexicon labels with their spans."""
        return self.matches_many([text], [lang])[0]

    def matches_many(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None, *, batch_size: int = 256
    ) -> list[tuple[RuleHit, ...]]:
        """Batched ``matches``: texts are grouped by language and tokenised with ``nlp.pipe``."""
        langs = list(langs) if langs is not None else [None] * len(texts)
        if len(langs) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(langs)} languages")
        by_lang: dict[str, list[int]] = {}
        for i, (text, lang) in enumerate(zip(texts, langs, strict=True)):
            for code in self.languages_for(text, lang):
                by_lang.setdefault(code, []).append(i)
        results: list[list[RuleHit]] = [[] for _ in texts]
        for code, index in by_lang.items():
            rules = self.rules_for(code)
            docs = rules.nlp.tokenizer.pipe((texts[i][:MAX_CHARS] for i in index), batch_size=batch_size)
            for i, doc in zip(index, docs, strict=True):
                results[i].extend(h for h in rules.match(doc) if h not in results[i])
        return [tuple(r) for r in results]

    def hits(self, text: str, lang: str | None = None) -> tuple[str, ...]:
        """Service and sharp-edge label ids that fire in ``text``, in taxonomy order."""
        return self.hits_many([text], [lang])[0]

    def hits_many(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[tuple[str, ...]]:
        return [self.labels_of(found) for found in self.matches_many(texts, langs)]

    def labels_of(self, found: Iterable[RuleHit]) -> tuple[str, ...]:
        labels = {h.label for h in found}
        return tuple(label for label in self.label_order if label in labels)


def lexicon_sentiment(found: Iterable[RuleHit]) -> str | None:
    """'positive' / 'negative' by the majority of lexicon hits; None when there are none or they tie."""
    found = list(found)
    pos = sum(h.label == "sentiment.positive" for h in found)
    neg = sum(h.label == "sentiment.negative" for h in found)
    if pos == neg:
        return None
    return "positive" if pos > neg else "negative"
