"""`signalroom context`: the handoff context card for one interaction (docs/context.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, fail, open_store
from signalroom.journeys.context import DEFAULT_HOURS, ContextCard, ContextError, build_card
from signalroom.journeys.next_issue import evaluate, history, model_in_use


def _when(value: object) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else "—"


def print_card(card: ContextCard) -> None:
    i, c = card.interaction, card.customer
    who = f"{c.person_id} · {c.name or 'no name known'}" if c.identified else "customer not identified"
    console.print(f"[bold]{i.channel} {i.source}/{i.id}[/] · {_when(i.started_at)} UTC · queue {i.queue or '—'}")
    ids = ", ".join(f"{k} {n}" for k, n in c.identifiers.items())
    console.print(f"[bold]Customer[/]: {who}" + (f" · {ids} · {c.contacts_before} earlier contacts" if ids else ""))
    if len(i.chain) > 1:
        console.print("Chain: " + " → ".join(f"{s['channel']} {s['id']}" for s in i.chain))
    if i.reason:
        console.print(f"Reason: {i.reason}")
    p = card.prior
    console.print(f"[bold]Last {p.hours} h[/]: {len(p.events)} events")
    for e in p.events:
        mark = "[red]failed[/] " if e["failed"] else ""
        console.print(f"  {_when(e['at'])} {mark}{e['type']} ({e['channel'] or '—'})", highlight=False)
    for b in p.bot_sessions:
        console.print(f"  Bot {b.id} {_when(b.started_at)}: {b.intent or ''} → {b.outcome or '—'}")
        if b.purpose:
            console.print(f'    said: "{b.purpose}"', highlight=False)
        for t in b.last_turns:
            console.print(f"    {t['speaker']}: {t['text']}", highlight=False)
    if card.previous_contacts:
        console.print("[bold]Previous contacts[/]")
    for pc in card.previous_contacts:
        state = "resolved" if pc.resolved else "[yellow]unresolved[/]" if pc.resolved is False else "—"
        extra = " · ".join(x for x in (pc.outcome, pc.sentiment, "same episode" if pc.same_episode else None) if x)
        console.print(f"  {_when(pc.started_at)} {pc.channel} {pc.reason or 'no reason'} · {state} · {extra}")
    if card.open_episode:
        ep = card.open_episode
        repeat = f"[yellow]repeat[/]: contact {ep.contacts_before + 1}" if ep.is_repeat else "first contact"
        since = _when(ep.first_contact_at)
        console.print(f"[bold]Episode[/] {ep.episode_id}: {ep.reason or 'no reason'} since {since} · {repeat}")
    if card.open_actions:
        console.print("[bold]Open actions[/]")
    for a in card.open_actions:
        due = f" (due {_when(a.due_by)})" if a.due_by else ""
        console.print(f"  {a.kind}: {a.action}{due} — from {a.id} {_when(a.at)}", highlight=False)
    if card.likely_next:
        n = card.likely_next
        guesses = ", ".join(f"{x['reason']} {x['probability']:.0%}" for x in n.candidates)
        console.print(f"[bold]Likely next[/] (from {n.basis}): {guesses}")
        if n.held_out:
            h = n.held_out
            console.print(
                f"  held out: top-1 {h['top1']:.0%}, top-3 {h['top3']:.0%} (most frequent reason: "
                f"{h['baseline_top1']:.0%}, {h['baseline_top3']:.0%}; {h['test_transitions']} transitions)"
            )
    for note in card.notes:
        console.print(f"[yellow]{note}[/]")


def context(
    interaction_id: Annotated[
        str | None, typer.Argument(metavar="INTERACTION_ID", help="The interaction the agent is starting.")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="The interaction's source, when its id is in several.")
    ] = None,
    hours: Annotated[int, typer.Option("--hours", help="How far back the card looks for events and bot sessions.")] = (
        DEFAULT_HOURS
    ),
    evaluate_model: Annotated[
        bool,
        typer.Option("--evaluate", help="Instead of a card: the next-issue model's held-out evaluation."),
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """What the agent should see at the start: who the customer is, what they tried in the last
    hours, previous contacts, the open episode and actions, and the likely next need."""
    if hours < 1:
        fail(f"--hours must be at least 1, got {hours}")
    if evaluate_model:
        with open_store(db) as store:
            fitted = model_in_use(store)
            if fitted is None:
                fail("no episode build: run `signalroom episodes build` first")
            contacts = history(store)
        if not contacts:
            fail("no contacts with a person and a reason to evaluate on")
        result = evaluate(contacts, window_days=fitted.model.window_days, needs=fitted.model.needs_).to_dict()
        if json:
            emit_json(result)
        else:
            for name in ("model", "at_start", "baseline"):
                s = result[name]
                console.print(
                    f"{name:9s} top-1 {s['top1']:.3f}  top-3 {s['top3']:.3f}  log-loss {s['log_loss']:.3f}  "
                    f"Brier {s['brier']:.3f}"
                )
            console.print(
                f"same reason again: top-1 {result['repeat_top1']:.3f}; fitted on {result['train_days']} days "
                f"({result['train_transitions']} transitions), scored on {result['test_days']} "
                f"({result['test_transitions']})."
            )
        return
    if interaction_id is None:
        fail("name the interaction (INTERACTION_ID), or ask for --evaluate")
    with open_store(db) as store:
        try:
            card = build_card(store, interaction_id, source=source, hours=hours)
        except ContextError as exc:
            fail(str(exc))
    if json:
        emit_json(card.to_dict())
    else:
        print_card(card)
