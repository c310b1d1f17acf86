"""The command centre's analytics: outcome metrics, the overview's KPIs and their trends, drivers
with the interactions behind each, and the ranked signals with their owners and actions. Shared by
the /metrics and /drivers API routes and by the overview and drivers pages.

Costly results (metrics, drivers, the CSAT prediction) are cached under the warehouse's data
version (``signalroom.api.cache``); the drill-down is not, since it depends on who asks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from signalroom.actions.actions import list_actions
from signalroom.api import cache
from signalroom.api.deps import Filters, PageParams, page
from signalroom.api.errors import ApiError
from signalroom.auth.roles import Scope
from signalroom.journeys.drivers import FAMILIES, OUTCOMES, DriversConfig, DriversError, family_label, find_drivers
from signalroom.journeys.metrics import FILTERS, METRICS, MetricsConfig, MetricsError, compute_metrics
from signalroom.journeys.survey_bias import SurveyBiasConfig, SurveyBiasError, predicted_satisfaction
from signalroom.store import drivers as driver_sql
from signalroom.store import overview_reads
from signalroom.store.outcome_metrics import daily_contacts, observed_until, reason_known, reason_labels
from signalroom.store.signals import ranked_signals
from signalroom.store.survey_bias import InteractionRows
from signalroom.store.warehouse import Store

INTERVALS = ("day", "week")
OVERVIEW_DAYS = 14  # the overview compares the last two weeks of data with the two before
TREND_DAYS = 30
NO_FILTERS = Filters()


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    unit: str  # "count" or "share"
    better: str | None  # "up", "down", or None where neither direction is better

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "unit": self.unit, "better": self.better}


KPIS = (
    Kpi("contacts", "Contacts", "count", None),
    Kpi("repeat_contact_rate", "Repeat rate", "share", "down"),
    Kpi("first_contact_resolution", "First-contact resolution", "share", "up"),
    Kpi("bot_containment_rate", "Containment", "share", "up"),
    Kpi("csat", "CSAT surveyed", "share", "up"),
    Kpi("csat_predicted", "CSAT predicted", "share", "up"),
)
_RATE_KPIS = ("repeat_contact_rate", "first_contact_resolution", "bot_containment_rate", "csat")

# -- errors ----------------------------------------------------------------------------------------


def _api_words(message: str) -> str:
    """The domain layers speak in CLI options (--window-days): the API's names are window_days."""
    return re.sub(r"--([a-z]+(?:-[a-z]+)*)", lambda m: m.group(1).replace("-", "_"), message)


def invalid(message: str, field: str) -> ApiError:
    return ApiError(422, _api_words(message), fields=[{"location": f"query.{field}", "problem": _api_words(message)}])


def _field_of(message: str, fields: Iterable[str]) -> str:
    text = _api_words(message)
    for name in fields:
        if name in text:
            return name
    return "query"


def _rows_only(filters: Filters) -> Filters:
    """The common filters other than the period (a cache key's part where the period is apart)."""
    return replace(filters, date_from=None, date_to=None)


def _filter_field(message: str) -> str | None:
    """The filter a domain error is about: their messages start with its option (``--queue …``)."""
    return next((name for name in FILTERS if message.startswith(f"--{name} ")), None)


def _check_reason(store: Store, filters: Filters) -> None:
    """An unknown reason id is a bad request (422), checked before anything is computed."""
    if filters.reason is None:
        return
    known = cache.cached(store, ("reason_known", filters.reason), lambda: reason_known(store, int(filters.reason or 0)))
    if not known:
        raise invalid(f"--reason {filters.reason} is not a known reason id (see GET /topics)", "reason")


# -- metrics ---------------------------------------------------------------------------------------


def metrics_report(
    store: Store, filters: Filters, *, by: str | None, metrics: list[str] | None, window_days: int, churn_days: int
) -> dict[str, Any]:
    """``signalroom metrics --json`` over the API: every chosen metric, in total and by group, over
    the records that pass the common filters."""
    config = _metrics_config(
        filters, by=by, metrics=tuple(metrics) if metrics else tuple(METRICS), window_days=window_days,
        churn_days=churn_days,
    )  # fmt: skip
    _check_reason(store, filters)
    return cache.cached(store, ("metrics", config), lambda: compute_metrics(store, config).to_dict())


