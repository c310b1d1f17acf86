"""What the command centre's QA and agent views read (docs/serve.md): answers, disputes with the
answer they are about, and per-agent summaries — each filtered to what the asking user may see
(a supervisor their teams' interactions, an advisor their own)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from signalroom.auth.roles import Scope
from signalroom.store.common_filters import Filters
from signalroom.store.scope_sql import scope_condition
from signalroom.store.warehouse import Store


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


@dataclass(frozen=True)
class Owner:
    source: str
    id: str
    agent_id: str | None
    team: str | None


def interaction_owners(store: Store, interaction_id: str, source: str | None = None) -> list[Owner]:
    """Who handled the interaction with this id (one per source holding it)."""
    sql = "SELECT source, id, agent_id, agent_team FROM interactions WHERE id = ?"
    params: list[Any] = [interaction_id]
    if source is not None:
        sql += " AND source = ?"
        params.append(source)
    rows = store.connection.execute(sql + " ORDER BY source", params).fetchall()
    return [Owner(str(r[0]), str(r[1]), r[2], r[3]) for r in rows]


@dataclass(frozen=True, kw_only=True)
class AnswerQuery(Filters):
    """Which answers: the common filters over their interactions, and the answers' own."""

    scorecard_id: str | None = None
    criterion_id: str | None = None
    value: str | None = None
    source: str | None = None
    interaction_id: str | None = None

    def where(self) -> tuple[list[str], list[Any]]:
        clauses, params = self.conditions(reason_column="ir.topic_id")
        for column, value in (
            ("a.scorecard_id", self.scorecard_id), ("a.criterion_id", self.criterion_id), ("a.value", self.value),
            ("a.source", self.source), ("a.id", self.interaction_id),
        ):  # fmt: skip
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        return clauses, params


_ANSWER_FROM = (
    "FROM qa_answers a JOIN interactions i ON i.source = a.source AND i.id = a.id "
    "LEFT JOIN interaction_reasons ir ON ir.source = a.source AND ir.id = a.id "
)


