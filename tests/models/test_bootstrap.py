"""Paired bootstrap intervals: the same formulas as the point metrics, honest widths, and leads that mean something."""

from __future__ import annotations

import numpy as np
import pytest

from models.baselines import SystemOutput
from models.bootstrap import binary_scores, macro_f1, paired_uncertainty, resample_weights
from models.evaluate import evaluate_suite
from models.evaluation_report import render_markdown
from models.examples import LabelledExample
from models.metrics import binary_metrics, classification_metrics
from models.suites import Suite
from pipeline.taxonomy import Taxonomy

SENTIMENT = ("negative", "neutral", "positive")
EDGES = ("none", "billing", "cancellation_refunds")


def _examples(n: int, seed: int = 1) -> list[LabelledExample]:
    rng = np.random.default_rng(seed)
    return [
        LabelledExample(
            text=f"sentence {i}",
            service=("support",) if rng.random() < 0.3 else (),
            sentiment=SENTIMENT[int(rng.integers(3))],
            sharp_edge=EDGES[int(rng.integers(3))] if rng.random() < 0.3 else "none",
        )
        for i in range(n)
    ]


def _output(examples: list[LabelledExample], *, wrong: float, seed: int) -> SystemOutput:
    """The gold labels, each head replaced by another label with probability ``wrong``."""
    rng = np.random.default_rng(seed)

    def flip(value, choices):
        return choices[(choices.index(value) + 1) % len(choices)] if rng.random() < wrong else value

    return SystemOutput(
        service=tuple(flip(ex.service, [(), ("support",)]) for ex in examples),
        sentiment=tuple(flip(ex.sentiment, list(SENTIMENT)) for ex in examples),
        sharp_edge=tuple(flip(ex.sharp_edge, list(EDGES)) for ex in examples),
    )


def _uncertainty(examples, outputs, **kwargs):
    return paired_uncertainty(
        examples, outputs, heads=("service", "sentiment", "sharp_edge"), sentiment_labels=SENTIMENT,
        sharp_edge_labels=EDGES, **kwargs,
    )  # fmt: skip


def test_resample_weights_draw_n_with_replacement() -> None:
    w = resample_weights(50, resamples=200, seed=3)
    assert w.shape == (200, 50) and np.all(w.sum(axis=1) == 50) and np.all(w >= 0)
    assert np.array_equal(w, resample_weights(50, resamples=200, seed=3))  # seeded
    assert (w == 0).any()  # some examples are left out of some resamples


def test_one_draw_of_each_example_gives_the_point_metrics() -> None:
    rng = np.random.default_rng(0)
    gold, pred = rng.random(300) < 0.2, rng.random(300) < 0.25
    ones = np.ones((1, 300), dtype=np.float32)
    point = binary_metrics(gold, pred)
    scores = binary_scores(gold, pred, ones)
    assert scores["precision"][0] == pytest.approx(point.precision)
    assert scores["recall"][0] == pytest.approx(point.recall)
    assert scores["f1"][0] == pytest.approx(point.f1)
    labels = np.array(rng.choice(SENTIMENT, 300), dtype=object)
    guessed = np.array(rng.choice(SENTIMENT[:2], 300), dtype=object)  # never 'positive'
    expected = classification_metrics(list(labels), list(guessed), labels=SENTIMENT).macro_f1
    assert macro_f1(labels, guessed, SENTIMENT, ones)[0] == pytest.approx(expected)


def test_a_class_absent_from_a_resample_is_not_averaged() -> None:
    gold = np.array(["negative", "positive"], dtype=object)
    only_first = np.array([[2.0, 0.0]], dtype=np.float32)  # the resample drew the first example twice
    assert macro_f1(gold, gold, SENTIMENT, only_first)[0] == pytest.approx(1.0)


def test_perfect_predictions_have_a_point_interval() -> None:
    examples = _examples(200)
    result = _uncertainty(examples, {"model": _output(examples, wrong=0.0, seed=0)})
    for interval in result.intervals["model"].values():
        assert (interval.low, interval.high) == (pytest.approx(1.0), pytest.approx(1.0))


def test_intervals_hold_the_point_and_narrow_with_more_examples() -> None:
    widths = []
    for n in (100, 2000):
        examples = _examples(n)
        output = _output(examples, wrong=0.2, seed=5)
        interval = _uncertainty(examples, {"model": output}).intervals["model"]["sentiment.macro_f1"]
        point = classification_metrics(
            [e.sentiment for e in examples], list(output.sentiment), labels=SENTIMENT
        ).macro_f1
        assert interval.low <= point <= interval.high
        widths.append(interval.high - interval.low)
    assert widths[1] < widths[0] / 2  # about 1/sqrt(20) as wide


