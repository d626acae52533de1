"""Weak labels: the taxonomy's rules applied to unlabelled sentences, combined by a label model.

Each head has a few labelling functions (LFs) that vote for a class or abstain, all read off the rule hits:

- service, one yes/no task per kind: the kind's phrases (yes), its ``exclude`` phrases (no), a hit of another
  kind only (no), no service phrase at all (no);
- sentiment: positive lexicon, negative lexicon, any sharp-edge phrase (negative);
- sharp edge: each category's phrases, positive lexicon without negative (none), no sharp-edge phrase (none).

A Dawid–Skene label model (EM over one confusion matrix per LF, started from the majority vote) turns the
votes into class posteriors. A head whose posterior stays below ``min_confidence`` is left unlabelled.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.examples import LabelledExample
from models.rules import RuleHit, RuleTagger
from pipeline.records import content_hash
from pipeline.taxonomy import NO_SHARP_EDGE, Taxonomy

log = logging.getLogger(__name__)

ABSTAIN = -1


def majority_vote(votes: np.ndarray, n_classes: int) -> np.ndarray:
    """Vote shares per class, [n, C]; rows where every LF abstains are uniform."""
    votes = np.asarray(votes, dtype=np.int64).reshape(len(votes), -1)
    counts = np.zeros((votes.shape[0], n_classes))
    for c in range(n_classes):
        counts[:, c] = (votes == c).sum(axis=1)
    total = counts.sum(axis=1, keepdims=True)
    return np.where(total > 0, counts / np.maximum(total, 1), 1.0 / n_classes)


class LabelModel:
    """Dawid–Skene with abstains: class priors and, per LF, P(vote or abstain | true class), fitted by EM.

    Abstaining is modelled as one more vote value, so an LF that only ever says "yes" still carries information
    (it fires more often on true positives). ``smoothing`` is a Dirichlet pseudo-count that keeps every entry
    positive, weighted towards the diagonal (``prior_accuracy``) so that small corpora stay sane.
    """

    def __init__(
        self, n_classes: int, *, max_iter: int = 100, tol: float = 1e-6, smoothing: float = 1.0,
        prior_accuracy: float = 0.7,
    ) -> None:  # fmt: skip
        self.n_classes = n_classes
        self.max_iter = max_iter
        self.tol = tol
        self.smoothing = smoothing
        self.prior_accuracy = prior_accuracy
        self.priors = np.full(n_classes, 1.0 / n_classes)
        self.confusion: np.ndarray | None = None  # [m, C true, C votes + abstain (last)]
        self.n_iter = 0

    def _check(self, votes: np.ndarray) -> np.ndarray:
        votes = np.asarray(votes, dtype=np.int64)
        if votes.ndim != 2:
            raise ValueError(f"votes must be [n, m], got shape {votes.shape}")
        if votes.size and (votes.max() >= self.n_classes or votes.min() < ABSTAIN):
            raise ValueError(f"votes must be -1 (abstain) or a class in 0..{self.n_classes - 1}")
        return votes

    def fit(self, votes: np.ndarray) -> LabelModel:
        votes = self._check(votes)
        c, m = self.n_classes, votes.shape[1]
        # per true class: `smoothing` pseudo-votes (prior_accuracy of them right) and `smoothing` pseudo-abstains
        pseudo = np.full((c, c + 1), self.smoothing * (1 - self.prior_accuracy) / max(c - 1, 1))
        np.fill_diagonal(pseudo, self.smoothing * self.prior_accuracy)
        pseudo[:, c] = self.smoothing
        coded = np.where(votes == ABSTAIN, c, votes)  # abstain -> column c
        posterior = majority_vote(votes, c)
        for it in range(1, self.max_iter + 1):
            self.priors = (posterior.sum(axis=0) + 1.0) / (len(votes) + c)
            confusion = np.zeros((m, c, c + 1))
            for j in range(m):
                for v in range(c + 1):
                    confusion[j, :, v] = posterior[coded[:, j] == v].sum(axis=0)
                confusion[j] += pseudo
                confusion[j] /= confusion[j].sum(axis=1, keepdims=True)
            self.confusion = confusion
            updated = self.predict_proba(votes)
            self.n_iter = it
            converged = np.abs(updated - posterior).max() < self.tol
            posterior = updated
            if converged:
                break
        return self

    def predict_proba(self, votes: np.ndarray) -> np.ndarray:
        """Posterior over the classes, [n, C]."""
        if self.confusion is None:
            raise RuntimeError("fit the label model first")
        votes = self._check(votes)
        coded = np.where(votes == ABSTAIN, self.n_classes, votes)
        log_post = np.tile(np.log(self.priors), (len(votes), 1))
        for j in range(votes.shape[1]):
            log_post += np.log(self.confusion[j][:, coded[:, j]]).T
        log_post -= log_post.max(axis=1, keepdims=True)
        post = np.exp(log_post)
        return post / post.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class HeadVotes:
    """Votes of one head's labelling functions: [n, m] matrix, LF names, class names."""

    name: str
    classes: tuple[str, ...]
    lfs: tuple[str, ...]
    votes: np.ndarray

    def coverage(self) -> dict[str, float]:
        if not len(self.votes):
            return dict.fromkeys(self.lfs, 0.0)
        return {lf: float((self.votes[:, j] != ABSTAIN).mean()) for j, lf in enumerate(self.lfs)}


