"""`signalroom topics`: the contact reasons discovered from what customers say."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, fail, open_store
from signalroom.store import analysis_writes, reason_models

if TYPE_CHECKING:
    from signalroom.pipeline.reasons import ReasonModel

app = typer.Typer(
    help="The contact reasons discovered from what customers say; rename, merge and split them.",
    invoke_without_command=True,
)

TierOption = Annotated[str, typer.Option(help="The embedding tier the reasons were discovered on.")]


def _load(store: Any, tier: str) -> tuple[int, ReasonModel]:
    from signalroom.pipeline.reasons import ReasonModel

    stored = reason_models.latest_model(store, tier)
    if stored is None:
        fail("no contact reasons yet: run `signalroom analyze` first")
    return stored[0], ReasonModel.from_json(stored[1])


@app.callback()
def topics(
    ctx: typer.Context,
    tier: TierOption = "fast",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """List the contact reasons with their sub-reasons, sizes, key phrases and examples."""
    if ctx.invoked_subcommand is not None:
        return
    from signalroom.pipeline.analyze import reason_listing

    with open_store(db, read_only=True) as store:
        listing = reason_listing(store, tier)
    if listing is None:
        fail("no contact reasons yet: run `signalroom analyze` first")
    if json:
        emit_json(listing)
        return
    table = Table(title=f"Contact reasons (model v{listing['model_version']}, {listing['tier']} tier)", show_lines=True)
    for column in ("id", "reason", "interactions", "key phrases", "example", "sub-reasons"):
        table.add_column(column, overflow="fold")
    for reason in listing["reasons"]:
        subs = "\n".join(f"{s['id']}: {s['name']} ({s['size']})" for s in reason["sub_reasons"])
        example = reason["examples"][0] if reason["examples"] else ""
        table.add_row(
            str(reason["id"]),
            reason["name"],
            f"{reason['interactions']:,}",
            ", ".join(reason["keywords"]),
            example,
            subs,
        )
    console.print(table)
    console.print(f"Unexplained by these reasons: {listing['unexplained']:,} interactions.")


def _save_and_reassign(store: Any, tier: str, version: int, model: ReasonModel) -> int:
    reason_models.replace_model_state(store, version, model.to_json())
    keys, texts, matrix = reason_models.purpose_embeddings(store, tier)
    if keys:
        assignments = dict(zip(keys, model.assign(texts, matrix), strict=True))
        analysis_writes.write_reasons(store, version, "discovered", assignments, run_id=0)
    return len(keys)


@app.command()
def rename(
    topic_id: Annotated[int, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Argument(metavar="NAME")],
    tier: TierOption = "fast",
    db: DbOption = None,
) -> None:
    """Give a reason (or sub-reason) a name of your own; refits keep it."""
    with open_store(db) as store:
        version, model = _load(store, tier)
        try:
            model.rename(topic_id, name)
        except (KeyError, ValueError) as exc:
            fail(f"cannot rename {topic_id}: {exc}")
        reason_models.replace_model_state(store, version, model.to_json())
    console.print(f"Reason {topic_id} is now called {name!r}.")


@app.command()
def merge(
    topic_ids: Annotated[list[int], typer.Argument(metavar="ID...", help="Two or more reasons to merge.")],
    tier: TierOption = "fast",
    db: DbOption = None,
) -> None:
    """Merge reasons into one; their interactions are reassigned."""
    if len(topic_ids) < 2:
        fail("name at least two reasons to merge")
    with open_store(db) as store:
        version, model = _load(store, tier)
        try:
            merged = model.merge(topic_ids)
        except (KeyError, ValueError) as exc:
            fail(f"cannot merge {topic_ids}: {exc}")
        reassigned = _save_and_reassign(store, tier, version, model)
    console.print(f"Merged into reason {merged}; {reassigned:,} interactions reassigned.")


@app.command()
def split(
    topic_id: Annotated[int, typer.Argument(metavar="ID")],
    into: Annotated[int, typer.Option("--into", min=2, help="How many reasons to split it into.")] = 2,
    tier: TierOption = "fast",
    db: DbOption = None,
) -> None:
    """Split a reason in several; its interactions are reassigned."""
    with open_store(db) as store:
        version, model = _load(store, tier)
        try:
            made = model.split(topic_id, into)
        except (KeyError, ValueError) as exc:
            fail(f"cannot split {topic_id}: {exc}")
        reassigned = _save_and_reassign(store, tier, version, model)
    console.print(f"Split into reasons {', '.join(map(str, made))}; {reassigned:,} interactions reassigned.")
