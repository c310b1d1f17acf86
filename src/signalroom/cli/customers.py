"""`signalroom customers`: who the customer is across channels, and everything they did."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, fail, open_store
from signalroom.journeys.identifiers import IdentifierError
from signalroom.journeys.identity import (
    IdentityLookupError,
    OverrideResult,
    ResolveSummary,
    find_person,
    merge,
    resolve,
    split,
    undo,
)
from signalroom.store.identity import is_stale, list_overrides
from signalroom.store.identity_reads import (
    PersonDetail,
    channel_mix,
    identity_counts,
    list_conflicts,
    list_people,
    person_detail,
)
from signalroom.store.warehouse import Store

app = typer.Typer(
    help="Who the customer is across channels (identity resolution), and their timeline.", no_args_is_help=True
)

NoteOption = Annotated[str | None, typer.Option(help="Why, kept with the override.")]


def _print_resolution(summary: ResolveSummary) -> None:
    console.print(
        f"Resolved {summary.records:,} records into {summary.people:,} people by {summary.identifiers:,} "
        f"identifiers ({summary.mode}: {summary.records_read:,} records read, {summary.records_placed:,} placed, "
        f"{summary.seconds:.2f} s; phone region {summary.phone_region})."
    )
    if summary.unplaced:
        console.print(f"[yellow]{summary.unplaced:,} records carry no usable identifier and belong to nobody.[/]")
    if summary.conflicts:
        console.print(
            f"[yellow]{summary.conflicts:,} conflicts[/]: identifiers shared by customers kept apart — "
            "see [bold]signalroom customers conflicts[/]."
        )
    if summary.overrides:
        console.print(f"{summary.overrides:,} manual overrides applied (signalroom customers overrides).")


def _up_to_date(store: Store) -> None:
    """Resolve the records loaded since the last resolution (incremental: cheap when few are new)."""
    if is_stale(store):
        resolve(store)


@app.command("resolve")
def resolve_command(
    full: Annotated[bool, typer.Option("--full", help="Rebuild from every record, not only new loads.")] = False,
    phone_region: Annotated[
        str | None,
        typer.Option(
            "--phone-region",
            help="Country (ISO 3166 code, e.g. GB, US) of phone numbers written without their country code; "
            "kept for later resolutions. Default GB.",
        ),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Bring identity resolution up to date (`analyze` and the other `customers` commands also do)."""
    with open_store(db) as store:
        try:
            summary = resolve(store, full=full, region=phone_region)
        except IdentifierError as exc:
            fail(str(exc))
    if json:
        emit_json(summary.to_dict())
    else:
        _print_resolution(summary)


def _timeline_row(entry: dict[str, Any]) -> tuple[str, str, str, str]:
    record = entry["record"]
    if record == "interaction":
        parts = [f"queue {entry['queue']}" if entry["queue"] else None]
        if entry["agent_id"]:
            parts.append(f"agent {entry['agent_name'] or entry['agent_id']}")
        if entry["reason"]:
            parts.append(f"reason {entry['reason']}")
        if entry["resolved"] is not None:
            parts.append("resolved" if entry["resolved"] else "[yellow]unresolved[/]")
        if entry["disposition"] and entry["disposition"] not in ("resolved", "unresolved"):
            parts.append(entry["disposition"])
        what = " · ".join(p for p in parts if p)
        kind = entry["channel"]
    elif record == "event":
        what = entry["type"]
        kind = f"{entry['channel'] or '—'} event"
    else:
        scores = [f"{name} {entry[name]}" for name in ("csat", "nps", "ces") if entry[name] is not None]
        about = f" on {entry['interaction_id']}" if entry["interaction_id"] else ""
        what = " · ".join(scores) + about
        kind = "survey"
    return f"{entry['at']:%Y-%m-%d %H:%M}", kind, what, entry["id"]


