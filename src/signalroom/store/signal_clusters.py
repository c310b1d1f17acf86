"""What the newly-forming-cluster detector reads (docs/signals.md#newly-forming-clusters): inbound
contacts with the embedding of their customer's purpose text, and the centroids of the reasons they
were assigned to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from signalroom.store.reason_models import tier_in_use
from signalroom.store.warehouse import Store


@dataclass(frozen=True)
class EmbeddedContacts:
    """Inbound contacts of a date range, in (local date, source, id) order. A contact whose first
    interaction has no embedding of the tier keeps its row with an all-zero vector and
    ``embedded`` False, so that day totals count it and the detector can say how many it skipped."""

    tier: str
    keys: list[str]  # 'source/id' of the contact's first interaction
    days: NDArray[np.int64]  # local date as days since 1970-01-01
    persons: NDArray[np.int64]  # -1: no person
    reasons: NDArray[np.int64]  # -1: no reason assigned
    texts: list[str]  # the customer's purpose text ('' without one)
    vectors: NDArray[np.float32]  # one row per contact, unit length (zero when not embedded)
    embedded: NDArray[np.bool_]


def embedding_tier(store: Store) -> str | None:
    """The tier the contacts' reasons were assigned on: the discovered model most contacts were
    assigned with, else the newest model or seeded taxonomy (None before any analysis)."""
    rows = store.connection.execute(
        "SELECT m.tier FROM interaction_reasons r JOIN reason_models m ON m.version = r.model_version "
        "WHERE r.method = 'discovered' GROUP BY m.tier, r.model_version ORDER BY count(*) DESC, m.tier LIMIT 1"
    ).fetchall()
    return str(rows[0][0]) if rows else tier_in_use(store)


def embedded_contacts(store: Store, tier: str, first: date, last: date) -> EmbeddedContacts:
    """Inbound contacts from ``first`` to ``last`` (local dates, both included)."""
    table = store.connection.sql(
        "SELECT c.contact_source || '/' || c.contact_id AS key, "
        "CAST(c.local_date - DATE '1970-01-01' AS BIGINT) AS day, coalesce(c.person_id, -1) AS person, "
        "coalesce(c.topic_id, -1) AS reason, coalesce(a.purpose_text, '') AS text, e.vector AS vector "
        "FROM contacts c "
        "LEFT JOIN interaction_embeddings e ON e.source = c.contact_source AND e.id = c.contact_id AND e.tier = ? "
        "LEFT JOIN interaction_analysis a ON a.source = c.contact_source AND a.id = c.contact_id "
        "WHERE c.inbound AND c.local_date BETWEEN ? AND ? ORDER BY c.local_date, c.contact_source, c.contact_id",
        params=[tier, first, last],
    ).to_arrow_table()
    n = table.num_rows
    embedded = np.asarray(table.column("vector").is_valid(), dtype=bool) if n else np.zeros(0, dtype=bool)
    width = 0
    flat = np.zeros(0, dtype=np.float32)
    if embedded.any():
        present = table.column("vector").drop_null().combine_chunks()
        flat = np.asarray(present.flatten(), dtype=np.float32)
        width = len(flat) // len(present)
        if width * len(present) != len(flat):
            raise ValueError(f"the {tier!r} embeddings of these contacts do not all have the same length")
    vectors = np.zeros((n, width), dtype=np.float32)
    vectors[embedded] = flat.reshape(-1, width) if width else flat.reshape(0, 0)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    return EmbeddedContacts(
        tier=tier,
        keys=[str(k) for k in table.column("key").to_pylist()],
        days=np.asarray(table.column("day").to_numpy(), dtype=np.int64),
        persons=np.asarray(table.column("person").to_numpy(), dtype=np.int64),
        reasons=np.asarray(table.column("reason").to_numpy(), dtype=np.int64),
        texts=[str(t) for t in table.column("text").to_pylist()],
        vectors=vectors,
        embedded=embedded,
    )


def reason_centroids(store: Store, tier: str) -> dict[int, Any]:
    """The encoded centroids of the reasons of the discovered models fitted on this tier, the newest
    model winning where ids repeat (refits keep matched reasons' ids); empty for a taxonomy."""
    out: dict[int, Any] = {}
    for (state,) in store.connection.execute(
        "SELECT state FROM reason_models WHERE tier = ? ORDER BY version", [tier]
    ).fetchall():
        parsed = orjson.loads(state)
        out.update({int(t["id"]): t["centroid"] for t in parsed.get("topics", []) if "centroid" in t})
    return out
