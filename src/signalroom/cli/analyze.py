"""`signalroom analyze`: analyse every interaction that is new or changed."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, err_console, fail, open_store
from signalroom.pipeline.names import DEFAULT_BATCH_SIZE, STAGE_ORDER


def analyze_command(
    full: Annotated[
        bool, typer.Option("--full", help="Recompute every interaction, not only new or changed ones.")
    ] = False,
    tier: Annotated[
        str | None,
        typer.Option(
            help="Embedding tier: fast (static, distilled) or quality (MiniLM). Default: the tier of the reasons "
            "in use, else fast.",
            show_default=False,
        ),
    ] = None,
    skip: Annotated[
        list[str] | None, typer.Option("--skip", help=f"Skip a stage (repeatable): {', '.join(STAGE_ORDER)}.")
    ] = None,
    refit: Annotated[
        bool, typer.Option("--refit", help="Rediscover the contact reasons (their ids are kept).")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Interactions per batch.")] = DEFAULT_BATCH_SIZE,
    signals: Annotated[
        bool, typer.Option("--signals/--no-signals", help="Detect and store the ranked list of emerging signals.")
    ] = True,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Redact, embed, find the contact reason, sentiment, conversation metrics and situation."""
    # The analysis pulls in Presidio, numpy and the embedding models: imported only when used.
    from signalroom.pipeline.analyze import AnalyzeError, analyze
    from signalroom.pipeline.embed import EmbeddingError

    with open_store(db) as store:
        try:
            if json or not sys.stderr.isatty():
                report = analyze(
                    store, full=full, tier=tier, skip=skip or (), refit=refit, batch_size=batch_size,
                    detect_signals=signals,
                )  # fmt: skip
            else:
                with Progress(
                    TextColumn("[bold]analysing"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=err_console,
                    transient=True,
                ) as bar:
                    task = bar.add_task("analyse", total=None)
                    report = analyze(
                        store,
                        full=full,
                        tier=tier,
                        skip=skip or (),
                        refit=refit,
                        batch_size=batch_size,
                        detect_signals=signals,
                        progress=lambda done, total: bar.update(task, completed=done, total=total),
                    )
        except (AnalyzeError, EmbeddingError, ImportError) as exc:
            fail(str(exc))
    if json:
        emit_json(report.to_dict())
        return
    run = report.run
    rate = f" ({run.interactions / run.seconds:,.0f}/s)" if run.seconds and run.interactions else ""
    console.print(f"Analysed {run.interactions:,} interactions in {run.seconds:.1f} s{rate} (run {run.run_id}).")
    if run.flags:
        flags = Table(title=f"{run.flagged:,} not fully analysed, and why")
        flags.add_column("reason")
        flags.add_column("interactions", justify="right")
        for reason, count in run.flags.most_common(12):
            flags.add_row(reason, f"{count:,}")
        console.print(flags)
    if report.refitted:
        console.print(
            f"Discovered {report.topics} contact reasons (model v{report.model_version}) and assigned "
            f"{report.assigned:,} interactions. See them with [bold]signalroom topics[/]."
        )
    elif report.note:
        console.print(f"[yellow]{report.note}[/]")
    if report.episodes:
        ep = report.episodes
        console.print(
            f"Rebuilt {ep.episodes:,} episodes from {ep.contacts:,} contacts (window {ep.window_days} days). "
            "See the outcomes with [bold]signalroom metrics[/]."
        )
    if report.signals is not None:
        top = "; ".join(f"#{s['rank']} {s['title']} ({s['owner_function']})" for s in report.signals[:3])
        console.print(
            f"Detected {len(report.signals)} emerging signal(s){': ' + top if top else ''}. "
            "See them with [bold]signalroom signals[/]."
        )
    elif report.signals_note:
        console.print(f"[yellow]No signals: {report.signals_note}[/]")
