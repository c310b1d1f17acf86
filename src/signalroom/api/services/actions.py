"""Actions, routing rules and webhooks for the API and the pages (docs/serve.md): the domain code is
the CLI's (``signalroom.actions``); this turns its errors into the API's and builds the board."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from signalroom.actions import actions as domain
from signalroom.actions.routing import FUNCTIONS, RoutingError, default_rules_text, parse_rules
from signalroom.actions.webhooks import WebhookError
from signalroom.api import cache
from signalroom.api.errors import ApiError
from signalroom.api.services import signals as signal_service
from signalroom.auth.roles import MANAGE_ACTIONS, Role, Scope
from signalroom.auth.users import User
from signalroom.store import actions as action_store
from signalroom.store import signal_interactions as behind_store
from signalroom.store import webhooks as outbox
from signalroom.store.warehouse import Store

T = TypeVar("T")

STATUSES = domain.STATUSES
TRANSITIONS = domain.TRANSITIONS
STATUS_LABELS = {"open": "Open", "in_progress": "In progress", "done": "Done", "verified": "Verified",
                 "rejected": "Rejected"}  # fmt: skip
OWNER_FUNCTIONS = FUNCTIONS
DUE_IN_DAYS = 14  # the due date a new action's form suggests
# Who reads actions: those who manage them, and executives (read-only).
ACTION_READERS: tuple[Role, ...] = (*MANAGE_ACTIONS, Role.EXECUTIVE)


def _status_of(message: str) -> int:
    if message.startswith(("no action", "no signal")):
        return 404
    if "cannot become" in message or " already " in message or "cannot be dated" in message:
        return 409
    return 422


def _guard(call: Callable[[], T]) -> T:
    try:
        return call()
    except domain.ActionError as exc:
        raise ApiError(_status_of(str(exc)), str(exc)) from None


def today() -> date:
    """Today in UTC, the warehouse's clock: what "overdue" is judged against."""
    return datetime.now(UTC).date()


def suggested_due(day: date | None = None) -> date:
    return (day or today()) + timedelta(days=DUE_IN_DAYS)


def _require(store: Store, action_id: int) -> dict[str, Any]:
    action = action_store.get_action(store, action_id)
    if action is None:
        raise ApiError(404, f"no action {action_id}: GET /api/v1/actions lists them")
    return action


def _check_evidence(store: Store, scope: Scope, references: Sequence[str]) -> None:
    """Evidence linked by a user must be an interaction they may see."""
    for text in references:
        source, interaction_id = _guard(lambda text=text: domain.parse_evidence(text))  # type: ignore[misc]
        if not behind_store.visible(store, [(source, interaction_id)], scope):
            raise ApiError(404, f"no interaction {source}/{interaction_id} among those you may see")