def answers(
    store: Store, scope: Scope, query: AnswerQuery, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of answers (newest interactions first) and how many match in all."""
    clauses, params = query.where()
    visible, scope_params = scope_condition(scope)
    where = " AND ".join([visible, *clauses])
    con = store.connection
    total = int(con.execute(f"SELECT count(*) {_ANSWER_FROM} WHERE {where}", [*scope_params, *params]).fetchall()[0][0])
    rows = _dicts(
        con.execute(
            "SELECT a.source, a.id, a.scorecard_id, a.criterion_id, a.value, a.confidence, a.explanation, a.evidence, "
            "i.started_at, i.channel, i.queue, i.agent_id, i.agent_team, ir.topic_id AS reason_id "
            f"{_ANSWER_FROM} WHERE {where} "
            "ORDER BY i.started_at DESC, a.source, a.id, a.scorecard_id, a.criterion_id LIMIT ? OFFSET ?",
            [*scope_params, *params, limit, offset],
        )
    )
    for row in rows:
        row["evidence"] = orjson.loads(row["evidence"] or "[]")
    return rows, total


_DISPUTE_COLUMNS = (
    "d.dispute_id, d.source, d.id, d.scorecard_id, d.criterion_id, d.original_value, d.raised_by, d.comment, "
    "d.raised_at, d.status, d.corrected_value, d.reviewer, d.review_comment, d.reviewed_at, i.agent_id, "
    "i.agent_team, i.started_at, i.channel, a.value AS current_value, a.confidence, a.explanation, a.evidence"
)


def disputes(
    store: Store, scope: Scope, *, dispute_id: int | None = None, status: str | None = None,
    agent_id: str | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Disputes about interactions the scope allows, with the answer as it stands now."""
    visible, params = scope_condition(scope)
    where = [visible]
    for column, value in (("d.dispute_id", dispute_id), ("d.status", status), ("i.agent_id", agent_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    rows = _dicts(
        store.connection.execute(
            f"SELECT {_DISPUTE_COLUMNS} FROM qa_disputes d "
            "LEFT JOIN interactions i ON i.source = d.source AND i.id = d.id "
            "LEFT JOIN qa_answers a ON a.source = d.source AND a.id = d.id AND a.scorecard_id = d.scorecard_id "
            f"AND a.criterion_id = d.criterion_id WHERE {' AND '.join(where)} ORDER BY d.dispute_id",
            params,
        )
    )
    for row in rows:
        row["evidence"] = orjson.loads(row["evidence"] or "[]")
    return rows


def agent_team(store: Store, agent_id: str) -> tuple[bool, str | None]:
    """Whether the agent handled any interaction, and their team."""
    rows = store.connection.execute(
        "SELECT count(*), any_value(agent_team) FROM interactions WHERE agent_id = ?", [agent_id]
    ).fetchall()
    return bool(rows[0][0]), rows[0][1]


def agent_teams(store: Store) -> dict[str, str | None]:
    """Every agent who handled an interaction, with their team."""
    rows = store.connection.execute(
        "SELECT agent_id, any_value(agent_team) FROM interactions WHERE agent_id IS NOT NULL GROUP BY agent_id"
    ).fetchall()
    return {str(agent): team for agent, team in rows}


def agent_criteria(store: Store, agent_id: str) -> list[dict[str, Any]]:
    """Per scorecard and criterion: the agent's answers (pass, fail, not applicable) and everyone
    else's."""
    return _dicts(
        store.connection.execute(
            "SELECT a.scorecard_id, a.criterion_id, "
            "count(*) FILTER (WHERE i.agent_id = ? AND a.value = 'pass') AS passes, "
            "count(*) FILTER (WHERE i.agent_id = ? AND a.value = 'fail') AS failures, "
            "count(*) FILTER (WHERE i.agent_id = ? AND a.value NOT IN ('pass', 'fail')) AS not_applicable, "
            "count(*) FILTER (WHERE i.agent_id IS DISTINCT FROM ? AND a.value = 'pass') AS peer_passes, "
            "count(*) FILTER (WHERE i.agent_id IS DISTINCT FROM ? AND a.value = 'fail') AS peer_failures "
            "FROM qa_answers a JOIN interactions i ON i.source = a.source AND i.id = a.id "
            "WHERE i.agent_id IS NOT NULL GROUP BY a.scorecard_id, a.criterion_id "
            "HAVING count(*) FILTER (WHERE i.agent_id = ?) > 0 ORDER BY a.scorecard_id, a.criterion_id",
            [agent_id] * 6,
        )
    )


def agent_scores(store: Store, agent_id: str) -> list[dict[str, Any]]:
    """Per scorecard: the agent's interactions scored, mean score and automatic failures, and the
    other agents' mean score."""
    return _dicts(
        store.connection.execute(
            "SELECT r.scorecard_id, "
            "count(*) FILTER (WHERE i.agent_id = ?) AS interactions, "
            "avg(r.score) FILTER (WHERE i.agent_id = ?) AS mean_score, "
            "count(*) FILTER (WHERE i.agent_id = ? AND r.auto_failed) AS auto_failed, "
            "avg(r.score) FILTER (WHERE i.agent_id <> ?) AS peer_mean_score "
            "FROM qa_results r JOIN interactions i ON i.source = r.source AND i.id = r.id "
            "WHERE r.applies AND i.agent_id IS NOT NULL GROUP BY r.scorecard_id "
            "HAVING count(*) FILTER (WHERE i.agent_id = ?) > 0 ORDER BY r.scorecard_id",
            [agent_id] * 5,
        )
    )


def scorecard_source(store: Store, scorecard_id: str) -> tuple[str | None, Any] | None:
    """The newest version's source file and when it was kept (None: no such scorecard in use)."""
    rows = store.connection.execute(
        "SELECT source_path, loaded_at FROM qa_scorecards WHERE scorecard_id = ? AND removed_at IS NULL "
        "ORDER BY loaded_at DESC LIMIT 1",
        [scorecard_id],
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def name_evaluation_file(store: Store, stored_as: str, name: str) -> None:
    """Evaluations imported from an upload keep the name it was sent under, not the temporary file."""
    store.connection.execute("UPDATE qa_evaluations SET file = ? WHERE file = ?", [name, stored_as])
