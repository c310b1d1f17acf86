"""Storing fitted contact-reason models and reading the embeddings they are fitted on."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from signalroom.store.sql_util import fetch_one
from signalroom.store.warehouse import Store


def save_model(store: Store, *, tier: str, params: dict[str, Any], state: str, fitted_on: int) -> int:
    con = store.connection
    version = int(fetch_one(con, "SELECT coalesce(max(version), 0) + 1 FROM reason_models")[0])
    con.execute(
        "INSERT INTO reason_models VALUES (?, now(), ?, ?, ?, ?)",
        [version, tier, orjson.dumps(params).decode(), state, fitted_on],
    )
    return version


def latest_model(store: Store, tier: str) -> tuple[int, str] | None:
    """The newest model fitted on this tier's embeddings: (version, serialised state)."""
    rows = store.connection.execute(
        "SELECT version, state FROM reason_models WHERE tier = ? ORDER BY version DESC LIMIT 1", [tier]
    ).fetchall()
    return (int(rows[0][0]), str(rows[0][1])) if rows else None


def tier_in_use(store: Store) -> str | None:
    """The tier of the newest discovered model or seeded taxonomy in use: what the analysis and the
    reason commands use when no tier is named (None before any)."""
    rows = store.connection.execute(
        "SELECT tier FROM (SELECT tier, created_at FROM reason_models "
        "UNION ALL SELECT tier, created_at FROM taxonomies WHERE removed_at IS NULL) t "
        "ORDER BY created_at DESC LIMIT 1"
    ).fetchall()
    return str(rows[0][0]) if rows else None


def replace_model_state(store: Store, version: int, state: str) -> None:
    """After a user's edit (rename, merge, split) of the model in use."""
    store.connection.execute("UPDATE reason_models SET state = ? WHERE version = ?", [state, version])


def purpose_embeddings(store: Store, tier: str) -> tuple[list[tuple[str, str]], list[str], np.ndarray]:
    """Every analysed interaction that has a purpose text and an embedding of this tier."""
    rows = store.connection.execute(
        "SELECT a.source, a.id, a.purpose_text, e.vector FROM interaction_analysis a "
        "JOIN interaction_embeddings e ON e.source = a.source AND e.id = a.id AND e.tier = ? "
        "WHERE a.purpose_text IS NOT NULL AND a.purpose_text <> '' ORDER BY a.source, a.id",
        [tier],
    ).fetchall()
    keys = [(str(r[0]), str(r[1])) for r in rows]
    texts = [str(r[2]) for r in rows]
    matrix = np.array([r[3] for r in rows], dtype=np.float32) if rows else np.zeros((0, 0), dtype=np.float32)
    return keys, texts, matrix


def reason_counts(store: Store, model_version: int, method: str = "discovered") -> dict[int, int]:
    """Interactions per reason of a model (``discovered``) or a taxonomy (``taxonomy``) version."""
    return {
        int(t): int(n)
        for t, n in store.connection.execute(
            "SELECT topic_id, count(*) FROM interaction_reasons WHERE model_version = ? AND method = ? "
            "AND topic_id IS NOT NULL GROUP BY topic_id",
            [model_version, method],
        ).fetchall()
    }


def sub_reason_counts(store: Store, model_version: int, method: str = "discovered") -> dict[int, int]:
    return {
        int(t): int(n)
        for t, n in store.connection.execute(
            "SELECT sub_topic_id, count(*) FROM interaction_reasons WHERE model_version = ? AND method = ? "
            "AND sub_topic_id IS NOT NULL GROUP BY sub_topic_id",
            [model_version, method],
        ).fetchall()
    }


def unexplained_count(store: Store, model_version: int, method: str = "discovered") -> int:
    return int(
        fetch_one(
            store.connection,
            "SELECT count(*) FROM interaction_reasons WHERE model_version = ? AND method = ? AND unexplained",
            [model_version, method],
        )[0]
    )