def list_actions(
    store: Store, *, status: str | None = None, owner: str | None = None, owner_function: str | None = None,
    overdue: bool = False, signal_id: int | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    found = _guard(lambda: domain.list_actions(store, status=status, owner=owner, owner_function=owner_function,
                                               overdue=overdue))  # fmt: skip
    return [a for a in found if signal_id is None or a["signal_id"] == signal_id]


def create_action(
    store: Store, user: User, *, signal_id: int | None, title: str | None, reasons: list[int] | None,
    owner_function: str | None, owner: str | None, due: date | None, rate: str | None,
) -> dict[str, Any]:  # fmt: skip
    return _guard(lambda: domain.create_action(
        store, by=user.username, signal_id=signal_id, title=title, reasons=reasons, owner_function=owner_function,
        owner=owner, due=due, rate=rate,
    ))  # fmt: skip


def _impact_of(store: Store, action: dict[str, Any]) -> dict[str, Any] | None:
    from signalroom.actions.impact import impact_of

    impact = impact_of(store, action)
    return None if impact is None else impact.to_dict()


def _measured(action: dict[str, Any]) -> bool:
    return action["done_at"] is not None and action["status"] in ("done", "verified")


def impacts(store: Store, actions: list[dict[str, Any]]) -> dict[int, dict[str, Any] | None]:
    """The impact of each done or verified action, by id: one cache entry for them all."""
    done = [a for a in actions if _measured(a)]
    if not done:
        return {}
    key = ("action_impacts", *((a["action_id"], a["done_at"], str(a["measure"])) for a in done))
    return cache.cached(store, key, lambda: {int(a["action_id"]): _impact_of(store, a) for a in done})


def _visible_evidence(store: Store, action_id: int, scope: Scope) -> list[dict[str, Any]]:
    """The action's evidence: a supervisor or advisor sees the pieces about interactions they may see."""
    every = action_store.evidence(store, action_id)
    if scope.everything:
        return every
    allowed = behind_store.visible(store, [(str(e["source"]), str(e["id"])) for e in every], scope)
    return [e for e in every if (str(e["source"]), str(e["id"])) in allowed]


def show_action(store: Store, action_id: int, scope: Scope) -> dict[str, Any]:
    """The action with its history, its evidence (what ``scope`` may see of it) and, once done, its impact."""
    action = _require(store, action_id)
    return {**action, "history": action_store.events(store, action_id),
            "evidence": _visible_evidence(store, action_id, scope),
            "impact": impacts(store, [action]).get(action_id)}  # fmt: skip


def update_action(
    store: Store, user: User, action_id: int, *, status: str | None = None, rejected_reason: str | None = None,
    owner: str | None = None, owner_function: str | None = None, due: date | None = None, title: str | None = None,
    comment: str | None = None, evidence: Sequence[str] = (), note: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Change an action. A new title is written after the domain's changes, in a transaction of its
    own with its history row and its ``action.updated`` event (the domain has no title change)."""
    current = _require(store, action_id)
    new_title = None
    if title is not None:
        new_title = " ".join(title.split())
        if not new_title:
            raise ApiError(422, "the title is empty: say what is to be done",
                           fields=[{"location": "body.title", "problem": "empty"}])  # fmt: skip
        if new_title == current["title"]:
            raise ApiError(409, f"action {action_id} is already titled {new_title!r}")
    _check_evidence(store, user.scope, evidence)
    others = (status, rejected_reason, owner, owner_function, due, comment, note)
    if any(v is not None for v in others) or evidence:
        _guard(lambda: domain.update_action(
            store, action_id, by=user.username, status=status, reason=rejected_reason, comment=comment,
            evidence=evidence, note=note, owner=owner, due=due, owner_function=owner_function,
        ))  # fmt: skip
    elif new_title is None:
        raise ApiError(422, "nothing to change: give status, owner, owner_function, due, title or rejected_reason")
    if new_title is not None:
        _retitle(store, user, action_id, current["title"], new_title)
    return show_action(store, action_id, user.scope)


def _retitle(store: Store, user: User, action_id: int, old: str, new: str) -> None:
    moment = datetime.now(UTC)
    with store.transaction():
        action_store.update_action(store, action_id, {"title": new}, moment)
        action_store.insert_event(store, action_id, moment, user.username, "title", {"from": old, "to": new})
        updated = action_store.get_action(store, action_id)
        assert updated is not None
        payload = {k: v.isoformat() if isinstance(v, (date, datetime)) else v for k, v in updated.items()}
        outbox.emit(store, "action.updated", {"action": payload, "by": user.username,
                                              "changes": [{"kind": "title", "from": old, "to": new}]})  # fmt: skip


# -- the board -----------------------------------------------------------------------------------


def impact_chart(impact: dict[str, Any]) -> dict[str, Any]:
    """A Chart.js chart of the daily rate before and after done, with each period's rate."""
    series = impact["series"]
    labels = [p["day"] for p in series]

    def part(period: str) -> list[float | None]:
        return [None if p["rate"] is None or p["period"] != period else round(100 * p["rate"], 2) for p in series]

    def level(period: dict[str, Any] | None, name: str) -> list[float | None]:
        rate = None if period is None or period["rate"] is None else round(100 * period["rate"], 2)
        return [rate if p["period"] == name else None for p in series]

    line = {"pointRadius": 2, "spanGaps": False, "tension": 0.2}
    flat = {"pointRadius": 0, "borderDash": [6, 4], "spanGaps": True}
    datasets = [
        {"label": "before", "data": part("before"), "borderColor": "#8a94a3", "backgroundColor": "#8a94a3", **line},
        {"label": "after", "data": part("after"), "borderColor": "#2456d6", "backgroundColor": "#2456d6", **line},
        {"label": "before rate", "data": level(impact["before"], "before"), "borderColor": "#8a94a3", **flat},
        {"label": "after rate", "data": level(impact["after"], "after"), "borderColor": "#2456d6", **flat},
    ]
    return {
        "type": "line",
        "data": {"labels": labels, "datasets": datasets},
        "options": {"plugins": {"legend": {"display": False}},
                    "scales": {"x": {"ticks": {"maxRotation": 0, "autoSkip": True, "maxTicksLimit": 4}},
                               "y": {"beginAtZero": True, "title": {"display": True, "text": "% daily rate"}}}},
    }  # fmt: skip


def card(
    action: dict[str, Any], signals: dict[int, dict[str, object]], day: date, impact: dict[str, Any] | None
) -> dict[str, Any]:
    """What a board card shows of an action."""
    signal = signals.get(int(action["signal_id"])) if action["signal_id"] is not None else None
    return {
        **action,
        "overdue": action["status"] in domain.ACTIVE and action["due"] is not None and action["due"] < day,
        "moves": TRANSITIONS[str(action["status"])],
        "signal": None if signal is None else {k: signal[k] for k in ("signal_id", "title", "rank")},
        "impact": impact,
        "impact_chart": None if impact is None or not impact["series"] else impact_chart(impact),
    }


def board(store: Store, user: User, *, day: date | None = None) -> dict[str, Any]:
    """The board: actions in a column per status (for those who read actions), and the ranked
    signals without an action yet."""
    from signalroom.store.signals import ranked_signals

    day = day or today()
    ranked = signal_service.list_signals(store, user)
    every = {int(str(s["signal_id"])): s for s in ranked_signals(store, include_inactive=True)}
    actions = action_store.list_actions(store) if user.role in ACTION_READERS else []
    columns: dict[str, list[dict[str, Any]]] = {status: [] for status in STATUSES}
    measured = impacts(store, actions)
    for action in actions:
        columns[str(action["status"])].append(card(action, every, day, measured.get(int(action["action_id"]))))
    return {
        "columns": [{"status": s, "label": STATUS_LABELS[s], "cards": columns[s]} for s in STATUSES],
        "signals": ranked,
        "waiting": [s for s in ranked if not s["actions"]],
        "functions": FUNCTIONS,
        "suggested_due": suggested_due(day),
        "today": day,
    }


# -- routing rules -------------------------------------------------------------------------------


def routing(store: Store) -> dict[str, Any]:
    """The rules in use (the last set, else the shipped defaults), as YAML and parsed."""
    from signalroom.store.signals import routing_yaml

    stored = routing_yaml(store)
    version, text = stored if stored else (None, default_rules_text())
    rules = parse_rules(text, "the rules in use")
    return {"version": version, "shipped_defaults": version is None, "yaml": text, "rules": rules.model_dump()}


def lint_routing(text: str) -> dict[str, Any]:
    try:
        rules = parse_rules(text, "the rules sent")
    except RoutingError as exc:
        raise ApiError(422, str(exc), fields=[{"location": "body.yaml", "problem": str(exc)}]) from None
    return {"ok": True, "rules": len(rules.rules), "default": rules.default.model_dump(), "parsed": rules.model_dump()}


def set_routing(store: Store, user: User, text: str) -> dict[str, Any]:
    """Use these rules from now on and route the stored signals again with them."""
    from signalroom.signals.reroute import reroute
    from signalroom.store.signals import set_routing_yaml

    rules = lint_routing(text)["parsed"]
    version = set_routing_yaml(store, text, user.username)
    changed = reroute(store, parse_rules(text, f"routing rules version {version}"))
    return {"version": version, "rerouted": changed, "rules": len(rules["rules"])}


# -- webhooks ------------------------------------------------------------------------------------


def _webhook_guard(call: Callable[[], T]) -> T:
    try:
        return call()
    except WebhookError as exc:
        message = str(exc)
        status = 404 if message.startswith("no ") else 409 if "not dead" in message else 422
        raise ApiError(status, message) from None


def webhooks(store: Store) -> list[dict[str, Any]]:
    return [s.to_dict() for s in outbox.list_subscriptions(store)]


def add_webhook(store: Store, url: str, secret: str, events: list[str] | None) -> dict[str, Any]:
    from signalroom.actions.webhooks import subscribe

    sub_id = _webhook_guard(lambda: subscribe(store, url, secret, events))
    return next(s.to_dict() for s in outbox.list_subscriptions(store) if s.subscription_id == sub_id)


def disable_webhook(store: Store, subscription_id: int) -> dict[str, Any]:
    changed = _webhook_guard(lambda: outbox.disable_subscription(store, subscription_id))
    return {"subscription_id": subscription_id, "active": False, "changed": changed}


def dead_letters(store: Store, *, include_replayed: bool) -> list[dict[str, Any]]:
    return [d.to_dict() for d in outbox.dead_letters(store, include_replayed=include_replayed)]


def replay(store: Store, delivery_ids: list[int] | None) -> list[int]:
    from signalroom.actions.webhooks import replay as put_back

    return _webhook_guard(lambda: put_back(store, delivery_ids))