def _metrics_config(
    filters: Filters, *, by: str | None, metrics: tuple[str, ...], window_days: int, churn_days: int
) -> MetricsConfig:
    try:
        return MetricsConfig(
            window_days=window_days, churn_days=churn_days, by=by, date_from=filters.date_from,
            date_to=filters.date_to, metrics=metrics, channel=filters.channel, reason=filters.reason,
            queue=filters.queue, team=filters.team, agent=filters.agent,
        )  # fmt: skip
    except MetricsError as exc:
        message = str(exc)
        field = _filter_field(message) or _field_of(message, ("by", "window_days", "churn_days", "metric", "from"))
        raise invalid(message, field) from exc


# -- KPI trends ------------------------------------------------------------------------------------

Sums = dict[date, dict[str, list[float]]]  # bucket → KPI → [numerator, denominator]


def _bucket(day: date, interval: str) -> date:
    return day - timedelta(days=day.weekday()) if interval == "week" else day


def _kpi_sums(
    store: Store, first: date, last: date, interval: str, window_days: int, churn_days: int, rows: Filters
) -> tuple[Sums, list[str]]:
    """Numerators and denominators of every KPI per day or week: rates add up over buckets, so a
    period's value is its buckets' sums divided (no second query). ``rows``: the common filters,
    applied to every KPI as the metrics apply them (CSAT predicted: to the interactions)."""
    sums: Sums = {}
    period = replace(rows, date_from=first, date_to=last)
    config = _metrics_config(period, by=interval, metrics=_RATE_KPIS, window_days=window_days, churn_days=churn_days)
    report = compute_metrics(store, config)
    flags = list(report.flags)
    for group in report.groups:
        if isinstance(group.key, date):
            for m in group.metrics:
                sums.setdefault(group.key, {})[m.name] = [m.numerator or 0.0, m.denominator or 0.0]
    for day, n in daily_contacts(store, first, last, config.filters):
        count = sums.setdefault(_bucket(day, interval), {}).setdefault("contacts", [0.0, 1.0])
        count[0] += n
    survey_config = SurveyBiasConfig(date_from=first, date_to=last, window_days=window_days)
    try:
        interactions, result, predictions = predicted_satisfaction(store, survey_config)
    except SurveyBiasError as exc:
        flags.append(f"CSAT predicted: {exc}")
        return sums, flags
    if predictions is None:
        flags.append(f"CSAT predicted: {result.message}")
        return sums, flags
    keep = _passes(interactions, rows)
    for day, p, kept in zip(interactions.days, predictions.p_satisfied, keep, strict=True):
        if not kept:
            continue
        cell = sums.setdefault(_bucket(day, interval), {}).setdefault("csat_predicted", [0.0, 0.0])
        cell[0] += float(p)
        cell[1] += 1.0
    return sums, flags


def _passes(rows: InteractionRows, filters: Filters) -> list[bool]:
    """Which of the survey-bias interaction rows pass the common filters (their columns are the
    interaction metrics' own: the episode build's channel, reason, queue, team and agent)."""
    keep = [True] * len(rows)
    for name in FILTERS:
        wanted = getattr(filters, name)
        if wanted is None:
            continue
        if name == "reason":
            values: list[Any] = [None if v != v else int(v) for v in rows.numbers["reason"]]  # NaN: no reason
        else:
            values = list(rows.text[name])
        keep = [k and v == wanted for k, v in zip(keep, values, strict=True)]
    return keep


def _cached_sums(
    store: Store, first: date, last: date, interval: str, window_days: int, churn_days: int,
    rows: Filters = NO_FILTERS,
) -> tuple[Sums, list[str]]:  # fmt: skip
    key = ("kpi_sums", first, last, interval, window_days, churn_days, rows)
    return cache.cached(store, key, lambda: _kpi_sums(store, first, last, interval, window_days, churn_days, rows))


def _value(kpi: Kpi, cells: Iterable[dict[str, list[float]]]) -> float | None:
    num = den = 0.0
    for cell in cells:
        if kpi.name in cell:
            num += cell[kpi.name][0]
            den += cell[kpi.name][1]
    if kpi.unit == "count":
        return num
    return round(num / den, 6) if den else None


def _buckets(first: date, last: date, interval: str) -> list[date]:
    step = 7 if interval == "week" else 1
    day, out = _bucket(first, interval), []
    while day <= last:
        out.append(day)
        day += timedelta(days=step)
    return out


