"""Replaying recorded interactions as live sessions (``signalroom assist simulate``, the load
benchmark): each interaction's turns are sent to a running server as a platform would, at their
recorded pace sped up, over the WebSocket or the HTTP fallback; every answer is timed."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from signalroom.interchange.models import Interaction

TICK_MS = 5_000  # in a silence longer than this, the clock is sent on (time-based nudges fall due)
NO_TIMES_GAP_MS = 3_000  # turns recorded without times are spoken this far apart
MAX_GAP_MS = 120_000  # a longer recorded silence is cut to this


class SimulateError(ValueError):
    pass


def parse_speed(text: str) -> float:
    """``10x``, ``10`` or ``max`` (0: no waiting)."""
    value = text.strip().lower()
    if value in ("max", "0", "0x"):
        return 0.0
    match = re.fullmatch(r"(\d+(?:\.\d+)?)x?", value)
    if not match or float(match.group(1)) <= 0:
        raise SimulateError(f"speed must look like 10x, 1x, 0.5x or max, not {text!r}")
    return float(match.group(1))


def read_interactions(paths: Sequence[Path], fmt: str = "auto") -> list[Interaction]:
    """The interactions with turns in files of any format `signalroom ingest` reads; a record that
    does not validate is an error naming its file and place (nothing is replayed half)."""
    from signalroom.ingest.adapters.base import ReadLimits
    from signalroom.ingest.loader import IngestError, build_adapter, check, detect_format, expand_paths
    from signalroom.ingest.validation import Problem

    found: list[Interaction] = []
    try:
        files = expand_paths(paths)
        for path in files:
            adapter = build_adapter(fmt if fmt != "auto" else detect_format(path), {})
            seen: dict[tuple[str, str], str] = {}
            for item in adapter.read(path, ReadLimits()):
                outcome = check(item, seen)
                if isinstance(outcome, Problem):
                    raise SimulateError(f"{path}: {getattr(item, 'location', '?')}: {outcome.reason}")
                if isinstance(outcome, tuple) and isinstance(outcome[0], Interaction) and outcome[0].turns:
                    found.append(outcome[0])
    except IngestError as exc:
        raise SimulateError(str(exc)) from None
    if not found:
        raise SimulateError(f"no interaction with turns in {', '.join(str(p) for p in paths)}")
    return found


def _offsets(record: Interaction) -> list[int]:
    """Each turn's time from the start, in ms: as recorded, else from its timestamp, else spaced."""
    out: list[int] = []
    for i, turn in enumerate(record.turns):
        if turn.offset_ms is not None:
            at = turn.offset_ms
        elif turn.at is not None:
            at = int((turn.at - record.started_at).total_seconds() * 1000)
        else:
            at = (out[-1] + NO_TIMES_GAP_MS) if out else 0
        previous = out[-1] if out else 0
        out.append(max(previous, min(at, previous + MAX_GAP_MS)) if i else max(0, min(at, MAX_GAP_MS)))
    return out


def session_messages(
    record: Interaction, *, prefix: str, by_id: dict[str, Interaction], handoff_source: str | None
) -> tuple[dict[str, Any], list[tuple[int, dict[str, Any]]]]:
    """The start message and the (clock ms, message) that follow, ticks included."""
    info: dict[str, Any] = {
        "id": prefix + record.id,
        "channel": record.channel,
        "customer": record.customer.model_dump(exclude_none=True),
        "started_at": record.started_at.isoformat(),
    }
    for name in ("queue", "direction", "language"):
        if getattr(record, name) is not None:
            info[name] = getattr(record, name)
    if record.agent is not None:
        info["agent"] = record.agent.model_dump(exclude_none=True)
    if record.parent_id is not None:
        parent = by_id.get(record.parent_id)
        handoff: dict[str, Any] = {"kind": "bot" if parent is None or parent.channel == "bot" else "transfer",
                                   "interaction_id": record.parent_id, "source": handoff_source}  # fmt: skip
        if parent is not None:
            handoff["turns"] = [{"speaker": t.speaker, "text": t.text} for t in parent.turns]
        info["handoff"] = handoff
    steps: list[tuple[int, dict[str, Any]]] = []
    events = sorted(record.events_in_call, key=lambda e: e.offset_ms)
    clock = 0
    for turn, at in zip(record.turns, _offsets(record), strict=True):
        while clock + TICK_MS < at:
            clock += TICK_MS
            steps.append((clock, {"type": "tick", "offset_ms": clock}))
        while events and events[0].offset_ms <= at:
            event = events.pop(0)
            steps.append((event.offset_ms, {"type": "event", "event": event.type, "offset_ms": event.offset_ms}))
        steps.append((at, {"type": "turn", "speaker": turn.speaker, "text": turn.text, "offset_ms": at}))
        clock = at
    end: dict[str, Any] = {"type": "end"}
    if record.outcome is not None:
        end["outcome"] = record.outcome.model_dump(exclude_none=True)
    steps.append((clock, end))
    return {"type": "start", "session": info}, steps


