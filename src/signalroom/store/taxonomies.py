"""Storing seeded reason taxonomies; the newest one of a tier that is not removed is in use."""

from __future__ import annotations

from signalroom.store.sql_util import fetch_one
from signalroom.store.warehouse import Store


def save_taxonomy(store: Store, *, tier: str, source_yaml: str, state: str) -> int:
    """Store a fitted taxonomy as the one in use for this tier; returns its version."""
    con = store.connection
    version = int(fetch_one(con, "SELECT coalesce(max(version), 0) + 1 FROM taxonomies")[0])
    con.execute(
        "UPDATE taxonomies SET removed_at = now() WHERE tier = ? AND removed_at IS NULL",
        [tier],
    )
    con.execute(
        "INSERT INTO taxonomies (version, created_at, tier, source_yaml, state) VALUES (?, now(), ?, ?, ?)",
        [version, tier, source_yaml, state],
    )
    return version


def latest_taxonomy(store: Store, tier: str) -> tuple[int, str] | None:
    """The taxonomy in use on this tier: (version, serialised state); None when none is seeded."""
    rows = store.connection.execute(
        "SELECT version, state FROM taxonomies WHERE tier = ? AND removed_at IS NULL ORDER BY version DESC LIMIT 1",
        [tier],
    ).fetchall()
    return (int(rows[0][0]), str(rows[0][1])) if rows else None


def taxonomy_state(store: Store, version: int) -> str | None:
    """A stored taxonomy's serialised state, in use or not."""
    rows = store.connection.execute("SELECT state FROM taxonomies WHERE version = ?", [version]).fetchall()
    return str(rows[0][0]) if rows else None


def remove_taxonomy(store: Store, tier: str) -> int | None:
    """Stop using this tier's taxonomy (it stays stored); returns its version, None if there was none."""
    found = latest_taxonomy(store, tier)
    if found is None:
        return None
    store.connection.execute("UPDATE taxonomies SET removed_at = now() WHERE version = ?", [found[0]])
    return found[0]


def drop_taxonomy_reasons(store: Store, version: int) -> int:
    """Delete the reasons a taxonomy assigned; returns how many there were."""
    con = store.connection
    count = int(
        fetch_one(
            con,
            "SELECT count(*) FROM interaction_reasons WHERE method = 'taxonomy' AND model_version = ?",
            [version],
        )[0]
    )
    con.execute("DELETE FROM interaction_reasons WHERE method = 'taxonomy' AND model_version = ?", [version])
    return count
