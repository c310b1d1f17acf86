"""Actions (docs/actions.md): a signal turned into owned work — an owner function and owner, a due
date, a status that moves open → in_progress → done → verified (or rejected, with a reason), comments
and linked evidence — and, once done, its measured impact.

Every change writes its history row and its webhook event (``action.created`` / ``action.updated``)
in the same transaction as the change itself: an action never changes unannounced."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from signalroom.actions.impact import RATE_DEFINITIONS, ImpactConfig, impact_of
from signalroom.actions.routing import FUNCTIONS
from signalroom.store import actions as action_store
from signalroom.store import webhooks
from signalroom.store.outcome_metrics import reason_labels
from signalroom.store.signals import get_signal
from signalroom.store.warehouse import Store

STATUSES = ("open", "in_progress", "done", "verified", "rejected")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("in_progress", "rejected"),
    "in_progress": ("done", "rejected"),
    "done": ("verified", "in_progress", "rejected"),  # back to in_progress: reopened
    "verified": (),
    "rejected": (),
}
ACTIVE = ("open", "in_progress")  # what can be overdue

# The detectors that measure a rate within the reasons' contacts, and the rate their action moves.
_RATE_OF_DETECTOR = {"repeat_rate": "repeat_rate", "negative_sentiment": "negative_sentiment",
                     "transfer_rate": "transfer_rate"}  # fmt: skip
# A driver finding's outcome (docs/drivers.md) and the rate closest to it.
_RATE_OF_OUTCOME = {"repeat_contact": "repeat_rate", "negative_end": "negative_sentiment", "transfer": "transfer_rate"}


class ActionError(ValueError):
    pass


def default_actor() -> str:
    """Who is acting when --by is not given: the operating-system user."""
    try:
        return getpass.getuser()
    except (OSError, KeyError) as exc:
        raise ActionError("cannot tell who you are from the operating system: give --by NAME") from exc


def normalise_status(text: str) -> str:
    status = text.strip().lower().replace("-", "_").replace(" ", "_")
    if status not in STATUSES:
        raise ActionError(f"unknown status {text!r}; statuses: {', '.join(STATUSES)}")
    return status


def _function(text: str) -> str:
    value = text.strip().lower()
    if value not in FUNCTIONS:
        raise ActionError(f"unknown owner function {text!r}; owner functions: {', '.join(FUNCTIONS)}")
    return value


def parse_evidence(text: str) -> tuple[str, str]:
    source, slash, interaction_id = text.partition("/")
    if not slash or not source or not interaction_id:
        raise ActionError(f"evidence {text!r} is not SOURCE/ID (e.g. demo/c-000123)")
    return source, interaction_id


def rate_of_signal(signal: dict[str, Any]) -> tuple[str, str]:
    """(rate, why) the action on a signal is measured on. A signal about volume (rising share, a
    phrase, a new cluster, advisors' flags) is measured on its reasons' share of all contacts;
    one found only by within-reason detectors on the rate of its strongest such finding."""
    findings = list(signal.get("findings") or [])
    rated: list[tuple[float, str, str]] = []
    for finding in findings:
        detector = str(finding.get("detector"))
        rate = _RATE_OF_DETECTOR.get(detector)
        if detector == "driver":
            rate = _RATE_OF_OUTCOME.get(str((finding.get("measure") or {}).get("outcome")))
        if rate is None:
            return "share", f"its {detector} finding: the reasons' share of all contacts"
        rated.append((float(finding.get("p_value", 1.0)), rate, detector))
    if not rated:
        return "share", "no finding names a rate: the reasons' share of all contacts"
    _, rate, detector = min(rated)
    return rate, f"its strongest finding ({detector})"


def _measure(store: Store, reasons: Sequence[int], rate: str, chosen_by: str) -> dict[str, Any]:
    if rate not in RATE_DEFINITIONS:
        raise ActionError(f"unknown rate {rate!r}; rates: {', '.join(RATE_DEFINITIONS)}")
    unique = list(dict.fromkeys(int(r) for r in reasons))
    if not unique:
        raise ActionError("an action needs the reasons its impact is measured on: give --reasons")
    unknown = [r for r in unique if r not in action_store.known_reasons(store)]
    if unknown:
        raise ActionError(f"unknown reason(s) {', '.join(map(str, unknown))}: see `signalroom topics`")
    labels = reason_labels(store)
    return {"reasons": unique, "labels": [labels.get(r, str(r)) for r in unique], "rate": rate,
            "definition": RATE_DEFINITIONS[rate], "chosen_by": chosen_by}  # fmt: skip


def _now(when: datetime | None) -> datetime:
    return when if when is not None else datetime.now(UTC)


def _require(store: Store, action_id: int) -> dict[str, Any]:
    action = action_store.get_action(store, action_id)
    if action is None:
        raise ActionError(f"no action {action_id}")
    return action


def create_action(
    store: Store, *, by: str, signal_id: int | None = None, title: str | None = None,
    reasons: Sequence[int] | None = None, owner_function: str | None = None, owner: str | None = None,
    due: date | None = None, rate: str | None = None, when: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A new open action, from a stored signal (its title, reasons and suggested owner unless given)
    or by hand (a title, reasons and an owner function)."""
    if not by.strip():
        raise ActionError("who creates the action? give --by NAME")
    signal = None
    if signal_id is not None:
        signal = get_signal(store, signal_id)
        if signal is None:
            raise ActionError(f"no signal {signal_id}: see `signalroom signals`")
    elif not (title and title.strip()):
        raise ActionError("an action needs a signal (--signal ID) or a title (--title) and reasons (--reasons)")
    title = (title or "").strip() or str(signal["title"] if signal else "")
    function = owner_function or (str(signal["owner_function"]) if signal and signal["owner_function"] else None)
    if function is None:
        raise ActionError(f"who owns the action? give --function, one of {', '.join(FUNCTIONS)}")
    function = _function(function)
    owner = owner if owner is not None else (str(signal["owner"]) if signal and signal["owner"] else None)
    if reasons is None and signal is not None:
        reasons = [int(r) for r in signal["reasons"]]  # type: ignore[attr-defined]
        if not reasons:
            raise ActionError(f"signal {signal_id} is about no reason ({signal['kind']}): give --reasons to measure")
    if rate is not None:
        chosen_by = "given"
    elif signal is not None:
        rate, chosen_by = rate_of_signal(signal)
    else:
        rate, chosen_by = "share", "the default: the reasons' share of all contacts"
    measure = _measure(store, reasons or [], rate, chosen_by)
    moment = _now(when)
    with store.transaction():
        action_id = action_store.next_action_id(store)
        action_store.insert_action(
            store, action_id=action_id, signal_id=signal_id, title=title, owner_function=function, owner=owner,
            due=due, measure=measure, created_by=by, when=moment,
        )  # fmt: skip
        detail = {"signal_id": signal_id, "title": title, "owner_function": function, "owner": owner,
                  "due": due.isoformat() if due else None, "measure": measure}  # fmt: skip
        action_store.insert_event(store, action_id, moment, by, "created", detail)
        action = _require(store, action_id)
        webhooks.emit(store, "action.created", {"action": _payload(action), "by": by})
    return action


def _payload(action: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, (date, datetime)) else v for k, v in action.items()}


