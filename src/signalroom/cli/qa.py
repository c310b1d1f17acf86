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
    llm_url: Annotated[
        str | None,
        typer.Option(
            "--llm-url",
            envvar="SIGNALROOM_LLM_URL",
            help="OpenAI-compatible API base for `llm` criteria (off when not given).",
            show_default=False,
        ),
    ] = None,
    llm_model: Annotated[
        str, typer.Option("--llm-model", envvar="SIGNALROOM_LLM_MODEL", help="The model to ask.")
    ] = "default",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Score every analysed interaction not scored yet with the scorecards in use (all of history
    when a scorecard changed). A bad scorecard file is reported and the others still score."""
    import os

    from signalroom.qa.llm_judge import ENV_KEY, LlmJudge
    from signalroom.qa.run import score

    judge = LlmJudge(url=llm_url, model=llm_model, api_key=os.environ.get(ENV_KEY)) if llm_url else None
    with open_store(db) as store:
        report = score(store, files=scorecard, full=full, judge=judge)
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


@app.command("coaching")
def coaching_command(
    agent_id: Annotated[str, typer.Argument(metavar="AGENT_ID")],
    top: Annotated[int, typer.Option("--top", min=1, help="How many behaviours to work on.")] = 3,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """An agent's coaching plan: the behaviours to improve first, with their own examples and
    evidence beside a peer's handling of the same situation."""
    from signalroom.qa.coaching import coaching_plan

    with open_store(db, read_only=True) as store:
        plan = coaching_plan(store, agent_id, top=top)
    if plan is None:
        fail(f"agent {agent_id!r} has no scored interaction: run `signalroom qa score`")
    if json:
        emit_json(plan.to_dict())
        return
    console.print(f"[bold]Coaching plan for {plan.agent_id}[/] ({plan.team or 'no team'})", highlight=False)
    if not plan.behaviours:
        console.print("Nothing stands out against peers handling the same reasons.")
    for b in plan.behaviours:
        console.print(
            f"\n• {b.scorecard_id}/{b.criterion_id}: failed {b.failures} of {b.answers}, "
            f"{b.expected:.1f} expected from peers on the same reasons (q {b.q_value:.2g})",
            highlight=False,
        )
        for own in b.own:
            console.print(f"  yours: {own['source']}/{own['id']} — {own['explanation']}", highlight=False)
        if b.exemplar:
            quote = "; ".join(f"“{e['text']}”" for e in b.exemplar["evidence"])
            console.print(
                f"  a peer ({b.exemplar['agent_id']}), {b.exemplar['source']}/{b.exemplar['id']}: {quote}",
                highlight=False,
            )
    if plan.strengths:
        console.print(f"\nExemplary on: {', '.join(plan.strengths)}", highlight=False)


dispute_app = typer.Typer(help="Challenge an automated answer; review challenges.", no_args_is_help=True)
app.add_typer(dispute_app, name="dispute")


@dispute_app.command("raise")
def dispute_raise(
    interaction_id: Annotated[str, typer.Argument(metavar="INTERACTION_ID")],
    criterion: Annotated[str, typer.Argument(metavar="CRITERION")],
    by: Annotated[str, typer.Option("--by", help="Who raises it (the agent).")],
    comment: Annotated[str, typer.Option("--comment", help="Why the answer is wrong.")],
    scorecard: Annotated[
        str | None, typer.Option("--scorecard", help="The scorecard, when the criterion is in several.")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="The interaction's source.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Dispute an answer with a comment; a reviewer accepts or rejects it."""
    from signalroom.qa.disputes import DisputeError, raise_dispute

    with open_store(db) as store:
        try:
            dispute_id = raise_dispute(
                store, interaction_id, criterion, by=by, comment=comment, scorecard_id=scorecard, source=source
            )
        except DisputeError as exc:
            fail(str(exc))
    if json:
        emit_json({"dispute_id": dispute_id, "status": "open"})
    else:
        console.print(
            f"Dispute {dispute_id} raised; a reviewer accepts or rejects it (`signalroom qa dispute review`)."
        )


@dispute_app.command("review")
def dispute_review(
    dispute_id: Annotated[int, typer.Argument(metavar="DISPUTE_ID")],
    accept: Annotated[bool, typer.Option("--accept/--reject", help="Accept the dispute, or reject it.")],
    by: Annotated[str, typer.Option("--by", help="Who reviews it.")],
    comment: Annotated[str | None, typer.Option("--comment", help="Why.")] = None,
    value: Annotated[
        str | None, typer.Option("--value", help="The corrected answer (default: the opposite of pass/fail).")
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Accept (the corrected answer replaces the automated one, now and on every rescoring) or reject."""
    from signalroom.qa.disputes import DisputeError, review_dispute

    with open_store(db) as store:
        try:
            result = review_dispute(store, dispute_id, accept=accept, by=by, comment=comment, value=value)
        except DisputeError as exc:
            fail(str(exc))
    if json:
        emit_json(result)
    else:
        console.print(f"Dispute {dispute_id} {result['status']}.")


@dispute_app.command("list")
def dispute_list(
    status: Annotated[str | None, typer.Option("--status", help="open, accepted or rejected.")] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Only this agent's interactions.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Disputes, with who raised them, why, and how they were reviewed."""
    from signalroom.store.qa_disputes import disputes

    if status is not None and status not in ("open", "accepted", "rejected"):
        fail(f"--status {status!r}: use open, accepted or rejected")
    with open_store(db, read_only=True) as store:
        found = disputes(store, status=status, agent_id=agent)
    if json:
        emit_json({"disputes": found})
        return
    table = Table(title=f"{len(found)} disputes")
    for column in ("id", "interaction", "criterion", "answer", "raised by", "comment", "status", "reviewer"):
        table.add_column(column, overflow="fold")
    for d in found:
        answer = d["original_value"] + (f" → {d['corrected_value']}" if d["corrected_value"] else "")
        table.add_row(
            str(d["dispute_id"]), f"{d['source']}/{d['id']}", f"{d['scorecard_id']}/{d['criterion_id']}", answer,
            d["raised_by"], d["comment"], d["status"], d["reviewer"] or "",
        )  # fmt: skip
    console.print(table)


@dispute_app.command("show")
def dispute_show(
    dispute_id: Annotated[int, typer.Argument(metavar="DISPUTE_ID")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """One dispute with its whole history."""
    from signalroom.store.qa_disputes import disputes, events

    with open_store(db, read_only=True) as store:
        found = disputes(store, dispute_id=dispute_id)
        if not found:
            fail(f"no dispute {dispute_id}")
        history = events(store, dispute_id)
    if json:
        emit_json({**found[0], "history": history})
        return
    d = found[0]
    console.print(
        f"Dispute {dispute_id}: {d['source']}/{d['id']} {d['scorecard_id']}/{d['criterion_id']} ({d['status']})"
    )
    for e in history:
        console.print(
            f"  {e['at']:%Y-%m-%d %H:%M} {e['action']} by {e['actor']}: {e['comment'] or ''}", highlight=False
        )


def _register() -> None:
    """Commands that live in their own modules: human evaluations and calibration, compliance risk."""
    from signalroom.cli.qa_calibration import agreement_command, calibration_app, evaluations_app
    from signalroom.cli.qa_risk import risk_command

    app.command("risk")(risk_command)
    app.add_typer(evaluations_app, name="evaluations")
    app.add_typer(calibration_app, name="calibration")
    app.command("agreement")(agreement_command)


_register()