def data_period(store: Store, date_from: date | None, date_to: date | None, days: int) -> tuple[date, date]:
    """The period asked for, filled in from the data: by default the last ``days`` days of it."""
    known = overview_reads.data_days(store)
    if date_to is None:
        date_to = known[1] if known else (observed_until(store) or datetime.now(UTC)).date()
    if date_from is None:
        date_from = date_to - timedelta(days=days - 1)
    if date_from > date_to:
        raise invalid(f"'to' ({date_to}) is before 'from' ({date_from})", "to")
    return date_from, date_to


def kpi_trend(store: Store, filters: Filters, *, interval: str, window_days: int, churn_days: int) -> dict[str, Any]:
    """The overview's KPIs per day or week, and over the whole period, over the records that pass
    the common filters."""
    if interval not in INTERVALS:
        raise invalid(f"interval must be one of {', '.join(INTERVALS)}, not {interval!r}", "interval")
    for name, value in (("window_days", window_days), ("churn_days", churn_days)):
        if value < 1:
            raise invalid(f"{name} must be at least 1, got {value}", name)
    first, last = data_period(store, filters.date_from, filters.date_to, TREND_DAYS)
    rows = _rows_only(filters)
    config = _metrics_config(rows, by=interval, metrics=_RATE_KPIS, window_days=window_days, churn_days=churn_days)
    _check_reason(store, filters)
    sums, flags = _cached_sums(store, first, last, interval, window_days, churn_days, rows)
    points = [
        {"key": key.isoformat(), "values": {k.name: _value(k, [sums.get(key, {})]) for k in KPIS}}
        for key in _buckets(first, last, interval)
    ]
    return {
        "interval": interval,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "window_days": window_days,
        "churn_days": churn_days,
        "filters": config.filters,
        "kpis": [k.to_dict() for k in KPIS],
        "points": points,
        "totals": {k.name: _value(k, sums.values()) for k in KPIS},
        "flags": flags,
    }


# -- the overview page -----------------------------------------------------------------------------


def _change(kpi: Kpi, now: float | None, before: float | None) -> dict[str, Any] | None:
    if now is None or before is None:
        return None
    if kpi.unit == "count":
        if not before:
            return None
        delta, text = (now - before) / before, f"{100 * (now - before) / before:+.1f}%"
    else:
        delta, text = now - before, f"{100 * (now - before):+.1f} pts"
    direction = "flat" if abs(delta) < 1e-9 else ("up" if delta > 0 else "down")
    verdict = None if kpi.better is None or direction == "flat" else ("better" if direction == kpi.better else "worse")
    return {"delta": round(delta, 6), "text": text, "direction": direction, "verdict": verdict}


def _shown(kpi: Kpi, value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if kpi.unit == "count" else f"{100 * value:.1f}%"


def _chart(kpi: Kpi, days: list[date], now: list[float | None], before: list[float | None]) -> dict[str, Any]:
    scale = 1.0 if kpi.unit == "count" else 100.0

    def series(values: list[float | None]) -> list[float | None]:
        return [None if v is None else round(scale * v, 2) for v in values]

    return {
        "type": "line",
        "data": {
            "labels": [d.strftime("%d %b") for d in days],
            "datasets": [
                {"label": "this period", "data": series(now), "borderColor": "#2456d6", "pointRadius": 0,
                 "borderWidth": 2, "spanGaps": True},
                {"label": "previous period", "data": series(before), "borderColor": "#9aa3ae", "pointRadius": 0,
                 "borderWidth": 1, "borderDash": [4, 3], "spanGaps": True},
            ],
        },
        "options": {
            "plugins": {"legend": {"display": False}},
            "scales": {"y": {"ticks": {"maxTicksLimit": 4}}, "x": {"ticks": {"maxTicksLimit": 7}}},
        },
    }  # fmt: skip


def overview(store: Store, *, date_from: date | None, date_to: date | None, window_days: int = 7) -> dict[str, Any]:
    """The KPI cards (this period, the one before of the same length, the change, the daily series)
    and the ranked signals."""
    first, last = data_period(store, date_from, date_to, OVERVIEW_DAYS)
    length = (last - first).days + 1
    before_first = first - timedelta(days=length)
    sums, flags = _cached_sums(store, before_first, last, "day", window_days, 30)
    days = _buckets(first, last, "day")
    before_days = [d - timedelta(days=length) for d in days]
    cards = []
    for kpi in KPIS:
        now = _value(kpi, [sums.get(d, {}) for d in days])
        before = _value(kpi, [sums.get(d, {}) for d in before_days])
        daily = [_value(kpi, [sums[d]]) if kpi.name in sums.get(d, {}) else None for d in days]
        daily_before = [_value(kpi, [sums[d]]) if kpi.name in sums.get(d, {}) else None for d in before_days]
        cards.append({
            **kpi.to_dict(), "value": now, "shown": _shown(kpi, now), "previous": before,
            "previous_shown": _shown(kpi, before), "change": _change(kpi, now, before),
            "chart": _chart(kpi, days, daily, daily_before),
        })  # fmt: skip
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "previous_from": before_first.isoformat(),
        "previous_to": (first - timedelta(days=1)).isoformat(),
        "window_days": window_days,
        "kpis": cards,
        "signals": signal_rows(store),
        "flags": flags,
    }


