"""Rising reasons in the warehouse (docs/signals.md): daily contacts per customer need — the groups
of related discovered reasons the next-issue model also uses, so one need said several ways rises as
one — tested day by day against their usual share (``signalroom.signals.volume``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from signalroom.journeys.reason_groups import reason_tree
from signalroom.signals.volume import Rise, VolumeConfig, backtest
from signalroom.store import episodes as episode_store
from signalroom.store import signals as signal_store
from signalroom.store.outcome_metrics import reason_labels
from signalroom.store.warehouse import Store


class SignalsError(ValueError):
    pass


@dataclass(frozen=True)
class RisingNeed:
    need: int
    label: str
    reasons: list[int]
    first_detected: date
    days_detected: int
    rise: Rise  # the strongest day
    extra_contacts: float  # observed − expected on the days detected
    cost: float | None
    series: list[dict[str, Any]]  # the need's daily contacts and share up to the day checked
    examples: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "need": self.need, "label": self.label, "reasons": self.reasons,
            "first_detected": self.first_detected.isoformat(), "days_detected": self.days_detected,
            "strongest": self.rise.to_dict(), "extra_contacts": round(self.extra_contacts, 1),
            "cost": None if self.cost is None else round(self.cost, 2), "series": self.series,
            "examples": self.examples,
        }  # fmt: skip


@dataclass(frozen=True)
class _Daily:
    counts: Counter[tuple[int, date]]
    totals: Counter[date]
    members: dict[int, list[int]]
    labels: dict[int, str]


def _daily(store: Store) -> _Daily:
    if episode_store.last_build(store) is None:
        raise SignalsError("episodes were never built: run `signalroom analyze` (or `signalroom episodes build`)")
    tree = reason_tree(store)
    needs = tree.groups() if tree else {}
    labels = reason_labels(store)
    counts: Counter[tuple[int, date]] = Counter()
    totals: Counter[date] = Counter()
    members: dict[int, list[int]] = {}
    for topic, day, n in signal_store.daily_reason_counts(store):
        totals[day] += n
        if topic is not None:
            need = needs.get(topic, topic)
            counts[(need, day)] += n
            if topic not in members.setdefault(need, []):
                members[need].append(topic)
    names = {
        need: tree.label(sorted(reasons)) if tree else labels.get(need, str(need)) for need, reasons in members.items()
    }
    return _Daily(counts, totals, members, names)


def detect(
    store: Store,
    *,
    as_of: date | None = None,
    since: date | None = None,
    config: VolumeConfig | None = None,
    cost_per_contact: float | None = None,
) -> tuple[date, date, list[RisingNeed]]:
    """Every need detected rising on a day from ``since`` (default: ``as_of``) to ``as_of`` (default:
    the last day with contacts), each day judged only on the days before it."""
    daily = _daily(store)
    if not daily.totals:
        raise SignalsError("no contacts to look at")
    days = sorted(daily.totals)
    end = as_of or days[-1]
    start = since or end
    if start > end:
        raise SignalsError(f"--backtest starts {start} after it ends {end}")
    out = []
    for found in backtest(daily.counts, daily.totals, start, end, config):
        extra = sum(r.observed - r.expected for r in found.rises)
        series = [
            {"day": d.isoformat(), "contacts": daily.counts.get((found.reason, d), 0), "all": daily.totals.get(d, 0)}
            for d in _days(max(days[0], found.first_detected - timedelta(days=14)), end)
        ]
        members = sorted(daily.members.get(found.reason, [found.reason]))
        examples = signal_store.contact_examples(store, members, found.strongest.day)
        out.append(
            RisingNeed(found.reason, daily.labels.get(found.reason, str(found.reason)), members,
                       found.first_detected, found.days_detected, found.strongest, extra,
                       None if cost_per_contact is None else extra * cost_per_contact, series, examples)
        )  # fmt: skip
    return start, end, out


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