def head_votes(found: Sequence[Sequence[RuleHit]], taxonomy: Taxonomy) -> list[HeadVotes]:
    """Apply every labelling function to the rule hits of each sentence."""
    kinds, edges = taxonomy.service_kinds, list(taxonomy.sharp_edge)
    labels = [{h.label for h in hits} for hits in found]
    pos = [sum(h.label == "sentiment.positive" for h in hits) for hits in found]
    neg = [sum(h.label == "sentiment.negative" for h in hits) for hits in found]
    n = len(found)
    heads = []
    any_service = [any(lb.startswith("service.") for lb in ls) for ls in labels]
    for kind in kinds:
        v = np.full((n, 3), ABSTAIN)
        for i, ls in enumerate(labels):
            if f"service.{kind}" in ls:
                v[i, 0] = 1
            elif any_service[i]:
                v[i, 1] = 0
            else:
                v[i, 2] = 0
        heads.append(HeadVotes(f"service.{kind}", ("no", "yes"), ("phrase", "other_kind", "no_service_hit"), v))
    sentiment = ("negative", "neutral", "positive")
    v = np.full((n, 3), ABSTAIN)
    for i, ls in enumerate(labels):
        if pos[i] > neg[i]:
            v[i, 0] = 2
        if neg[i] > pos[i]:
            v[i, 1] = 0
        if any(lb.startswith("sharp_edge.") for lb in ls):
            v[i, 2] = 0
    heads.append(HeadVotes("sentiment", sentiment, ("lexicon_positive", "lexicon_negative", "sharp_edge_hit"), v))
    classes = (NO_SHARP_EDGE, *edges)
    v = np.full((n, len(edges) + 2), ABSTAIN)
    for i, ls in enumerate(labels):
        hit_any = False
        for j, edge in enumerate(edges):
            if f"sharp_edge.{edge}" in ls:
                v[i, j] = j + 1
                hit_any = True
        if pos[i] > 0 and neg[i] == 0:
            v[i, len(edges)] = 0
        if not hit_any:
            v[i, len(edges) + 1] = 0
    heads.append(HeadVotes("sharp_edge", classes, (*edges, "praise", "no_sharp_edge_hit"), v))
    return heads


@dataclass(frozen=True)
class WeakLabels:
    examples: tuple[LabelledExample, ...]
    n_input: int
    n_with_hits: int
    coverage: dict[str, dict[str, float]] = field(default_factory=dict)  # head -> LF -> share of sentences voted

    def summary(self) -> str:
        return (
            f"weak labels: {len(self.examples)} examples from {self.n_input} sentences "
            f"({self.n_with_hits} with a service or sharp-edge rule hit)"
        )


