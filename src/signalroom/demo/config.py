"""What to generate (:class:`DemoConfig`) and what was written (:class:`DemoSummary`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from signalroom.demo.truth import TRUTH_DIR

DEFAULT_START = dt.date(2026, 3, 2)
FILES = ("customers.jsonl", "interactions.jsonl", "events.jsonl", "surveys.jsonl")
PREFIX = {
    "voice": "call",
    "chat": "chat",
    "email": "mail",
    "social": "soc",
    "sms": "sms",
    "messaging": "msg",
    "bot": "bot",
}
BACKGROUND_RATE = 0.25  # digital events per customer per day that lead to no contact


@dataclass
class DemoConfig:
    customers: int = 2000
    days: int = 30
    seed: int = 7
    start: dt.date = DEFAULT_START
    out: Path = Path("demo-data")


@dataclass
class DemoSummary:
    out: Path
    seed: int
    start: str
    days: int
    customers: int
    agents: int
    files: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def interactions(self) -> int:
        return self.files.get("interactions.jsonl", 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "seed": self.seed,
            "start": self.start,
            "days": self.days,
            "customers": self.customers,
            "agents": self.agents,
            "files": self.files,
            "truth": str(self.out / TRUTH_DIR / "truth.json"),
            "seconds": round(self.seconds, 3),
            "interactions_per_second": round(self.interactions / self.seconds) if self.seconds else None,
        }


def clamp(x: float, lo: float = -1.0, hi: float = 1.0) -> float:
    return lo if x < lo else hi if x > hi else x


class DayBuffer:
    """One day's records per file, written sorted by time."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[float, str, bytes]]] = {name: [] for name in FILES}

    def add(self, name: str, t: float, record: dict[str, Any]) -> None:
        self.rows[name].append((t, record.get("id", ""), orjson.dumps(record)))
