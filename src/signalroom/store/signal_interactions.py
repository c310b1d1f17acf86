"""What the command centre reads of the interactions behind a signal (docs/serve.md): the inbound
contacts about the signal's reasons on the days its findings cover, and its evidence — always within
what the asking user may see (their teams' or their own interactions)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from signalroom.auth.roles import Scope
from signalroom.store.scope_sql import scope_condition
from signalroom.store.warehouse import Store

Key = tuple[str, str]


@dataclass(frozen=True)
class Window:
    """Contacts about these reasons from ``first`` to ``last`` (local dates, both included)."""

    reasons: tuple[int, ...]
    first: date
    last: date


def _behind(windows: Sequence[Window], evidence: Sequence[Key]) -> tuple[str, list[Any]] | None:
    parts: list[str] = []
    params: list[Any] = []
    matches = [w for w in windows if w.reasons]
    if matches:
        ors = " OR ".join("(list_contains(?, c.topic_id) AND c.local_date BETWEEN ? AND ?)" for _ in matches)
        parts.append(
            "SELECT e.source, e.id, FALSE AS evidence FROM episode_interactions e "
            "JOIN contacts c ON c.contact_source = e.contact_source AND c.contact_id = e.contact_id "
            f"WHERE c.inbound AND ({ors})"
        )
        for w in matches:
            params.extend([list(w.reasons), w.first, w.last])
    if evidence:
        parts.append("SELECT unnest(?::VARCHAR[]) AS source, unnest(?::VARCHAR[]) AS id, TRUE AS evidence")
        params.extend([[s for s, _ in evidence], [i for _, i in evidence]])
    if not parts:
        return None
    union = " UNION ALL ".join(parts)
    return f"SELECT source, id, bool_or(evidence) AS evidence FROM ({union}) GROUP BY source, id", params


def interactions_behind(
    store: Store, windows: Sequence[Window], evidence: Sequence[Key], scope: Scope, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """(one page of the interactions behind, how many in all) that ``scope`` may see: the evidence
    first, then the latest first."""
    behind = _behind(windows, evidence)
    if behind is None:
        return [], 0
    sql, params = behind
    condition, scope_params = scope_condition(scope)
    joined = f"FROM ({sql}) b JOIN interactions i ON i.source = b.source AND i.id = b.id"
    where = f"WHERE {condition}"
    cursor = store.connection.execute(
        "SELECT i.source, i.id, i.channel, i.started_at, e.local_date, e.topic_id AS reason, i.queue, i.agent_id, "
        f"i.agent_team, b.evidence, count(*) OVER () AS total {joined} "
        f"LEFT JOIN episode_interactions e ON e.source = i.source AND e.id = i.id {where} "
        "ORDER BY b.evidence DESC, i.started_at DESC, i.source, i.id LIMIT ? OFFSET ?",
        [*params, *scope_params, limit, offset],
    )
    names = [d[0] for d in cursor.description]
    items = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    if items:
        total = int(items[0].pop("total"))
        for item in items[1:]:
            del item["total"]
    else:  # past the last page: the count still says how many there are
        count = store.connection.execute(f"SELECT count(*) {joined} {where}", [*params, *scope_params]).fetchall()
        total = int(count[0][0])
    return items, total


def key_of(reference: str) -> Key | None:
    """``source/id`` as a key; None when it is not one."""
    source, slash, ident = reference.partition("/")
    return (source, ident) if slash and source and ident else None


def visible_references(store: Store, references: Iterable[str], scope: Scope) -> set[str]:
    """Those of the ``source/id`` references that name stored interactions ``scope`` may see."""
    keys = {k for ref in references if (k := key_of(ref)) is not None}
    return {f"{s}/{i}" for s, i in visible(store, sorted(keys), scope)}


def visible(store: Store, keys: Sequence[Key], scope: Scope) -> set[Key]:
    """Those of ``keys`` that are stored interactions ``scope`` may see."""
    if not keys:
        return set()
    condition, params = scope_condition(scope)
    rows = store.connection.execute(
        "SELECT i.source, i.id FROM (SELECT unnest(?::VARCHAR[]) AS source, unnest(?::VARCHAR[]) AS id) k "
        f"JOIN interactions i ON i.source = k.source AND i.id = k.id WHERE {condition}",
        [[s for s, _ in keys], [i for _, i in keys], *params],
    ).fetchall()
    return {(str(s), str(i)) for s, i in rows}
