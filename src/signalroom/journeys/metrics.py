"""Outcome metrics: repeat contact, first-contact resolution, next issue, transfers, handle time,
surveys, bot containment, self-service failure, churn (docs/metrics.md#outcome-metrics).

A :class:`MetricsConfig` says what to compute (window, grouping, period, filters); the store counts each
metric's numerator and denominator in set-based SQL over the contacts and episodes
(``signalroom.store.outcome_metrics``); :func:`metric_value` turns them into the value — a pure
calculation. A value the data cannot support is ``None``, never estimated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from signalroom.interchange.models import CHANNELS, EventChannel
from signalroom.store import episodes as episode_store
from signalroom.store import outcome_metrics as om
from signalroom.store.warehouse import Store

DEFINITIONS = "docs/metrics.md#outcome-metrics"
GROUPINGS = om.GROUPINGS
METRICS = om.METRICS
FILTERS = om.FILTERS
# Interactions and self-service events: a channel filter names one of these.
EVENT_CHANNELS: tuple[str, ...] = EventChannel.__args__  # type: ignore[attr-defined]
ALL_CHANNELS = tuple(dict.fromkeys((*CHANNELS, *EVENT_CHANNELS)))


class MetricsError(ValueError):
    pass


@dataclass(frozen=True)
class MetricsConfig:
    """What to compute. Validated when made: a bad value is a :class:`MetricsError`."""

    window_days: int = 7
    churn_days: int = 30
    by: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    metrics: tuple[str, ...] = tuple(METRICS)
    # The common filters (docs/metrics.md#filters): the contacts, interactions, surveys and events
    # measured are those whose column of the grouping of the same name has this value.
    channel: str | None = None
    reason: int | None = None
    queue: str | None = None
    team: str | None = None
    agent: str | None = None

    def __post_init__(self) -> None:
        if self.by is not None and self.by not in GROUPINGS:
            raise MetricsError(f"cannot group by {self.by!r}: use one of {', '.join(GROUPINGS)}")
        if self.window_days < 1:
            raise MetricsError(f"--window-days must be at least 1, got {self.window_days}")
        if self.churn_days < 1:
            raise MetricsError(f"--churn-days must be at least 1, got {self.churn_days}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise MetricsError(f"--from {self.date_from} is after --to {self.date_to}")
        unknown = [m for m in self.metrics if m not in METRICS]
        if unknown:
            raise MetricsError(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(METRICS)}")
        check_filters(self.filters, MetricsError)

    @property
    def filters(self) -> dict[str, str | int | None]:
        """Every filter, None where not set."""
        return {name: getattr(self, name) for name in FILTERS}

    def params(self, observed_until: datetime | None) -> om.MetricParams:
        return om.MetricParams(
            window_days=self.window_days,
            churn_days=self.churn_days,
            observed_until=observed_until,
        )


@dataclass(frozen=True)
class MetricValue:
    name: str
    value: float | None
    numerator: float | None
    denominator: float | None
    unit: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class MetricGroup:
    group: str
    key: Any  # the group's value: a channel, a reason id, a date…
    metrics: tuple[MetricValue, ...]

    def to_dict(self) -> dict[str, Any]:
        key = self.key.isoformat() if isinstance(self.key, date) else self.key
        return {"group": self.group, "key": key, "metrics": [m.to_dict() for m in self.metrics]}


@dataclass(frozen=True)
class MetricsReport:
    config: MetricsConfig
    observed_until: datetime | None
    total: tuple[MetricValue, ...]
    groups: tuple[MetricGroup, ...] = ()
    flags: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        c = self.config
        return {
            "by": c.by,
            "from": c.date_from.isoformat() if c.date_from else None,
            "to": c.date_to.isoformat() if c.date_to else None,
            "filters": c.filters,
            "window_days": c.window_days,
            "churn_days": c.churn_days,
            "observed_until": self.observed_until.isoformat() if self.observed_until else None,
            "metrics": [m.to_dict() for m in self.total],
            "groups": [g.to_dict() for g in self.groups],
            "definitions": {name: METRICS[name].to_dict() for name in c.metrics} | {"docs": DEFINITIONS},
            "flags": list(self.flags),
        }


def check_filters(
    filters: dict[str, str | int | None], error: type[ValueError], channels: tuple[str, ...] = ALL_CHANNELS
) -> None:
    """Refuse filter values that can name nothing (a channel no record can have, an empty name),
    with an ``error`` whose message starts with the filter's option."""
    for name in ("queue", "team", "agent"):
        value = filters.get(name)
        if value is not None and not str(value).strip():
            raise error(f"--{name} must not be empty")
    channel = filters.get("channel")
    if channel is not None and channel not in channels:
        raise error(f"--channel {channel!r} is not a channel: use one of {', '.join(channels)}")
    reason = filters.get("reason")
    if reason is not None and (isinstance(reason, bool) or not isinstance(reason, int) or reason < 0):
        raise error(f"--reason must be a reason id (a whole number, 0 or more), got {reason!r}")