@dataclass
class SessionReport:
    session: str
    status: str = "running"
    error: str | None = None
    turns: int = 0
    reason: str | None = None
    top_suggestion: str | None = None
    nudges: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)  # per turn, send to update, as the client saw it
    server_ms: list[float] = field(default_factory=list)  # the same, as the server measured it
    context_card: bool = False

    def take(self, message: dict[str, Any]) -> None:
        if message.get("type") == "started":
            self.context_card = bool((message.get("context") or {}).get("card"))
        reason = message.get("reason")
        if reason:
            self.reason = reason["label"]
        suggestions = message.get("suggestions")
        if suggestions:
            self.top_suggestion = f"{suggestions[0]['title']} ({suggestions[0]['confidence']:.2f})"
        self.nudges += [f"{n['criterion']}: {n['status']}" for n in message.get("nudges") or ()]
        self.alerts += [a["kind"] for a in message.get("alerts") or ()]

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        out = asdict(self)
        out["latencies_ms"] = [round(x, 2) for x in self.latencies_ms]
        return out


class _Socket:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    async def __aenter__(self) -> _Socket:
        from websockets.asyncio.client import connect

        parts = urlsplit(self.url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        self._conn = await connect(
            f"{scheme}://{parts.netloc}/api/v1/assist/ws",
            additional_headers={"Authorization": f"Bearer {self.token}"},
            max_size=2**22,
            open_timeout=30,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._conn.close()

    async def exchange(self, message: dict[str, Any]) -> dict[str, Any]:
        await self._conn.send(orjson.dumps(message).decode())
        answer: dict[str, Any] = orjson.loads(await self._conn.recv())
        return answer


class _Http:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url.rstrip("/"), token
        self.session: str | None = None

    async def __aenter__(self) -> _Http:
        import httpx

        self._client = httpx.AsyncClient(headers={"Authorization": f"Bearer {self.token}"}, timeout=60)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def exchange(self, message: dict[str, Any]) -> dict[str, Any]:
        if message["type"] == "start":
            self.session = message["session"]["id"]
            response = await self._client.post(f"{self.url}/api/v1/assist/sessions", json=message)
        else:
            path = f"{self.url}/api/v1/assist/sessions/{self.session}/messages"
            response = await self._client.post(path, json=message)
        body: dict[str, Any] = response.json()
        if response.status_code >= 400:
            return {"type": "error", **(body.get("error") or {"message": response.text})}
        return body


async def replay_one(
    url: str, token: str, start: dict[str, Any], steps: list[tuple[int, dict[str, Any]]], *,
    speed: float, http: bool = False,
) -> SessionReport:  # fmt: skip
    report = SessionReport(start["session"]["id"])
    began = time.monotonic()
    try:
        async with _Http(url, token) if http else _Socket(url, token) as link:
            answer = await link.exchange(start)
            if answer.get("type") == "error":
                report.status, report.error = "failed", answer.get("message")
                return report
            report.take(answer)
            for clock, message in steps:
                if speed:
                    wait = began + clock / 1000 / speed - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                sent = time.perf_counter()
                answer = await link.exchange(message)
                if answer.get("type") == "error":
                    report.status, report.error = "failed", answer.get("message")
                    return report
                if message["type"] == "turn":
                    report.turns += 1
                    report.latencies_ms.append((time.perf_counter() - sent) * 1000)
                    report.server_ms.append(float(answer.get("latency_ms") or 0.0))
                report.take(answer)
            report.status = answer.get("status", "ended")
    except Exception as exc:
        report.status, report.error = "failed", f"{type(exc).__name__}: {exc}"
    return report


async def replay(
    records: Iterable[Interaction], *, url: str, token: str, speed: float, concurrency: int = 1,
    http: bool = False, prefix: str = "sim-", handoff_source: str | None = None,
) -> list[SessionReport]:  # fmt: skip
    """Replay every record, ``concurrency`` sessions at a time; one report per session."""
    records = list(records)
    by_id = {r.id: r for r in records}
    gate = asyncio.Semaphore(concurrency)

    async def one(record: Interaction) -> SessionReport:
        start, steps = session_messages(record, prefix=prefix, by_id=by_id, handoff_source=handoff_source)
        async with gate:
            return await replay_one(url, token, start, steps, speed=speed, http=http)

    # A bot session handed to a later interaction is replayed as its handoff, not on its own.
    handed = {r.parent_id for r in records if r.parent_id}
    return list(await asyncio.gather(*(one(r) for r in records if r.id not in handed)))


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    import numpy as np

    return round(float(np.percentile(values, q)), 2)


def summary(reports: Sequence[SessionReport], seconds: float) -> dict[str, Any]:
    latencies = [x for r in reports for x in r.latencies_ms]
    server = [x for r in reports for x in r.server_ms]
    return {
        "sessions": len(reports),
        "ended": sum(r.status == "ended" for r in reports),
        "failed": sum(r.status == "failed" for r in reports),
        "turns": len(latencies),
        "seconds": round(seconds, 2),
        "latency_ms": {
            "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99),
            "max": round(max(latencies), 2) if latencies else None,
        },
        "server_ms": {"p50": percentile(server, 50), "p99": percentile(server, 99)},
        "nudges": sum(len(r.nudges) for r in reports),
        "alerts": sum(len(r.alerts) for r in reports),
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, default=str)
