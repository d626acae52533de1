"""Incremental processing of a store: nothing twice, edited records redone, a new model version re-tags all."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.run import aggregate_pending, process_store, segment_pending, segment_store, tag_pending
from pipeline.store import Store
from tests.pipeline.feedback_samples import fill_store, make_feedback
from tests.pipeline.taxonomy_classifier import TaxonomyClassifier

N = 60


def table_counts(settings) -> dict[str, int]:
    with Store(settings.paths.store_path, read_only=True) as store:
        return store.counts() | {"segmented": int(store.con.execute("SELECT count(*) FROM segmented").fetchone()[0])}


def test_second_run_does_nothing(settings, rule_classifier) -> None:
    fill_store(settings, make_feedback(N))
    seen: list[tuple[str, int, int]] = []
    first = process_store(settings, classifier=rule_classifier, progress=lambda *a: seen.append(a))
    counts = table_counts(settings)
    assert first.segmented == N and first.tagged == counts["sentences"] == counts["predictions"] > N
    assert first.aggregated == counts["feedback_tags"] == N  # score-only and garbage rows get a row too
    assert counts["rejects"] == first.notes >= 1
    assert {stage for stage, _, _ in seen} == {"segment", "tag", "aggregate"}
    assert all(done <= total for _, done, total in seen) and seen[-1][1] == seen[-1][2]

    again = process_store(settings, classifier=rule_classifier)
    assert (again.segmented, again.tagged, again.aggregated, again.notes) == (0, 0, 0, 0)
    assert table_counts(settings) == counts | {"runs": 2}
    assert "0 sentences tagged" in again.summary()


def test_edited_record_is_redone_alone(settings, rule_classifier) -> None:
    records = make_feedback(N)
    fill_store(settings, records)
    process_store(settings, classifier=rule_classifier)
    edited = records[0].model_copy(update={"body": "Support refused my refund. I was charged twice!"})
    fill_store(settings, [edited])
    result = process_store(settings, classifier=rule_classifier)
    assert (result.segmented, result.tagged, result.aggregated) == (1, 3, 1)  # title + two body sentences
    with Store(settings.paths.store_path, read_only=True) as store:
        rows = store.frame("SELECT text, feedback_hash FROM sentences WHERE external_id = ? ORDER BY idx",
                           [edited.external_id])  # fmt: skip
        tags = store.frame("SELECT * FROM feedback_tags WHERE external_id = ?", [edited.external_id])
    assert rows["text"].tolist()[-2:] == ["Support refused my refund.", "I was charged twice!"]
    assert set(rows["feedback_hash"]) == {edited.text_hash}
    assert tags["feedback_hash"].tolist() == [edited.text_hash]
    assert sorted(tags["sharp_edges"][0]) == ["billing", "cancellation_refunds"]


def test_new_model_version_retags_everything(settings, rule_classifier) -> None:
    fill_store(settings, make_feedback(N))
    first = process_store(settings, classifier=rule_classifier)
    newer = TaxonomyClassifier(rule_classifier.taxonomy, version="taxonomy-rules-2")
    second = process_store(settings, classifier=newer)
    assert second.segmented == 0 and second.tagged == first.tagged and second.aggregated == N
    with Store(settings.paths.store_path, read_only=True) as store:
        per_version = dict(store.con.execute("SELECT model_version, count(*) FROM predictions GROUP BY ALL").fetchall())
    assert per_version == {"taxonomy-rules-1": first.tagged, "taxonomy-rules-2": first.tagged}


def test_stage_functions_compose_like_the_job(settings, rule_classifier) -> None:
    """segment first (training reads sentences), then tag and aggregate with whatever model exists."""
    fill_store(settings, make_feedback(20))
    assert segment_store(settings).records == 20
    with Store(settings.paths.store_path) as store:
        assert segment_pending(store, settings) == 0
        assert aggregate_pending(store, rule_classifier.version) == 2  # only the score-only rows are complete
        tagged = tag_pending(store, rule_classifier, settings)
        assert tagged == store.count("sentences")
        assert aggregate_pending(store, rule_classifier.version) == 18
        assert tag_pending(store, rule_classifier, settings) == 0


def test_rule_evidence_is_stored_when_the_rule_tagger_exists(settings, rule_classifier) -> None:
    pytest.importorskip("models.rules")
    fill_store(settings, make_feedback(12))
    process_store(settings, classifier=rule_classifier)
    with Store(settings.paths.store_path, read_only=True) as store:
        hits = store.frame("SELECT rule_hits FROM predictions")["rule_hits"]
    assert any("service.onboarding" in list(h) for h in hits)


@pytest.mark.slow
def test_real_tiny_model_version_change_retags_and_nothing_else_does(make_settings, tiny_model_dir: Path) -> None:
    settings = make_settings(f"classifier.model_version={tiny_model_dir}")
    fill_store(settings, make_feedback(N))
    first = process_store(settings)
    assert first.model_version == json.loads((tiny_model_dir / "meta.json").read_text())["version"]
    assert first.tagged == table_counts(settings)["sentences"] and first.aggregated == N
    assert process_store(settings).tagged == 0

    copy = tiny_model_dir.parent / f"{tiny_model_dir.name}-copy"
    shutil.copytree(tiny_model_dir, copy, dirs_exist_ok=True)
    meta = json.loads((copy / "meta.json").read_text())
    meta["version"] = meta["version"] + "-b"
    (copy / "meta.json").write_text(json.dumps(meta))
    second = process_store(make_settings(f"classifier.model_version={copy}"))
    assert second.model_version == meta["version"]
    assert (second.segmented, second.tagged, second.aggregated) == (0, first.tagged, N)
    with Store(settings.paths.store_path, read_only=True) as store:
        same = store.con.execute(
            "SELECT count(*) FROM predictions a JOIN predictions b USING (source, external_id, idx) "
            "WHERE a.model_version = ? AND b.model_version = ? AND a.sentiment = b.sentiment AND a.scores = b.scores",
            [first.model_version, second.model_version],
        ).fetchone()[0]
    assert same == first.tagged  # the same weights under a new version: the same answers, stored twice


def test_aggregation_by_partitions_writes_the_same_rows(settings, rule_classifier, monkeypatch) -> None:
    from pipeline.stages import aggregate

    fill_store(settings, make_feedback(N))
    process_store(settings, classifier=rule_classifier)
    query = "SELECT * FROM feedback_tags ORDER BY source, external_id"
    with Store(settings.paths.store_path) as store:
        whole = store.frame(query)
        store.con.execute("DELETE FROM feedback_tags")
        monkeypatch.setattr(aggregate, "PARTITION_RECORDS", 7)
        assert len(aggregate.pending_params(store, rule_classifier.version)) == -(-N // 7)
        assert aggregate_pending(store, rule_classifier.version, chunk_size=5) == N
        pd.testing.assert_frame_equal(store.frame(query), whole)
