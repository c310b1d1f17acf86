"""The volume detector over the warehouse (docs/signals.md#rising-needs): daily inbound contacts per
customer need, tested day by day against the need's usual share (``signalroom.signals.volume``)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from signalroom.signals.model import Finding
from signalroom.signals.needs import Needs
from signalroom.signals.volume import VolumeConfig, backtest
from signalroom.store import signals as signal_store
from signalroom.store.warehouse import Store

SERIES_DAYS = 14  # of the series before a signal was first detected


def daily_totals(store: Store) -> Counter[date]:
    """Inbound contacts per local day."""
    totals: Counter[date] = Counter()
    for _, day, n in signal_store.daily_reason_counts(store):
        totals[day] += n
    return totals


def volume_findings(
    store: Store, needs: Needs, *, start: date, end: date, config: VolumeConfig | None = None
) -> list[Finding]:
    """Every need detected rising on a day from ``start`` to ``end``, each day judged only on the
    days before it."""
    counts: Counter[tuple[int, date]] = Counter()
    totals: Counter[date] = Counter()
    for topic, day, n in signal_store.daily_reason_counts(store):
        totals[day] += n
        need = needs.need(topic)
        if need is not None:
            counts[(need, day)] += n
    if not totals:
        return []
    first_day = min(totals)
    out = []
    for found in backtest(counts, totals, start, end, config):
        members = needs.reasons(found.reason)
        days = [r.day for r in found.rises]
        contacts, people = signal_store.contact_people(store, members, days)
        strongest = found.strongest
        series = [
            {"day": d.isoformat(), "contacts": counts.get((found.reason, d), 0), "all": totals.get(d, 0)}
            for d in _days(max(first_day, found.first_detected - timedelta(days=SERIES_DAYS)), end)
        ]
        out.append(
            Finding(
                detector="volume", subject=needs.label(found.reason), need=found.reason, reasons=tuple(members),
                first_detected=found.first_detected, last_detected=found.rises[-1].day,
                days_detected=found.days_detected, p_value=strongest.p_value, measure=strongest.to_dict(),
                series=series, evidence=signal_store.contact_examples(store, members, strongest.day, limit=5),
                customers=people, support=contacts,
                extra_contacts=round(sum(r.observed - r.expected for r in found.rises), 1),
            )
        )  # fmt: skip
    return out


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
