"""The store: one DuckDB file with a versioned schema. Idempotent upserts; Parquet export of any table."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipeline.records import Feedback, Reject
from pipeline.schema import FEEDBACK_COLUMNS, MIGRATIONS, SCHEMA_VERSION, TABLES

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The store cannot be used as asked (wrong version, unknown table, locked file)."""


@dataclass(frozen=True)
class UpsertResult:
    inserted: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged


class Store:
    """A DuckDB-backed store. Use as a context manager, or call ``close()``."""

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreError(f"cannot open store {path}: {exc}") from None
        if not read_only:
            self._ensure_schema()
        self._check_version()

    # -- lifecycle ---------------------------------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.con.begin()
        try:
            yield self.con
        except BaseException:
            self.con.rollback()
            raise
        self.con.commit()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement and drain its result (DuckDB 2 refuses new work while a result is unfinished)."""
        return self.con.execute(sql, params or []).fetchall()

    def one(self, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...] | None:
        rows = self.execute(sql, params)
        return rows[0] if rows else None

    # -- schema ------------------------------------------------------------------------------------------
    def _ensure_schema(self) -> None:
        self.execute(TABLES["meta"])
        row = self.one("SELECT value FROM meta WHERE key = 'schema_version'")
        current = int(row[0]) if row else 0
        if current == 0:
            for ddl in TABLES.values():
                self.execute(ddl)
            self._set_meta("schema_version", str(SCHEMA_VERSION))
            return
        for version in range(current + 1, SCHEMA_VERSION + 1):
            log.info("migrating store %s to schema version %d", self.path, version)
            for statement in MIGRATIONS.get(version, []):
                self.execute(statement)
            self._set_meta("schema_version", str(version))

    def _check_version(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"store {self.path} has schema version {version}, newer than this vocmine ({SCHEMA_VERSION}); "
                "upgrade vocmine"
            )

    @property
    def schema_version(self) -> int:
        row = self.one("SELECT value FROM meta WHERE key = 'schema_version'")
        return int(row[0]) if row else 0

    def _set_meta(self, key: str, value: str) -> None:
        self.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def get_meta(self, key: str) -> str | None:
        row = self.one("SELECT value FROM meta WHERE key = ?", [key])
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._set_meta(key, value)

    # -- feedback ----------------------------------------------------------------------------------------
    def upsert_feedback(self, records: Iterable[Feedback]) -> UpsertResult:
        """Insert new records, update changed ones (an edited review), leave identical ones alone."""
        latest: dict[tuple[str, str], Feedback] = {}
        for record in records:
            latest[(record.source, record.external_id)] = record  # last one in a batch wins
        if not latest:
            return UpsertResult(0, 0, 0)
        now = datetime.now(UTC)
        frame = pd.DataFrame([_feedback_row(r) for r in latest.values()])
        frame["first_seen"] = now
        frame["updated_at"] = now
        with self.transaction() as con:
            con.register("incoming", frame)
            inserted, updated = con.execute(
                """SELECT count(*) FILTER (WHERE f.source IS NULL),
                          count(*) FILTER (WHERE f.source IS NOT NULL AND f.record_hash <> i.record_hash)
                   FROM incoming i LEFT JOIN feedback f USING (source, external_id)"""
            ).fetchall()[0]
            columns = [*FEEDBACK_COLUMNS, "text_hash", "record_hash", "first_seen", "updated_at"]
            updates = ", ".join(
                f"{c} = excluded.{c}" for c in columns if c not in ("source", "external_id", "first_seen")
            )
            con.execute(
                f"""INSERT INTO feedback ({", ".join(columns)}) SELECT {", ".join(columns)} FROM incoming
                    ON CONFLICT (source, external_id) DO UPDATE SET {updates}
                    WHERE feedback.record_hash <> excluded.record_hash"""
            ).fetchall()
            con.unregister("incoming")
        return UpsertResult(int(inserted), int(updated), len(latest) - int(inserted) - int(updated))

    def known_ids(self, source: str, external_ids: Sequence[str]) -> set[str]:
        """Which of these ids are already stored for the source (incremental crawls stop on them)."""
        if not external_ids:
            return set()
        rows = self.con.execute(
            "SELECT external_id FROM feedback WHERE source = ? AND list_contains(?, external_id)",
            [source, list(external_ids)],
        ).fetchall()
        return {r[0] for r in rows}

    def known_record_hashes(self, source: str, external_ids: Sequence[str]) -> dict[str, str]:
        rows = self.con.execute(
            "SELECT external_id, record_hash FROM feedback WHERE source = ? AND list_contains(?, external_id)",
            [source, list(external_ids)],
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    # -- rejects -----------------------------------------------------------------------------------------
    def add_rejects(self, rejects: Iterable[Reject]) -> int:
        """Keep rejected records with their reason; the same reject twice is stored once. Returns new rows."""
        rows = []
        now = datetime.now(UTC)
        for r in rejects:
            key = hashlib.sha1(f"{r.stage}\x1f{r.source}\x1f{r.reason}\x1f{r.raw}".encode()).hexdigest()[:20]
            rows.append((key, r.stage, r.source, r.external_id, r.reason, r.location, r.raw, now))
        if not rows:
            return 0
        before = self.count("rejects")
        self.con.executemany(
            "INSERT INTO rejects VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (reject_id) DO NOTHING", rows
        ).fetchall()
        return self.count("rejects") - before

    # -- runs --------------------------------------------------------------------------------------------
    def start_run(self, command: str, settings: dict[str, Any]) -> str:
        run_id = uuid.uuid4().hex[:12]
        self.execute(
            "INSERT INTO runs VALUES (?, ?, ?, NULL, 'running', ?, NULL)",
            [run_id, command, datetime.now(UTC), json.dumps(settings, default=str)],
        )
        return run_id

    def finish_run(self, run_id: str, *, status: str = "ok", stats: dict[str, Any] | None = None) -> None:
        self.execute(
            "UPDATE runs SET finished_at = ?, status = ?, stats = ? WHERE run_id = ?",
            [datetime.now(UTC), status, json.dumps(stats or {}, default=str), run_id],
        )

    # -- reading and export ------------------------------------------------------------------------------
    def tables(self) -> list[str]:
        return [t for t in TABLES if t != "meta"]

    def count(self, table: str) -> int:
        self._check_table(table)
        return int(self.execute(f"SELECT count(*) FROM {table}")[0][0])

    def counts(self) -> dict[str, int]:
        return {t: self.count(t) for t in self.tables()}

    def frame(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a query and return a DataFrame (through Arrow: one copy, timestamps stay tz-aware)."""
        return self.con.sql(sql, params=list(params) if params else None).to_arrow_table().to_pandas()

    def export_parquet(self, table: str, path: Path | str) -> Path:
        self._check_table(table)
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        self.execute(f"COPY (SELECT * FROM {table}) TO '{_sql_path(out)}' (FORMAT parquet)")
        return out

    def _check_table(self, table: str) -> None:
        if table not in TABLES:
            raise StoreError(f"unknown table {table!r}; tables: {', '.join(self.tables())}")


def record_hash(record: Feedback) -> str:
    """The hash the store keeps per row to tell an edited record from an unchanged one."""
    return str(_feedback_row(record)["record_hash"])


def _feedback_row(record: Feedback) -> dict[str, Any]:
    row = record.model_dump()
    row["text_hash"] = record.text_hash
    row["record_hash"] = hashlib.sha1(
        json.dumps({k: v for k, v in row.items() if k != "raw"}, default=str, sort_keys=True).encode()
    ).hexdigest()[:16]
    return row


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
