"""`signalroom qa risk`: how often each criterion fails over every interaction, where, whether it is
changing, and what a small review sample would have shown of it (docs/qa.md#compliance-risk)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from signalroom.cli.common import (
    DbOption,
    FromOption,
    JsonOption,
    ToOption,
    console,
    emit_json,
    fail,
    open_store,
    parse_day,
)
from signalroom.qa.risk import (
    GROUPINGS,
    PERIODS,
    CriterionRisk,
    RiskConfig,
    RiskError,
    RiskReport,
    compliance_risk,
)

# Beyond these, the text shows only the groups flagged above the rest (--json has every one).
_TOP_GROUPS = 10


def risk_command(
    scorecard: Annotated[
        str | None, typer.Option("--scorecard", help="Only this scorecard (its id).", show_default=False)
    ] = None,
    criterion: Annotated[
        str | None, typer.Option("--criterion", help="Only this criterion (its id).", show_default=False)
    ] = None,
    by: Annotated[str, typer.Option("--by", help=f"Break down by {', '.join(GROUPINGS)}.")] = "agent",
    trend: Annotated[str, typer.Option("--trend", help=f"Trend per {' or '.join(PERIODS)}.")] = "week",
    date_from: FromOption = None,
    date_to: ToOption = None,
    sample_rate: Annotated[
        float, typer.Option("--sample-rate", help="The review sample to compare with, as a share (0, 1].")
    ] = 0.02,
    examples: Annotated[int, typer.Option("--examples", help="Failing interactions to list per criterion.")] = 5,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Prevalence of every failure over all interactions with 95% intervals, its trend, the agents,
    teams or queues above the rest, the interactions behind it — and what a random review of 2% of
    them would have seen."""
    try:
        config = RiskConfig(
            scorecard_id=scorecard, criterion_id=criterion, by=by, trend=trend,
            date_from=parse_day(date_from, "--from"), date_to=parse_day(date_to, "--to"),
            sample_rate=sample_rate, examples=examples,
        )  # fmt: skip
        with open_store(db, read_only=True) as store:
            report = compliance_risk(store, config)
    except RiskError as exc:
        fail(str(exc))
    if json:
        emit_json(report.to_dict())
        return
    print_report(report)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _interval(ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f"{100 * ci[0]:.1f}–{100 * ci[1]:.1f}%"


def _trend_cell(r: CriterionRisk) -> str:
    t = r.trend
    if t.p_value is None or t.slope is None:
        return t.direction
    return f"{t.direction} ({100 * t.slope:+.2f} pp/{t.period}, p={t.p_value:.2g})"


def print_report(report: RiskReport) -> None:
    c = report.config
    period = f"{c.date_from or '…'} → {c.date_to or '…'}" if c.date_from or c.date_to else "all dates"
    share = f"{100 * c.sample_rate:g}%"
    if not report.criteria:
        console.print(f"No QA answers ({period}): run `signalroom qa score`.")
        return
    table = Table(title=f"Compliance risk over every interaction ({period}) and a {share} review")
    for column, justify in (("criterion", "left"), ("failures", "right"), ("prevalence", "right"),
                            ("95% CI", "right"), (f"trend ({c.trend})", "left"), (f"{share} review sees", "right"),
                            ("P(sees any)", "right"), ("CI width: review vs all", "right")):  # fmt: skip
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for r in report.criteria:
        s = r.sample
        widths = "" if s.ci_width is None or s.full_ci_width is None else (
            f"{100 * s.ci_width:.1f} vs {100 * s.full_ci_width:.1f} pp"
        )  # fmt: skip
        table.add_row(
            f"{r.scorecard_id}/{r.criterion_id}", f"{r.failures:,}/{r.applicable:,}", _pct(r.prevalence),
            _interval(r.prevalence_ci), _trend_cell(r), f"{s.expected_failures:.1f} of {s.size:,}",
            f"{100 * s.p_any:.0f}%", widths,
        )  # fmt: skip
    console.print(table)
    detailed = len(report.criteria) == 1
    for r in report.criteria:
        if not r.failures:
            continue
        console.print(f"\n[bold]{r.scorecard_id}/{r.criterion_id}[/]: {r.sample.text}.", highlight=False)
        if detailed:
            _print_trend(r)
        if c.by is not None:
            _print_breakdown(r, c.by, share, everything=detailed)
        if r.examples:
            console.print(f"Newest failing: {', '.join(r.examples)}", highlight=False)
    console.print("Method: docs/qa.md#compliance-risk", style="dim")


def _print_trend(r: CriterionRisk) -> None:
    table = Table(title=f"Per {r.trend.period} ({r.trend.test}: {_trend_cell(r)})")
    for column in (r.trend.period, "failures", "prevalence", "95% CI"):
        table.add_column(column, justify="left" if column == r.trend.period else "right")
    for p in r.trend.points:
        table.add_row(p.period.isoformat(), f"{p.failures:,}/{p.applicable:,}", _pct(p.prevalence),
                      _interval(p.prevalence_ci))  # fmt: skip
    console.print(table)


def _print_breakdown(r: CriterionRisk, by: str, share: str, *, everything: bool) -> None:
    rows = [g for n, g in enumerate(r.breakdown) if n < _TOP_GROUPS or g.above_rest] if everything else [
        g for g in r.breakdown if g.above_rest
    ]  # fmt: skip
    if not rows:
        return
    title = f"By {by}" if everything else f"{by.capitalize()}s significantly above the rest"
    table = Table(title=f"{title} (q: two-proportion test against the rest, Benjamini–Hochberg)")
    for column in (by, "failures", "prevalence", "95% CI", "rest", "q", "above rest", f"P({share} review sees any)",
                   "examples"):  # fmt: skip
        table.add_column(column, justify="left" if column in (by, "examples", "above rest") else "right")
    for g in rows:
        table.add_row(
            g.key or "(none)", f"{g.failures:,}/{g.applicable:,}", _pct(g.prevalence), _interval(g.prevalence_ci),
            _pct(g.rest_prevalence), f"{g.q_value:.2g}", "yes" if g.above_rest else "", f"{100 * g.sample_p_any:.0f}%",
            ", ".join(g.examples),
        )  # fmt: skip
    console.print(table)