def signal_rows(store: Store) -> list[dict[str, Any]]:
    """The latest ranked signals with their owners and the status of their newest action."""
    actions: dict[int, dict[str, Any]] = {}
    for listed in list_actions(store):
        if listed.get("signal_id") is not None:
            actions[int(listed["signal_id"])] = listed  # id order: the newest is kept
    rows = []
    for s in ranked_signals(store):
        action = actions.get(int(str(s["signal_id"])))
        rows.append({
            "signal_id": s["signal_id"], "rank": s["rank"], "title": s["title"], "kind": s["kind"],
            "detectors": s["detectors"], "first_detected": str(s["first_detected"]), "support": s["support"],
            "extra_contacts": round(float(str(s["extra_contacts"])) + float(str(s["extra_repeat_contacts"])), 1),
            "owner_function": s["owner_function"], "owner": s["owner"],
            "action": None if action is None else {
                "action_id": action["action_id"], "status": action["status"], "owner": action["owner"],
                "due": action["due"].isoformat() if action.get("due") else None,
            },
        })  # fmt: skip
    return rows


# -- drivers ---------------------------------------------------------------------------------------


def drivers_config(
    filters: Filters, *, outcome: str, families: list[str] | None = None, top: int = 10, min_units: int = 30,
    alpha: float = 0.05, window_days: int = 7, churn_days: int = 30,
) -> DriversConfig:  # fmt: skip
    """The drivers' config from the query: the common filters restrict the population ranked (a
    filtered family — channel, reason, queue, team — is then no candidate). The defaults are the
    API's and the drivers page's, so the page, its drill-down and the warm-up share one cache entry."""
    try:
        return DriversConfig(
            outcome=outcome, families=tuple(families) if families else FAMILIES, top=top, min_units=min_units,
            alpha=alpha, window_days=window_days, churn_days=churn_days, date_from=filters.date_from,
            date_to=filters.date_to, channel=filters.channel, reason=filters.reason, queue=filters.queue,
            team=filters.team, agent=filters.agent,
        )  # fmt: skip
    except DriversError as exc:
        message = str(exc)
        fields = ("outcome", "famil", "top", "min_units", "alpha", "window_days", "churn_days", "from")
        field = _filter_field(message) or _field_of(message, fields).replace("famil", "family")
        raise invalid(message, field) from exc


def driver_key(driver: dict[str, Any]) -> str:
    """A driver's stable key: its family and value (``reason:3+7``, ``queue:billing``)."""
    return f"{driver['family']}:{driver['value']}"


def drivers_report(store: Store, config: DriversConfig) -> dict[str, Any]:
    """``signalroom drivers --json`` over the API, each driver with its key for the drill-down."""
    _check_reason(store, Filters(reason=config.reason))

    def compute() -> dict[str, Any]:
        try:
            report = find_drivers(store, config).to_dict()
        except DriversError as exc:
            raise ApiError(409, str(exc)) from exc
        for driver in report["drivers"]:
            driver["key"] = driver_key(driver)
        return report

    return cache.cached(store, ("drivers", config), compute)


