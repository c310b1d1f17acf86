"""Importing human QA evaluations (docs/qa.md#human-evaluations-and-calibration) from CSV, JSON or
JSON Lines: every row is checked against the warehouse (the interaction exists, the criterion is in a
scorecard in use, the answer is one we know); a bad row is reported with its file and line and not
imported, the good ones are. An evaluation is identified by evaluator, interaction, scorecard and
criterion: importing it again replaces it."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from signalroom.qa.scorecard import Scorecard, ScorecardError, default_scorecard_paths, load_scorecard
from signalroom.store import qa as qa_store
from signalroom.store import qa_evaluations as ev_store
from signalroom.store.warehouse import Store

# Spreadsheet exports say yes/no, 1/0 or true/false as often as pass/fail.
ANSWERS = {
    **dict.fromkeys(("pass", "passed", "yes", "y", "1", "true", "met"), "pass"),
    **dict.fromkeys(("fail", "failed", "no", "n", "0", "false", "not met"), "fail"),
    **dict.fromkeys(("na", "n/a", "n.a.", "not applicable", "none", "-"), "na"),
}
# Each field under its accepted names (header cells and JSON keys).
FIELDS = {
    "evaluator": ("evaluator",),
    "interaction": ("interaction", "interaction_id"),
    "criterion": ("criterion", "criterion_id"),
    "answer": ("answer",),
    "comment": ("comment",),
    "scorecard": ("scorecard", "scorecard_id"),
    "source": ("source",),
    "evaluated_at": ("evaluated_at",),
}
REQUIRED = ("evaluator", "interaction", "criterion", "answer")
_NAMES = {name: f for f, names in FIELDS.items() for name in names}


class EvaluationError(ValueError):
    """Bad input that names what and where."""


def normalise_answer(text: str) -> str | None:
    return ANSWERS.get(" ".join(text.strip().casefold().split()))


def criteria_in_use(store: Store) -> dict[str, Scorecard]:
    """The scorecards in use by id (the shipped ones when none is kept yet, as scoring would)."""
    stored = qa_store.scorecards_in_use(store)
    if stored:
        return {s.scorecard_id: Scorecard.model_validate(s.definition) for s in stored}
    cards = {}
    for path in default_scorecard_paths():
        try:
            card = load_scorecard(path)
        except ScorecardError:
            continue
        cards[card.id] = card
    return cards


def resolve_criterion(cards: dict[str, Scorecard], criterion: str, scorecard: str | None) -> tuple[str, str]:
    """(scorecard id, criterion id), or an error saying why the criterion cannot be told."""
    if scorecard:
        card = cards.get(scorecard)
        if card is None:
            raise EvaluationError(f"unknown scorecard {scorecard!r} (in use: {', '.join(sorted(cards)) or 'none'})")
        if criterion not in {c.id for c in card.criteria()}:
            raise EvaluationError(f"unknown criterion {criterion!r} in scorecard {scorecard!r}")
        return scorecard, criterion
    holders = sorted(cid for cid, card in cards.items() if criterion in {c.id for c in card.criteria()})
    if not holders:
        raise EvaluationError(f"unknown criterion {criterion!r} (not in any scorecard in use)")
    if len(holders) > 1:
        raise EvaluationError(f"criterion {criterion!r} is in several scorecards ({', '.join(holders)}): name one")
    return holders[0], criterion


@dataclass(frozen=True)
class Rejection:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}: line {self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


@dataclass
class ImportReport:
    files: list[str] = field(default_factory=list)
    rows: int = 0
    imported: int = 0  # new evaluations
    replaced: int = 0  # evaluations stored before (or earlier in the same import), now replaced
    rejected: list[Rejection] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rejected": len(self.rejected), "errors": [asdict(r) for r in self.rejected]}


# -- reading the files -------------------------------------------------------------------------------


def _read_csv(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(text.splitlines(keepends=True))
    header = next(reader, None)
    if header is None:
        return
    names = [" ".join(h.strip().casefold().split()).replace(" ", "_") for h in header]
    unknown = [h for h in names if h and h not in _NAMES]
    if unknown:
        raise EvaluationError(f"line 1: unknown column(s) {', '.join(unknown)} (known: {', '.join(_NAMES)})")
    start = reader.line_num + 1
    for cells in reader:
        if any(c.strip() for c in cells):
            if len(cells) > len(names):
                yield start, {"": cells}
            else:
                yield start, {n: c for n, c in zip(names, cells, strict=False) if n}
        start = reader.line_num + 1


def _read_json(text: str) -> Iterator[tuple[int, Any]]:
    stripped = text.lstrip()
    if not stripped.startswith("["):
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, EvaluationError(f"malformed JSON: {exc.msg} at column {exc.colno}")
        return
    # A JSON array: decode element by element to know the line each one starts on.
    decoder, pos = json.JSONDecoder(), text.index("[") + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return
        start = text.count("\n", 0, pos) + 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise EvaluationError(f"line {exc.lineno}: malformed JSON: {exc.msg}") from exc
        yield start, value


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | EvaluationError]]:
    """(line, fields by canonical name) of every row of a file, or the row's error; a file that
    cannot be read at all raises an EvaluationError."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise EvaluationError(f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise EvaluationError(f"line {line}: invalid UTF-8") from exc
    suffix = path.suffix.casefold()
    if suffix == ".csv":
        rows: Iterator[tuple[int, Any]] = _read_csv(text)
    elif suffix in (".json", ".jsonl", ".ndjson"):
        rows = _read_json(text)
    else:
        raise EvaluationError(f"unknown format {path.suffix or '(no extension)'}: use .csv, .json or .jsonl")
    for number, raw in rows:
        if isinstance(raw, EvaluationError):
            yield number, raw
        elif not isinstance(raw, dict):
            yield number, EvaluationError(f"expected an object with fields, found {type(raw).__name__}")
        elif "" in raw:
            yield number, EvaluationError("more cells than the header has columns")
        else:
            unknown = [k for k in raw if k not in _NAMES]
            if unknown:
                yield number, EvaluationError(f"unknown field(s) {', '.join(map(str, unknown))}")
            else:
                yield number, {_NAMES[k]: v for k, v in raw.items()}


