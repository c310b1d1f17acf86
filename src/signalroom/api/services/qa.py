"""QA for the command centre (docs/qa.md): scorecards, answers, disputes, human evaluations,
calibration and compliance risk — the domain code `signalroom qa` and `signalroom scorecard` call,
with every read filtered to what the asking user may see. Shared by /api/v1/qa and the QA pages."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError

from signalroom.api import cache
from signalroom.api.errors import ApiError
from signalroom.auth.roles import DISPUTE, QA_READ, Scope
from signalroom.auth.users import User
from signalroom.store import qa_lists
from signalroom.store import signal_interactions as behind_store
from signalroom.store.warehouse import Store

VALUES = ("pass", "fail", "na")
# Who may read disputes: those who review or follow them, and those who raise them.
DISPUTE_READ = tuple(dict.fromkeys((*QA_READ, *DISPUTE)))
STATUSES = ("open", "accepted", "rejected")


def _unseen(what: str) -> ApiError:
    return ApiError(404, f"no {what} among those you may see")


# ---------------------------------------------------------------- scorecards


def _cards(store: Store) -> list[Any]:
    """The scorecards in use as stored. Read as the stored definitions, not validated again: they
    were when kept, and validating imports the redaction recognisers (seconds, once a process)."""
    from signalroom.store import qa as qa_store

    return qa_store.scorecards_in_use(store)


def _summary(definition: dict[str, Any]) -> dict[str, Any]:
    """What `signalroom scorecard lint` lists of a valid scorecard, from its stored definition."""
    criteria = [c for s in definition.get("sections", []) for c in s.get("criteria", [])]
    kinds: dict[str, int] = {}
    for c in criteria:
        kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
    return {
        "id": definition["id"], "name": definition["name"], "version": definition.get("version", 1),
        "sections": len(definition.get("sections", [])), "criteria": len(criteria), "kinds": kinds,
        "auto_fail": [c["id"] for c in criteria if c.get("auto_fail")],
    }  # fmt: skip


def _criterion_dict(criterion: dict[str, Any], section: str) -> dict[str, Any]:
    return {"id": criterion["id"], "name": criterion["name"], "description": criterion.get("description"),
            "kind": criterion["kind"], "weight": criterion.get("weight", 1.0),
            "auto_fail": bool(criterion.get("auto_fail")), "section": section}  # fmt: skip


def scorecards(store: Store) -> list[dict[str, Any]]:
    """Every scorecard in use: its summary and its criteria section by section."""
    out = []
    for card in _cards(store):
        d = card.definition
        criteria = [_criterion_dict(c, s["name"]) for s in d.get("sections", []) for c in s.get("criteria", [])]
        out.append({**_summary(d), "description": d.get("description"), "content_hash": card.content_hash,
                    "criteria_list": criteria})  # fmt: skip
    return out


def criterion_names(store: Store) -> dict[tuple[str, str], dict[str, Any]]:
    """(scorecard, criterion) → the criterion's name, kind, description…"""
    return {(card["id"], c["id"]): c for card in scorecards(store) for c in card["criteria_list"]}


