"""Backtest scoring (docs/signals.md#backtest): the signals a replay found against known incidents
— how many days after its onset each incident was first detected, and which signals matched no
incident (false alarms).

Incidents are YAML a person writes from what they know happened::

    incidents:
      - name: app update breaks login
        onset: 2026-03-18
        words: [app, update, "7.4.0"]

A signal matches the incident most of whose words it contains (whole words, in its title, its
phrases and its findings' subjects).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from signalroom.signals.rank import Signal
from signalroom.yaml_lines import validate_yaml


class BacktestError(ValueError):
    pass


class Incident(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    onset: date
    words: tuple[str, ...] = Field(min_length=1)


class Incidents(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    incidents: tuple[Incident, ...] = Field(min_length=1)


def load_incidents(path: Path) -> list[Incident]:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise BacktestError(f"{path}: cannot read: {exc}") from None
    shape = "a mapping with a list of `incidents` (name, onset, words)"
    return list(validate_yaml(text, Incidents, str(path), error=BacktestError, shape=shape).incidents)


@dataclass(frozen=True)
class IncidentResult:
    incident: Incident
    first_detected: date | None
    signals: list[str]

    @property
    def delay_days(self) -> int | None:
        return None if self.first_detected is None else (self.first_detected - self.incident.onset).days

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.incident.name, "onset": self.incident.onset.isoformat(),
                "first_detected": self.first_detected.isoformat() if self.first_detected else None,
                "delay_days": self.delay_days, "signals": self.signals}  # fmt: skip


@dataclass(frozen=True)
class BacktestReport:
    incidents: list[IncidentResult]
    false_alarms: list[tuple[str, date]]  # (signal title, first detected)

    def to_dict(self) -> dict[str, Any]:
        alarms = [{"title": t, "first_detected": d.isoformat()} for t, d in self.false_alarms]
        return {"incidents": [i.to_dict() for i in self.incidents], "false_alarms": alarms}

    def text(self) -> str:
        lines = []
        for result in self.incidents:
            if result.first_detected is None:
                lines.append(f"{result.incident.name} (onset {result.incident.onset}): NOT detected")
            else:
                lines.append(f"{result.incident.name} (onset {result.incident.onset}): detected "
                             f"{result.first_detected}, {result.delay_days} day(s) after onset")  # fmt: skip
        lines.append(f"false alarms: {len(self.false_alarms)}")
        lines.extend(f"  {title} (first detected {day})" for title, day in self.false_alarms)
        return "\n".join(lines)


def _text(signal: Signal) -> str:
    return " ".join((signal.title, *signal.phrases, *(f.subject for f in signal.findings))).lower()


def _hits(text: str, incident: Incident) -> int:
    return sum(re.search(rf"(?<!\w){re.escape(w.lower())}(?!\w)", text) is not None for w in incident.words)


def evaluate(signals: list[Signal], incidents: list[Incident]) -> BacktestReport:
    matched: dict[str, list[Signal]] = {i.name: [] for i in incidents}
    false_alarms = []
    for signal in signals:
        text = _text(signal)
        best = max(incidents, key=lambda i: _hits(text, i))
        if _hits(text, best):
            matched[best.name].append(signal)
        else:
            false_alarms.append((signal.title, signal.first_detected))
    results = [
        IncidentResult(i, min((s.first_detected for s in matched[i.name]), default=None),
                       [s.title for s in matched[i.name]])
        for i in incidents
    ]  # fmt: skip
    return BacktestReport(results, sorted(false_alarms, key=lambda f: f[1]))
