"""`signalroom qa`: score every interaction against the QA scorecards, and show why (docs/qa.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, err_console, fail, open_store

app = typer.Typer(help="Automated QA: scorecards on every interaction, with evidence.", no_args_is_help=True)


@app.command("score")
def score_command(
    scorecard: Annotated[
        list[Path] | None,
        typer.Option(
            "--scorecard",
            help="A scorecard file to use from now on (repeatable; default: those in use, else the shipped ones).",
            show_default=False,
        ),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Rescore every interaction.")] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Score every analysed interaction not scored yet with the scorecards in use (all of history
    when a scorecard changed). A bad scorecard file is reported and the others still score."""
    from signalroom.qa.run import score

    with open_store(db) as store:
        report = score(store, files=scorecard, full=full)
    if json:
        emit_json(report.to_dict())
    else:
        for error in report.sync.errors:
            err_console.print(f"[bold red]error:[/] {error}", highlight=False)
        if report.sync.loaded:
            console.print(f"Scorecards now in use (history rescored): {', '.join(report.sync.loaded)}.")
        console.print(
            f"Scored {report.interactions:,} interactions with {', '.join(report.scorecards) or 'no scorecard'} "
            f"in {report.seconds:.1f} s ({report.per_second:,.0f}/s): {report.answers:,} answers."
        )
    if report.sync.errors:
        raise typer.Exit(2)


@app.command("show")
def show_command(
    interaction_id: Annotated[str, typer.Argument(metavar="INTERACTION_ID")],
    source: Annotated[
        str | None, typer.Option("--source", help="The interaction's source.", show_default=False)
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """An interaction's QA results: every answer with its explanation, confidence and evidence —
    what the agent sees is what the supervisor sees."""
    from signalroom.store.analysis_reads import find_interaction_sources
    from signalroom.store.qa import result_rows

    with open_store(db, read_only=True) as store:
        sources = [source] if source else find_interaction_sources(store, interaction_id)
        if not sources:
            fail(f"no interaction {interaction_id!r}")
        if len(sources) > 1:
            fail(f"interaction {interaction_id!r} is in several sources ({', '.join(sources)}): name one with --source")
        results = list(result_rows(store, sources[0], interaction_id))
    if not results:
        fail(f"interaction {interaction_id!r} is not scored yet: run `signalroom qa score`")
    if json:
        emit_json({"source": sources[0], "id": interaction_id, "results": results})
        return
    for result in results:
        if not result["applies"]:
            console.print(f"[dim]{result['scorecard_id']}: does not apply[/]")
            continue
        score = "—" if result["score"] is None else f"{100 * result['score']:.0f}%"
        flag = " [bold red]auto-failed[/]" if result["auto_failed"] else ""
        table = Table(title=f"{result['scorecard_id']}: {score}{flag}", show_lines=True)
        for column in ("criterion", "answer", "confidence", "why", "evidence"):
            table.add_column(column, overflow="fold")
        for a in result["answers"]:
            evidence = "\n".join(
                f"turn {e['turn']} ({e['speaker']}): “{e['text']}”" if e["kind"] == "turn" else e["text"]
                for e in a["evidence"]
            )
            table.add_row(a["criterion_id"], a["value"], f"{a['confidence']:.2f}", a["explanation"] or "", evidence)
        console.print(table)


@app.command("agents")
def agents_command(
    min_answers: Annotated[int, typer.Option("--min-answers", min=1, help="Fewest answers to test an agent on.")] = 20,
    alpha: Annotated[float, typer.Option("--alpha", min=0.0001, max=0.5, help="False discovery rate.")] = 0.05,
    all_rows: Annotated[bool, typer.Option("--all", help="Also list the agents in line with their peers.")] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Per agent and criterion, failures against peers handling the same reasons: who needs coaching
    on what, and whose handling is exemplary."""
    from signalroom.qa.agents import agent_consistency

    with open_store(db, read_only=True) as store:
        findings = agent_consistency(store, min_answers=min_answers, alpha=alpha)
    shown = findings if all_rows else [f for f in findings if f.finding != "in line"]
    if json:
        emit_json({"tested": len(findings), "findings": [f.to_dict() for f in shown]})
        return
    table = Table(title=f"Agent consistency: {len(findings):,} agent × criterion pairs tested")
    for column in ("finding", "agent", "team", "criterion", "failures", "expected", "rate vs peers", "q", "examples"):
        table.add_column(column, overflow="fold")
    for f in shown:
        table.add_row(
            f.finding, f.agent_id, f.team or "", f"{f.scorecard_id}/{f.criterion_id}", f"{f.failures}/{f.answers}",
            f"{f.expected:.1f}", f"{100 * f.fail_rate:.0f}% vs {100 * f.peer_rate:.0f}%", f"{f.q_value:.2g}",
            ", ".join(f.examples),
        )  # fmt: skip
    console.print(table)
