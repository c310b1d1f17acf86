"""Signals for the API and the pages (docs/serve.md): the ranked list, one signal, the interactions
behind it within the user's scope, detection, advisors' flags and the routing rules. The domain code
is the CLI's (``signalroom.signals``, ``signalroom.actions.routing``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from signalroom.api import cache
from signalroom.api.errors import ApiError
from signalroom.auth.roles import Role, Scope
from signalroom.auth.users import User
from signalroom.signals.driver_findings import DriverFindingsConfig
from signalroom.store import signal_interactions as behind_store
from signalroom.store import signals as signal_store
from signalroom.store.actions import list_actions as stored_actions
from signalroom.store.outcome_metrics import reason_labels
from signalroom.store.warehouse import Store

Key = tuple[str, str]


@dataclass(frozen=True)
class Reference:
    """What the signal pages look up on every request: the reasons' names and the inbound contacts
    per day and reason. One cache entry, because each lookup of the cache reads the data version."""

    labels: dict[int, str]
    per_day: dict[date, dict[int | None, int]]


def reference(store: Store) -> Reference:
    def compute() -> Reference:
        per_day: dict[date, dict[int | None, int]] = defaultdict(dict)
        for reason, day, n in signal_store.daily_reason_counts(store):
            per_day[day][reason] = n
        return Reference(reason_labels(store), dict(per_day))

    return cache.cached(store, ("signal_reference",), compute)


def _scoped_evidence(store: Store, rows: list[dict[str, Any]], scope: Scope) -> None:
    """Evidence names interactions: a supervisor or advisor is shown only those they may see."""
    if scope.everything:
        return
    references = [
        str(ref)
        for row in rows
        for ref in [*row["evidence"], *(e for f in row["findings"] for e in f.get("evidence", []))]
    ]
    allowed = behind_store.visible_references(store, references, scope)
    for row in rows:
        row["evidence"] = [e for e in row["evidence"] if e in allowed]
        for finding in row["findings"]:
            finding["evidence"] = [e for e in finding.get("evidence", []) if e in allowed]


def _with_actions(store: Store, rows: list[dict[str, Any]]) -> None:
    """Each signal's actions (id and status): what the overview and the board show as its status."""
    by_signal: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for action in stored_actions(store):
        if action["signal_id"] is not None:
            by_signal[int(action["signal_id"])].append({"action_id": action["action_id"], "status": action["status"]})
    for row in rows:
        row["actions"] = by_signal.get(int(row["signal_id"]), [])


def list_signals(store: Store, user: User, *, include_inactive: bool = False) -> list[dict[str, Any]]:
    """The latest ranked list (with ``include_inactive`` also the signals no longer in it)."""
    rows: list[dict[str, Any]] = [
        dict(r) for r in signal_store.ranked_signals(store, include_inactive=include_inactive)
    ]
    _scoped_evidence(store, rows, user.scope)
    _with_actions(store, rows)
    return rows


def get_signal(store: Store, user: User, signal_id: int) -> dict[str, Any]:
    found = signal_store.get_signal(store, signal_id)
    if found is None:
        raise ApiError(404, f"no signal {signal_id}: GET /api/v1/signals?all=true lists them")
    row: dict[str, Any] = dict(found)
    _scoped_evidence(store, [row], user.scope)
    _with_actions(store, [row])
    return row


def windows(signal: dict[str, Any]) -> list[behind_store.Window]:
    """The reasons and days behind each finding: the days it was detected, or for a driver
    finding the period its analysis covered, ending on the day judged."""
    out = []
    for finding in signal["findings"]:
        first = date.fromisoformat(str(finding["first_detected"]))
        last = date.fromisoformat(str(finding["last_detected"]))
        if finding["detector"] == "driver":
            first = min(first, last - timedelta(days=DriverFindingsConfig().days - 1))
        reasons = tuple(int(r) for r in (finding.get("reasons") or signal["reasons"]))
        out.append(behind_store.Window(reasons, first, last))
    return out


def interactions_behind(
    store: Store, user: User, signal_id: int, *, limit: int, offset: int, ref: Reference | None = None
) -> tuple[list[dict[str, Any]], int]:
    """A page of the interactions behind the signal that the user may see, and how many in all."""
    found = signal_store.get_signal(store, signal_id)
    if found is None:
        raise ApiError(404, f"no signal {signal_id}: GET /api/v1/signals?all=true lists them")
    signal: dict[str, Any] = dict(found)
    evidence = [k for ref in signal["evidence"] if (k := behind_store.key_of(str(ref))) is not None]
    items, total = behind_store.interactions_behind(
        store, windows(signal), evidence, user.scope, limit=limit, offset=offset
    )
    names = (ref or reference(store)).labels
    for item in items:
        item["reason_label"] = None if item["reason"] is None else names.get(int(item["reason"]), str(item["reason"]))
        item["link"] = f"/interactions/{item['source']}/{item['id']}"
    return items, total