# -- checking and storing ------------------------------------------------------------------------------


def _text(row: dict[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None:
        return None
    text = str(value).strip() if not isinstance(value, bool) else str(value).lower()
    return text or None


def _timestamp(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise EvaluationError(f"bad evaluated_at {text!r}: expected an ISO 8601 date or time") from exc
    # A time without a zone is read as UTC, as spreadsheets rarely write one.
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _check(row: dict[str, Any], cards: dict[str, Scorecard], sources: dict[str, list[str]]) -> dict[str, Any]:
    missing = [name for name in REQUIRED if _text(row, name) is None]
    if missing:
        raise EvaluationError(f"missing {', '.join(missing)}")
    answer_text = _text(row, "answer") or ""
    answer = normalise_answer(answer_text)
    if answer is None:
        raise EvaluationError(f"bad answer {answer_text!r}: expected pass, fail or na (or yes/no, 1/0, true/false)")
    ident, source = _text(row, "interaction") or "", _text(row, "source")
    known = sources.get(ident, [])
    if source is not None and source not in known:
        raise EvaluationError(f"unknown interaction {ident!r} in source {source!r}")
    if source is None:
        if not known:
            raise EvaluationError(f"unknown interaction {ident!r}")
        if len(known) > 1:
            raise EvaluationError(f"interaction {ident!r} is in several sources ({', '.join(known)}): add a source")
        source = known[0]
    card_id, criterion_id = resolve_criterion(cards, _text(row, "criterion") or "", _text(row, "scorecard"))
    at = _text(row, "evaluated_at")
    return {"source": source, "interaction_id": ident, "scorecard_id": card_id, "criterion_id": criterion_id,
            "evaluator": _text(row, "evaluator"), "answer": answer, "comment": _text(row, "comment"),
            "evaluated_at": _timestamp(at) if at else None}  # fmt: skip


def import_evaluations(store: Store, paths: Sequence[Path]) -> ImportReport:
    """Import every good row of these files; report every bad one (file, line, what is wrong)."""
    report = ImportReport(files=[str(p) for p in paths])
    read: list[tuple[str, int, dict[str, Any]]] = []
    for path in paths:
        try:
            for line, row in read_rows(path):
                report.rows += 1
                if isinstance(row, EvaluationError):
                    report.rejected.append(Rejection(str(path), line, str(row)))
                else:
                    read.append((str(path), line, row))
        except EvaluationError as exc:
            report.rejected.append(Rejection(str(path), None, str(exc)))
    cards = criteria_in_use(store)
    sources = ev_store.interaction_sources(store, {_text(r, "interaction") or "" for _, _, r in read})
    good: dict[tuple[str, ...], dict[str, Any]] = {}
    for file, line, row in read:
        try:
            checked = _check(row, cards, sources)
        except EvaluationError as exc:
            report.rejected.append(Rejection(file, line, str(exc)))
            continue
        key = tuple(checked[k] for k in ("source", "interaction_id", "scorecard_id", "criterion_id", "evaluator"))
        if key in good:  # the later row of the same evaluation wins
            report.replaced += 1
        good[key] = {**checked, "file": file, "line": line}
    if good:
        rows = list(good.values())
        table = pa.Table.from_pylist(rows, schema=ev_store.EVALUATION_SCHEMA)
        replaced = ev_store.replace_evaluations(store, table)
        report.replaced += replaced
        report.imported = len(rows) - replaced
    return report