def check_reason(store: Store, reason: int | None, error: type[ValueError]) -> None:
    """Refuse a reason id that no model, taxonomy or assignment knows."""
    if reason is not None and not om.reason_known(store, reason):
        raise error(f"--reason {reason} is not a known reason id (see `signalroom topics`)")


def metric_value(kind: str, numerator: float | None, denominator: float | None) -> float | None:
    """The value from the counts: None without a denominator (nothing to measure)."""
    if numerator is None or not denominator:
        return None
    value = numerator / denominator
    if kind in ("percent", "score"):
        value *= 100
    return round(value, 6)


def _value(raw: om.RawValue) -> MetricValue:
    d = METRICS[raw.metric]
    num, den = raw.numerator or 0.0, raw.denominator or 0.0  # a sum over nothing is NULL in SQL
    return MetricValue(d.name, metric_value(d.kind, num, den), num, den, d.unit_label)


def compute_metrics(store: Store, config: MetricsConfig) -> MetricsReport:
    """Every chosen metric, in total and by ``config.by``, from the last episode build, over the
    records that pass the config's filters."""
    check_reason(store, config.reason, MetricsError)
    flags: list[str] = []
    build = episode_store.last_build(store)
    if build is None:
        flags.append("episodes were never built: contact metrics are empty (run `signalroom episodes build`)")
    elif not episode_store.build_is_current(store, build):
        flags.append("episodes were built before the latest load or reason assignment: run `signalroom episodes build`")
    until = om.observed_until(store)
    raw = om.run_metrics(
        store, config.metrics, config.params(until), by=config.by, date_from=config.date_from,
        date_to=config.date_to, filters=config.filters,
    )  # fmt: skip
    totals = {r.metric: _value(r) for r in raw if r.is_total}
    total = tuple(totals[name] for name in config.metrics)
    groups: tuple[MetricGroup, ...] = ()
    if config.by is not None:
        labels = om.reason_labels(store) if config.by == "reason" else {}
        keyed: dict[Any, list[MetricValue]] = {}
        for r in raw:
            if not r.is_total:
                keyed.setdefault(r.group, []).append(_value(r))
        order = {name: i for i, name in enumerate(config.metrics)}
        groups = tuple(
            MetricGroup(
                labels.get(key, str(key)) if config.by == "reason" and key is not None else _label(key),
                key,
                tuple(sorted(values, key=lambda v: order[v.name])),
            )
            for key, values in sorted(keyed.items(), key=lambda kv: (kv[0] is None, str(kv[0])))
        )
        skipped = [n for n in config.metrics if config.by not in om.UNIT_GROUPINGS[METRICS[n].unit]]
        if skipped:
            flags.append(
                f"not broken down by {config.by} (self-service events have no {config.by}): {', '.join(skipped)}"
            )
    unfiltered = _cannot_filter(config)
    for dimension, names in unfiltered.items():
        flags.append(
            f"nothing to measure with the {dimension} filter (self-service events have no {dimension}): "
            f"{', '.join(names)}"
        )
    for value in total:
        if value.value is None and not any(value.name in names for names in unfiltered.values()):
            flags.append(f"{value.name}: nothing to measure ({_why_empty(value.name, config)})")
    return MetricsReport(config, until, total, groups, tuple(flags))


def _cannot_filter(config: MetricsConfig) -> dict[str, list[str]]:
    """The chosen metrics whose unit has no column for a set filter, by filter."""
    out: dict[str, list[str]] = {}
    for dimension, value in config.filters.items():
        if value is None:
            continue
        names = [n for n in config.metrics if dimension not in om.UNIT_GROUPINGS[METRICS[n].unit]]
        if names:
            out[dimension] = names
    return out


def _label(key: Any) -> str:
    if key is None:
        return "(none)"
    return key.isoformat() if isinstance(key, date) else str(key)


def _why_empty(name: str, config: MetricsConfig) -> str:
    d = METRICS[name]
    if d.unit == "contact" and name in ("same_reason_repeat_rate", "first_contact_resolution", "next_issue_rate"):
        return "no contact with a reason and a person whose window has ended; run `signalroom analyze`"
    if d.unit == "contact":
        return "no contact with a person whose window has ended in the period"
    if d.unit == "survey":
        return "no survey answer on this scale in the period"
    if d.unit == "event":
        return "no failed self-service event with a person whose 24 h have ended"
    return "no interaction measured for it in the period (conversation metrics come from `signalroom analyze`)"