def weak_label(
    texts: Sequence[str],
    langs: Sequence[str | None] | None = None,
    *,
    taxonomy: Taxonomy,
    weight: float = 0.3,
    max_examples: int = 2000,
    min_confidence: float = 0.6,
    seed: int = 13,
    tagger: RuleTagger | None = None,
    source: str = "weak",
) -> WeakLabels:
    """Weakly label ``texts``. Sentences with a rule hit come first; as many hit-free ones (mostly negatives
    for every head) are sampled beside them, up to ``max_examples`` in all. Duplicates are labelled once."""
    if weight <= 0 or max_examples <= 0:
        return WeakLabels((), len(texts), 0)
    langs = list(langs) if langs is not None else [None] * len(texts)
    unique: dict[str, int] = {}
    for i, text in enumerate(texts):
        if text and text.strip():
            unique.setdefault(content_hash(text), i)
    index = list(unique.values())
    tagger = tagger or RuleTagger(taxonomy)
    found = tagger.matches_many([texts[i] for i in index], [langs[i] for i in index])
    heads = head_votes(found, taxonomy)
    posteriors = {}
    for h in heads:
        post = LabelModel(len(h.classes)).fit(h.votes).predict_proba(h.votes)
        post[(h.votes == ABSTAIN).all(axis=1)] = np.nan  # no LF voted: the head stays unlabelled
        posteriors[h.name] = post
    classes = {h.name: h.classes for h in heads}
    signal = [k for k, hits in enumerate(found) if tagger.labels_of(hits)]
    rng = random.Random(seed)
    quiet = [k for k, hits in enumerate(found) if not tagger.labels_of(hits)]
    rng.shuffle(signal)
    rng.shuffle(quiet)
    take = signal[: max(max_examples * 3 // 4, max_examples - len(quiet))]
    take += quiet[: min(len(take) or max_examples, max_examples - len(take))]
    examples = []
    for k in sorted(take):
        fields = _decide(k, posteriors, classes, taxonomy, min_confidence)
        if all(value is None for value in fields.values()):
            continue
        i = index[k]
        examples.append(LabelledExample(
            text=texts[i], lang=langs[i], weight=weight, origin="weak", source=source,
            note=",".join(tagger.labels_of(found[k])) or None, **fields,
        ))  # fmt: skip
    result = WeakLabels(tuple(examples), len(texts), len(signal), {h.name: h.coverage() for h in heads})
    log.info("%s", result.summary())
    return result


def _decide(
    k: int, posteriors: dict[str, np.ndarray], classes: dict[str, tuple[str, ...]], taxonomy: Taxonomy, floor: float
) -> dict[str, object]:
    service: list[str] | None = []
    for kind in taxonomy.service_kinds:
        p_yes = posteriors[f"service.{kind}"][k, 1]
        if max(p_yes, 1 - p_yes) < floor:
            service = None
            break
        if p_yes >= 0.5 and service is not None:
            service.append(kind)
    out: dict[str, object] = {"service": service}
    for head in ("sentiment", "sharp_edge"):
        row = posteriors[head][k]
        out[head] = None if np.isnan(row).any() or row.max() < floor else classes[head][int(row.argmax())]
    return out


def weak_examples_from_store(
    store_path: Path | str,
    *,
    taxonomy: Taxonomy,
    weight: float,
    max_examples: int,
    seed: int = 13,
    max_scan: int | None = None,
) -> WeakLabels:
    """Weak labels for the distinct stored sentences (the user's own corpus). At most ``max_scan`` sentences
    (default 50 × ``max_examples``), in a stable hash order, are run through the rules."""
    from pipeline.store import Store

    limit = max_scan if max_scan is not None else 50 * max_examples
    with Store(store_path, read_only=True) as store:
        frame = store.frame(
            "SELECT text, any_value(language) AS language FROM sentences WHERE length(trim(text)) > 0 "
            "GROUP BY text ORDER BY md5(text) LIMIT ?",
            [limit],
        )
    return weak_label(
        frame["text"].tolist(), frame["language"].tolist(), taxonomy=taxonomy, weight=weight,
        max_examples=max_examples, seed=seed, source="weak:store",
    )  # fmt: skip