def _pruned(value: Any) -> Any:
    """The definition without the fields left empty, as a person would write it."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def scorecard(store: Store, scorecard_id: str) -> dict[str, Any]:
    """One scorecard in use: its parsed definition and the same written as YAML."""
    cards = _cards(store)
    card = next((c for c in cards if c.scorecard_id == scorecard_id), None)
    if card is None:
        in_use = ", ".join(c.scorecard_id for c in cards) or "none"
        raise ApiError(404, f"no scorecard {scorecard_id!r} in use (in use: {in_use})")
    source = qa_lists.scorecard_source(store, scorecard_id)
    path, loaded_at = source if source else (None, None)
    text = yaml.safe_dump(_pruned(card.definition), sort_keys=False, allow_unicode=True)
    return {**_summary(card.definition), "content_hash": card.content_hash, "source_path": path,
            "loaded_at": loaded_at, "yaml": text, "definition": card.definition}  # fmt: skip


def lint_scorecard(text: str) -> list[dict[str, Any]]:
    """Every problem of a scorecard's YAML with its line and field ([] when it is valid): what
    `signalroom scorecard lint` reports, one problem per entry."""
    from signalroom.qa.scorecard import KINDS, Scorecard
    from signalroom.yaml_lines import field_path, line_of, load_with_lines

    try:
        data, lines = load_with_lines(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return [{"line": mark.line + 1 if mark else 0, "field": None,
                 "message": f"not valid YAML: {exc.problem or exc.context or exc}"}]  # fmt: skip
    except yaml.YAMLError as exc:
        return [{"line": 0, "field": None, "message": f"not valid YAML: {exc}"}]
    if not isinstance(data, dict):
        return [{"line": 1, "field": None, "message": "a scorecard is a mapping with id, name and sections"}]
    try:
        Scorecard.model_validate(data)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            raw = tuple(err["loc"])
            # pydantic names the member of the tagged union it tried after a list index: not in the file.
            loc = tuple(p for i, p in enumerate(raw) if not (p in KINDS and i > 0 and isinstance(raw[i - 1], int)))
            out.append({"line": line_of(lines, loc), "field": field_path(loc), "message": err["msg"]})
        return out
    return []


def _problems_error(problems: list[dict[str, Any]]) -> ApiError:
    summary = "; ".join(f"line {p['line']}: {p['field'] or '(document)'}: {p['message']}" for p in problems[:5])
    fields = [{"location": f"body.yaml.{p['field'] or ''}".rstrip("."), "line": p["line"], "problem": p["message"]}
              for p in problems]  # fmt: skip
    return ApiError(422, f"the scorecard is not valid: {summary}", fields=fields)


def set_scorecard(store: Store, scorecard_id: str, text: str, *, rescore: bool = True) -> dict[str, Any]:
    """Keep this scorecard as the one in use under its id, as `qa score --scorecard FILE` does,
    and rescore what it changed (all of history when its content changed)."""
    from signalroom.qa.run import content_hash, score
    from signalroom.qa.scorecard import parse_scorecard
    from signalroom.store import qa as qa_store

    problems = lint_scorecard(text)
    if problems:
        raise _problems_error(problems)
    card = parse_scorecard(text, "scorecard")
    if card.id != scorecard_id:
        message = f"the YAML's id is {card.id!r}, not {scorecard_id!r}: the address and the scorecard must agree"
        raise ApiError(422, message, fields=[{"location": "body.yaml.id", "problem": "differs from the address"}])
    with store.transaction():
        changed = qa_store.save_scorecard(store, card.id, card.version, content_hash(card), card.name, None,
                                          card.model_dump(mode="json"))  # fmt: skip
    report = score(store).to_dict() if rescore else None
    return {"scorecard_id": card.id, "version": card.version, "changed": changed, "score": report}


def run_score(store: Store, *, full: bool) -> dict[str, Any]:
    """Score what is not scored yet (everything with ``full``), as `signalroom qa score` does."""
    from signalroom.qa.run import score

    result: dict[str, Any] = score(store, full=full).to_dict()
    return result


# ---------------------------------------------------------------- answers


def answers(store: Store, user: User, query: qa_lists.AnswerQuery, *, limit: int, offset: int
            ) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
    return qa_lists.answers(store, user.scope, query, limit=limit, offset=offset)


# ---------------------------------------------------------------- disputes


def _visible_interaction(store: Store, user: User, interaction_id: str, source: str | None) -> str:
    """The source of this interaction among those the user may see, else 404."""
    owners = [o for o in qa_lists.interaction_owners(store, interaction_id, source)
              if user.scope.allows(agent_id=o.agent_id, team=o.team)]  # fmt: skip
    if not owners:
        raise _unseen(f"interaction {interaction_id!r}")
    if len(owners) > 1:
        raise ApiError(422, f"interaction {interaction_id!r} is in several sources "
                            f"({', '.join(o.source for o in owners)}): name one",
                       fields=[{"location": "source", "problem": "needed"}])  # fmt: skip
    return owners[0].source


def disputes(store: Store, user: User, *, status: str | None = None, agent_id: str | None = None
             ) -> list[dict[str, Any]]:  # fmt: skip
    return qa_lists.disputes(store, user.scope, status=status, agent_id=agent_id)


def dispute(store: Store, user: User, dispute_id: int) -> dict[str, Any]:
    """One dispute the user may see, with its whole history."""
    from signalroom.qa.disputes import history

    found = qa_lists.disputes(store, user.scope, dispute_id=dispute_id)
    if not found:
        raise _unseen(f"dispute {dispute_id}")
    return {**found[0], "history": history(store, dispute_id)}


def raise_dispute(
    store: Store, user: User, *, interaction_id: str, criterion: str, comment: str, scorecard_id: str | None = None,
    source: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The user disputes an answer about an interaction they may see (an advisor their own, a
    supervisor their teams')."""
    from signalroom.qa.disputes import DisputeError
    from signalroom.qa.disputes import raise_dispute as domain_raise

    if not comment.strip():
        raise ApiError(422, "a dispute needs a comment saying why the answer is wrong",
                       fields=[{"location": "comment", "problem": "empty"}])  # fmt: skip
    source = _visible_interaction(store, user, interaction_id, source)
    try:
        dispute_id = domain_raise(store, interaction_id, criterion, by=user.username, comment=comment.strip(),
                                  scorecard_id=scorecard_id or None, source=source)  # fmt: skip
    except DisputeError as exc:
        message = str(exc).replace("with --scorecard", "with scorecard")
        if "still open" in message:
            raise ApiError(409, message) from None
        field = "scorecard" if "several scorecards" in message else "criterion"
        raise ApiError(422, message, fields=[{"location": field, "problem": message}]) from None
    return dispute(store, user, dispute_id)


