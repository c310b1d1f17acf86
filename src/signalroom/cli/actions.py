"""`signalroom actions`: signals turned into owned work, tracked to measured impact (docs/actions.md)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, fail, open_store, parse_day

app = typer.Typer(help="Actions: a signal becomes owned work, and its impact is measured.", no_args_is_help=True)

ByOption = Annotated[
    str | None, typer.Option("--by", help="Who does this (default: the operating-system user).", show_default=False)
]
_FUNCTIONS_HELP = "product, marketing, operations, policy, training, workforce or qa"
_BARS = "▁▂▃▄▅▆▇█"


def _actor(by: str | None) -> str:
    from signalroom.actions.actions import ActionError, default_actor

    if by is not None:
        return by
    try:
        return default_actor()
    except ActionError as exc:
        fail(str(exc))


def _reasons(values: list[str] | None) -> list[int] | None:
    if not values:
        return None
    out = []
    for value in values:
        for part in value.split(","):
            if not part.strip():
                continue
            try:
                out.append(int(part))
            except ValueError:
                fail(f"--reasons {part.strip()!r} is not a reason id (a whole number, see `signalroom topics`)")
    return out


def _print_action(action: dict[str, Any]) -> None:
    due = f", due {action['due']}" if action["due"] else ""
    owner = f" ({action['owner']})" if action["owner"] else ""
    source = f"signal {action['signal_id']}" if action["signal_id"] is not None else "raised by hand"
    console.print(
        f"[bold]Action {action['action_id']}[/]: {action['title']} — {action['status']}{due}\n"
        f"  owner: {action['owner_function']}{owner}; {source}; created by {action['created_by']} "
        f"{action['created_at']:%Y-%m-%d %H:%M}",
        highlight=False,
    )
    if action["rejected_reason"]:
        console.print(f"  rejected: {action['rejected_reason']}", highlight=False)


@app.command("create")
def create_command(
    signal: Annotated[int | None, typer.Option("--signal", help="The signal it acts on.", show_default=False)] = None,
    title: Annotated[
        str | None,
        typer.Option("--title", help="What is to be done (default: the signal's title).", show_default=False),
    ] = None,
    reasons: Annotated[
        list[str] | None,
        typer.Option(
            "--reasons",
            help="Reason ids it is about, comma-separated or repeated (default: the signal's).",
            show_default=False,
        ),
    ] = None,
    function: Annotated[
        str | None,
        typer.Option(
            "--function",
            help=f"Owner function: {_FUNCTIONS_HELP} (default: the signal's suggested).",
            show_default=False,
        ),
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Named owner (default: the signal's suggested).", show_default=False)
    ] = None,
    due: Annotated[str | None, typer.Option("--due", help="Due date, YYYY-MM-DD.", show_default=False)] = None,
    rate: Annotated[
        str | None,
        typer.Option(
            "--rate",
            help="Rate its impact is measured on: share, repeat_rate, negative_sentiment or "
            "transfer_rate (default: from the signal's findings, else share).",
            show_default=False,
        ),
    ] = None,
    by: ByOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Turn a signal into an action (taking its title, reasons and suggested owner), or raise one by
    hand with --title, --reasons and --function."""
    from signalroom.actions.actions import ActionError, create_action

    actor = _actor(by)
    due_day = parse_day(due, "--due")
    with open_store(db) as store:
        try:
            action = create_action(
                store, by=actor, signal_id=signal, title=title, reasons=_reasons(reasons), owner_function=function,
                owner=owner, due=due_day, rate=rate,
            )  # fmt: skip
        except ActionError as exc:
            fail(str(exc))
    if json:
        emit_json(action)
        return
    _print_action(action)
    measure = action["measure"]
    console.print(f"  impact measured on: {measure['rate']} — {measure['definition']}", highlight=False)