def print_person(detail: PersonDetail, moved_from: int | None) -> None:
    names = ", ".join(n["name"] for n in detail.names[:3]) or "no name known"
    console.print(f"[bold]P{detail.person_id}[/] · {names} · anchored by {detail.anchor}")
    if moved_from is not None:
        console.print(f"(P{moved_from} was merged into P{detail.person_id})")
    for profile in detail.profiles:
        extra = ", ".join(str(v) for v in (profile["segment"], profile["value"]) if v is not None)
        console.print(
            f"Profile {profile['source']}/{profile['id']}: {profile['name'] or '—'} {f'({extra})' if extra else ''}"
        )
    identifiers = Table(title="Identifiers")
    for column in ("kind", "value", "records", "in a profile", "note"):
        identifiers.add_column(column)
    for item in detail.identifiers:
        note = "shared: not linked" if item["contested"] else "split off by hand" if item["detached"] else ""
        identifiers.add_row(
            item["kind"], item["value"], f"{item['records']:,}", "yes" if item["in_profile"] else "", note
        )
    console.print(identifiers)
    counts = detail.counts
    channels = ", ".join(f"{c} {n}" for c, n in detail.channels.items()) or "none"
    console.print(
        f"{counts['interactions']:,} interactions ({channels}), {counts['events']:,} events, "
        f"{counts['surveys']:,} surveys."
    )
    timeline = Table(title="Timeline (UTC)")
    for column in ("when", "what", "detail", "id"):
        timeline.add_column(column, overflow="fold")
    for entry in detail.timeline:
        timeline.add_row(*_timeline_row(entry))
    console.print(timeline)
    if detail.timeline_total > len(detail.timeline):
        console.print(f"The last {len(detail.timeline):,} of {detail.timeline_total:,} entries (--limit 0 for all).")
    if detail.conflicts:
        console.print(
            f"[yellow]Part of conflict {', '.join(map(str, detail.conflicts))}[/]: see signalroom customers conflicts."
        )
    if detail.overrides:
        console.print(f"Manual overrides: {', '.join(map(str, detail.overrides))} (signalroom customers overrides).")


