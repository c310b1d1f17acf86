"""`signalroom qa evaluations import`, `signalroom qa agreement` and `signalroom qa calibration
pick|record|report`: human QA evaluations, agreement with auto-QA, and calibration sessions
(docs/qa.md#human-evaluations-and-calibration)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, err_console, fail, open_store

evaluations_app = typer.Typer(help="Human QA evaluations: import them from CSV or JSON.", no_args_is_help=True)
calibration_app = typer.Typer(
    help="Calibration sessions: what to discuss, the agreed answers, and what they change.", no_args_is_help=True
)

CriterionOption = Annotated[
    str | None, typer.Option("--criterion", help="Only this criterion (its id).", show_default=False)
]
ScorecardOption = Annotated[
    str | None, typer.Option("--scorecard", help="Only this scorecard (its id).", show_default=False)
]


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


@evaluations_app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="CSV, JSON or JSON Lines files.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import human evaluations (evaluator, interaction, criterion, answer, comment…). A bad row is
    reported with its file and line and not imported; the good rows are. Importing an evaluation
    again (same evaluator, interaction, scorecard and criterion) replaces it."""
    from signalroom.qa.evaluations import import_evaluations

    with open_store(db) as store:
        report = import_evaluations(store, files)
    if json:
        emit_json(report.to_dict())
    else:
        for rejection in report.rejected:
            err_console.print(f"[bold red]rejected:[/] {rejection}", highlight=False)
        console.print(
            f"{report.imported:,} evaluations imported, {report.replaced:,} replaced, "
            f"{len(report.rejected):,} rejected ({report.rows:,} rows in {len(report.files)} files)."
        )
    if report.rejected:
        raise typer.Exit(2)


def agreement_command(
    scorecard: ScorecardOption = None,
    criterion: CriterionOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Agreement per criterion between human evaluators, and between auto-QA and the humans: percent
    agreement, Cohen's kappa, Krippendorff's alpha and Gwet's AC1."""
    from signalroom.qa.calibration import criterion_agreement

    with open_store(db, read_only=True) as store:
        found = criterion_agreement(store, scorecard, criterion)
    if json:
        emit_json({"criteria": [c.to_dict() for c in found]})
        return
    if not found:
        console.print("No human evaluations yet: import some with `signalroom qa evaluations import`.")
        return
    table = Table(title="Agreement per criterion")
    for column in ("criterion", "between", "items", "agree", "kappa", "alpha", "AC1"):
        table.add_column(column, overflow="fold")
    for c in found:
        rows = [("humans", c.humans)] + [(f"auto-QA vs {x.against}", x.agreement) for x in c.auto]
        for n, (label, g) in enumerate(rows):
            name = f"{c.scorecard_id}/{c.criterion_id}" if n == 0 else ""
            table.add_row(name, label, str(g.items), _num(g.percent_agreement), _num(g.cohen_kappa),
                          _num(g.krippendorff_alpha), _num(g.gwet_ac1))  # fmt: skip
    console.print(table)
    console.print("[dim]— : not defined on these answers (too few items, or one answer only); --json says why.[/]")


@calibration_app.command("pick")
def pick_command(
    criterion: CriterionOption = None,
    scorecard: ScorecardOption = None,
    size: Annotated[int, typer.Option("--size", min=1, help="How many interactions to pick.")] = 10,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The interactions with the most disagreement, not calibrated yet: among the evaluators, and
    between auto-QA and them — each with auto-QA's answer, evidence and confidence and every human
    answer with its comment."""
    from signalroom.qa.calibration import pick

    with open_store(db, read_only=True) as store:
        picks = pick(store, criterion_id=criterion, scorecard_id=scorecard, size=size)
    if json:
        emit_json({"picks": [p.to_dict() for p in picks]})
        return
    if not picks:
        console.print("Nothing to calibrate: no disagreement among the evaluations not calibrated yet.")
        return
    table = Table(title="For the calibration session", show_lines=True)
    for column in ("interaction", "criterion", "disagreement", "auto-QA", "humans"):
        table.add_column(column, overflow="fold")
    for p in picks:
        auto = "not scored"
        if p.auto:
            evidence = "; ".join(f"“{e['text']}”" for e in p.auto["evidence"])
            auto = f"{p.auto['value']} ({p.auto['confidence']:.2f}) {p.auto['explanation'] or ''} {evidence}".strip()
        humans = "\n".join(f"{h['evaluator']}: {h['answer']}" + (f" — {h['comment']}" if h["comment"] else "")
                           for h in p.humans)  # fmt: skip
        table.add_row(f"{p.source}/{p.interaction_id}", f"{p.scorecard_id}/{p.criterion_id}",
                      f"{p.disagreement:.2f}", auto, humans)  # fmt: skip
    console.print(table)


@calibration_app.command("record")
def record_command(
    interaction_id: Annotated[str, typer.Argument(metavar="INTERACTION_ID")],
    criterion: Annotated[str, typer.Argument(metavar="CRITERION")],
    answer: Annotated[str, typer.Argument(metavar="ANSWER", help="pass, fail or na (or yes/no, 1/0, true/false).")],
    by: Annotated[str, typer.Option("--by", help="Who agreed (the session or its lead).", show_default=False)],
    note: Annotated[str | None, typer.Option("--note", help="Why, for the record.", show_default=False)] = None,
    scorecard: Annotated[
        str | None, typer.Option("--scorecard", help="The criterion's scorecard, when the id is in several.")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="The interaction's source, when the id is in several.")
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Keep the answer a calibration session agreed on (replacing an earlier one for the same
    interaction and criterion)."""
    from signalroom.qa.calibration import record
    from signalroom.qa.evaluations import EvaluationError

    with open_store(db) as store:
        try:
            done = record(store, interaction_id, criterion, answer, by=by, note=note, scorecard=scorecard,
                          source=source)  # fmt: skip
        except EvaluationError as exc:
            fail(str(exc))
    if json:
        emit_json(done.to_dict())
        return
    verb = "replaced the earlier agreed answer" if done.replaced else "recorded"
    console.print(f"{done.source}/{done.interaction_id} {done.scorecard_id}/{done.criterion_id}: "
                  f"{done.answer} (agreed by {done.agreed_by}) — {verb}.")  # fmt: skip


@calibration_app.command("report")
def report_command(
    scorecard: ScorecardOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Per criterion, auto-QA against the agreed answers (agreement, kappa, false passes and fails)
    and how its thresholds would change to agree best: suggestions only, no scorecard is changed."""
    from signalroom.qa.thresholds import calibration_report

    with open_store(db, read_only=True) as store:
        found = calibration_report(store, scorecard)
    if json:
        emit_json({"criteria": [c.to_dict() for c in found]})
        return
    if not found:
        console.print("No agreed answers yet: record them with `signalroom qa calibration record`.")
        return
    table = Table(title="Auto-QA against the agreed answers")
    for column in ("criterion", "kind", "agreed", "agree", "kappa", "false passes", "false fails", "suggestion"):
        table.add_column(column, overflow="fold")
    for c in found:
        hints = [f"{s.parameter}: {_num(s.current, 3)} → {_num(s.suggested, 3)} ({s.note})" for s in c.thresholds]
        hints += [f"{m['miss']} {m['source']}/{m['interaction_id']}: {m['explanation'] or ''}" for m in c.misses]
        g = c.agreement
        table.add_row(f"{c.scorecard_id}/{c.criterion_id}", c.kind, str(c.agreed), _num(g.percent_agreement),
                      _num(g.cohen_kappa), str(c.false_passes), str(c.false_fails), "\n".join(hints))  # fmt: skip
    console.print(table)
