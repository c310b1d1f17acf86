"""`signalroom signals`: the ranked list of emerging signals, detection and its backtest
(docs/signals.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, fail, open_store, parse_day
from signalroom.cli.flags import flag_command, flags_command

app = typer.Typer(help="Emerging signals: what is newly going wrong, ranked, with owners.", invoke_without_command=True)

CostOption = Annotated[
    float | None, typer.Option("--cost-per-contact", min=0.0, help="Cost of one contact, for the impact.")
]


@app.callback()
def ranked(
    ctx: typer.Context,
    everything: Annotated[bool, typer.Option("--all", help="Also signals no longer in the latest list.")] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The latest ranked list (written by `signalroom analyze` and `signalroom signals detect`)."""
    if ctx.invoked_subcommand is not None:
        return
    from signalroom.store.signals import ranked_signals

    with open_store(db, read_only=True) as store:
        rows = ranked_signals(store, include_inactive=everything)
    if json:
        emit_json({"signals": rows})
        return
    _print_rows(rows, "Signals")


def _print_rows(rows: list[dict[str, object]], title: str) -> None:
    table = Table(title=f"{title}: {len(rows)}")
    for column in ("#", "id", "signal", "found by", "first detected", "extra contacts", "support", "owner"):
        table.add_column(column, overflow="fold")
    for r in rows:
        extra = float(r["extra_contacts"]) + float(r["extra_repeat_contacts"])  # type: ignore[arg-type]
        cost = f" ({float(r['cost']):,.0f})" if r.get("cost") is not None else ""  # type: ignore[arg-type]
        flags = f" + {r['advisor_flags']} flags" if r.get("advisor_flags") else ""
        owner = f"{r['owner_function']}: {r['owner']}" if r.get("owner") else str(r.get("owner_function") or "")
        table.add_row(
            str(r["rank"] or "–"), str(r["signal_id"] or ""), str(r["title"]), ", ".join(r["detectors"]),  # type: ignore[arg-type]
            str(r["first_detected"]), f"{extra:.0f}{cost}", f"{r['support']}{flags}",
            f"{owner} ({r['routing_rule']})",
        )  # fmt: skip
    console.print(table)


@app.command("show")
def show(signal_id: Annotated[int, typer.Argument(help="The signal's id.")], db: DbOption = None,
         json: JsonOption = False) -> None:  # fmt: skip
    """One signal: every detector's finding, the series, the evidence, its owner and the rule that chose it."""
    from signalroom.store.signals import get_signal

    with open_store(db, read_only=True) as store:
        row = get_signal(store, signal_id)
    if row is None:
        fail(f"no signal {signal_id}: `signalroom signals --all` lists them")
    if json:
        emit_json(row)
        return
    console.print(f"[bold]#{row['rank'] or '–'} {row['title']}[/] (signal {signal_id}, {row['kind']})")
    console.print(
        f"first detected {row['first_detected']}, last {row['last_detected']}; {row['support']} contacts, "
        f"{row['affected_customers']} customers, {row['extra_contacts']} extra contacts, "
        f"{row['extra_repeat_contacts']} extra repeat contacts"
        + (f", cost {float(row['cost']):,.2f}" if row.get("cost") is not None else "")  # type: ignore[arg-type]
        + (f"; {row['advisor_flags']} advisors' flags" if row["advisor_flags"] else "")
    )
    console.print(f"owner: {row['owner_function']} — {row['owner'] or 'nobody named'} (rule {row['routing_rule']})")
    for finding in row["findings"]:  # type: ignore[attr-defined]
        text = finding["measure"].get("text") if isinstance(finding.get("measure"), dict) else None
        console.print(
            f"  • {finding['detector']}: {finding['subject']} — first {finding['first_detected']}, "
            f"{finding['days_detected']} day(s), p={finding['p_value']:.2g}" + (f"; {text}" if text else "")
        )
    console.print("evidence: " + ", ".join(row["evidence"]))  # type: ignore[arg-type]


@app.command("detect")
def detect_command(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day to judge (default: the last day with contacts).")
    ] = None,
    days: Annotated[int, typer.Option("--days", min=1, help="Days up to --as-of whose detections make the list.")] = 7,
    backtest: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--backtest",
            help="Replay every day FROM TO, each judged on the days before it; report, store nothing.",
            metavar="FROM TO",
            show_default=False,
        ),
    ] = None,
    incidents: Annotated[
        Path | None,
        typer.Option("--incidents", help="YAML of known incidents, to report detection delays and false alarms."),
    ] = None,
    detector: Annotated[
        list[str] | None, typer.Option("--detector", help="Run only these (repeatable; default: all).")
    ] = None,
    baseline_days: Annotated[
        int, typer.Option("--baseline-days", min=3, help="Days of baseline before the day judged.")
    ] = 14,
    min_support: Annotated[int, typer.Option("--min-support", min=1, help="Contacts behind a signal.")] = 8,
    cost_per_contact: CostOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the list without storing it.")] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Run every detector (rising needs, new clusters, rising phrases, rising negative endings /
    repeats / transfers within a need, driver analyses), merge what they found into one ranked list,
    route it, and store it (announcing new and changed signals to webhook subscribers)."""
    from signalroom.signals.backtest import BacktestError, evaluate, load_incidents
    from signalroom.signals.detect import DETECTOR_GROUPS, DetectConfig, SignalsError, detect, save
    from signalroom.signals.rank import RankConfig

    if as_of is not None and backtest is not None:
        fail("--as-of and --backtest cannot be combined: --backtest FROM TO ends on TO")
    if incidents is not None and backtest is None:
        fail("--incidents goes with --backtest FROM TO")
    chosen = tuple(detector or DETECTOR_GROUPS)
    if backtest is not None and detector is None:
        chosen = tuple(d for d in chosen if d != "drivers")  # analyses of the whole period, not replayed
    try:
        config = DetectConfig(
            detectors=chosen, baseline_days=baseline_days, days=days,
            rank=RankConfig(min_support=min_support, cost_per_contact=cost_per_contact),
        )  # fmt: skip
        known = load_incidents(incidents) if incidents is not None else None
    except (ValueError, BacktestError) as exc:
        fail(str(exc))
    since = until = None
    if backtest is not None:
        since, until = parse_day(backtest[0], "--backtest"), parse_day(backtest[1], "--backtest")
    elif as_of is not None:
        until = parse_day(as_of, "--as-of")
    store_it = backtest is None and not dry_run
    with open_store(db, read_only=not store_it) as store:
        try:
            run = detect(store, as_of=until, since=since, config=config, history=backtest is None)
        except SignalsError as exc:
            fail(str(exc))
        if store_it:
            save(store, run)
    report = evaluate(run.signals, known) if known is not None else None
    if json:
        emit_json({**run.to_dict(), **({"backtest": report.to_dict()} if report else {})})
        return
    span = f"{run.since}" if run.since == run.as_of else f"{run.since} to {run.as_of}"
    _print_rows([s.to_dict(cost_per_contact) for s in run.signals], f"Signals detected {span}")
    for note in run.notes:
        console.print(f"[yellow]left out: {note}[/]", highlight=False)
    if report is not None:
        console.print(report.text())
    if not store_it:
        console.print("(not stored)" if backtest is None else "(a backtest: nothing stored)")


app.command("flag")(flag_command)
app.command("flags")(flags_command)
