"""What the settings pages change: users, QA scorecards, the contact reasons' names and the routing
rules. The same domain code as `signalroom users`, `scorecard lint`, `qa score`, `topics rename`
and `routing set`, so a change made on the page is the change the command would make."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from signalroom.api import cache
from signalroom.auth import audit
from signalroom.auth import users as auth
from signalroom.auth.users import User
from signalroom.store.warehouse import Store

# "where: line 3: a.b: msg; line 7: c: msg" → one problem per line and field.
_PROBLEM_SPLIT = re.compile(r"; (?=line \d+:)")
_LINE = re.compile(r"^line (\d+): (.*)$", re.S)


class SettingsError(ValueError):
    """A change that cannot be made: the message names what is wrong."""


@dataclass(frozen=True)
class Problem:
    """One lint problem: its line (0 when unknown) and what is wrong there."""

    line: int
    message: str


def problems_of(message: str, where: str) -> list[Problem]:
    """The problems in a YAML validation error (yaml_lines' format), each with its line."""
    text = message.removeprefix(f"{where}: ")
    out = []
    for part in _PROBLEM_SPLIT.split(text):
        found = _LINE.match(part)
        out.append(Problem(int(found[1]), found[2]) if found else Problem(0, part))
    return out


# ---------------------------------------------------------------- users


def user_rows(store: Store) -> list[dict[str, Any]]:
    """Every user with what they see and their active API tokens."""
    tokens: dict[int, list[dict[str, Any]]] = {}
    for token in auth.list_tokens(store):
        if not token["revoked"]:
            tokens.setdefault(int(token["user_id"]), []).append(token)
    return [
        {**u.to_dict(), "sees": u.scope.describe(), "tokens": tokens.get(u.user_id, [])} for u in auth.list_users(store)
    ]


def split_teams(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in re.split(r"[,\n]", text) if t.strip())


def add_user(
    store: Store, *, by: User, username: str, role: str, display_name: str, teams: str, agent_id: str,
    password: str,
) -> tuple[User, str | None]:  # fmt: skip
    """A new user; an empty password is generated and returned (to show once)."""
    generated = None if password else auth.generate_password()
    user = auth.add_user(
        store, username=username.strip(), role=role, password=password or generated,
        display_name=display_name.strip() or None, teams=split_teams(teams), agent_id=agent_id.strip() or None, by=by,
    )  # fmt: skip
    return user, generated


# ---------------------------------------------------------------- scorecards


def _scorecard_yaml(definition: dict[str, Any], source_path: str | None) -> str:
    """The scorecard as YAML: its file when that still says what is stored (comments and all), else
    the stored definition written out. Read without validating the scorecard again: validation
    imports the PII redaction (seconds, once per process), too slow for showing a page."""
    if source_path:
        path = Path(source_path)
        try:
            text = path.read_text("utf-8") if path.is_file() else None
            if text is not None and _within(yaml.safe_load(text), definition):
                return text
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            pass
    plain = _ordered(_without_none(definition))
    return yaml.dump(plain, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _within(written: Any, stored: Any) -> bool:
    """Whether what a file says agrees with the stored, validated scorecard, which holds the same
    values plus the defaults the file left out."""
    if isinstance(written, dict):
        return isinstance(stored, dict) and all(k in stored and _within(v, stored[k]) for k, v in written.items())
    if isinstance(written, list):
        return (
            isinstance(stored, list) and len(written) == len(stored)
            and all(_within(w, s) for w, s in zip(written, stored, strict=True))
        )  # fmt: skip
    return bool(written == stored)


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _summary(definition: dict[str, Any]) -> dict[str, Any]:
    """What `scorecard lint` shows of a scorecard, from its stored definition."""
    criteria = [c for section in definition["sections"] for c in section["criteria"]]
    kinds: dict[str, int] = {}
    for criterion in criteria:
        kinds[criterion["kind"]] = kinds.get(criterion["kind"], 0) + 1
    return {
        "id": definition["id"], "name": definition["name"], "version": definition.get("version", 1),
        "sections": len(definition["sections"]), "criteria": len(criteria), "kinds": kinds,
        "auto_fail": [c["id"] for c in criteria if c.get("auto_fail")],
    }  # fmt: skip


_FIRST = ("id", "name", "version", "description", "kind")


def _ordered(value: Any) -> Any:
    """The keys a person writes first (id, name, kind…) first, the rest as the model has them."""
    if isinstance(value, dict):
        keys = [k for k in _FIRST if k in value] + [k for k in value if k not in _FIRST]
        return {k: _ordered(value[k]) for k in keys}
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key, as the shipped files are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def scorecards(store: Store) -> list[dict[str, Any]]:
    """The scorecards in use with their YAML and summary."""
    from signalroom.store import qa as qa_store
    from signalroom.store.scorecard_sources import scorecard_paths

    stored = qa_store.scorecards_in_use(store)
    paths = scorecard_paths(store)

    def compute() -> list[dict[str, Any]]:
        out = []
        for card in stored:
            out.append({
                **_summary(card.definition), "content_hash": card.content_hash,
                "yaml": _scorecard_yaml(card.definition, paths.get(card.scorecard_id)),
            })  # fmt: skip
        return out

    key = ("settings.scorecards", *((c.scorecard_id, c.content_hash) for c in stored))
    return cache.cached(store, key, compute)


def lint_scorecard(text: str) -> list[Problem]:
    """The scorecard's problems, each with its line and field; [] when it is valid."""
    from signalroom.qa.scorecard import ScorecardError, parse_scorecard

    try:
        parse_scorecard(text, "scorecard")
    except ScorecardError as exc:
        return problems_of(str(exc), "scorecard")
    return []


@dataclass(frozen=True)
class ScorecardSet:
    scorecard_id: str
    changed: bool
    rescored: int | None  # interactions scored again; None: left to `signalroom qa score`


def set_scorecard(store: Store, text: str, *, by: User, rescore: bool, client: str | None = None) -> ScorecardSet:
    """Keeps this scorecard as the one in use under its id (as `qa score --scorecard FILE` does)
    and, when asked, scores what it changed at once."""
    from signalroom.qa.run import content_hash, score
    from signalroom.qa.scorecard import ScorecardError, parse_scorecard
    from signalroom.store import qa as qa_store

    try:
        card = parse_scorecard(text, "scorecard")
    except ScorecardError as exc:
        raise SettingsError(str(exc)) from None
    with store.transaction():
        digest = content_hash(card)
        changed = qa_store.save_scorecard(
            store, card.id, card.version, digest, card.name, None, card.model_dump(mode="json")
        )
        if changed:
            audit.record(store, by, action="settings_change", resource=f"scorecard {card.id}",
                         detail={"version": card.version, "content_hash": digest}, client=client)  # fmt: skip
    rescored = score(store).interactions if rescore else None
    return ScorecardSet(card.id, changed, rescored)


# ---------------------------------------------------------------- taxonomy


def reasons(store: Store) -> dict[str, Any] | None:
    """The reasons in use: a seeded taxonomy's (not renamed here) or the discovered ones, as
    `signalroom topics` lists them."""
    from signalroom.pipeline.reasons.listing import reason_listing, resolve_tier
    from signalroom.pipeline.seed import taxonomy_listing

    def compute() -> dict[str, Any] | None:
        tier = resolve_tier(store, None)
        return taxonomy_listing(store, tier) or reason_listing(store, tier)

    return cache.cached(store, ("settings.reasons",), compute)


def rename_reason(store: Store, topic_id: int, name: str, *, by: User, client: str | None = None) -> str:
    """Gives a discovered reason (or sub-reason) a name of its own, as `topics rename` does."""
    from signalroom.api.errors import ApiError
    from signalroom.api.services import analytics_topics

    if not name.strip():
        raise SettingsError("a reason's name cannot be empty")
    try:
        return str(analytics_topics.rename(store, topic_id, name, None, by=by, client=client)["name"])
    except ApiError as exc:
        raise SettingsError(exc.message) from None


# ---------------------------------------------------------------- routing


def routing(store: Store) -> dict[str, Any]:
    """The routing rules in use: the last set, else the shipped defaults."""
    from signalroom.actions.routing import default_rules_text
    from signalroom.store.signals import routing_yaml

    stored = routing_yaml(store)
    version, text = stored if stored else (None, default_rules_text())
    return {"version": version, "shipped_defaults": version is None, "yaml": text}


def lint_routing(text: str) -> list[Problem]:
    from signalroom.actions.routing import RoutingError, parse_rules

    try:
        parse_rules(text, "routing rules")
    except RoutingError as exc:
        return problems_of(str(exc), "routing rules")
    return []


def set_routing(store: Store, text: str, *, by: User, client: str | None = None) -> tuple[int, int]:
    """Uses these rules from now on and routes the stored signals anew, as `routing set` does:
    the new version and how many signals changed owner."""
    from signalroom.actions.routing import RoutingError, parse_rules
    from signalroom.signals.reroute import reroute
    from signalroom.store.signals import set_routing_yaml

    try:
        rules = parse_rules(text, "routing rules")
    except RoutingError as exc:
        raise SettingsError(str(exc)) from None
    version = set_routing_yaml(store, text, by.username)
    changed = reroute(store, rules)
    audit.record(store, by, action="settings_change", resource=f"routing rules v{version}",
                 detail={"rules": len(rules.rules), "signals_rerouted": changed}, client=client)  # fmt: skip
    return version, changed
