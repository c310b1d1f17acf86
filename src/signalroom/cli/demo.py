"""``signalroom demo``: generate a living demo month of a bank/telco contact centre."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from signalroom.cli.common import DbOption, emit_json, fail, open_store
from signalroom.cli.stats import print_stats
from signalroom.demo.config import DEFAULT_START, DemoConfig
from signalroom.demo.generator import generate
from signalroom.demo.truth import TRUTH_DIR
from signalroom.ingest.loader import Loader
from signalroom.store.reads import warehouse_stats

DEMO_SOURCE = "demo"

app = typer.Typer(
    help="Generate a realistic demo period of a bank/telco contact centre, with a truth sidecar.",
    no_args_is_help=True,
)


_START = DEFAULT_START.isoformat()
_OUT = Path("demo-data")
CustomersOption = Annotated[
    int, typer.Option("--customers", "-c", min=1, max=1_000_000, help="How many customers the company has.")
]
DaysOption = Annotated[int, typer.Option("--days", "-d", min=1, max=366, help="How many days to simulate.")]
SeedOption = Annotated[int, typer.Option("--seed", "-s", help="Random seed: the same seed writes identical files.")]
OutOption = Annotated[
    Path, typer.Option("--out", "-o", file_okay=False, help="Folder to write the JSON Lines files into.")
]
StartOption = Annotated[str, typer.Option("--start", help="First day of the period, YYYY-MM-DD.", metavar="YYYY-MM-DD")]
AsJsonOption = Annotated[bool, typer.Option("--json", help="Print the outcome as JSON (no progress bar).")]


@app.callback()
def demo() -> None:
    """Generate a realistic demo period of a bank/telco contact centre, with a truth sidecar."""


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date (write YYYY-MM-DD)") from exc


@app.command("generate")
def generate_command(
    customers: CustomersOption = 2000,
    days: DaysOption = 30,
    seed: SeedOption = 7,
    out: OutOption = _OUT,
    start: StartOption = _START,
    as_json: AsJsonOption = False,
) -> None:
    """Write customers, interactions, events and surveys (interchange format v1) plus .truth/."""
    config = DemoConfig(customers=customers, days=days, seed=seed, start=_date(start), out=out)
    if as_json:
        summary = generate(config)
        typer.echo(orjson.dumps(summary.to_dict(), option=orjson.OPT_INDENT_2).decode())
        return
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]generating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days · {task.fields[interactions]:,} interactions"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("days", total=days, interactions=0)

        def advance(done: int, total: int, interactions: int) -> None:
            bar.update(task, completed=done, interactions=interactions)

        summary = generate(config, advance)
    info = summary.to_dict()
    table = Table(title=f"Demo period written to {summary.out}", show_header=True)
    table.add_column("file")
    table.add_column("records", justify="right")
    for name, count in summary.files.items():
        table.add_row(name, f"{count:,}")
    table.add_row(".truth/truth.json", "ground truth")
    Console().print(table)
    typer.echo(
        f"{summary.customers:,} customers, {summary.agents} agents, {summary.days} days from {summary.start}, "
        f"seed {summary.seed}: {summary.interactions:,} interactions in {summary.seconds:.1f}s "
        f"({info['interactions_per_second']:,}/s)."
    )
    typer.echo(f"Load it with: signalroom ingest {summary.out}")


def _describe(phenomenon: dict[str, Any]) -> str:
    if phenomenon.get("description"):
        return str(phenomenon["description"])
    parts = [str(phenomenon.get(k)) for k in ("name", "reason_id") if phenomenon.get(k)]
    if phenomenon.get("start_date"):
        parts.append(f"{phenomenon['start_date']} to {phenomenon.get('end_date', '…')}")
    return ", ".join(parts)


@app.command("run")
def run_command(
    customers: CustomersOption = 2000,
    days: DaysOption = 30,
    seed: SeedOption = 7,
    out: OutOption = _OUT,
    start: StartOption = _START,
    redact: Annotated[
        bool, typer.Option("--redact/--no-redact", help="Redact PII in turn texts before they are stored.")
    ] = True,
    tier: Annotated[
        str,
        typer.Option(
            "--tier",
            help="Embedding tier of the analysis: quality (MiniLM: the reasons and drivers docs/demo.md "
            "shows) or fast (static vectors, about three times quicker).",
        ),
    ] = "quality",
    db: DbOption = None,
    as_json: AsJsonOption = False,
) -> None:
    """Generate the demo period, load it into the warehouse and show what it holds (`make demo`)."""
    if tier not in ("quality", "fast"):
        fail(f"unknown --tier {tier!r}: use quality or fast")
    config = DemoConfig(customers=customers, days=days, seed=seed, start=_date(start), out=out)
    summary = generate(config)
    from signalroom.journeys.drivers import DriversConfig, find_drivers
    from signalroom.pipeline.analyze import analyze
    from signalroom.pipeline.reasons.listing import reason_listing
    from signalroom.qa.agents import agent_consistency
    from signalroom.qa.run import score

    with open_store(db) as store:
        loader = Loader(store, resolve_identities=True)
        if redact:
            from signalroom.pipeline.redact.at_ingest import IngestRedactor

            loader.redactor = IngestRedactor()
        [load] = loader.ingest([out], fmt="jsonl", source=DEMO_SOURCE)
        analysis = analyze(store, tier=tier)
        reasons = reason_listing(store)
        result = warehouse_stats(store)
        repeat_drivers = find_drivers(store, DriversConfig(outcome="repeat_contact", top=3))
        qa = score(store)
        coaching = [f for f in agent_consistency(store) if f.finding == "coaching"]
    truth = orjson.loads((out / TRUTH_DIR / "truth.json").read_bytes())
    planted = {name: _describe(item) for name, item in truth.get("phenomena", {}).items()}
    if as_json:
        emit_json(
            {
                "demo": summary.to_dict(),
                "load": load.to_dict(),
                "analysis": analysis.to_dict(),
                "reasons": reasons,
                "stats": result.to_dict(),
                "identity": loader.identity.to_dict() if loader.identity else None,
                "repeat_contact_drivers": repeat_drivers.to_dict(),
                "qa": qa.to_dict(),
                "qa_coaching": [f.to_dict() for f in coaching],
                "planted": planted,
            }
        )
        return
    console = Console()
    console.print(
        f"Generated {summary.interactions:,} interactions for {summary.customers:,} customers over "
        f"{summary.days} days into {summary.out}; loaded as source '{DEMO_SOURCE}': "
        f"{load.counts.inserted:,} new, {load.counts.updated:,} updated, {load.counts.unchanged:,} unchanged, "
        f"{load.counts.quarantined:,} quarantined."
    )
    print_stats(result)
    if loader.identity:
        identity = loader.identity
        console.print(
            f"Identity resolution: {identity.records:,} records belong to {identity.people:,} people "
            f"({identity.conflicts:,} conflicts) — see `signalroom customers list`."
        )
    run = analysis.run
    console.print(
        f"Analysed {run.interactions:,} interactions ({run.flagged:,} not fully, see `signalroom analyze --help`)."
    )
    if reasons:
        top = Table(title=f"Contact reasons discovered from what customers said (model v{reasons['model_version']})")
        top.add_column("id", justify="right")
        top.add_column("reason")
        top.add_column("interactions", justify="right")
        top.add_column("for example")
        for reason in reasons["reasons"][:12]:
            example = reason["examples"][0] if reason["examples"] else ""
            top.add_row(str(reason["id"]), reason["name"], f"{reason['interactions']:,}", example)
        console.print(top)
    if repeat_drivers.drivers:
        console.print("[bold]What drives repeat contact[/] (signalroom drivers --outcome repeat_contact):")
        for driver in repeat_drivers.drivers:
            console.print(f"  • {driver.text('repeat_contact', repeat_drivers.unit)}", highlight=False)
    console.print(
        f"Automated QA scored {qa.interactions:,} interactions with {', '.join(qa.scorecards)}; "
        "agents needing coaching (signalroom qa agents):"
    )
    for f in coaching:
        console.print(
            f"  • {f.agent_id} ({f.team}) on {f.criterion_id}: {f.failures} of {f.answers} failed, "
            f"{f.expected:.1f} expected from peers on the same reasons",
            highlight=False,
        )
    if analysis.signals:
        console.print("[bold]Emerging signals[/], ranked, with their owners (signalroom signals):")
        for signal in analysis.signals:
            console.print(
                f"  {signal['rank']}. {signal['title']} — found by {', '.join(signal['detectors'])}, first detected "
                f"{signal['first_detected']}; owner {signal['owner_function']}: {signal['owner']}",
                highlight=False,
            )
        first, last = config.start + dt.timedelta(days=4), config.start + dt.timedelta(days=config.days - 1)
        console.print(
            f"  Replay the period day by day: signalroom signals detect --backtest {first} {last} "
            "(--incidents examples/incidents/demo-month.yaml for the default month)",
            highlight=False,
        )
    table = Table(title="Planted in this month, for the analysis to find (truth in .truth/truth.json)")
    table.add_column("phenomenon")
    table.add_column("what happened")
    for name, description in planted.items():
        table.add_row(name.replace("_", " "), description)
    console.print(table)
    console.print(
        "Explore: [bold]signalroom topics[/], [bold]signalroom drivers --outcome negative_end[/], "
        "[bold]signalroom metrics --by channel[/], [bold]signalroom context ID[/], "
        "[bold]signalroom interactions show ID[/], `signalroom --help`."
    )
