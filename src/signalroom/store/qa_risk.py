"""What compliance risk reads (docs/qa.md#compliance-risk): per scorecard and criterion, how many
answers applied and how many failed — in total, per local day and per agent, team or queue — and the
failing interactions behind them. Plain SQL over ``qa_answers`` joined to ``interactions``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from signalroom.store.common_filters import LOCAL_DAY, Filters
from signalroom.store.warehouse import Store

GROUP_COLUMNS = {"agent": "i.agent_id", "team": "i.agent_team", "queue": "i.queue"}

_COUNTS = (
    "count(*) FILTER (WHERE a.value IN ('pass', 'fail')), "
    "count(*) FILTER (WHERE a.value = 'fail'), "
    "count(*) FILTER (WHERE a.value NOT IN ('pass', 'fail'))"
)
_FROM = "FROM qa_answers a JOIN interactions i ON i.source = a.source AND i.id = a.id"


@dataclass(frozen=True)
class AnswerFilter:
    """Which answers are counted: one scorecard or criterion (all when None), local days included."""

    scorecard_id: str | None = None
    criterion_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def where(self) -> tuple[str, list[object]]:
        days, day_params = Filters(date_from=self.date_from, date_to=self.date_to).conditions()
        clauses: list[str] = ["TRUE", *days]
        params: list[object] = [*day_params]
        for column, value in (("a.scorecard_id", self.scorecard_id), ("a.criterion_id", self.criterion_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        return " AND ".join(clauses), params


@dataclass(frozen=True)
class Counts:
    """Answers of one scorecard × criterion (and group or day): applicable (pass or fail), failed,
    and not applicable."""

    scorecard_id: str
    criterion_id: str
    applicable: int
    failures: int
    not_applicable: int


def known_criteria(store: Store) -> dict[str, set[str]]:
    """Scorecard id → criterion ids, of the scorecards in use and of every stored answer."""
    from signalroom.store.qa import scorecards_in_use

    known: dict[str, set[str]] = {}
    for card in scorecards_in_use(store):
        ids = known.setdefault(card.scorecard_id, set())
        for section in card.definition.get("sections", []):
            ids.update(str(c["id"]) for c in section.get("criteria", []))
    rows = store.connection.execute("SELECT DISTINCT scorecard_id, criterion_id FROM qa_answers").fetchall()
    for card_id, criterion_id in rows:
        known.setdefault(str(card_id), set()).add(str(criterion_id))
    return known


def criterion_counts(store: Store, answers: AnswerFilter) -> list[Counts]:
    where, params = answers.where()
    rows = store.connection.execute(
        f"SELECT a.scorecard_id, a.criterion_id, {_COUNTS} {_FROM} WHERE {where} "
        "GROUP BY a.scorecard_id, a.criterion_id ORDER BY a.scorecard_id, a.criterion_id",
        params,
    ).fetchall()
    return [Counts(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]


def daily_counts(store: Store, answers: AnswerFilter) -> list[tuple[Counts, date]]:
    """Per criterion and local day (weeks are summed from days by the caller)."""
    where, params = answers.where()
    rows = store.connection.execute(
        f"SELECT a.scorecard_id, a.criterion_id, {_COUNTS}, {LOCAL_DAY} AS day {_FROM} WHERE {where} "
        "GROUP BY a.scorecard_id, a.criterion_id, day ORDER BY a.scorecard_id, a.criterion_id, day",
        params,
    ).fetchall()
    return [(Counts(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4])), r[5]) for r in rows]


def group_counts(store: Store, answers: AnswerFilter, by: str) -> list[tuple[Counts, str | None]]:
    """Per criterion and agent, team or queue (None: interactions without one, e.g. bot sessions)."""
    column = GROUP_COLUMNS[by]
    where, params = answers.where()
    rows = store.connection.execute(
        f"SELECT a.scorecard_id, a.criterion_id, {_COUNTS}, {column} AS grp {_FROM} WHERE {where} "
        "GROUP BY a.scorecard_id, a.criterion_id, grp ORDER BY a.scorecard_id, a.criterion_id, grp",
        params,
    ).fetchall()
    return [(Counts(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4])), r[5]) for r in rows]


def failing_interactions(
    store: Store, answers: AnswerFilter, limit: int, *, by: str | None = None, group: str | None = None
) -> list[str]:
    """``source/id`` of the newest failing interactions (of one group when ``by`` is given)."""
    where, params = answers.where()
    if by is not None:
        column = GROUP_COLUMNS[by]
        if group is None:
            where += f" AND {column} IS NULL"
        else:
            where += f" AND {column} = ?"
            params.append(group)
    rows = store.connection.execute(
        f"SELECT a.source || '/' || a.id {_FROM} WHERE {where} AND a.value = 'fail' "
        "ORDER BY i.started_at DESC, a.source, a.id LIMIT ?",
        [*params, int(limit)],
    ).fetchall()
    return [str(r[0]) for r in rows]