@app.command()
def show(
    who: Annotated[
        str,
        typer.Argument(
            metavar="ID-OR-IDENTIFIER",
            help="A person id (P42), a customer id, email, phone, handle or account number; "
            "kind:value (e.g. phone:07174 757654) when a value could be several kinds.",
        ),
    ],
    limit: Annotated[
        int, typer.Option(min=0, help="At most this many timeline entries, the most recent (0: all).")
    ] = 200,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Who the customer is — names, identifiers, profiles — and their timeline across channels."""
    with open_store(db) as store:
        _up_to_date(store)
        try:
            found = find_person(store, who)
        except IdentityLookupError as exc:
            fail(str(exc))
        detail = person_detail(store, found.person_id, limit or None)
    if detail is None:
        fail(f"no person P{found.person_id}")
    if json:
        data = detail.to_dict()
        data["asked"] = found.asked
        data["matched"] = str(found.matched) if found.matched else None
        data["merged_from"] = f"P{found.moved_from}" if found.moved_from is not None else None
        emit_json(data)
    else:
        print_person(detail, found.moved_from)


@app.command("list")
def list_command(
    limit: Annotated[int, typer.Option(min=1, help="At most this many people, most interactions first.")] = 20,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """How many people, how many reached us on several channels, and those with the most contacts."""
    with open_store(db) as store:
        _up_to_date(store)
        counts = identity_counts(store)
        mix = channel_mix(store)
        people = list_people(store, limit)
    if json:
        emit_json({**counts, "channels": mix, "most_contacts": [p.to_dict() for p in people]})
        return
    console.print(
        f"{counts['people']:,} people ({counts['people_with_profile']:,} with a profile) from "
        f"{counts['records']:,} records; {counts['conflicts']:,} conflicts, {counts['overrides']:,} overrides."
    )
    if mix:
        console.print("Reached us on " + ", ".join(f"{k}: {v:,}" for k, v in mix.items()) + ".")
    table = Table(title="Most contacts")
    for column in ("person", "name", "interactions", "channels", "identifiers", "profiles", "last contact"):
        table.add_column(column)
    for p in people:
        table.add_row(
            f"P{p.person_id}" + (" (shared)" if p.shared else ""),
            p.name or "—",
            f"{p.interactions:,}",
            ", ".join(p.channels),
            str(p.identifiers),
            str(p.profiles),
            f"{p.last_contact:%Y-%m-%d}" if p.last_contact else "—",
        )
    console.print(table)


@app.command()
def conflicts(
    limit: Annotated[int, typer.Option(min=1, help="At most this many conflicts.")] = 50,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Identifiers shared by customer ids of one source (a household phone, a joint account), which
    were not used to merge them."""
    with open_store(db) as store:
        _up_to_date(store)
        total = identity_counts(store)["conflicts"]
        found = list_conflicts(store, limit)
    if json:
        emit_json({"total": total, "conflicts": [c.to_dict() for c in found]})
        return
    if not found:
        console.print("No conflicts: no identifier is shared by two customer ids of one source.")
        return
    table = Table(title=f"Conflicts ({total:,})", show_lines=True)
    for column in ("#", "shared identifiers", "customers kept apart", "records", "for example"):
        table.add_column(column, overflow="fold")
    for c in found:
        customers = "\n".join(f"id:{x['id']} → P{x['person_id']} ({', '.join(x['sources'])})" for x in c.customers)
        examples = "\n".join(f"{e['record']} {e['id']}" for e in c.examples)
        table.add_row(
            str(c.conflict_id), "\n".join(c.shared) + f"\n→ P{c.person_id}", customers, f"{c.records:,}", examples
        )
    console.print(table)
    console.print(
        "The records carrying only a shared identifier form the person shown under it. If the customers "
        "are one person: signalroom customers merge A B."
    )


def _print_override(result: OverrideResult) -> None:
    what = " and ".join(result.identifiers)
    verb = "Merged" if result.action == "merge" else "Split off"
    console.print(f"{verb} {what}: override {result.override_id}; now P{result.person_id}.")
    if result.removed_merges:
        console.print(f"Removed the earlier merges naming it: {', '.join(map(str, result.removed_merges))}.")
    _print_resolution(result.resolution)


@app.command("merge")
def merge_command(
    first: Annotated[str, typer.Argument(metavar="A", help="A person id or identifier.")],
    second: Annotated[str, typer.Argument(metavar="B", help="Another person id or identifier.")],
    note: NoteOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Make the people of A and B one person, whatever the rules say; kept across reloads."""
    with open_store(db) as store:
        try:
            result = merge(store, first, second, note)
        except IdentityLookupError as exc:
            fail(str(exc))
    if json:
        emit_json(result.to_dict())
    else:
        _print_override(result)


@app.command("split")
def split_command(
    identifier: Annotated[
        str, typer.Argument(metavar="IDENTIFIER", help="The identifier to detach, e.g. phone:+447700900123.")
    ],
    note: NoteOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Detach an identifier from its person: it links nothing any more, and the records carrying
    only it become a person of their own. Kept across reloads."""
    with open_store(db) as store:
        try:
            result = split(store, identifier, note)
        except IdentityLookupError as exc:
            fail(str(exc))
    if json:
        emit_json(result.to_dict())
    else:
        _print_override(result)


@app.command()
def overrides(db: DbOption = None, json: JsonOption = False) -> None:
    """The manual merges and splits, oldest first."""
    with open_store(db, read_only=True) as store:
        found = list_overrides(store)
    if json:
        emit_json({"overrides": [o.to_dict() for o in found]})
        return
    if not found:
        console.print("No manual merges or splits.")
        return
    table = Table(title="Manual overrides")
    for column in ("#", "action", "identifiers", "note", "when", "active"):
        table.add_column(column)
    for o in found:
        names = f"{o.kind}:{o.value}" + (f" + {o.other_kind}:{o.other_value}" if o.other_kind else "")
        table.add_row(
            str(o.override_id),
            o.action,
            names,
            o.note or "",
            f"{o.created_at:%Y-%m-%d %H:%M}",
            "yes" if o.active else "no",
        )
    console.print(table)


@app.command("undo")
def undo_command(
    override_id: Annotated[int, typer.Argument(metavar="OVERRIDE", help="The override's number.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Remove a manual merge or split and resolve again."""
    with open_store(db) as store:
        try:
            summary = undo(store, override_id)
        except IdentityLookupError as exc:
            fail(str(exc))
    if json:
        emit_json({"removed": override_id, "resolution": summary.to_dict()})
    else:
        console.print(f"Removed override {override_id}.")
        _print_resolution(summary)