def test_leads_are_paired_and_signed() -> None:
    examples = _examples(400)
    good, same, poor = (_output(examples, wrong=w, seed=s) for w, s in ((0.05, 1), (0.05, 1), (0.4, 2)))
    result = _uncertainty(examples, {"model": good, "twin": same, "rules": poor})
    leads = {(lead.versus, lead.metric): lead for lead in result.leads}
    assert {lead.system for lead in result.leads} == {"model"}  # only the model's leads are measured
    twin = leads[("twin", "sentiment.macro_f1")]
    assert (twin.difference, twin.low, twin.high, twin.share_ahead) == (0.0, 0.0, 0.0, 0.0)  # paired: no noise
    rules = leads[("rules", "service.f1")]
    assert rules.difference > 0 and rules.low > 0 and rules.share_ahead == 1.0
    assert ("rules", "service.precision") not in leads  # F1 figures only


def test_by_sentence_systems_are_compared_with_their_own_kind() -> None:
    examples = _examples(100)
    out = _output(examples, wrong=0.1, seed=1)
    names = ["model", "rules", "model_by_sentence", "rules_by_sentence"]
    result = _uncertainty(examples, dict.fromkeys(names, out))
    pairs = {(lead.system, lead.versus) for lead in result.leads}
    assert pairs == {("model", "rules"), ("model_by_sentence", "rules_by_sentence")}


def test_evaluate_suite_reports_intervals_and_leads(taxonomy: Taxonomy) -> None:
    from models.baselines import RulesBaseline, TfidfBaseline

    gold = [
        LabelledExample(text="Support fixed it fast.", service=["support"], sentiment="positive", sharp_edge="none"),
        LabelledExample(text="They charged me twice.", service=[], sentiment="negative", sharp_edge="billing"),
        LabelledExample(text="The board view is fine.", service=[], sentiment="neutral", sharp_edge="none"),
    ]
    suite = Suite("mini", "three sentences", "en", ("service", "sentiment", "sharp_edge"), tuple(gold))
    tfidf = TfidfBaseline.fit(gold, taxonomy=taxonomy)
    tfidf.name = "model"  # stands in for the fine-tuned model: any system named 'model' gets its leads measured
    result = evaluate_suite(suite, [tfidf, RulesBaseline(taxonomy)], taxonomy=taxonomy)
    assert set(result.intervals) == {"model", "rules"}
    assert set(result.intervals["model"]) >= {"service.f1", "sentiment.macro_f1", "sharp_edge.any_f1"}
    assert {lead.versus for lead in result.leads} == {"rules"}
    from models.evaluate import EvaluationReport

    markdown = render_markdown(EvaluationReport("v", "now", {}, (result,)))
    assert "## The model's leads (paired bootstrap)" in markdown
    assert "| mini | service.f1 | model | rules |" in markdown


def test_a_head_without_labels_gets_no_interval() -> None:
    examples = [LabelledExample(text=f"s{i}", sentiment=SENTIMENT[i % 3]) for i in range(30)]  # sentiment only
    out = SystemOutput(service=((),) * 30, sentiment=tuple(e.sentiment for e in examples), sharp_edge=("none",) * 30)
    result = _uncertainty(examples, {"model": out, "rules": out})
    assert set(result.intervals["model"]) == {"sentiment.macro_f1"}
    assert [lead.metric for lead in result.leads] == ["sentiment.macro_f1"]


def test_a_large_suite_is_resampled_in_chunks_with_the_same_result() -> None:
    examples = _examples(500)
    outputs = {"model": _output(examples, wrong=0.1, seed=1), "rules": _output(examples, wrong=0.3, seed=2)}
    whole = _uncertainty(examples, outputs, resamples=200)
    chunked = _uncertainty(examples, outputs, resamples=200, max_cells=500 * 7)  # 7 resamples at a time
    assert chunked == whole


def test_an_empty_suite_has_no_intervals_and_resamples_must_be_positive() -> None:
    result = _uncertainty([], {"model": SystemOutput(service=(), sentiment=(), sharp_edge=())})
    assert result.intervals == {"model": {}} and result.leads == ()
    with pytest.raises(ValueError, match="resamples"):
        _uncertainty(_examples(10), {"model": _output(_examples(10), wrong=0.0, seed=0)}, resamples=0)
