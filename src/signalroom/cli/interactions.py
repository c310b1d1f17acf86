"""`signalroom interactions`: one interaction with everything the analysis found."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, fail, open_store
from signalroom.store.analysis_reads import InteractionDetail, find_interaction_sources, interaction_detail

app = typer.Typer(help="Look at single interactions.", no_args_is_help=True)


def _clock(turn: Any, started: Any) -> str:
    if turn.offset_ms is not None:
        seconds = turn.offset_ms // 1000
        return f"{seconds // 60:02d}:{seconds % 60:02d}"
    if turn.occurred_at is not None:
        return f"{turn.occurred_at:%H:%M:%S}"
    return ""


def _marked(text: str) -> Text:
    """The turn text with redaction marks highlighted."""
    styled = Text(text)
    styled.highlight_regex(r"\[[A-Z_]+\]", "bold magenta")
    return styled


def print_detail(detail: InteractionDetail) -> None:
    rec = detail.record
    console.print(
        f"[bold]{detail.id}[/] ({detail.source}) · {rec['channel']} · {rec['started_at']:%Y-%m-%d %H:%M} UTC"
        f" · queue {rec.get('queue') or '—'} · agent {rec.get('agent_id') or '—'}"
    )
    if detail.analysed is None:
        console.print("[yellow]Not analysed yet: run `signalroom analyze`.[/]")
    else:
        stale = (
            " [yellow](the interaction changed since: rerun `signalroom analyze`)[/]"
            if detail.analysed["stale"]
            else ""
        )
        console.print(f"Analysed in run {detail.analysed['run_id']}{stale}")
        if detail.analysed["flags"]:
            console.print(f"[yellow]Not fully analysed:[/] {'; '.join(detail.analysed['flags'])}")
        if detail.analysed["purpose_text"]:
            console.print(f"[bold]Customer's purpose:[/] {detail.analysed['purpose_text']}")
    if detail.reason:
        reason = detail.reason
        label = reason.get("label") or f"topic {reason['topic_id']}"
        if reason.get("sub_label"):
            label += f" › {reason['sub_label']}"
        note = " [yellow](unexplained by the known reasons)[/]" if reason["unexplained"] else ""
        console.print(f"[bold]Reason:[/] {label} · confidence {reason['confidence']:.2f}{note}")
    transcript = Table(title="Transcript", show_lines=False)
    transcript.add_column("when", style="dim")
    transcript.add_column("who")
    transcript.add_column("text", overflow="fold")
    sentiment = (detail.results.get("sentiment") or {}).get("turn_scores") or []
    if sentiment:
        transcript.add_column("sentiment", justify="right")
    for turn in detail.turns:
        cells: list[Any] = [_clock(turn, rec["started_at"]), turn.speaker, _marked(turn.text)]
        if sentiment:
            score = sentiment[turn.seq] if turn.seq < len(sentiment) else None
            cells.append("" if score is None else f"{score:+.2f}")
        transcript.add_row(*cells)
    console.print(transcript)
    for stage, result in detail.results.items():
        if stage == "sentiment":
            result = {k: v for k, v in result.items() if k != "turn_scores"}
        console.print(f"[bold]{stage}[/]")
        console.print_json(data=result)


@app.command()
def show(
    interaction_id: Annotated[str, typer.Argument(metavar="ID", help="The interaction's id.")],
    source: Annotated[str | None, typer.Option(help="The source, when the id exists in several.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Transcript with redaction marks, reason, sentiment, metrics and situation."""
    with open_store(db, read_only=True) as store:
        if source is None:
            sources = find_interaction_sources(store, interaction_id)
            if not sources:
                fail(f"no interaction {interaction_id!r}")
            if len(sources) > 1:
                fail(f"interaction {interaction_id!r} exists in several sources ({', '.join(sources)}): pass --source")
            source = sources[0]
        detail = interaction_detail(store, source, interaction_id)
    if detail is None:
        fail(f"no interaction {interaction_id!r} in source {source!r}")
    if json:
        emit_json(detail.to_dict())
    else:
        print_detail(detail)
