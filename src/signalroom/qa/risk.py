"""Compliance risk (docs/qa.md#compliance-risk): how often each criterion fails over every scored
interaction, with Wilson 95% intervals; its trend (Cochran–Armitage test); where it concentrates (a
group against the rest of the population, Benjamini–Hochberg across the groups of a criterion); the
failing interactions; and what a small random review sample would have shown of the same thing."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from typing import Any

from scipy import stats

from signalroom.journeys.driver_stats import benjamini_hochberg, two_proportion_p, wilson
from signalroom.store import qa_risk as risk_store
from signalroom.store.warehouse import Store

GROUPINGS = tuple(risk_store.GROUP_COLUMNS)
PERIODS = ("day", "week")
ALPHA = 0.05


class RiskError(ValueError):
    """A bad request: the message names the bad value."""


@dataclass(frozen=True, kw_only=True)
class RiskConfig:
    """What to compute. Validated when made: a bad value is a :class:`RiskError`."""

    scorecard_id: str | None = None
    criterion_id: str | None = None
    by: str | None = "agent"
    trend: str = "week"
    date_from: date | None = None
    date_to: date | None = None
    sample_rate: float = 0.02
    examples: int = 5

    def __post_init__(self) -> None:
        if self.by is not None and self.by not in GROUPINGS:
            raise RiskError(f"--by {self.by!r} is not one of {', '.join(GROUPINGS)}")
        if self.trend not in PERIODS:
            raise RiskError(f"--trend {self.trend!r} is not one of {', '.join(PERIODS)}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise RiskError(f"--from {self.date_from} is after --to {self.date_to}")
        if not (0 < self.sample_rate <= 1) or math.isnan(self.sample_rate):
            raise RiskError(f"--sample-rate {self.sample_rate!r} is not in (0, 1]: e.g. 0.02 for 2%")
        if self.examples < 0:
            raise RiskError(f"--examples {self.examples} is negative")

    def answers(self) -> risk_store.AnswerFilter:
        return risk_store.AnswerFilter(self.scorecard_id, self.criterion_id, self.date_from, self.date_to)


def _ci(failures: int, applicable: int) -> tuple[float, float] | None:
    if applicable <= 0:
        return None
    lo, hi = wilson(failures, applicable)
    return round(lo, 6), round(hi, 6)


def _rate(failures: int, applicable: int) -> float | None:
    return round(failures / applicable, 6) if applicable > 0 else None


@dataclass(frozen=True)
class TrendPoint:
    period: date  # the day, or the Monday of the ISO week
    applicable: int
    failures: int
    prevalence: float | None
    prevalence_ci: tuple[float, float] | None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "prevalence_ci": list(self.prevalence_ci) if self.prevalence_ci else None}


@dataclass(frozen=True)
class Trend:
    period: str
    points: tuple[TrendPoint, ...]
    test: str
    slope: float | None  # change in prevalence per period (least squares weighted by answers)
    p_value: float | None
    direction: str  # rising | falling | flat | untested

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "points": [p.to_dict() for p in self.points]}


def cochran_armitage(applicable: list[int], failures: list[int]) -> tuple[float | None, float | None]:
    """Slope of the prevalence per period and the two-sided p-value of the Cochran–Armitage test for
    trend (scores 0, 1, 2…): the score test of a logistic slope, with no model to fit."""
    n_total, f_total = sum(applicable), sum(failures)
    used = [k for k, n in enumerate(applicable) if n > 0]
    if len(used) < 2 or n_total == 0:
        return None, None
    mean_score = sum(k * applicable[k] for k in used) / n_total
    sxx = sum(applicable[k] * (k - mean_score) ** 2 for k in used)
    p = f_total / n_total
    slope = sum((k - mean_score) * (failures[k] - applicable[k] * p) for k in used) / sxx
    variance = p * (1 - p) * sxx
    if variance <= 0:
        return round(slope, 6), 1.0
    z = sum(k * (failures[k] - applicable[k] * p) for k in used) / math.sqrt(variance)
    return round(slope, 6), float(2 * stats.norm.sf(abs(z)))


def _trend(days: list[tuple[date, int, int]], period: str) -> Trend:
    buckets: dict[date, list[int]] = {}
    for day, n, f in days:
        start = day - timedelta(days=day.weekday()) if period == "week" else day
        bucket = buckets.setdefault(start, [0, 0])
        bucket[0] += n
        bucket[1] += f
    if buckets:
        step = timedelta(days=7 if period == "week" else 1)
        first, last = min(buckets), max(buckets)
        # Empty periods stay in the series so the scores are evenly spaced in time.
        while first <= last:
            buckets.setdefault(first, [0, 0])
            first += step
    starts = sorted(buckets)
    points = tuple(TrendPoint(s, n, f, _rate(f, n), _ci(f, n)) for s in starts for n, f in [buckets[s]])
    slope, p = cochran_armitage([buckets[s][0] for s in starts], [buckets[s][1] for s in starts])
    if p is None or slope is None:
        direction = "untested"
    elif p >= ALPHA:
        direction = "flat"
    else:
        direction = "rising" if slope > 0 else "falling"
    return Trend(period, points, "Cochran–Armitage test for trend", slope, p, direction)


def sample_size(population: int, rate: float) -> int:
    """A review of ``rate`` of the population, at least one interaction when there are any."""
    if population <= 0:
        return 0
    # Rounded first so 2% of 350 is 7, not ceil(7.000000000000001) = 8.
    return min(population, max(1, math.ceil(round(rate * population, 9))))


def p_catch_any(population: int, failures: int, size: int) -> float:
    """Chance a simple random sample of ``size`` contains at least one of ``failures``: 1 − hypergeom(0)."""
    if failures <= 0 or size <= 0:
        return 0.0
    return float(stats.hypergeom.sf(0, population, failures, size))


@dataclass(frozen=True)
class GroupRow:
    key: str | None  # None: interactions without an agent (team, queue)
    applicable: int
    failures: int
    prevalence: float | None
    prevalence_ci: tuple[float, float] | None
    rest_prevalence: float | None  # everyone else in the criterion's population
    p_value: float
    q_value: float
    above_rest: bool  # significantly higher than the rest (q < 0.05)
    sample_expected: float  # this group's failures a review sample would show, on average
    sample_p_any: float  # the chance a review sample shows any of them
    examples: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["prevalence_ci"] = list(self.prevalence_ci) if self.prevalence_ci else None
        d["examples"] = list(self.examples)
        return d


@dataclass(frozen=True)
class SampleComparison:
    rate: float
    size: int  # interactions a review of ``rate`` of the applicable ones would read
    expected_failures: float
    p_any: float  # chance of seeing at least one failure
    ci: tuple[float, float] | None  # the interval such a sample gives, at the true prevalence
    ci_width: float | None
    full_ci_width: float | None  # the interval width over every interaction
    missed: tuple[str, ...]  # groups above the rest that the sample would more likely than not miss
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ci": list(self.ci) if self.ci else None, "missed": list(self.missed)}


@dataclass(frozen=True)
class CriterionRisk:
    scorecard_id: str
    criterion_id: str
    applicable: int
    failures: int
    not_applicable: int
    prevalence: float | None
    prevalence_ci: tuple[float, float] | None
    trend: Trend
    breakdown: tuple[GroupRow, ...]
    sample: SampleComparison
    examples: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["prevalence_ci"] = list(self.prevalence_ci) if self.prevalence_ci else None
        d["trend"] = self.trend.to_dict()
        d["breakdown"] = [g.to_dict() for g in self.breakdown]
        d["sample"] = self.sample.to_dict()
        d["examples"] = list(self.examples)
        return d


@dataclass(frozen=True)
class RiskReport:
    config: RiskConfig
    criteria: tuple[CriterionRisk, ...]

    def within(self, *, group: Callable[[str | None], bool], interaction: Callable[[str], bool]) -> RiskReport:
        """The report as someone who may see only some groups (a supervisor's agents or teams) and some
        interactions sees it: the whole population's figures stay, the breakdown keeps the groups
        ``group`` accepts, the examples those ``interaction`` accepts, and what the review sample
        would miss names only the groups kept."""
        criteria = []
        for c in self.criteria:
            kept = [
                replace(g, examples=tuple(e for e in g.examples if interaction(e))) for g in c.breakdown if group(g.key)
            ]
            sample = _sample(c.applicable, c.failures, self.config.sample_rate, kept, self.config.by)
            examples = tuple(e for e in c.examples if interaction(e))
            criteria.append(replace(c, breakdown=tuple(kept), sample=sample, examples=examples))
        return replace(self, criteria=tuple(criteria))

    def to_dict(self) -> dict[str, Any]:
        c = self.config
        return {
            "scorecard": c.scorecard_id, "criterion": c.criterion_id, "by": c.by, "trend": c.trend,
            "from": c.date_from, "to": c.date_to, "sample_rate": c.sample_rate, "alpha": ALPHA,
            "criteria": [r.to_dict() for r in self.criteria],
        }  # fmt: skip


def _breakdown(groups: list[tuple[str | None, int, int]], applicable: int, failures: int, size: int) -> list[GroupRow]:
    p_values = [two_proportion_p(f, n, failures - f, applicable - n) for _, n, f in groups]
    rows = []
    for (key, n, f), p, q in zip(groups, p_values, benjamini_hochberg(p_values), strict=True):
        rest = _rate(failures - f, applicable - n)
        rate = _rate(f, n)
        above = q < ALPHA and rate is not None and (rest is None or rate > rest)
        expected = round(size * f / applicable, 4) if applicable else 0.0
        rows.append(GroupRow(key, n, f, rate, _ci(f, n), rest, p, q, above, expected,
                             round(p_catch_any(applicable, f, size), 6)))  # fmt: skip
    return sorted(rows, key=lambda g: (-g.failures, -(g.prevalence or 0.0), g.key or ""))


def _number(x: float) -> str:
    return f"{x:.1f}" if x < 10 else f"{x:,.0f}"


def _sample(applicable: int, failures: int, rate: float, breakdown: list[GroupRow], by: str | None) -> SampleComparison:
    size = sample_size(applicable, rate)
    expected = round(size * failures / applicable, 4) if applicable else 0.0
    p_any = round(p_catch_any(applicable, failures, size), 6)
    prevalence = failures / applicable if applicable else None
    ci = None if prevalence is None else wilson(prevalence * size, size)
    full = None if prevalence is None else wilson(failures, applicable)
    # Missed: the review more likely than not holds none of the group's failures.
    missed = [g for g in breakdown if g.above_rest and g.sample_p_any < 0.5]
    share = f"{100 * rate:g}%"
    if not applicable:
        text = "nothing applicable to review"
    elif not failures:
        text = f"no failures among {applicable:,}: a {share} review ({size:,}) would show none either"
    else:
        text = (
            f"a {share} review ({size:,} of {applicable:,}) would have seen {_number(expected)} of these "
            f"{failures:,} failures; {100 * p_any:.0f}% chance of seeing any"
        )
        if missed and by:
            names = ", ".join(f"{by} {g.key or '(none)'}'s ({100 * g.sample_p_any:.0f}% chance)" for g in missed)
            text += f"; it would most likely not have shown {names}"
    return SampleComparison(
        rate=rate, size=size, expected_failures=expected, p_any=p_any,
        ci=(round(ci[0], 6), round(ci[1], 6)) if ci else None,
        ci_width=round(ci[1] - ci[0], 6) if ci else None,
        full_ci_width=round(full[1] - full[0], 6) if full else None,
        missed=tuple(g.key or "(none)" for g in missed), text=text,
    )  # fmt: skip


def check_known(store: Store, config: RiskConfig) -> None:
    """An unknown scorecard or criterion id is an error naming it and what is known."""
    known = risk_store.known_criteria(store)
    if config.scorecard_id is not None and config.scorecard_id not in known:
        raise RiskError(f"unknown scorecard {config.scorecard_id!r}: known are {', '.join(sorted(known)) or 'none'}")
    if config.criterion_id is not None:
        cards = [config.scorecard_id] if config.scorecard_id is not None else list(known)
        ids = sorted({c for card in cards for c in known[card]})
        if config.criterion_id not in ids:
            where = f" in scorecard {config.scorecard_id!r}" if config.scorecard_id else ""
            raise RiskError(f"unknown criterion {config.criterion_id!r}{where}: known are {', '.join(ids) or 'none'}")


def compliance_risk(store: Store, config: RiskConfig) -> RiskReport:
    check_known(store, config)
    answers = config.answers()
    days: dict[tuple[str, str], list[tuple[date, int, int]]] = {}
    for counts, day in risk_store.daily_counts(store, answers):
        days.setdefault((counts.scorecard_id, counts.criterion_id), []).append(
            (day, counts.applicable, counts.failures)
        )
    groups: dict[tuple[str, str], list[tuple[str | None, int, int]]] = {}
    if config.by is not None:
        for counts, key in risk_store.group_counts(store, answers, config.by):
            if counts.applicable:
                groups.setdefault((counts.scorecard_id, counts.criterion_id), []).append(
                    (key, counts.applicable, counts.failures)
                )
    found = []
    for c in risk_store.criterion_counts(store, answers):
        one = risk_store.AnswerFilter(c.scorecard_id, c.criterion_id, config.date_from, config.date_to)
        size = sample_size(c.applicable, config.sample_rate)
        breakdown = _breakdown(groups.get((c.scorecard_id, c.criterion_id), []), c.applicable, c.failures, size)
        if config.examples and config.by is not None:
            breakdown = [
                replace(g, examples=tuple(
                    risk_store.failing_interactions(store, one, config.examples, by=config.by, group=g.key)
                )) if g.above_rest else g
                for g in breakdown
            ]  # fmt: skip
        found.append(
            CriterionRisk(
                scorecard_id=c.scorecard_id, criterion_id=c.criterion_id, applicable=c.applicable,
                failures=c.failures, not_applicable=c.not_applicable, prevalence=_rate(c.failures, c.applicable),
                prevalence_ci=_ci(c.failures, c.applicable),
                trend=_trend(days.get((c.scorecard_id, c.criterion_id), []), config.trend),
                breakdown=tuple(breakdown),
                sample=_sample(c.applicable, c.failures, config.sample_rate, breakdown, config.by),
                examples=tuple(risk_store.failing_interactions(store, one, config.examples))
                if config.examples and c.failures else (),
            )
        )  # fmt: skip
    return RiskReport(config, tuple(sorted(found, key=lambda r: (-r.failures, r.scorecard_id, r.criterion_id))))