def update_action(
    store: Store, action_id: int, *, by: str, status: str | None = None, reason: str | None = None,
    comment: str | None = None, evidence: Sequence[str] = (), note: str | None = None, owner: str | None = None,
    due: date | None = None, owner_function: str | None = None, when: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Change an action: each change is a history row, all of them and one ``action.updated`` event
    in one transaction. A field set to what it already is, a forbidden transition, a rejection
    without a reason, evidence that is not a stored interaction: clear errors, and nothing written."""
    if not by.strip():
        raise ActionError("who changes the action? give --by NAME")
    action = _require(store, action_id)
    moment = _now(when)
    if moment < action["updated_at"]:
        # The history is read in time order: a change dated before the last one would rewrite it.
        raise ActionError(f"action {action_id} last changed at {action['updated_at']:%Y-%m-%d %H:%M}: "
                          f"a change cannot be dated before it ({moment:%Y-%m-%d %H:%M})")  # fmt: skip
    fields: dict[str, Any] = {}
    changes: list[tuple[str, dict[str, Any]]] = []

    if owner is not None:
        if owner == action["owner"]:
            raise ActionError(f"action {action_id} is already owned by {owner}")
        fields["owner"] = owner
        changes.append(("owner", {"from": action["owner"], "to": owner}))
    if owner_function is not None:
        function = _function(owner_function)
        if function == action["owner_function"]:
            raise ActionError(f"action {action_id} is already owned by {function}")
        fields["owner_function"] = function
        changes.append(("owner_function", {"from": action["owner_function"], "to": function}))
    if due is not None:
        if due == action["due"]:
            raise ActionError(f"action {action_id} is already due {due}")
        fields["due"] = due
        changes.append(("due", {"from": action["due"].isoformat() if action["due"] else None, "to": due.isoformat()}))

    linked = {(e["source"], e["id"]) for e in action_store.evidence(store, action_id)}
    links: list[tuple[str, str]] = []
    for text in evidence:
        source, interaction_id = parse_evidence(text)
        if (source, interaction_id) in linked or (source, interaction_id) in links:
            raise ActionError(f"evidence {text} is already linked to action {action_id}")
        if not action_store.interaction_exists(store, source, interaction_id):
            raise ActionError(f"evidence {text}: no interaction {interaction_id!r} in source {source!r}")
        links.append((source, interaction_id))
    if note is not None and not links:
        raise ActionError("--note describes linked evidence: give --evidence SOURCE/ID with it")
    for source, interaction_id in links:
        changes.append(("evidence", {"source": source, "id": interaction_id, "note": note}))

    if comment is not None:
        if not comment.strip():
            raise ActionError("an empty comment says nothing: give some text")
        changes.append(("comment", {"text": comment}))

    if status is not None:
        target = normalise_status(status)
        current = str(action["status"])
        if target not in TRANSITIONS[current]:
            allowed = ", ".join(TRANSITIONS[current]) or "none: it is closed"
            raise ActionError(f"action {action_id} is {current}: it cannot become {target} (from {current}: {allowed})")
        if target == "rejected" and not (reason and reason.strip()):
            raise ActionError(f"rejecting action {action_id} needs a reason: give --reason TEXT")
        if reason is not None and target != "rejected":
            raise ActionError("--reason explains a rejection: give it with --status rejected")
        fields["status"] = target
        if target == "done":
            fields["done_at"] = moment
        elif current == "done" and target == "in_progress":
            fields["done_at"] = None  # reopened: impact waits for the next done
        if target == "rejected":
            fields["rejected_reason"] = reason
        detail: dict[str, Any] = {"from": current, "to": target}
        if target == "rejected":
            detail["reason"] = reason
        changes.append(("status", detail))
    elif reason is not None:
        raise ActionError("--reason explains a rejection: give it with --status rejected")
    if not changes:
        raise ActionError("nothing to change: give --status, --comment, --evidence, --owner, --due or --function")
    with store.transaction():
        action_store.update_action(store, action_id, fields, moment)
        for source, interaction_id in links:
            action_store.insert_evidence(store, action_id, source, interaction_id, note, by, moment)
        for kind, detail in changes:
            action_store.insert_event(store, action_id, moment, by, kind, detail)
        updated = _require(store, action_id)
        webhooks.emit(store, "action.updated", {
            "action": _payload(updated), "by": by,
            "changes": [{"kind": kind, **detail} for kind, detail in changes],
        })  # fmt: skip
    return updated


def list_actions(
    store: Store, *, status: str | None = None, owner: str | None = None, owner_function: str | None = None,
    overdue: bool = False, today: date | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Actions in id order; ``overdue``: open or in progress and due before ``today``."""
    statuses: tuple[str, ...] = (normalise_status(status),) if status is not None else ()
    if overdue:
        if statuses and statuses[0] not in ACTIVE:
            raise ActionError(f"a {statuses[0]} action cannot be overdue: --overdue lists open and in-progress ones")
        statuses = statuses or ACTIVE
    return action_store.list_actions(
        store, statuses=statuses, owner=owner,
        owner_function=_function(owner_function) if owner_function is not None else None,
        due_before=(today or datetime.now(UTC).date()) if overdue else None,
    )  # fmt: skip


def show_action(store: Store, action_id: int, *, config: ImpactConfig | None = None) -> dict[str, Any]:
    """The action with its history, its evidence and — once done — its impact."""
    action = _require(store, action_id)
    impact = impact_of(store, action, config)
    return {**action, "history": action_store.events(store, action_id),
            "evidence": action_store.evidence(store, action_id),
            "impact": impact.to_dict() if impact else None}  # fmt: skip
