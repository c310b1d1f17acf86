"""`signalroom topics`: the contact reasons discovered from what customers say, or those of a
taxonomy the user seeded, and the discovered reasons that taxonomy does not cover."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.table import Table

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, fail, open_store
from signalroom.pipeline.reasons.edits import save_and_reassign
from signalroom.store import reason_models

if TYPE_CHECKING:
    from signalroom.pipeline.reasons import ReasonModel

T = TypeVar("T")

app = typer.Typer(
    help="The contact reasons discovered from what customers say; rename, merge and split them, "
    "or seed a taxonomy of your own.",
    invoke_without_command=True,
)

TierOption = Annotated[
    str | None,
    typer.Option(
        help="The embedding tier the reasons were discovered on (default: the tier in use).", show_default=False
    ),
]


def _tier(store: Any, tier: str | None) -> str:
    from signalroom.pipeline.reasons.listing import resolve_tier

    return resolve_tier(store, tier)


def _load(store: Any, tier: str) -> tuple[int, ReasonModel]:
    from signalroom.pipeline.reasons import ReasonModel

    stored = reason_models.latest_model(store, tier)
    if stored is None:
        fail("no contact reasons yet: run `signalroom analyze` first")
    return stored[0], ReasonModel.from_json(stored[1])


@app.callback()
def topics(
    ctx: typer.Context,
    tier: TierOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """List the contact reasons with their sub-reasons, sizes, key phrases and examples (those of
    the seeded taxonomy when there is one)."""
    if ctx.invoked_subcommand is not None:
        return
    from signalroom.pipeline.reasons.listing import reason_listing
    from signalroom.pipeline.seed import taxonomy_listing

    with open_store(db, read_only=True) as store:
        tier = _tier(store, tier)
        seeded = taxonomy_listing(store, tier)
        listing = reason_listing(store, tier) if seeded is None else None
    if seeded is not None:
        _print_taxonomy(seeded, json)
        return
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


def _print_taxonomy(listing: dict[str, Any], json: bool) -> None:
    if json:
        emit_json(listing)
        return
    console.print(
        f"A seeded taxonomy (v{listing['taxonomy_version']}, {listing['tier']} tier) assigns the reasons. "
        "Discovered reasons it does not cover: [bold]signalroom topics candidates[/]; "
        "back to the discovered reasons: [bold]signalroom topics unseed[/]."
    )
    table = Table(title="Contact reasons (seeded taxonomy)", show_lines=True)
    for column in ("id", "reason", "interactions", "description", "example", "sub-reasons"):
        table.add_column(column, overflow="fold")
    for reason in listing["reasons"]:
        subs = "\n".join(f"{c['id']}: {c['name']} ({c['interactions']:,})" for c in reason["children"])
        table.add_row(
            str(reason["id"]),
            reason["name"],
            f"{reason['interactions']:,}",
            reason["description"],
            reason["examples"][0],
            subs,
        )
    console.print(table)
    console.print(
        f"Unexplained by the taxonomy (below {listing['threshold']:.2f} cosine to every example): "
        f"{listing['unexplained']:,} interactions."
    )


def _edit(db: Path | None, tier: str | None, what: str, change: Callable[[ReasonModel], T]) -> tuple[T, int]:
    """Apply a user's edit to the model in use, store it and reassign the interactions."""
    with open_store(db) as store:
        tier = _tier(store, tier)
        version, model = _load(store, tier)
        try:
            result = change(model)
        except (KeyError, ValueError) as exc:
            fail(f"cannot {what}: {exc}")
        return result, save_and_reassign(store, tier, version, model)


@app.command()
def rename(
    topic_id: Annotated[int, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Argument(metavar="NAME")],
    tier: TierOption = None,
    db: DbOption = None,
) -> None:
    """Give a reason (or sub-reason) a name of your own; refits keep it."""
    with open_store(db) as store:
        version, model = _load(store, _tier(store, tier))
        try:
            model.rename(topic_id, name)
        except (KeyError, ValueError) as exc:
            fail(f"cannot rename {topic_id}: {exc}")
        reason_models.replace_model_state(store, version, model.to_json())
    console.print(f"Reason {topic_id} is now called {name!r}.")


@app.command()
def merge(
    topic_ids: Annotated[list[int], typer.Argument(metavar="ID...", help="Two or more reasons to merge.")],
    tier: TierOption = None,
    db: DbOption = None,
) -> None:
    """Merge reasons into one; their interactions are reassigned."""
    if len(topic_ids) < 2:
        fail("name at least two reasons to merge")
    merged, reassigned = _edit(db, tier, f"merge {topic_ids}", lambda model: model.merge(topic_ids))
    console.print(f"Merged into reason {merged}; {reassigned:,} interactions reassigned.")