def _condition(outcome: driver_sql.OutcomeSql, key: str, params: driver_sql.OutcomeParams) -> str:
    family_name, sep, value = key.partition(":")
    if not sep or family_name not in FAMILIES or not value:
        raise invalid(f"driver must be FAMILY:VALUE (a driver's key), FAMILY one of {', '.join(FAMILIES)}; "
                      f"got {key!r}", "driver")  # fmt: skip
    families = {f.name: f for f in driver_sql.families(params)}
    unit = "contact" if family_name == "attribute" else families[family_name].unit
    if unit != outcome.unit:
        raise invalid(f"a {family_name} driver does not apply to the {outcome.name} outcome "
                      f"(its units are {outcome.unit}s)", "driver")  # fmt: skip
    if family_name == "reason":
        ids = value.split("+")
        if not all(i.isdigit() for i in ids):
            raise invalid(f"a reason driver's value is reason ids joined by '+', not {value!r}", "driver")
        return f"topic_id IN ({', '.join(str(int(i)) for i in ids)})"
    if family_name == "attribute":
        if " = " not in value:
            raise invalid(f"an attribute driver's value is 'KEY = VALUE', not {value!r}", "driver")
        return driver_sql.candidate_condition(None, value, attribute=True)
    family = families[family_name]
    if family.flags and value not in dict(family.flags):
        known = ", ".join(v for v, _ in family.flags)
        raise invalid(f"a {family_name} driver is one of {known}, not {value!r}", "driver")
    return driver_sql.candidate_condition(family, value)


def driver_label(store: Store, config: DriversConfig, key: str) -> str:
    """The driver's label in the report when the report is at hand (the drivers page or the warm-up
    computed it), else one read from the key itself: the drill-down does not rank drivers to name one."""
    report = cache.peek(store, ("drivers", config))
    if isinstance(report, dict):
        found = next((d["label"] for d in report["drivers"] if d["key"] == key), None)
        if found is not None:
            return str(found)
    family_name, _, value = key.partition(":")
    labels = cache.cached(store, ("reason_labels",), lambda: reason_labels(store))
    if family_name in ("reason", "sub_reason") and value.replace("+", "").isdigit():
        names = [labels.get(int(i), i) for i in value.split("+")]
        more = f" and {len(names) - 3} more related reasons" if len(names) > 3 else ""
        return ", ".join(names[:3]) + more
    return family_label(family_name, value)


def driver_interactions(
    store: Store, scope: Scope, params: PageParams, *, outcome: str, driver: str, date_from: date | None,
    date_to: date | None, window_days: int = 7, churn_days: int = 30, filters: Filters = NO_FILTERS,
) -> dict[str, Any]:  # fmt: skip
    """The interactions behind one driver of one outcome — those with the outcome first — among
    those the user may see (a supervisor's teams', an advisor's own), of the units that pass the
    common ``filters`` (the population the drivers were ranked over)."""
    if outcome not in OUTCOMES:
        raise invalid(f"unknown outcome {outcome!r}: use one of {', '.join(OUTCOMES)}", "outcome")
    if date_from and date_to and date_to < date_from:
        raise invalid(f"'to' ({date_to}) is before 'from' ({date_from})", "to")
    population = _rows_only(filters)
    config = drivers_config(population, outcome=outcome, window_days=window_days, churn_days=churn_days)
    _check_reason(store, population)
    sql_params = driver_sql.OutcomeParams(
        window_days=window_days, churn_days=churn_days, observed_until=observed_until(store)
    )
    outcome_sql = driver_sql.outcomes(sql_params)[outcome]
    in_population = driver_sql.filter_condition(outcome_sql.unit, config.filters)
    condition = f"({_condition(outcome_sql, driver, sql_params)}) AND {in_population}"
    rows, total = overview_reads.driver_rows(
        store, outcome_sql, condition, scope, date_from=date_from, date_to=date_to,
        limit=params.limit, offset=params.offset,
    )  # fmt: skip
    labels = cache.cached(store, ("reason_labels",), lambda: reason_labels(store))
    items = [
        {
            "kind": r.kind,
            "source": r.source,
            "id": r.id,
            "started_at": r.started_at.isoformat(),
            "channel": r.channel,
            "agent_id": r.agent_id,
            "agent_team": r.agent_team,
            "reason_id": r.topic_id,
            "reason": labels.get(r.topic_id) if r.topic_id is not None else None,
            "contact": r.contact,
            "outcome": r.outcome,
        }
        for r in rows
    ]
    return page(items, total, params)