def review_dispute(
    store: Store, user: User, dispute_id: int, *, accept: bool, value: str | None = None, comment: str | None = None
) -> dict[str, Any]:
    """Accept (the corrected answer replaces the automated one, now and at every rescoring) or
    reject a dispute, as `signalroom qa dispute review` does; the reviewer is the user."""
    from signalroom.qa.disputes import DisputeError
    from signalroom.qa.disputes import review_dispute as domain_review

    current = dispute(store, user, dispute_id)
    if current["status"] != "open":
        raise ApiError(409, f"dispute {dispute_id} was already {current['status']} by {current['reviewer']}")
    if value is not None and value not in VALUES:
        field = {"location": "value", "problem": "not pass, fail or na"}
        raise ApiError(422, f"value {value!r}: use pass, fail or na", fields=[field])
    if accept and value is None and current["original_value"] not in ("pass", "fail"):
        raise ApiError(422, "accepting a dispute of a not-applicable answer needs the value: pass or fail",
                       fields=[{"location": "value", "problem": "needed"}])  # fmt: skip
    try:
        domain_review(store, dispute_id, accept=accept, by=user.username, comment=comment or None, value=value)
    except DisputeError as exc:
        raise ApiError(409 if "already" in str(exc) else 422, str(exc)) from None
    return dispute(store, user, dispute_id)


# ---------------------------------------------------------------- evaluations and calibration


def _named_report(report: Any, stored_as: str, name: str) -> dict[str, Any]:
    out: dict[str, Any] = report.to_dict()
    out["files"] = [name]
    for error in out["errors"]:
        error["file"] = name
    return out


