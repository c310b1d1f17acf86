"""The impact of a done action (docs/actions.md#impact): its driving rate in the days before it was
done against the days after, with Wilson intervals, Fisher's exact test and the daily series.

The before window ends where the action was done, not where it was created: an action is created
when its signal is first detected, so the days before creation are mostly from before the problem
began — comparing against them asks "back to normal?", not "did the rate fall?". The done day
itself is in neither window: part of it was before the change and part after."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from scipy.stats import binomtest, fisher_exact

from signalroom.store import actions as action_store
from signalroom.store.warehouse import Store

RATE_DEFINITIONS = {
    "share": "contacts about the reasons / all inbound contacts",
    "repeat_rate": (
        f"contacts about the reasons whose customer comes back about the same reason within "
        f"{action_store.REPEAT_WINDOW_DAYS} days / contacts about the reasons with a known customer"
    ),
    "negative_sentiment": "contacts about the reasons ending negative / those with an analysed end",
    "transfer_rate": "contacts about the reasons transferred or escalated / contacts about the reasons",
}


@dataclass(frozen=True)
class DailyRate:
    day: date
    events: int  # contacts with the outcome the rate counts (for the share: about the reasons)
    contacts: int  # the contacts it is a share of

    @property
    def rate(self) -> float | None:
        return self.events / self.contacts if self.contacts else None


@dataclass(frozen=True, kw_only=True)
class ImpactConfig:
    before_days: int = 14
    after_days: int = 28  # at most; fewer when the data end sooner
    min_after_days: int = 7  # a whole week, so the weekdays are all in it
    min_after_contacts: int = 30
    alpha: float = 0.05

    def __post_init__(self) -> None:
        if self.before_days < 1 or self.after_days < 1:
            raise ValueError(f"impact windows need at least a day: before {self.before_days}, after {self.after_days}")
        if not 1 <= self.min_after_days <= self.after_days:
            raise ValueError(f"min_after_days must be between 1 and after_days ({self.after_days})")
        if self.min_after_contacts < 1:
            raise ValueError("min_after_contacts must be at least 1")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, got {self.alpha}")


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    days: int  # calendar days in the window
    events: int
    contacts: int
    rate: float | None
    ci_low: float | None  # 95% Wilson score interval
    ci_high: float | None


@dataclass(frozen=True)
class Impact:
    done: date
    before: Period
    after: Period | None  # None: no day after done yet
    relative_change: float | None  # (after − before) / before
    p_fell: float | None  # one-sided: the rate after is lower
    p_rose: float | None
    p_two_sided: float | None
    verdict: str  # fell | no significant change | rose | too early: … | no baseline: …
    series: list[dict[str, Any]]  # {"day", "period": before|done|after, "events", "contacts", "rate"}

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["done"] = self.done.isoformat()
        for name in ("before", "after"):
            if out[name] is not None:
                out[name]["first"] = out[name]["first"].isoformat()
                out[name]["last"] = out[name]["last"].isoformat()
        return out


def _period(daily: list[DailyRate], first: date, last: date) -> Period:
    inside = [d for d in daily if first <= d.day <= last]
    events, contacts = sum(d.events for d in inside), sum(d.contacts for d in inside)
    low = high = rate = None
    if contacts:
        rate = events / contacts
        ci = binomtest(events, contacts).proportion_ci(confidence_level=0.95, method="wilson")
        low, high = float(ci.low), float(ci.high)
    return Period(first, last, (last - first).days + 1, events, contacts, rate, low, high)


def measure_impact(daily: list[DailyRate], done: date, config: ImpactConfig | None = None) -> Impact:
    """The rate in the ``before_days`` before ``done`` against the days after it, up to
    ``after_days`` or the last day of ``daily`` (the last day with contacts)."""
    config = config or ImpactConfig()
    before = _period(daily, done - timedelta(days=config.before_days), done - timedelta(days=1))
    last_day = max((d.day for d in daily), default=done)
    after_last = min(done + timedelta(days=config.after_days), last_day)
    after = _period(daily, done + timedelta(days=1), after_last) if after_last > done else None
    series = [
        {"day": d.day.isoformat(), "period": "before" if d.day < done else "done" if d.day == done else "after",
         "events": d.events, "contacts": d.contacts, "rate": d.rate}
        for d in daily if before.first <= d.day <= after_last
    ]  # fmt: skip

    relative = p_fell = p_rose = p_two = None
    if after is not None and before.contacts and after.contacts:
        assert before.rate is not None and after.rate is not None
        relative = (after.rate - before.rate) / before.rate if before.rate else None
        table = [[before.events, before.contacts - before.events], [after.events, after.contacts - after.events]]
        # 'greater': the odds of the outcome are higher before than after — the rate fell.
        p_fell = float(fisher_exact(table, alternative="greater").pvalue)
        p_rose = float(fisher_exact(table, alternative="less").pvalue)
        p_two = float(fisher_exact(table, alternative="two-sided").pvalue)

    after_days = after.days if after else 0
    after_contacts = after.contacts if after else 0
    if after_days < config.min_after_days:
        verdict = f"too early: {after_days} of at least {config.min_after_days} days after done"
    elif after_contacts < config.min_after_contacts:
        verdict = f"too early: {after_contacts} of at least {config.min_after_contacts} contacts after done"
    elif not before.contacts:
        verdict = f"no baseline: no contacts in the {config.before_days} days before done"
    elif p_fell is not None and p_fell < config.alpha:
        verdict = "fell"
    elif p_rose is not None and p_rose < config.alpha:
        verdict = "rose"
    else:
        verdict = "no significant change"
    return Impact(done, before, after, relative, p_fell, p_rose, p_two, verdict, series)


def done_day(done_at: datetime) -> date:
    """The day an action was done, in UTC (the warehouse's clock)."""
    return done_at.date() if done_at.tzinfo is None else done_at.astimezone(UTC).date()


def impact_of(store: Store, action: dict[str, Any], config: ImpactConfig | None = None) -> Impact | None:
    """The impact of a stored action once done (None before that)."""
    if action["done_at"] is None or action["status"] not in ("done", "verified"):
        return None
    measure = action["measure"]
    rows = action_store.daily_rates(store, list(measure["reasons"]), measure["rate"])
    daily = [DailyRate(day, events, contacts) for day, events, contacts in rows]
    return measure_impact(daily, done_day(action["done_at"]), config)
