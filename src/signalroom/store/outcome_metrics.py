"""Outcome metrics: a registry of definitions, each with the SQL that counts its numerator and
denominator, and the queries that run them — one per unit (contacts, interactions, surveys,
self-service events), every metric of a unit in one pass, by group and in total.

Definitions and formulas: docs/metrics.md#outcome-metrics. Every query reads the tables the
episode build writes (``signalroom.store.episodes``: contacts with their window-free "what came
next" columns, episode_interactions with the numbers of the conversation metrics, failed_events)
and the surveys, so a metric query is one scan of a narrow table. The SQL is plain (CASE sums,
GROUPING SETS).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from signalroom.store.warehouse import Store

Unit = Literal["contact", "interaction", "survey", "event"]
Kind = Literal["rate", "mean", "percent", "score"]

# The groupings, and the units each applies to (events have no reason, queue, team or agent).
GROUPINGS = ("channel", "reason", "queue", "team", "agent", "day", "week")
UNIT_GROUPINGS: dict[str, tuple[str, ...]] = {
    "contact": GROUPINGS,
    "interaction": GROUPINGS,
    "survey": GROUPINGS,
    "event": ("channel", "day", "week"),
}
# Channels where the conversation happens live: their duration is handling time.
LIVE_CHANNELS = ("voice", "video", "chat", "in_person")
# The common filters: each restricts a unit's rows on the column its grouping of the same name uses.
FILTERS = ("channel", "reason", "queue", "team", "agent")
FilterValue = str | int


@dataclass(frozen=True)
class MetricParams:
    """What the SQL of a metric depends on. Every value is typed: the SQL is built from numbers
    and dates, never from free text. (Which events are failures or account closures is decided
    by the episode build, which writes failed_events and contacts.churn_at.)"""

    window_days: int = 7
    churn_days: int = 30
    containment_hours: int = 24
    failure_contact_hours: int = 24
    observed_until: datetime | None = None  # the latest interaction or event in the warehouse


@dataclass(frozen=True)
class MetricSql:
    numerator: str  # aggregate expressions over the unit's rows
    denominator: str


@dataclass(frozen=True)
class MetricDefinition:
    name: str
    unit: Unit
    kind: Kind  # rate: num/den (0–1); mean: num/den; percent: 100·num/den; score: 100·num/den
    unit_label: str  # "share", "s", "%", "score", "1-5", "1-7"
    description: str
    formula: str
    excluded: str
    build: Callable[[MetricParams], MetricSql]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "kind": self.kind,
            "unit_label": self.unit_label,
            "description": self.description,
            "formula": self.formula,
            "excluded": self.excluded,
        }


# -- SQL pieces ------------------------------------------------------------------------------------


def _quote(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values) or "NULL"


def _count(condition: str) -> str:
    return f"sum(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _sum(expr: str, condition: str) -> str:
    return f"sum(CASE WHEN {condition} THEN {expr} END)"


def _plus(column: str, seconds: int) -> str:
    return f"{column} + {int(seconds)} * INTERVAL '1 second'"


def _closed(column: str, seconds: int, p: MetricParams) -> str:
    """The follow-up window of ``column`` has ended by the end of the data."""
    if p.observed_until is None:
        return "FALSE"
    return f"{_plus(column, seconds)} <= TIMESTAMPTZ '{p.observed_until.isoformat()}'"


def _within(later: str, column: str, seconds: int) -> str:
    return f"({later} IS NOT NULL AND {later} <= {_plus(column, seconds)})"


def _rate(eligible: str, hit: str) -> MetricSql:
    return MetricSql(_count(f"{eligible} AND {hit}"), _count(eligible))


def _mean(expr: str, eligible: str) -> MetricSql:
    return MetricSql(_sum(expr, eligible), _count(eligible))


def _days(n: int) -> int:
    return int(n) * 86400


def _hours(n: int) -> int:
    return int(n) * 3600


# -- the contact metrics -----------------------------------------------------------------------


def _person_contact(p: MetricParams, seconds: int) -> str:
    return f"person_id IS NOT NULL AND inbound AND {_closed('started_at', seconds, p)}"


def _repeat(p: MetricParams) -> MetricSql:
    w = _days(p.window_days)
    return _rate(_person_contact(p, w), _within("next_contact_at", "started_at", w))


def _repeat_same(p: MetricParams) -> MetricSql:
    w = _days(p.window_days)
    return _rate(f"topic_id IS NOT NULL AND {_person_contact(p, w)}", _within("next_same_reason_at", "started_at", w))


def _fcr(p: MetricParams) -> MetricSql:
    w = _days(p.window_days)
    hit = f"(resolved IS NULL OR resolved) AND NOT {_within('next_same_reason_at', 'started_at', w)}"
    return _rate(f"topic_id IS NOT NULL AND {_person_contact(p, w)}", hit)


def _next_issue(p: MetricParams) -> MetricSql:
    w = _days(p.window_days)
    return _rate(f"topic_id IS NOT NULL AND {_person_contact(p, w)}", _within("next_other_reason_at", "started_at", w))


def _containment(p: MetricParams) -> MetricSql:
    h = _hours(p.containment_hours)
    eligible = f"channel = 'bot' AND {_closed('started_at', h, p)} AND (person_id IS NOT NULL OR NOT self_service_only)"
    hit = f"self_service_only AND person_id IS NOT NULL AND NOT {_within('next_assisted_at', 'started_at', h)}"
    return _rate(eligible, hit)


def _churn(p: MetricParams) -> MetricSql:
    d = _days(p.churn_days)
    return _rate(_person_contact(p, d), _within("churn_at", "started_at", d))


# -- the interaction metrics -------------------------------------------------------------------


def _transfer(p: MetricParams) -> MetricSql:
    return _rate("assisted", "transferred")


def _escalation(p: MetricParams) -> MetricSql:
    return _rate("TRUE", "escalated")


def _aht(p: MetricParams) -> MetricSql:
    return _mean("duration_s", f"assisted AND channel IN ({_quote(LIVE_CHANNELS)}) AND duration_s >= 0")


def _hold(p: MetricParams) -> MetricSql:
    return _mean("hold_s", "assisted AND hold_s IS NOT NULL")


def _silence(p: MetricParams) -> MetricSql:
    eligible = "silence_s IS NOT NULL AND duration_s > 0"
    return MetricSql(_sum("silence_s", eligible), _sum("duration_s", eligible))


def _first_response(p: MetricParams) -> MetricSql:
    return _mean("first_response_s", "first_response_s IS NOT NULL")


# -- the survey metrics ------------------------------------------------------------------------


def _csat(p: MetricParams) -> MetricSql:
    return _rate("csat BETWEEN 1 AND 5", "csat >= 4")


def _csat_mean(p: MetricParams) -> MetricSql:
    return _mean("csat", "csat BETWEEN 1 AND 5")


def _nps(p: MetricParams) -> MetricSql:
    eligible = "nps BETWEEN 0 AND 10"
    return MetricSql(f"{_count(f'{eligible} AND nps >= 9')} - {_count(f'{eligible} AND nps <= 6')}", _count(eligible))


def _ces(p: MetricParams) -> MetricSql:
    return _mean("ces", "ces BETWEEN 1 AND 7")


# -- self-service events -----------------------------------------------------------------------


def _failure_to_contact(p: MetricParams) -> MetricSql:
    h = _hours(p.failure_contact_hours)
    return _rate(f"person_id IS NOT NULL AND {_closed('occurred_at', h, p)}", _within("contact_at", "occurred_at", h))


def _def(
    name: str, unit: Unit, kind: Kind, label: str, description: str, formula: str, excluded: str, build: Any
) -> MetricDefinition:
    return MetricDefinition(name, unit, kind, label, description, formula, excluded, build)


METRICS: dict[str, MetricDefinition] = {
    m.name: m
    for m in (
        _def("repeat_contact_rate", "contact", "rate", "share",
             "Contacts followed by another contact of the same person within the window (any reason).",
             "contacts with a next inbound contact of the person ≤ window after their start / contacts",
             "contacts without a person; outbound contacts; contacts whose window has not ended", _repeat),
        _def("same_reason_repeat_rate", "contact", "rate", "share",
             "Contacts followed by a contact of the same person about the same reason within the window.",
             "contacts with a next same-reason contact ≤ window after their start / contacts with a reason",
             "as repeat_contact_rate, and contacts without a reason", _repeat_same),
        _def("first_contact_resolution", "contact", "rate", "share",
             "Contacts resolved (not marked unresolved) with no contact about the same reason within the window.",
             "contacts not marked unresolved and without a same-reason repeat ≤ window / contacts with a reason",
             "as same_reason_repeat_rate", _fcr),
        _def("next_issue_rate", "contact", "rate", "share",
             "Contacts followed within the window by a contact of the same person about a different reason.",
             "contacts with a next contact of another reason ≤ window after their start / contacts with a reason",
             "as same_reason_repeat_rate", _next_issue),
        _def("transfer_rate", "interaction", "rate", "share",
             "Assisted interactions transferred to another agent or queue.",
             "assisted interactions with outcome.transferred or a transfer call event / assisted interactions",
             "bot and IVR sessions", _transfer),
        _def("escalation_rate", "interaction", "rate", "share",
             "Interactions escalated (to a supervisor, or from a bot to a person).",
             "interactions with outcome.escalated / interactions", "nothing", _escalation),
        _def("average_handle_time_s", "interaction", "mean", "s",
             "Mean duration of assisted live interactions (voice, video, chat, in person).",
             "Σ duration_s / assisted live interactions with a duration",
             "bot and IVR sessions; email, SMS, messaging and social (their duration is elapsed thread "
             "time); interactions without a measured duration", _aht),
        _def("average_hold_s", "interaction", "mean", "s",
             "Mean hold time per assisted call where holds are measured.",
             "Σ hold_s / assisted interactions with hold_s measured", "interactions without call timing", _hold),
        _def("silence_pct", "interaction", "percent", "%",
             "Share of call time in silence (gaps of 2 s or more between turns, holds excluded).",
             "100 × Σ silence_s / Σ duration_s over calls where both are measured",
             "calls without turn timing or duration; text channels", _silence),
        _def("first_response_time_s", "interaction", "mean", "s",
             "Mean time to the first reply on text channels.",
             "Σ first_response_s / text interactions with a first response",
             "voice; text interactions without timestamps or without a reply", _first_response),
        _def("csat", "survey", "rate", "share",
             "Share of satisfied answers: 4 or 5 on the 1–5 CSAT scale.",
             "answers 4–5 / CSAT answers", "surveys without a CSAT answer", _csat),
        _def("csat_mean", "survey", "mean", "1-5", "Mean CSAT answer (1–5).",
             "Σ csat / CSAT answers", "surveys without a CSAT answer", _csat_mean),
        _def("nps", "survey", "score", "score", "Net promoter score: promoters (9–10) minus detractors (0–6).",
             "100 × (promoters − detractors) / NPS answers, from −100 to 100",
             "surveys without an NPS answer", _nps),
        _def("ces_mean", "survey", "mean", "1-7", "Mean customer effort score, as answered (1–7).",
             "Σ ces / CES answers", "surveys without a CES answer", _ces),
        _def("bot_containment_rate", "contact", "rate", "share",
             "Bot sessions that stayed in self-service: no handoff and no assisted contact by the same person "
             "within 24 h (strict containment).",
             "bot-first contacts without an assisted interaction in the chain or by the person ≤ 24 h after / "
             "bot-first contacts",
             "bot sessions without a person and without a handoff (nothing to judge them by); sessions whose "
             "24 h have not ended", _containment),
        _def("self_service_failure_contact_rate", "event", "rate", "share",
             "Failed self-service events followed by a contact of the same person within 24 h.",
             "failed events with a contact of the person ≤ 24 h after / failed events",
             "events without a person; events whose 24 h have not ended", _failure_to_contact),
        _def("churn_rate", "contact", "rate", "share",
             "Contacts followed by an account_closed-type event of the same person within N days (default 30).",
             "contacts with an account-closing event ≤ N days after their start / contacts",
             "contacts without a person; outbound contacts; contacts whose N days have not ended", _churn),
    )
}  # fmt: skip


# -- the units ---------------------------------------------------------------------------------
# Each reads one table the episode build wrote (and surveys), exposing the grouping columns
# channel, reason, queue, team, agent and day.

_RELATIONS: dict[str, str] = {
    "contact": "SELECT c.*, c.topic_id AS reason, c.agent_team AS team, c.agent_id AS agent, c.local_date AS day "
    "FROM contacts c",
    "interaction": "SELECT e.*, e.topic_id AS reason, e.agent_team AS team, e.agent_id AS agent, "
    "e.local_date AS day FROM episode_interactions e",
    "survey": "SELECT e.channel, e.topic_id AS reason, e.queue, e.agent_team AS team, e.agent_id AS agent, "
    "coalesce(e.local_date, CAST(s.occurred_at + s.utc_offset_minutes * INTERVAL '1 minute' AS DATE)) AS day, "
    "s.csat, s.nps, s.ces FROM surveys s "
    "LEFT JOIN episode_interactions e ON e.source = s.source AND e.id = s.interaction_id",
    "event": "SELECT f.channel, CAST(NULL AS INTEGER) AS reason, CAST(NULL AS VARCHAR) AS queue, "
    "CAST(NULL AS VARCHAR) AS team, CAST(NULL AS VARCHAR) AS agent, f.local_date AS day, f.person_id, "
    "f.occurred_at, f.next_contact_at AS contact_at FROM failed_events f",
}


def filter_conditions(filters: Mapping[str, FilterValue | None], columns: Mapping[str, str] | None = None) -> list[str]:
    """SQL conditions keeping the rows with the filtered values (``columns``: the column of each
    filter where it is not the filter's name). A reason is an integer; free text is quoted."""
    out = []
    for name in FILTERS:
        value = filters.get(name)
        if value is None:
            continue
        literal = str(int(value)) if name == "reason" else _quote([str(value)])
        out.append(f"{(columns or {}).get(name, name)} = {literal}")
    return out


@dataclass(frozen=True)
class RawValue:
    group: Any  # a grouping value (None: records without one)
    is_total: bool
    metric: str
    numerator: float | None
    denominator: float | None


def metric_sql(
    unit: Unit,
    names: Sequence[str],
    params: MetricParams,
    *,
    by: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    filters: Mapping[str, FilterValue | None] | None = None,
) -> str:
    """One query for the named metrics of a unit: their numerators and denominators, per group
    (``by``) and in total (the row whose ``is_total`` is 1), over the rows in the period that pass
    ``filters`` (a unit without a filter's column — events have no reason — keeps no row)."""
    scope = ["TRUE"]
    if date_from is not None:
        scope.append(f"day >= DATE '{date_from.isoformat()}'")
    if date_to is not None:
        scope.append(f"day <= DATE '{date_to.isoformat()}'")
    scope += filter_conditions(filters or {})
    parts = []
    for n in names:
        sql = METRICS[n].build(params)
        parts.append(f"{sql.numerator} AS num_{n}, {sql.denominator} AS den_{n}")
    if by is not None and by not in UNIT_GROUPINGS[unit]:
        raise ValueError(f"{unit} metrics are not grouped by {by}")
    group = "CAST(date_trunc('week', day) AS DATE)" if by == "week" else by
    base = f"SELECT *, {group or 'NULL'} AS grp FROM ({_RELATIONS[unit]}) r WHERE {' AND '.join(scope)}"
    if by is None:
        return f"SELECT NULL AS grp, 1 AS is_total, {', '.join(parts)} FROM ({base}) f"
    return (
        f"SELECT grp, GROUPING(grp) AS is_total, {', '.join(parts)} FROM ({base}) f "
        "GROUP BY GROUPING SETS ((grp), ()) ORDER BY is_total, grp"
    )


def run_metrics(
    store: Store,
    names: Sequence[str],
    params: MetricParams,
    *,
    by: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    filters: Mapping[str, FilterValue | None] | None = None,
) -> list[RawValue]:
    """Numerators and denominators of the named metrics, in total and by group. Units that cannot
    be grouped ``by`` give their total only."""
    out: list[RawValue] = []
    for unit in ("contact", "interaction", "survey", "event"):
        chosen = [n for n in names if METRICS[n].unit == unit]
        if not chosen:
            continue
        grouped = by if by is None or by in UNIT_GROUPINGS[unit] else None
        cursor = store.connection.execute(
            metric_sql(unit, chosen, params, by=grouped, date_from=date_from, date_to=date_to, filters=filters)
        )
        for row in cursor.fetchall():
            group, is_total = row[0], bool(row[1])
            for i, name in enumerate(chosen):
                num, den = row[2 + 2 * i], row[3 + 2 * i]
                out.append(
                    RawValue(
                        None if is_total else group,
                        is_total,
                        name,
                        None if num is None else float(num),
                        None if den is None else float(den),
                    )
                )
    return out


def observed_until(store: Store) -> datetime | None:
    """The latest interaction start or event in the warehouse: follow-up windows end by it."""
    row = store.connection.execute(
        "SELECT max(t) FROM (SELECT max(started_at) AS t FROM interactions "
        "UNION ALL SELECT max(occurred_at) FROM events) x"
    ).fetchall()
    value = row[0][0] if row else None
    return value if isinstance(value, datetime) else None


def reason_labels(store: Store) -> dict[int, str]:
    """Names of the reasons in use (of every model or taxonomy that assigned one)."""
    from signalroom.store.analysis_reads import topic_names

    names: dict[int, str] = {}
    for version, method in store.connection.execute(
        "SELECT DISTINCT model_version, method FROM interaction_reasons"
    ).fetchall():
        names.update(topic_names(store, int(version), str(method)))
    return names


def reason_known(store: Store, reason_id: int) -> bool:
    """Is ``reason_id`` a reason of a stored model or taxonomy, or one ever assigned?"""
    if int(reason_id) in reason_labels(store):
        return True
    row = store.connection.execute(
        "SELECT EXISTS (SELECT 1 FROM interaction_reasons WHERE topic_id = ?)", [int(reason_id)]
    ).fetchall()
    return bool(row[0][0])


def daily_contacts(
    store: Store, date_from: date, date_to: date, filters: Mapping[str, FilterValue | None] | None = None
) -> list[tuple[date, int]]:
    """Inbound contacts per local day of the period that pass ``filters`` (the contact's columns,
    as the contact metrics filter them)."""
    columns = {"reason": "topic_id", "team": "agent_team", "agent": "agent_id"}
    where = ["inbound", "local_date BETWEEN ? AND ?", *filter_conditions(filters or {}, columns)]
    rows = store.connection.execute(
        f"SELECT local_date, count(*) FROM contacts WHERE {' AND '.join(where)} GROUP BY local_date",
        [date_from, date_to],
    ).fetchall()
    return [(d, int(n)) for d, n in rows]
