from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from pydantic import ValidationError

from pipeline.records import Feedback, Reject
from pipeline.schema import SCHEMA_VERSION, TABLES
from pipeline.store import Store, StoreError


def review(i: int, body: str = "Support answered in minutes.", **kw: object) -> Feedback:
    fields: dict[str, object] = {"rating": 5, "created_at": datetime(2026, 1, 1, 12, tzinfo=UTC), **kw}
    return Feedback(source="trustpilot", external_id=f"r{i}", product="orbitask", body=body, **fields)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "s.duckdb") as s:
        yield s


def test_new_store_has_every_table_and_the_schema_version(store: Store) -> None:
    names = {r[0] for r in store.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert set(TABLES) <= names
    assert store.schema_version == SCHEMA_VERSION


def test_upsert_is_idempotent_and_updates_edits(store: Store) -> None:
    first = store.upsert_feedback([review(1), review(2), review(3)])
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    again = store.upsert_feedback([review(1), review(2), review(3)])
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    edited = store.upsert_feedback([review(2, body="Edited: support never answered.")])
    assert (edited.inserted, edited.updated) == (0, 1)
    assert store.count("feedback") == 3
    row = store.frame("SELECT body, first_seen, updated_at FROM feedback WHERE external_id = 'r2'").iloc[0]
    assert row.body == "Edited: support never answered."
    assert row.updated_at > row.first_seen


def test_duplicates_within_a_batch_keep_the_last(store: Store) -> None:
    result = store.upsert_feedback([review(1, body="old"), review(1, body="new")])
    assert result.total == 1
    assert store.frame("SELECT body FROM feedback").body.tolist() == ["new"]


def test_times_are_stored_in_utc(store: Store) -> None:
    tokyo = timezone(timedelta(hours=9))
    store.upsert_feedback([review(1, created_at=datetime(2026, 3, 1, 9, tzinfo=tokyo))])
    stamp = store.frame("SELECT created_at FROM feedback").created_at.iloc[0]
    assert pd.Timestamp(stamp).tz_convert("UTC") == pd.Timestamp("2026-03-01 00:00", tz="UTC")


def test_rejects_keep_reason_and_payload_once(store: Store) -> None:
    bad = Reject.from_payload("import", "nps-delighted", "score 11 out of range 0-10", {"Score": 11}, location="f:3")
    assert store.add_rejects([bad, bad]) == 1
    assert store.add_rejects([bad]) == 0
    row = store.frame("SELECT * FROM rejects").iloc[0]
    assert (row.reason, row.location, row.raw) == ("score 11 out of range 0-10", "f:3", '{"Score": 11}')


def test_feedback_validation_rejects_empty_and_out_of_range() -> None:
    with pytest.raises(ValidationError, match="no text, no rating and no score"):
        Feedback(source="s", external_id="1", product="p", body="  ", created_at=datetime(2026, 1, 1))
    with pytest.raises(ValidationError):
        Feedback(source="s", external_id="1", product="p", nps_score=11, created_at=datetime(2026, 1, 1))


def test_parquet_export_round_trips(store: Store, tmp_path: Path) -> None:
    store.upsert_feedback([review(i) for i in range(5)])
    path = store.export_parquet("feedback", tmp_path / "out" / "feedback.parquet")
    frame = pd.read_parquet(path)
    assert len(frame) == 5
    assert set(frame.external_id) == {f"r{i}" for i in range(5)}


def test_unknown_table_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unknown table 'feedbak'"):
        store.export_parquet("feedbak", tmp_path / "x.parquet")


def test_reopening_keeps_rows_and_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        s.upsert_feedback([review(1)])
    with Store(path) as s:
        assert s.count("feedback") == 1
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreError, match="newer than this vocmine"):
        Store(path)


def test_failed_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as con:
        con.execute("INSERT INTO meta VALUES ('k', 'v')")
        raise RuntimeError("crash mid-chunk")
    assert store.get_meta("k") is None


def test_runs_are_recorded(store: Store) -> None:
    run_id = store.start_run("process", {"a": 1})
    store.finish_run(run_id, stats={"tagged": 3})
    row = store.frame("SELECT status, stats FROM runs").iloc[0]
    assert row.status == "ok" and '"tagged": 3' in row.stats
