"""The warehouse: one object that owns the DuckDB file, its reads and its single writer.

Every SQL statement in signalroom lives in this package. The statements are plain SQL so that a
larger deployment can run the analytical ones on another engine.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from signalroom.store.batch import CHILD_TABLES, KEYED_TABLES, QuarantineItem, RecordBatch
from signalroom.store.migrations import current_version, migrate
from signalroom.store.sql_util import fetch_one

DEFAULT_DB = "signalroom.duckdb"
ENV_DB = "SIGNALROOM_DB"


class StoreError(RuntimeError):
    pass


def resolve_db_path(path: str | os.PathLike[str] | None) -> Path:
    """The database file: the explicit path, else $SIGNALROOM_DB, else ./signalroom.duckdb."""
    chosen = path or os.environ.get(ENV_DB) or DEFAULT_DB
    return Path(chosen)


@dataclass
class WriteCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def add(self, other: WriteCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.quarantined += other.quarantined
        self.skipped.update(other.skipped)


@dataclass
class LoadSummary:
    load_id: int
    source: str
    format: str
    paths: list[str]
    status: str
    records_read: int = 0
    counts: WriteCounts = field(default_factory=WriteCounts)
    reasons: Counter[str] = field(default_factory=Counter)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "load_id": self.load_id,
            "source": self.source,
            "format": self.format,
            "paths": self.paths,
            "status": self.status,
            "read": self.records_read,
            "inserted": self.counts.inserted,
            "updated": self.counts.updated,
            "unchanged": self.counts.unchanged,
            "quarantined": self.counts.quarantined,
            "reasons": dict(sorted(self.reasons.items())),
            "skipped": dict(sorted(self.counts.skipped.items())),
            "error": self.error,
            "warnings": self.warnings,
        }


def quarantine_fingerprint(source: str, fmt: str, item: QuarantineItem) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in (source, fmt, item.file, item.location, item.raw):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


class Store:
    """The warehouse. Open it with :meth:`open`; it migrates the file to the current schema."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool) -> None:
        self._con = con
        self.path = path
        self.read_only = read_only
        # Per table, the ids written by the running load, while the source had no earlier rows.
        self._fresh: dict[str, set[str]] = {}

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> Store:
        db_path = resolve_db_path(path)
        if read_only and not db_path.exists():
            raise StoreError(
                f"no warehouse at {db_path}: ingest something first, or point --db / ${ENV_DB} at an existing file"
            )
        if not read_only and db_path.parent and not db_path.parent.exists():
            raise StoreError(f"cannot create the warehouse {db_path}: folder {db_path.parent} does not exist")
        try:
            con = duckdb.connect(str(db_path), read_only=read_only)
            # Dates and days are computed in UTC or, explicitly, in the record's own offset.
            con.execute("SET TimeZone = 'UTC'")
            # DuckDB draws a progress bar on standard output for long statements, even when it is
            # not a terminal: it would corrupt --json output.
            con.execute("SET enable_progress_bar = false")
        except duckdb.Error as exc:
            raise StoreError(f"cannot open the warehouse {db_path}: {exc}") from exc
        store = cls(con, db_path, read_only=read_only)
        if read_only:
            from signalroom.store.migrations import available_migrations

            newest = available_migrations()[-1].version
            version = current_version(con)
            if version != newest:
                con.close()
                raise StoreError(
                    f"the warehouse {db_path} is at schema version {version}, this signalroom "
                    f"expects {newest}; open it once for writing (e.g. `signalroom ingest`) to migrate"
                )
        else:
            migrate(con)
        return store

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def checkpoint_at_end(self) -> Iterator[None]:
        """Many transactions with one checkpoint at the end instead of one every 16 MB of log.

        A long run of delete-and-insert batches (re-analysing everything) otherwise rewrites the
        same tables at every automatic checkpoint."""
        self._con.execute("SET checkpoint_threshold = '1GB'")
        try:
            yield
        finally:
            self._con.execute("RESET checkpoint_threshold")
            self._con.execute("CHECKPOINT")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together, or not at all."""
        self._con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        self._con.execute("COMMIT")

    # -- schema -----------------------------------------------------------------------------

    def schema_version(self) -> int:
        return current_version(self._con)

    # -- loads ------------------------------------------------------------------------------

    def begin_load(
        self,
        source: str,
        fmt: str,
        paths: list[str],
        options: dict[str, Any] | None = None,
        *,
        turns_redacted: bool = False,
    ) -> int:
        con = self._con
        row = fetch_one(con, "SELECT nextval('load_ids')")
        assert row is not None
        load_id = int(row[0])
        with self.transaction():
            # The file lock admits one writer: a load still 'running' belongs to a process that died.
            con.execute("UPDATE loads SET status = 'interrupted', finished_at = now() WHERE status = 'running'")
            con.execute(
                "INSERT INTO sources VALUES (?, ?, now(), now()) "
                "ON CONFLICT (name) DO UPDATE SET last_load_at = now(), format = excluded.format",
                [source, fmt],
            )
            con.execute(
                "INSERT INTO loads (load_id, source, format, paths, options, started_at, status, turns_redacted) "
                "VALUES (?, ?, ?, ?, ?, now(), 'running', ?)",
                [load_id, source, fmt, paths, orjson.dumps(options or {}).decode(), turns_redacted],
            )
        # Tables where this source had no rows: until a key repeats, their batches are plain inserts.
        self._fresh = {
            table: set()
            for table in KEYED_TABLES
            if not fetch_one(con, f"SELECT count(*) FROM {table} WHERE source = ?", [source])[0]
        }
        return load_id

    def finish_load(self, summary: LoadSummary) -> None:
        counts = summary.counts
        self._fresh = {}
        self._refresh_agents(summary.source)
        self._con.execute(
            "UPDATE loads SET finished_at = now(), status = ?, records_read = ?, inserted = ?, "
            "updated = ?, unchanged = ?, quarantined = ?, reasons = ?, skipped = ?, error = ? WHERE load_id = ?",
            [
                summary.status,
                summary.records_read,
                counts.inserted,
                counts.updated,
                counts.unchanged,
                counts.quarantined,
                orjson.dumps(dict(summary.reasons)).decode(),
                orjson.dumps(dict(counts.skipped)).decode(),
                summary.error,
                summary.load_id,
            ],
        )

    # -- the writer -------------------------------------------------------------------------

    def write_batch(self, batch: RecordBatch, fmt: str) -> WriteCounts:
        """Write one batch in one transaction: records are inserted, replaced or left as they are."""
        counts = WriteCounts()
        with self.transaction():
            for table in KEYED_TABLES:
                if batch.row_count(table):
                    self._upsert(table, batch, counts)
            if batch.quarantine:
                counts.quarantined = self._quarantine(batch, fmt)
        counts.skipped.update(batch.skipped)
        return counts

    def _upsert(self, table: str, batch: RecordBatch, counts: WriteCounts) -> None:
        con = self._con
        incoming = batch.table(table)
        if self._insert_fresh(table, batch, incoming, counts):
            return
        con.register("incoming", incoming)
        try:
            # Embedded surveys travel with their interaction and are not counted on their own.
            counted = "NOT n.embedded" if table == "surveys" else "TRUE"
            con.execute(
                "CREATE OR REPLACE TEMP TABLE batch_keys AS "
                f"SELECT n.id, (o.id IS NOT NULL) AS existed, {counted} AS counted "
                f"FROM incoming n LEFT JOIN {table} o ON o.source = n.source AND o.id = n.id "
                "WHERE o.id IS NULL OR o.content_hash <> n.content_hash"
            )
            row = fetch_one(
                con,
                "SELECT count(*) FILTER (WHERE NOT existed), count(*) FILTER (WHERE existed), "
                "count(*) FILTER (WHERE counted AND NOT existed), "
                "count(*) FILTER (WHERE counted AND existed), "
                f"(SELECT count(*) FROM incoming n WHERE {counted}) FROM batch_keys",
            )
            assert row is not None
            inserted, updated = int(row[0]), int(row[1])
            counts.inserted += int(row[2])
            counts.updated += int(row[3])
            counts.unchanged += int(row[4]) - int(row[2]) - int(row[3])
            if inserted == 0 and updated == 0:
                return
            children = [child for child, (parent, _) in CHILD_TABLES.items() if parent == table]
            if updated:
                for child in children:
                    key = CHILD_TABLES[child][1]
                    con.execute(
                        f"DELETE FROM {child} WHERE source = ? AND {key} IN (SELECT id FROM batch_keys WHERE existed)",
                        [batch.source],
                    )
                if table == "interactions":
                    # A changed interaction may have dropped its survey.
                    con.execute(
                        "DELETE FROM surveys WHERE source = ? AND embedded AND interaction_id IN "
                        "(SELECT id FROM batch_keys WHERE existed)",
                        [batch.source],
                    )
                con.execute(
                    f"DELETE FROM {table} WHERE source = ? AND id IN (SELECT id FROM batch_keys WHERE existed)",
                    [batch.source],
                )
            con.execute(f"INSERT INTO {table} SELECT n.* FROM incoming n SEMI JOIN batch_keys k ON k.id = n.id")
            for child in children:
                key = CHILD_TABLES[child][1]
                rows = batch.table(child)
                if rows.num_rows:
                    con.register("incoming_children", rows)
                    try:
                        con.execute(
                            f"INSERT INTO {child} SELECT c.* FROM incoming_children c "
                            f"SEMI JOIN batch_keys k ON k.id = c.{key}"
                        )
                    finally:
                        con.unregister("incoming_children")
        finally:
            con.unregister("incoming")

    def _insert_fresh(self, table: str, batch: RecordBatch, incoming: pa.Table, counts: WriteCounts) -> bool:
        """Insert without looking for existing rows when none can exist; False if they might."""
        written = self._fresh.get(table)
        ids: list[str] = batch.columns[table]["id"]
        if written is None or not written.isdisjoint(ids):
            self._fresh.pop(table, None)
            return False
        written.update(ids)
        con = self._con
        con.register("incoming", incoming)
        try:
            con.execute(f"INSERT INTO {table} SELECT * FROM incoming")
            for child, (parent, _) in CHILD_TABLES.items():
                if parent == table and batch.row_count(child):
                    con.register("incoming_children", batch.table(child))
                    try:
                        con.execute(f"INSERT INTO {child} SELECT * FROM incoming_children")
                    finally:
                        con.unregister("incoming_children")
        finally:
            con.unregister("incoming")
        added = len(ids) if table != "surveys" else batch.columns["surveys"]["embedded"].count(False)
        counts.inserted += added
        return True

    def _refresh_agents(self, source: str) -> None:
        """The agents of a source, derived from its interactions: latest details, first and last seen."""
        con = self._con
        con.execute("DELETE FROM agents WHERE source = ?", [source])
        con.execute(
            "INSERT INTO agents SELECT source, agent_id, "
            "arg_max(agent_name, started_at) FILTER (WHERE agent_name IS NOT NULL), "
            "arg_max(agent_team, started_at) FILTER (WHERE agent_team IS NOT NULL), "
            "arg_max(agent_site, started_at) FILTER (WHERE agent_site IS NOT NULL), "
            "min(started_at), max(started_at) "
            "FROM interactions WHERE source = ? AND agent_id IS NOT NULL GROUP BY source, agent_id",
            [source],
        )

    def _quarantine(self, batch: RecordBatch, fmt: str) -> int:
        """Keep each bad record once: a rerun over the same bad line refreshes its entry."""
        con = self._con
        items = batch.quarantine
        rows = pa.table(
            {
                "fingerprint": [quarantine_fingerprint(batch.source, fmt, i) for i in items],
                "file": [i.file for i in items],
                "line": pa.array([i.line for i in items], type=pa.int64()),
                "location": [i.location for i in items],
                "reason_code": [i.reason_code for i in items],
                "field": pa.array([i.field for i in items], type=pa.string()),
                "reason": [i.reason for i in items],
                "raw": [i.raw for i in items],
                "raw_bytes": pa.array([i.raw_bytes for i in items], type=pa.int64()),
                "raw_truncated": [i.raw_truncated for i in items],
            }
        )
        con.register("incoming_quarantine", rows)
        try:
            con.execute(
                "INSERT INTO quarantine SELECT nextval('quarantine_ids'), q.fingerprint, ?, ?, ?, "
                "q.file, q.line, q.location, q.reason_code, q.field, q.reason, q.raw, q.raw_bytes, "
                "q.raw_truncated, 'pending', 0, now(), now(), NULL FROM incoming_quarantine q "
                "ON CONFLICT (fingerprint) DO UPDATE SET reason_code = excluded.reason_code, "
                "reason = excluded.reason, field = excluded.field, load_id = excluded.load_id, "
                "status = 'pending', resolved_by = NULL, updated_at = now()",
                [batch.load_id, batch.source, fmt],
            )
        finally:
            con.unregister("incoming_quarantine")
        return len(items)

    def resolve_reloaded(self, source: str, fmt: str, file: str, load_id: int) -> int:
        """After a complete load of ``file``, pending entries from it that this load did not
        quarantine again were fixed in the file: mark them resolved."""
        row = self._con.execute(
            "UPDATE quarantine SET status = 'resolved', resolved_by = 'reload:' || ?, updated_at = now() "
            "WHERE source = ? AND format = ? AND file = ? AND status = 'pending' AND load_id <> ? "
            "RETURNING id",
            [str(load_id), source, fmt, file, load_id],
        ).fetchall()
        return len(row)

    # -- reads are added by the modules in this package (quarantine, stats) -----------------

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The raw connection, for the query modules of this package only."""
        return self._con
