"""The warehouse file: migrations, opening rules, the single writer."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from signalroom.store import Store, StoreError
from signalroom.store.migrations import MigrationError, available_migrations, migrate
from support import rows


def test_a_new_file_is_migrated_to_the_newest_version(db_path: Path) -> None:
    with Store.open(db_path) as store:
        newest = available_migrations()[-1].version
        assert store.schema_version() == newest
        applied = rows(store, "SELECT version, name FROM schema_migrations ORDER BY version")
        assert applied == [(m.version, m.name) for m in available_migrations()]
    # Opening again applies nothing.
    con = duckdb.connect(str(db_path))
    assert migrate(con) == []
    con.close()


def test_a_newer_warehouse_is_refused(db_path: Path) -> None:
    Store.open(db_path).close()
    con = duckdb.connect(str(db_path))
    con.execute("INSERT INTO schema_migrations VALUES (999, 'from_the_future', now())")
    con.close()
    with pytest.raises(MigrationError, match="schema version 999, newer than this signalroom knows"):
        Store.open(db_path)


def test_read_only_needs_an_existing_current_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no warehouse at"):
        Store.open(tmp_path / "missing.duckdb", read_only=True)
    with pytest.raises(StoreError, match=r"folder .* does not exist"):
        Store.open(tmp_path / "no" / "such" / "w.duckdb")
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    con.execute("CREATE TABLE schema_migrations (version INTEGER, name VARCHAR, applied_at TIMESTAMPTZ)")
    con.close()
    with pytest.raises(StoreError, match=r"schema version 0.*open it once for writing"):
        Store.open(old, read_only=True)


def test_a_failed_migration_leaves_the_file_as_it_was(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from signalroom.store import migrations

    real = migrations.available_migrations()
    broken = [*real, migrations.Migration(len(real) + 1, "broken", "CREATE TABLE x (a INT); SELECT nope;")]
    Store.open(db_path).close()
    monkeypatch.setattr(migrations, "available_migrations", lambda: broken)
    with pytest.raises(MigrationError, match="broken failed"):
        Store.open(db_path)
    con = duckdb.connect(str(db_path))
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchall() == [(len(real),)]
    assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'x'").fetchall() == [(0,)]
    con.close()


def test_stale_running_load_is_marked_interrupted(store: Store) -> None:
    first = store.begin_load("s", "jsonl", ["a"])
    store.begin_load("s", "jsonl", ["b"])
    assert rows(store, "SELECT status FROM loads WHERE load_id = ?", [first]) == [("interrupted",)]
