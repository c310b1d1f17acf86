"""Storage of QA disputes (``sql/0011_qa_disputes.sql``) and the corrections accepted ones make."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from signalroom.store.warehouse import Store

Key = tuple[str, str]
_COLUMNS = (
    "dispute_id, source, id, scorecard_id, criterion_id, original_value, raised_by, comment, raised_at, status, "
    "corrected_value, reviewer, review_comment, reviewed_at"
)


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def answer_of(store: Store, source: str, interaction_id: str, criterion_id: str,
              scorecard_id: str | None) -> list[tuple[str, str]]:  # fmt: skip
    """(scorecard, value) of the matching stored answers."""
    sql = "SELECT scorecard_id, value FROM qa_answers WHERE source = ? AND id = ? AND criterion_id = ?"
    params: list[Any] = [source, interaction_id, criterion_id]
    if scorecard_id is not None:
        sql += " AND scorecard_id = ?"
        params.append(scorecard_id)
    return [(str(a), str(b)) for a, b in store.connection.execute(sql, params).fetchall()]


def open_dispute(store: Store, source: str, interaction_id: str, scorecard_id: str, criterion_id: str) -> int | None:
    rows = store.connection.execute(
        "SELECT dispute_id FROM qa_disputes WHERE source = ? AND id = ? AND scorecard_id = ? AND criterion_id = ? "
        "AND status = 'open'",
        [source, interaction_id, scorecard_id, criterion_id],
    ).fetchall()
    return int(rows[0][0]) if rows else None


def insert_dispute(store: Store, source: str, interaction_id: str, scorecard_id: str, criterion_id: str,
                   value: str, by: str, comment: str) -> int:  # fmt: skip
    con = store.connection
    with store.transaction():
        dispute_id = int(con.execute("SELECT nextval('qa_dispute_ids')").fetchall()[0][0])
        con.execute(
            "INSERT INTO qa_disputes VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), 'open', NULL, NULL, NULL, NULL)",
            [dispute_id, source, interaction_id, scorecard_id, criterion_id, value, by, comment],
        )
        con.execute(
            "INSERT INTO qa_dispute_events VALUES (?, now(), 'raised', ?, ?, ?)", [dispute_id, by, comment, value]
        )
    return dispute_id


def review(store: Store, dispute_id: int, status: str, by: str, comment: str | None, value: str | None) -> None:
    con = store.connection
    with store.transaction():
        con.execute(
            "UPDATE qa_disputes SET status = ?, corrected_value = ?, reviewer = ?, review_comment = ?, "
            "reviewed_at = now() WHERE dispute_id = ?",
            [status, value, by, comment, dispute_id],
        )
        con.execute(
            "INSERT INTO qa_dispute_events VALUES (?, now(), ?, ?, ?, ?)", [dispute_id, status, by, comment, value]
        )


def disputes(store: Store, *, dispute_id: int | None = None, status: str | None = None,
             agent_id: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
    where, params = ["TRUE"], list[Any]()
    if dispute_id is not None:
        where.append("d.dispute_id = ?")
        params.append(dispute_id)
    if status is not None:
        where.append("d.status = ?")
        params.append(status)
    if agent_id is not None:
        where.append("i.agent_id = ?")
        params.append(agent_id)
    cols = ", ".join(f"d.{c.strip()}" for c in _COLUMNS.split(","))
    return _dicts(
        store.connection.execute(
            f"SELECT {cols}, i.agent_id FROM qa_disputes d LEFT JOIN interactions i "
            f"ON i.source = d.source AND i.id = d.id WHERE {' AND '.join(where)} ORDER BY d.dispute_id",
            params,
        )
    )


def events(store: Store, dispute_id: int) -> list[dict[str, Any]]:
    return _dicts(
        store.connection.execute(
            "SELECT happened_at AS at, action, actor, comment, value FROM qa_dispute_events WHERE dispute_id = ? "
            "ORDER BY happened_at",
            [dispute_id],
        )
    )


def corrections(store: Store, keys: Sequence[Key]) -> dict[tuple[str, str, str, str], str]:
    """The accepted corrections of these interactions' answers: (source, id, scorecard, criterion) → value."""
    if not keys:
        return {}
    rows = store.connection.execute(
        "SELECT source, id, scorecard_id, criterion_id, corrected_value FROM qa_disputes "
        "WHERE status = 'accepted' AND corrected_value IS NOT NULL"
    ).fetchall()
    wanted = set(keys)
    return {(s, i, c, k): v for s, i, c, k, v in rows if (s, i) in wanted}


def forget_result(store: Store, source: str, interaction_id: str) -> None:
    """Mark an interaction for rescoring (its answers change with an accepted dispute)."""
    store.connection.execute("DELETE FROM qa_results WHERE source = ? AND id = ?", [source, interaction_id])