def daily_contacts(ref: Reference, reasons: list[int]) -> list[dict[str, Any]]:
    """Inbound contacts about these reasons per day: the chart of a signal whose findings have no
    series of their own (a driver analysis)."""
    wanted = set(reasons)
    return [
        {"day": day.isoformat(), "contacts": sum(n for r, n in counts.items() if r in wanted),
         "all": sum(counts.values())}
        for day, counts in sorted(ref.per_day.items())
    ]  # fmt: skip


def series_chart(store: Store, signal: dict[str, Any], ref: Reference | None = None) -> dict[str, Any]:
    """A Chart.js line chart of the signal's series: its counts and, where known, what was expected."""
    series = list(signal["series"]) or daily_contacts(ref or reference(store), [int(r) for r in signal["reasons"]])
    keys = [k for k in dict.fromkeys(k for point in series for k in point) if k not in ("day", "all")]
    colours = {"contacts": "#2456d6", "affected": "#c0392b", "expected": "#8a94a3"}
    datasets = [
        {"label": key, "data": [p.get(key) for p in series], "borderColor": colours.get(key, "#1b7f4b"),
         "backgroundColor": colours.get(key, "#1b7f4b"), "borderDash": [6, 4] if key == "expected" else [],
         "pointRadius": 0, "spanGaps": True, "tension": 0.2}
        for key in keys
    ]  # fmt: skip
    return {
        "type": "line",
        "data": {"labels": [p["day"] for p in series], "datasets": datasets},
        "options": {
            "plugins": {"legend": {"position": "bottom"}},
            "scales": {
                "x": {"ticks": {"maxRotation": 0, "autoSkip": True, "maxTicksLimit": 8}},
                "y": {"beginAtZero": True},
            },
        },
    }


def detect(
    store: Store, *, as_of: date | None, days: int, detectors: list[str] | None, baseline_days: int, min_support: int,
    cost_per_contact: float | None, dry_run: bool,
) -> dict[str, Any]:  # fmt: skip
    """``signalroom signals detect``: run the detectors, rank and route, and store the list unless
    ``dry_run``."""
    from signalroom.signals.detect import DETECTOR_GROUPS, DetectConfig, SignalsError, save
    from signalroom.signals.detect import detect as run_detection
    from signalroom.signals.rank import RankConfig

    try:
        config = DetectConfig(
            detectors=tuple(detectors or DETECTOR_GROUPS), baseline_days=baseline_days, days=days,
            rank=RankConfig(min_support=min_support, cost_per_contact=cost_per_contact),
        )  # fmt: skip
        run = run_detection(store, as_of=as_of, config=config)
        if not dry_run:
            save(store, run)
    except SignalsError as exc:
        raise ApiError(409, str(exc)) from None
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    return {**run.to_dict(), "stored": not dry_run}


def add_flag(store: Store, user: User, *, text: str, interaction: str | None) -> dict[str, Any]:
    """An advisor's flag, as the user: an interaction it refers to must be one they may see."""
    from signalroom.signals.flags import FlagError, parse_reference
    from signalroom.signals.flags import add_flag as record_flag

    reference = None
    try:
        if interaction is not None and interaction.strip():
            source, ident = parse_reference(interaction)
            if not behind_store.visible(store, [(source, ident)], user.scope):
                raise ApiError(404, f"no interaction {source}/{ident} among those you may see")
            reference = f"{source}/{ident}"
        flag_id = record_flag(store, advisor=user.username, text=text, interaction=reference)
    except FlagError as exc:
        raise ApiError(422, str(exc), fields=[{"location": "body", "problem": str(exc)}]) from None
    return {"flag_id": flag_id, "advisor": user.username, "text": " ".join(text.split()), "interaction": reference}


def flag_groups(store: Store, user: User, *, advisor: str | None, since: date | None) -> list[dict[str, Any]]:
    """``signalroom signals flags``: the flags grouped, each group with its matched signal. An
    advisor sees the groups of their own flags only, a supervisor those of the people in their
    teams (their advisors and fellow supervisors)."""
    from signalroom.signals.flags import FlagError, review_flags, review_rows
    from signalroom.store.flags import list_flags
    from signalroom.store.users import usernames_in_teams

    if user.role is Role.ADVISOR:
        advisor = user.username
    teams = user.scope.teams
    flaggers = None if teams is None else tuple(sorted({user.username, *usernames_in_teams(store, teams)}))

    def compute() -> list[dict[str, Any]]:
        try:
            review = review_flags(store, advisor=advisor, since=since, advisors=flaggers)
        except FlagError as exc:
            raise ApiError(422, str(exc)) from None
        return review_rows(review)

    # Flags are not part of the data version: their own count and last id key the cache.
    flags = list_flags(store, advisor=advisor, since=since, advisors=flaggers)
    marker = (len(flags), flags[-1].flag_id if flags else None)
    return cache.cached(store, ("flag_groups", advisor, since, flaggers, marker), compute)