def import_evaluations(store: Store, content: bytes, suffix: str, name: str) -> dict[str, Any]:
    """Import human evaluations from an upload (CSV, JSON or JSON Lines) as `qa evaluations import`
    does: bad rows are reported with their line and not imported, the good ones are."""
    from signalroom.qa.evaluations import import_evaluations as domain_import

    if suffix not in (".csv", ".json", ".jsonl", ".ndjson"):
        raise ApiError(415, f"unknown format {suffix or '(no extension)'}: send .csv, .json or .jsonl")
    with tempfile.TemporaryDirectory(prefix="signalroom-evaluations-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(content)
        report = domain_import(store, [path])
        qa_lists.name_evaluation_file(store, str(path), name)
    return _named_report(report, str(path), name)


def import_evaluation_rows(store: Store, rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """Import rows sent as JSON: written one a line, so a rejected row's line is its number (from 1)."""
    return import_evaluations(store, b"\n".join(orjson.dumps(r) for r in rows), ".jsonl", name)


def agreement(store: Store, scorecard_id: str | None, criterion_id: str | None) -> list[dict[str, Any]]:
    from signalroom.qa.calibration import criterion_agreement

    return [c.to_dict() for c in criterion_agreement(store, scorecard_id, criterion_id)]


def pick(store: Store, *, scorecard_id: str | None, criterion_id: str | None, size: int) -> list[dict[str, Any]]:
    from signalroom.qa.calibration import pick as domain_pick

    return [p.to_dict() for p in domain_pick(store, criterion_id=criterion_id, scorecard_id=scorecard_id, size=size)]


def record(
    store: Store, user: User, *, interaction_id: str, criterion: str, answer: str, note: str | None = None,
    scorecard_id: str | None = None, source: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Keep the answer a calibration session agreed; the user is who agreed it."""
    from signalroom.qa.calibration import record as domain_record
    from signalroom.qa.evaluations import EvaluationError

    try:
        done = domain_record(store, interaction_id, criterion, answer, by=user.username, note=note or None,
                             scorecard=scorecard_id or None, source=source or None)  # fmt: skip
    except EvaluationError as exc:
        message = str(exc)
        status = 404 if message.startswith("unknown interaction") else 422
        field = "answer" if "answer" in message else "scorecard" if "scorecard" in message else "criterion"
        raise ApiError(status, message, fields=[{"location": field, "problem": message}]) from None
    result: dict[str, Any] = done.to_dict()
    return result


def calibration(store: Store, scorecard_id: str | None = None) -> dict[str, Any]:
    """The calibration sessions (the agreed answers by who agreed them and the day) and auto-QA
    against the agreed answers, with the thresholds that would agree best."""
    from signalroom.qa.thresholds import calibration_report
    from signalroom.store import qa_evaluations as ev_store

    sessions: dict[tuple[str, date], dict[str, Any]] = {}
    for c in ev_store.calibrations(store, scorecard_id):
        day = c.agreed_at.date()
        entry = sessions.setdefault((c.agreed_by, day), {"agreed_by": c.agreed_by, "day": day, "items": 0,
                                                         "criteria": set(), "answers": []})  # fmt: skip
        entry["items"] += 1
        entry["criteria"].add(f"{c.key[2]}/{c.key[3]}")
        entry["answers"].append({"source": c.key[0], "interaction_id": c.key[1], "scorecard_id": c.key[2],
                                 "criterion_id": c.key[3], "answer": c.answer, "note": c.note,
                                 "agreed_at": c.agreed_at})  # fmt: skip
    listed = sorted(sessions.values(), key=lambda s: (s["day"], s["agreed_by"]), reverse=True)
    for s in listed:
        s["criteria"] = sorted(s["criteria"])
    # The report reads the scorecards in use through their validation (slow to import the first
    # time): not when nothing is calibrated.
    report = [c.to_dict() for c in calibration_report(store, scorecard_id)] if listed else []
    return {"sessions": listed, "report": report}


# ---------------------------------------------------------------- compliance risk


def risk(
    store: Store, scope: Scope, *, scorecard_id: str | None = None, criterion_id: str | None = None,
    by: str | None = "agent", trend: str = "week", date_from: date | None = None, date_to: date | None = None,
    sample_rate: float = 0.02, examples: int = 5,
) -> dict[str, Any]:  # fmt: skip
    """Compliance risk over every interaction and what a review sample (2% by default) would have
    shown of it, as `signalroom qa risk` computes it (cached until the data changes). A supervisor
    sees the whole population's figures, but only their teams and agents in the breakdown and only
    their teams' interactions as examples."""
    from signalroom.qa.risk import RiskConfig, RiskError, compliance_risk

    try:
        config = RiskConfig(
            scorecard_id=scorecard_id, criterion_id=criterion_id, by=by, trend=trend, date_from=date_from,
            date_to=date_to, sample_rate=sample_rate, examples=examples,
        )  # fmt: skip
        report = cache.cached(store, ("qa.risk", config), lambda: compliance_risk(store, config))
    except RiskError as exc:
        message = str(exc).replace("--sample-rate", "sample_rate").replace("--", "")
        words = message.split(" ")
        field = words[1] if words[0] == "unknown" else words[0]
        raise ApiError(422, message, fields=[{"location": field, "problem": message}]) from None
    if scope.everything:
        return report.to_dict()
    references = [e for c in report.criteria for e in (*c.examples, *(x for g in c.breakdown for x in g.examples))]
    allowed = behind_store.visible_references(store, references, scope)
    teams = qa_lists.agent_teams(store) if by == "agent" else {}

    def group_visible(key: str | None) -> bool:
        if by == "agent":
            return key is not None and scope.allows(agent_id=key, team=teams.get(key))
        if by == "team":
            return scope.allows(agent_id=None, team=key)
        return True  # channels, reasons, queues, days: aggregates over everyone

    return report.within(group=group_visible, interaction=allowed.__contains__).to_dict()