@app.command("update")
def update_command(
    action_id: Annotated[int, typer.Argument(metavar="ID")],
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="open → in_progress → done → verified; rejected (with --reason); done → in_progress reopens.",
            show_default=False,
        ),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is rejected.", show_default=False)] = None,
    comment: Annotated[str | None, typer.Option("--comment", help="A comment.", show_default=False)] = None,
    evidence: Annotated[
        list[str] | None,
        typer.Option("--evidence", help="An interaction SOURCE/ID to link (repeatable).", show_default=False),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="Why the --evidence is linked.", show_default=False)
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="New named owner.", show_default=False)] = None,
    due: Annotated[str | None, typer.Option("--due", help="New due date, YYYY-MM-DD.", show_default=False)] = None,
    function: Annotated[
        str | None, typer.Option("--function", help=f"New owner function: {_FUNCTIONS_HELP}.", show_default=False)
    ] = None,
    by: ByOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Move an action on, comment on it, link evidence or change its owner or due date. Every change
    is kept in its history and announced to webhook subscribers."""
    from signalroom.actions.actions import ActionError, update_action

    actor = _actor(by)
    due_day = parse_day(due, "--due")
    with open_store(db) as store:
        try:
            action = update_action(
                store, action_id, by=actor, status=status, reason=reason, comment=comment, evidence=evidence or (),
                note=note, owner=owner, due=due_day, owner_function=function,
            )  # fmt: skip
        except ActionError as exc:
            fail(str(exc))
    if json:
        emit_json(action)
    else:
        _print_action(action)


@app.command("list")
def list_command(
    status: Annotated[str | None, typer.Option("--status", help="Only this status.", show_default=False)] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner.", show_default=False)] = None,
    function: Annotated[
        str | None, typer.Option("--function", help="Only this owner function.", show_default=False)
    ] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only open or in-progress ones past their due date.")
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Actions, oldest first."""
    from signalroom.actions.actions import ActionError, list_actions

    with open_store(db, read_only=True) as store:
        try:
            found = list_actions(store, status=status, owner=owner, owner_function=function, overdue=overdue)
        except ActionError as exc:
            fail(str(exc))
    if json:
        emit_json(found)
        return
    table = Table(title=f"Actions: {len(found)}")
    for column in ("id", "title", "status", "function", "owner", "due", "signal", "measured on"):
        table.add_column(column, overflow="fold")
    for a in found:
        table.add_row(
            str(a["action_id"]), a["title"], a["status"], a["owner_function"], a["owner"] or "",
            str(a["due"] or ""), "" if a["signal_id"] is None else str(a["signal_id"]), a["measure"]["rate"],
        )  # fmt: skip
    console.print(table)


def _spark(values: list[float | None], top: float) -> str:
    if top <= 0:
        return "".join("▁" if v is not None else " " for v in values)
    return "".join(" " if v is None else _BARS[min(len(_BARS) - 1, int(v / top * (len(_BARS) - 1)))] for v in values)


def _print_impact(impact: dict[str, Any]) -> None:
    def line(name: str, p: dict[str, Any] | None) -> str:
        if p is None or p["rate"] is None:
            return f"  {name}: no contacts"
        return (f"  {name} {p['first']} to {p['last']} ({p['days']} days): {p['events']:,} of {p['contacts']:,} = "
                f"{p['rate']:.1%} (95% CI {p['ci_low']:.1%}–{p['ci_high']:.1%})")  # fmt: skip

    console.print(f"[bold]Impact[/] (done {impact['done']}): {impact['verdict']}", highlight=False)
    console.print(line("before", impact["before"]), highlight=False)
    console.print(line("after ", impact["after"]), highlight=False)
    if impact["p_two_sided"] is not None:
        change = impact["relative_change"]
        console.print(
            f"  change {'n/a' if change is None else f'{change:+.0%}'}; p (fell) {impact['p_fell']:.2g}, "
            f"p (two-sided) {impact['p_two_sided']:.2g}",
            highlight=False,
        )
    series = impact["series"]
    top = max((d["rate"] for d in series if d["rate"] is not None), default=0.0)
    parts = {period: [d["rate"] for d in series if d["period"] == period] for period in ("before", "done", "after")}
    console.print(
        f"  daily rate: {_spark(parts['before'], top)}|{_spark(parts['done'], top)}|{_spark(parts['after'], top)}",
        highlight=False,
    )


def _event_text(event: dict[str, Any]) -> str:
    kind, d = event["kind"], event["detail"]
    if kind == "created":
        return f"created ({d['owner_function']}{', ' + d['owner'] if d['owner'] else ''})"
    if kind == "status":
        return f"{d['from']} → {d['to']}" + (f": {d['reason']}" if d.get("reason") else "")
    if kind == "comment":
        return f"comment: {d['text']}"
    if kind == "evidence":
        return f"evidence {d['source']}/{d['id']}" + (f": {d['note']}" if d.get("note") else "")
    return f"{kind}: {d.get('from')} → {d.get('to')}"


@app.command("show")
def show_command(
    action_id: Annotated[int, typer.Argument(metavar="ID")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """An action: its history, its evidence and — once done — its impact: the driving rate before
    and after, with a significance test and the daily series."""
    from signalroom.actions.actions import ActionError, show_action

    with open_store(db, read_only=True) as store:
        try:
            shown = show_action(store, action_id)
        except ActionError as exc:
            fail(str(exc))
    if json:
        emit_json(shown)
        return
    _print_action(shown)
    measure = shown["measure"]
    console.print(
        f"  measured on: {measure['rate']} ({measure['definition']}) of {len(measure['reasons'])} reason(s): "
        f"{', '.join(map(str, measure['reasons']))}",
        highlight=False,
    )
    console.print("[bold]History[/]")
    for e in shown["history"]:
        console.print(f"  {e['happened_at']:%Y-%m-%d %H:%M} {e['actor']}: {_event_text(e)}", highlight=False)
    if shown["evidence"]:
        console.print("[bold]Evidence[/]: " + ", ".join(f"{e['source']}/{e['id']}" for e in shown["evidence"]))
    if shown["impact"] is not None:
        _print_impact(shown["impact"])
