"""Outcome metrics: repeat contact, first-contact resolution, next issue, transfers, handle time,
surveys, bot containment, self-service failure, churn (docs/metrics.md#outcome-metrics).

A :class:`MetricsConfig` says what to compute (window, grouping, period); the store counts each
metric's numerator and denominator in set-based SQL over the contacts and episodes
(``signalroom.store.outcome_metrics``); :func:`metric_value` turns them into the value — a pure
calculation. A value the data cannot support is ``None``, never estimated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from signalroom.store import episodes as episode_store
from signalroom.store import outcome_metrics as om
from signalroom.store.warehouse import Store

DEFINITIONS = "docs/metrics.md#outcome-metrics"
GROUPINGS = om.GROUPINGS
METRICS = om.METRICS


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
            "window_days": c.window_days,
            "churn_days": c.churn_days,
            "observed_until": self.observed_until.isoformat() if self.observed_until else None,
            "metrics": [m.to_dict() for m in self.total],
            "groups": [g.to_dict() for g in self.groups],
            "definitions": {name: METRICS[name].to_dict() for name in c.metrics} | {"docs": DEFINITIONS},
            "flags": list(self.flags),
        }


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
    """Every chosen metric, in total and by ``config.by``, from the last episode build."""
    flags: list[str] = []
    build = episode_store.last_build(store)
    if build is None:
        flags.append("episodes were never built: contact metrics are empty (run `signalroom episodes build`)")
    elif not episode_store.build_is_current(store, build):
        flags.append("episodes were built before the latest load or reason assignment: run `signalroom episodes build`")
    until = om.observed_until(store)
    raw = om.run_metrics(
        store, config.metrics, config.params(until), by=config.by, date_from=config.date_from, date_to=config.date_to
    )
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
    for value in total:
        if value.value is None:
            flags.append(f"{value.name}: nothing to measure ({_why_empty(value.name, config)})")
    return MetricsReport(config, until, total, groups, tuple(flags))


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
