"""`signalroom surveys`: who answers surveys, and CSAT as surveyed and as predicted (docs/surveys.md)."""

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
    err_console,
    fail,
    open_store,
    parse_day,
)
from signalroom.journeys.survey_bias import (
    GROUPINGS,
    BothWays,
    SurveyBiasConfig,
    SurveyBiasError,
    SurveyBiasReport,
    compute_survey_bias,
)

app = typer.Typer(help="Surveys: who answers them, and what everyone else would have said.", no_args_is_help=True)


@app.command("bias")
def bias(
    by: Annotated[
        str | None, typer.Option("--by", help=f"Break CSAT down by {', '.join(GROUPINGS)}.", show_default=False)
    ] = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Compare respondents with all interactions; predict CSAT for every interaction, with held-out accuracy."""
    try:
        config = SurveyBiasConfig(by=by, date_from=parse_day(date_from, "--from"), date_to=parse_day(date_to, "--to"))
        with open_store(db, read_only=True) as store:
            report = compute_survey_bias(store, config)
    except SurveyBiasError as exc:
        fail(str(exc))
    if json:
        emit_json(report.to_dict())
        return
    print_report(report)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _p(p: float | None) -> str:
    return "—" if p is None else "<0.001" if p < 0.001 else f"{p:.3f}"


def _comparison(report: SurveyBiasReport) -> None:
    for mix in report.mixes:
        table = Table(
            title=f"{mix.name} mix: respondents ({mix.surveyed_n:,}) vs all ({mix.all_n:,}); χ² p {_p(mix.p_value)}"
        )
        for name, justify in (("", "left"), ("surveyed", "right"), ("all", "right"), ("Δ pp", "right")):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        table.add_column("p", justify="right")
        table.add_column("respondents are")
        for s in mix.shares:
            table.add_row(
                s.label, _pct(s.surveyed), _pct(s.all), f"{s.difference_pp:+.1f}", _p(s.p_value), s.representation
            )
        console.print(table)
    table = Table(title="Outcome and sentiment: respondents vs all")
    for name in ("", "surveyed", "all", "difference", "p", "respondents are"):
        table.add_column(name, justify="left" if name in ("", "respondents are") else "right")
    for m in report.measures:
        share = m.unit == "share"
        diff = None if m.surveyed is None or m.all is None else m.surveyed - m.all
        shown = "—" if diff is None else f"{100 * diff:+.1f} pp" if share else f"{diff:+.3f}"
        fmt = _pct if share else _num
        table.add_row(m.name.replace("_", " "), fmt(m.surveyed), fmt(m.all), shown, _p(m.p_value), m.representation)
    console.print(table)
    tests = "; ".join(f"{m.name.replace('_', ' ')}: {m.test}" for m in report.measures)
    console.print(f"Tests of respondents against the other interactions: mixes χ², {tests}.", style="dim")


def _prediction(report: SurveyBiasReport) -> None:
    p = report.prediction
    held = p.held_out
    if held is None:
        err_console.print(f"[yellow]no prediction:[/] {p.message}", highlight=False)
        return
    table = Table(title=f"Predicting CSAT from {p.respondents:,} answers (held out, {p.folds}-fold)")
    for name in ("measure", "model", "baseline"):
        table.add_column(name, justify="left" if name == "measure" else "right")
    table.add_row("accuracy (satisfied 4–5 or not)", _pct(held.accuracy), _pct(held.baseline_accuracy))
    table.add_row("balanced accuracy", _pct(held.balanced_accuracy), _pct(held.baseline_balanced_accuracy))
    table.add_row("AUC", _num(held.auc, 3), _num(held.baseline_auc, 3))
    table.add_row("mean absolute error of the score", _num(held.mae, 3), _num(held.baseline_mae, 3))
    console.print(table)
    verdict = "beats" if held.beats_baseline else "does NOT beat"
    console.print(f"The predictor {verdict} the baseline (always the majority / the mean).")


def _both_ways(report: SurveyBiasReport) -> None:
    by = report.config.by
    table = Table(title="CSAT both ways: as surveyed (respondents) and as predicted (all interactions)")
    table.add_column(by or "")
    for name in ("answers", "all", "CSAT surv.", "CSAT pred.", "mean surv.", "mean pred."):
        table.add_column(name, justify="right")
    rows: list[BothWays] = [report.total, *report.groups]
    for g in rows:
        table.add_row(
            g.group,
            f"{g.respondents:,}",
            f"{g.interactions:,}",
            _pct(g.surveyed_csat),
            _pct(g.predicted_csat),
            _num(g.surveyed_csat_mean),
            _num(g.predicted_csat_mean),
        )
    console.print(table)


def print_report(report: SurveyBiasReport) -> None:
    console.print(
        f"{report.surveyed:,} of {report.interactions:,} interactions have a survey answer "
        f"({100 * report.surveyed / report.interactions:.1f}%)."
    )
    _comparison(report)
    _prediction(report)
    _both_ways(report)
    console.print("Definitions: docs/surveys.md", style="dim")
    for flag in report.flags:
        err_console.print(f"[yellow]note:[/] {flag}", highlight=False)
