"""Shared text helpers: turns joined into one searchable string, and promise deadlines."""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import datetime, timedelta

from signalroom.pipeline.situation import patterns as P
from signalroom.pipeline.situation.model import Evidence
from signalroom.pipeline.views import TurnView


class Blob:
    """Turn texts joined with ``SEP``; maps a position back to (turn, offset in that turn)."""

    __slots__ = ("low", "starts", "text", "turns")

    def __init__(self, turns: list[TurnView], max_chars: int) -> None:
        self.turns = turns
        self.starts: list[int] = []
        parts: list[str] = []
        pos = 0
        for t in turns:
            text = t.text[:max_chars]
            self.starts.append(pos)
            parts.append(text)
            pos += len(text) + 1
        self.text = P.SEP.join(parts)
        self.low = self.text.lower()

    def locate(self, pos: int) -> tuple[TurnView, int]:
        i = bisect_right(self.starts, pos) - 1
        return self.turns[i], pos - self.starts[i]

    def evidence(self, start: int, end: int, rule: str) -> Evidence:
        turn, offset = self.locate(start)
        return Evidence("turn", rule, self.text[start:end], turn.seq, offset, offset + (end - start))


def deadline(base: datetime, m: re.Match[str]) -> datetime | None:
    """The latest time a stated due phrase ("within 48 hours", "by the end of the week") allows."""
    if m.group("unit"):
        n = P.NUMBERS.get(m.group("n2" if m.group("n2") else "n").lower())
        if n is None:
            n = int(m.group("n2") or m.group("n"))
        unit = m.group("unit").lower().rstrip("s")
        if unit == "day" and m.group("work"):
            day, left = base, n
            while left:
                day += timedelta(days=1)
                left -= day.weekday() < 5
            return day
        seconds = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}[unit]
        return base + timedelta(seconds=n * seconds)
    end_of_day = base.replace(hour=23, minute=59, second=0, microsecond=0)
    if m.group("end"):
        which = m.group("end").lower()
        if which == "day":
            return end_of_day
        if which == "week":
            return end_of_day + timedelta(days=6 - base.weekday())
        nxt = (base.replace(day=28) + timedelta(days=4)).replace(day=1)
        return (nxt - timedelta(days=1)).replace(hour=23, minute=59, second=0, microsecond=0)
    rel = m.group("rel").lower()
    if rel == "today":
        return end_of_day
    if rel == "tomorrow":
        return end_of_day + timedelta(days=1)
    target = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday").index(rel)
    return end_of_day + timedelta(days=(target - base.weekday() - 1) % 7 + 1)