@app.command()
def split(
    topic_id: Annotated[int, typer.Argument(metavar="ID")],
    into: Annotated[int, typer.Option("--into", min=2, help="How many reasons to split it into.")] = 2,
    tier: TierOption = None,
    db: DbOption = None,
) -> None:
    """Split a reason in several; its interactions are reassigned."""
    made, reassigned = _edit(db, tier, f"split {topic_id}", lambda model: model.split(topic_id, into))
    console.print(f"Split into reasons {', '.join(map(str, made))}; {reassigned:,} interactions reassigned.")


@app.command()
def seed(
    file: Annotated[Path, typer.Argument(metavar="FILE.yaml", help="The taxonomy: name, description, examples.")],
    tier: Annotated[
        str | None,
        typer.Option(
            help="The embedding tier to embed the examples with: fast or quality (default: the tier in use).",
            show_default=False,
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            help="Cosine to the nearest example below which an interaction is unexplained "
            "(default 0.6 on the fast tier, 0.45 on quality).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Seed your own reason taxonomy and assign every analysed interaction to it."""
    from signalroom.pipeline.embed import EmbeddingError
    from signalroom.pipeline.seed import SeedError, TaxonomyError, seed_taxonomy

    with open_store(db) as store:
        try:
            report = seed_taxonomy(store, file, tier=_tier(store, tier), threshold=threshold)
        except (TaxonomyError, SeedError, EmbeddingError, ImportError) as exc:
            fail(str(exc))
    if json:
        emit_json(report)
        return
    console.print(
        f"Seeded taxonomy v{report['taxonomy_version']} ({report['reasons']} reasons, {report['examples']} examples, "
        f"{report['tier']} tier) and assigned {report['assigned']:,} interactions; "
        f"{report['unexplained']:,} are unexplained by it. "
        "See them with [bold]signalroom topics[/] and [bold]signalroom topics candidates[/]."
    )
    if not report["assigned"]:
        console.print(
            f"[yellow]No interaction is analysed on the {report['tier']} tier yet: `signalroom analyze` assigns them."
        )


@app.command()
def unseed(
    tier: Annotated[
        str | None,
        typer.Option(help="The tier whose taxonomy to remove (default: the tier in use).", show_default=False),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Stop using the seeded taxonomy and go back to the discovered reasons."""
    from signalroom.pipeline.seed import SeedError, unseed_taxonomy

    with open_store(db) as store:
        try:
            report = unseed_taxonomy(store, tier=_tier(store, tier))
        except SeedError as exc:
            fail(str(exc))
    if json:
        emit_json(report)
        return
    back = (
        f"{report['reassigned']:,} interactions reassigned to the discovered reasons (model v{report['model_version']})"
        if report["model_version"] is not None
        else "no discovered reasons yet: `signalroom analyze` finds them"
    )
    console.print(f"Taxonomy v{report['removed_taxonomy_version']} is no longer used; {back}.")


@app.command()
def candidates(
    tier: TierOption = None,
    min_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of a discovered reason the taxonomy leaves unexplained.")
    ] = 0.5,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Discovered reasons the seeded taxonomy does not cover: candidate new reasons."""
    from signalroom.pipeline.seed import SeedError, candidate_listing

    with open_store(db, read_only=True) as store:
        try:
            listing = candidate_listing(store, _tier(store, tier), min_share=min_share)
        except SeedError as exc:
            fail(str(exc))
    if json:
        emit_json(listing)
        return
    found = listing["candidates"]
    if not found:
        console.print(
            f"The taxonomy (v{listing['taxonomy_version']}) covers every discovered reason: "
            f"{listing['unexplained_by_taxonomy']:,} of {listing['interactions']:,} interactions are unexplained by it."
        )
        return
    table = Table(
        title=f"Candidate new reasons (taxonomy v{listing['taxonomy_version']}, model v{listing['model_version']})",
        show_lines=True,
    )
    for column in ("id", "discovered reason", "interactions", "unexplained", "example", "nearest taxonomy reason"):
        table.add_column(column, overflow="fold")
    for c in found:
        table.add_row(
            str(c["topic_id"]),
            c["label"],
            f"{c['size']:,}",
            f"{c['unexplained_share']:.0%}",
            c["examples"][0] if c["examples"] else "",
            c["nearest_reason"] or "",
        )
    console.print(table)
    console.print(
        f"{listing['unexplained_by_taxonomy']:,} of {listing['interactions']:,} interactions are unexplained by the "
        "taxonomy. Add a reason to the YAML and seed it again to cover one."
    )
