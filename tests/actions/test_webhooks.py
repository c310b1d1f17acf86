"""Outbound webhooks against real HTTP receivers on loopback: signing, retries with backoff, per-
subscription order, dead letters and replay, and the bar — a receiver down for a while loses nothing
and gets every event once per subscription (counted by Idempotency-Key)."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from signalroom.actions.webhooks import (
    EVENT_TYPES,
    DeliveryConfig,
    SignatureError,
    WebhookError,
    deliver,
    replay,
    retry_delay,
    sign,
    subscribe,
    verify_signature,
)
from signalroom.cli.webhooks import app
from signalroom.store import Store, StoreError
from signalroom.store.webhooks import dead_letters, delivery_states, disable_subscription, emit, list_subscriptions
from support import count, rows

SECRET_A = "a-secret-of-at-least-16-chars"
SECRET_B = "another-secret-0123456789"
FAST = DeliveryConfig(timeout_s=2.0, base_delay_s=10.0, factor=2.0, max_delay_s=100.0, jitter=0.0)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def key(self) -> str:
        return self.headers["Idempotency-Key"]


class Receiver:
    """A loopback HTTP server recording every POST. ``answers`` are the statuses of the first
    requests (then 200); ``delays`` the seconds it takes before answering them; ``on_request`` runs
    after a request is recorded and, returning False, drops the connection unanswered."""

    def __init__(
        self,
        port: int = 0,
        *,
        answers: list[int] | None = None,
        delays: list[float] | None = None,
        on_request: Any = None,
    ) -> None:
        self.received: list[Received] = []
        self._answers = list(answers or [])
        self._delays = list(delays or [])
        self._on_request = on_request
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer._lock:
                    outer.received.append(Received(self.path, dict(self.headers.items()), body))
                    status = outer._answers.pop(0) if outer._answers else 200
                    delay = outer._delays.pop(0) if outer._delays else 0.0
                if outer._on_request is not None and outer._on_request() is False:
                    return
                time.sleep(delay)
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", "/elsewhere")
                    self.end_headers()
                    self.wfile.write(b"ok" if status < 300 else b"receiver says no")
                except OSError:
                    pass  # the sender gave up waiting: it has already counted a timeout

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


def closed_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def announce(store: Store, event_type: str, payload: dict[str, Any]) -> int | None:
    with store.transaction():
        return emit(store, event_type, payload)


def until_idle(store: Store, at: datetime, config: DeliveryConfig = FAST) -> int:
    attempted = 0
    for _ in range(100):
        report = deliver(store, config=config, now=at)
        if report.attempted == 0:
            return attempted
        attempted += report.attempted
    raise AssertionError("deliver never went idle")


def later(minutes: float) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


# -- signing, backoff, config --------------------------------------------------------------------


def test_signature_verifies_and_rejects_what_is_wrong() -> None:
    body = b'{"id":"k","type":"signal.created"}'
    now = int(time.time())
    header = sign(SECRET_A, now, body)
    assert header.startswith(f"t={now},v1=")
    assert verify_signature(SECRET_A, header, body, tolerance_s=300) == now
    # Secret rotation: a header may carry several v1 signatures, one match is enough.
    assert verify_signature(SECRET_A, f"{sign(SECRET_B, now, body)},{header.split(',')[1]}", body, tolerance_s=300)
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(SECRET_B, header, body, tolerance_s=300)
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(SECRET_A, header, body + b" ", tolerance_s=300)
    with pytest.raises(SignatureError, match="beyond 300"):
        verify_signature(SECRET_A, sign(SECRET_A, now - 1000, body), body, tolerance_s=300)
    for bad in ("", "v1=abc", "t=abc,v1=00", f"t={now}", "garbage"):
        with pytest.raises(SignatureError):
            verify_signature(SECRET_A, bad, body, tolerance_s=300)


def test_retry_delay_grows_by_the_factor_up_to_the_cap_with_jitter_below_it() -> None:
    plain = DeliveryConfig(base_delay_s=10, factor=2, max_delay_s=60, jitter=0)
    rng = random.Random(1)
    assert [retry_delay(n, plain, rng) for n in range(1, 7)] == [10, 20, 40, 60, 60, 60]
    jittered = DeliveryConfig(base_delay_s=10, factor=2, max_delay_s=60, jitter=0.5)
    delays = [retry_delay(3, jittered, rng) for _ in range(200)]
    assert all(20 <= d <= 40 for d in delays)
    assert max(delays) - min(delays) > 10  # really spread, not a constant


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timeout_s": 0}, "timeout_s"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"base_delay_s": 100, "max_delay_s": 10}, "base_delay_s <= max_delay_s"),
        ({"factor": 0.5}, "factor"),
        ({"jitter": 1.0}, "jitter"),
    ],
)
def test_config_rejects_bad_values(overrides: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DeliveryConfig(**overrides)  # type: ignore[arg-type]


# -- bad input -----------------------------------------------------------------------------------


def test_bad_subscriptions_events_and_replays_are_clear_errors(store: Store, receiver: Receiver) -> None:
    for url, message in [
        ("ftp://example.com/hook", "http:// or https://"),
        ("example.com/hook", "http:// or https://"),
        ("http:///hook", "no host"),
        ("http://example.com:99999/hook", "bad port"),
    ]:
        with pytest.raises(WebhookError, match=message):
            subscribe(store, url, SECRET_A)
    with pytest.raises(WebhookError, match=r"unknown webhook event type 'signal\.deleted'.*signal\.created"):
        subscribe(store, receiver.url(), SECRET_A, ["signal.created", "signal.deleted"])
    with pytest.raises(WebhookError, match="at least 16"):
        subscribe(store, receiver.url(), "short")
    assert count(store, "webhook_subscriptions") == 0

    subscribe(store, receiver.url(), SECRET_A)
    with pytest.raises(WebhookError, match=r"unknown webhook event type 'signal\.create'"), store.transaction():
        emit(store, "signal.create", {})
    assert count(store, "webhook_events") == 0
    with pytest.raises(WebhookError, match="no webhook delivery 99"):
        replay(store, [99])
    announce(store, "signal.created", {"signal_id": 1})
    with pytest.raises(WebhookError, match="delivery 1 is pending, not dead"):
        replay(store, [1])
    with pytest.raises(WebhookError, match="no webhook subscription 7"):
        disable_subscription(store, 7)


# -- the outbox ----------------------------------------------------------------------------------


def test_emit_writes_with_the_change_or_not_at_all_and_only_for_matching_subscriptions(
    store: Store, receiver: Receiver
) -> None:
    assert announce(store, "signal.created", {"signal_id": 1}) is None  # nobody subscribes yet
    everything = subscribe(store, receiver.url("/all"), SECRET_A)
    actions_only = subscribe(store, receiver.url("/actions"), SECRET_B, ["action.created", "action.updated"])
    assert announce(store, "signal.created", {"signal_id": 2}) is not None
    assert announce(store, "action.updated", {"action_id": 3}) is not None
    with pytest.raises(RuntimeError, match="the change failed"), store.transaction():
        emit(store, "action.created", {"action_id": 4})
        raise RuntimeError("the change failed")
    assert count(store, "webhook_events") == 2
    assert [(s, st) for _, s, _, st, _, _ in delivery_states(store)] == [
        (everything, "pending"), (everything, "pending"), (actions_only, "pending"),
    ]  # fmt: skip

    assert disable_subscription(store, actions_only) is True
    assert disable_subscription(store, actions_only) is False
    announce(store, "action.created", {"action_id": 5})
    assert until_idle(store, later(1)) == 3  # the disabled subscription's pending delivery is kept, not sent
    assert [r.path for r in receiver.received] == ["/all", "/all", "/all"]
    subs = {s.subscription_id: s for s in list_subscriptions(store)}
    assert (subs[everything].delivered, subs[actions_only].pending, subs[actions_only].active) == (3, 1, False)


# -- the bar: a receiver down for a while --------------------------------------------------------


def test_a_receiver_down_for_a_while_loses_nothing_and_gets_each_event_once(store: Store) -> None:
    port = closed_port()
    sub_a = subscribe(store, f"http://127.0.0.1:{port}/a", SECRET_A)
    sub_b = subscribe(store, f"http://127.0.0.1:{port}/b", SECRET_B, ["signal.created", "action.updated"])
    emitted = []
    for i in range(20):
        event_type = EVENT_TYPES[i % len(EVENT_TYPES)]
        payload = {"n": i, "title": f"thing {i}"}
        event_id = announce(store, event_type, payload)
        assert event_id is not None
        emitted.append((event_id, event_type, payload))
    wanted_b = [e for e in emitted if e[1] in ("signal.created", "action.updated")]
    assert len(wanted_b) == 8

    start = datetime.now(UTC)
    for hours in range(3):  # three passes while nothing listens, each after the previous retry is due
        report = deliver(store, config=FAST, now=start + timedelta(hours=hours))
        assert (report.attempted, report.delivered, report.failed, report.dead) == (2, 0, 2, 0)
    states = delivery_states(store)
    assert len(states) == 28 and {st for _, _, _, st, _, _ in states} == {"pending"}
    heads = [s for s in states if s[4] > 0]
    assert sorted(s[1] for s in heads) == [sub_a, sub_b]  # only each queue's head was tried: order kept
    assert all(s[4] == 3 and "cannot connect" in (s[5] or "") for s in heads)

    receiver = Receiver(port)
    try:
        assert until_idle(store, start + timedelta(hours=3)) == 28
    finally:
        receiver.stop()

    keys = {int(i): str(k) for i, k in rows(store, "SELECT event_id, event_key FROM webhook_events")}
    for path, secret, wanted in [("/a", SECRET_A, emitted), ("/b", SECRET_B, wanted_b)]:
        got = [r for r in receiver.received if r.path == path]
        assert Counter(r.key for r in got) == Counter(keys[e[0]] for e in wanted)  # each exactly once
        assert [r.key for r in got] == [keys[e[0]] for e in wanted]  # and in emission order
        for r, (event_id, event_type, payload) in zip(got, wanted, strict=True):
            verify_signature(secret, r.headers["X-Signalroom-Signature"], r.body, tolerance_s=300)
            event = orjson.loads(r.body)
            assert (event["id"], event["type"], event["data"]) == (keys[event_id], event_type, payload)
            assert r.headers["X-Signalroom-Event"] == event_type
            assert r.headers["Content-Type"] == "application/json"
    assert {st for _, _, _, st, _, _ in delivery_states(store)} == {"delivered"}
    assert count(store, "webhook_dead_letters") == 0


# -- failures, retries, dead letters --------------------------------------------------------------


def test_errors_are_retried_with_backoff_in_order_with_the_same_key(store: Store) -> None:
    receiver = Receiver(answers=[500, 503, 302])
    try:
        subscribe(store, receiver.url(), SECRET_A)
        first = announce(store, "signal.created", {"n": 1})
        announce(store, "signal.updated", {"n": 2})
        start = datetime.now(UTC)
        errors = []
        for at in (start, start + timedelta(seconds=5), start + timedelta(seconds=11), start + timedelta(seconds=31)):
            report = deliver(store, config=FAST, now=at)
            errors += [e["error"] for e in report.errors]
            if at == start + timedelta(seconds=5):
                assert report.attempted == 0  # the retry is not due yet (10 s after the first failure)
        assert errors[0].startswith("HTTP 500") and "receiver says no" in errors[0]
        assert errors[1].startswith("HTTP 503") and errors[2].startswith("HTTP 302")  # a redirect is not followed
        assert until_idle(store, start + timedelta(seconds=71)) == 2
    finally:
        receiver.stop()
    got = [orjson.loads(r.body)["data"]["n"] for r in receiver.received]
    assert got == [1, 1, 1, 1, 2]  # the second event never overtook the first
    assert len({r.key for r in receiver.received[:4]}) == 1
    (state,) = [s for s in delivery_states(store) if s[0] == first]
    assert state[3:5] == ("delivered", 4)


def test_a_receiver_that_answers_too_late_gets_the_event_twice_with_one_key(store: Store) -> None:
    receiver = Receiver(delays=[1.5])
    try:
        subscribe(store, receiver.url(), SECRET_A)
        announce(store, "action.created", {"action_id": 1})
        slow = DeliveryConfig(timeout_s=0.5, base_delay_s=1, max_delay_s=1, jitter=0)
        report = deliver(store, config=slow, now=later(0))
        assert (report.attempted, report.failed) == (1, 1)
        assert "timed out" in report.errors[0]["error"]
        assert deliver(store, config=slow, now=later(1)).delivered == 1
    finally:
        receiver.stop()
    assert len(receiver.received) == 2  # processed twice: at least once, not exactly once
    assert len({r.key for r in receiver.received}) == 1  # but de-duplicating on the key gives once
    assert receiver.received[0].body == receiver.received[1].body


def test_exhausted_deliveries_become_dead_letters_that_replay_delivers(store: Store) -> None:
    port = closed_port()
    sub = subscribe(store, f"http://127.0.0.1:{port}/hook", SECRET_A)
    announce(store, "flag.created", {"flag_id": 1})
    config = DeliveryConfig(timeout_s=1, base_delay_s=1, max_delay_s=1, jitter=0, max_attempts=2)
    start = datetime.now(UTC)
    assert deliver(store, config=config, now=start).failed == 1
    report = deliver(store, config=config, now=start + timedelta(seconds=2))
    assert (report.dead, report.errors[0]["retry_at"]) == (1, None)
    (letter,) = dead_letters(store)
    assert (letter.subscription_id, letter.attempts, letter.event_type) == (sub, 2, "flag.created")
    assert "cannot connect" in (letter.last_error or "")
    assert deliver(store, config=config, now=start + timedelta(hours=1)).attempted == 0  # dead stays dead

    receiver = Receiver(port)
    try:
        announce(store, "flag.created", {"flag_id": 2})  # a dead letter does not hold the queue up
        assert until_idle(store, later(60)) == 1
        assert replay(store, None) == [letter.delivery_id]
        assert dead_letters(store) == [] and len(dead_letters(store, include_replayed=True)) == 1
        assert until_idle(store, later(61)) == 1
    finally:
        receiver.stop()
    assert [orjson.loads(r.body)["data"]["flag_id"] for r in receiver.received] == [2, 1]
    assert receiver.received[1].key == letter.event_key  # replay keeps the event's key
    assert {s[3] for s in delivery_states(store)} == {"delivered"}
    assert rows(
        store, "SELECT replayed_at IS NOT NULL FROM webhook_deliveries WHERE delivery_id = ?", [letter.delivery_id]
    )[0][0]


def test_a_dispatcher_killed_between_the_post_and_the_commit_sends_again_with_the_same_key(db_path: Path) -> None:
    child: list[subprocess.Popen[bytes]] = []

    def kill_the_dispatcher() -> bool:
        if len(child) == 1 and child[0].poll() is None:
            os.kill(child[0].pid, signal.SIGKILL)
            child[0].wait()
            return False  # it died before it could read the 200 or record it
        return True

    receiver = Receiver(on_request=kill_the_dispatcher)
    try:
        with Store.open(db_path) as store:
            subscribe(store, receiver.url(), SECRET_A)
            announce(store, "signal.created", {"signal_id": 1})
        command = [
            sys.executable,
            "-c",
            "from signalroom.cli.webhooks import app; app()",
            "deliver",
            "--db",
            str(db_path),
        ]
        child.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        assert child[0].wait(timeout=60) == -signal.SIGKILL
        with Store.open(db_path) as store:
            assert [s[3:5] for s in delivery_states(store)] == [("pending", 0)]  # nothing recorded, nothing lost
            assert deliver(store, config=FAST).delivered == 1
    finally:
        receiver.stop()
    assert len(receiver.received) == 2 and receiver.received[0].key == receiver.received[1].key


# -- the CLI -------------------------------------------------------------------------------------


def test_cli_subscribes_delivers_lists_and_replays(db_path: Path) -> None:
    runner = CliRunner()
    db = ["--db", str(db_path)]
    port = closed_port()
    url = f"http://127.0.0.1:{port}/hook"

    result = runner.invoke(app, ["add", url, "--secret", SECRET_A, "--event", "signal.created", *db, "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["events"] == ["signal.created"]
    bad = runner.invoke(app, ["add", url, "--secret", SECRET_A, "--event", "signal.exploded", *db])
    assert bad.exit_code == 2 and "signal.exploded" in bad.output
    bad = runner.invoke(app, ["add", "mailto:x@y.z", "--secret", SECRET_A, *db])
    assert bad.exit_code == 2 and "http:// or https://" in bad.output

    with Store.open(db_path) as store:
        announce(store, "signal.created", {"signal_id": 9})
    result = runner.invoke(app, ["deliver", "--max-attempts", "1", "--timeout", "1", *db, "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["dead"] == 1
    result = runner.invoke(app, ["dead-letters", *db, "--json"])
    (letter,) = orjson.loads(result.stdout)["dead_letters"]
    assert letter["url"] == url and "cannot connect" in letter["last_error"]

    assert runner.invoke(app, ["replay", *db]).exit_code == 2
    bad = runner.invoke(app, ["replay", "42", *db])
    assert bad.exit_code == 2 and "no webhook delivery 42" in bad.output
    receiver = Receiver(port)
    try:
        result = runner.invoke(app, ["replay", str(letter["delivery_id"]), *db])
        assert result.exit_code == 0 and "replayed 1 delivery" in result.output
        result = runner.invoke(app, ["deliver", *db])
        assert result.exit_code == 0 and "delivered 1" in result.output
    finally:
        receiver.stop()
    assert len(receiver.received) == 1 and receiver.received[0].key == letter["event_key"]

    listed = orjson.loads(runner.invoke(app, ["list", *db, "--json"]).stdout)["subscriptions"]
    assert [(s["delivered"], s["dead"], s["active"]) for s in listed] == [(1, 0, True)]
    assert "secret" not in listed[0]
    assert runner.invoke(app, ["disable", "1", *db]).exit_code == 0
    bad = runner.invoke(app, ["disable", "5", *db])
    assert bad.exit_code == 2 and "no webhook subscription 5" in bad.output
    assert "no" in runner.invoke(app, ["list", *db]).output


def test_deliver_watch_keeps_delivering_and_lets_other_commands_write_between_passes(db_path: Path) -> None:
    receiver = Receiver()
    passes: list[dict[str, Any]] = []

    def wait_for(n: int) -> None:
        deadline = time.monotonic() + 30
        while sum(p["delivered"] for p in passes) < n:
            assert time.monotonic() < deadline, f"the watcher reported {passes}, not {n} delivered"
            time.sleep(0.05)

    try:
        with Store.open(db_path) as store:
            subscribe(store, receiver.url(), SECRET_A)
            announce(store, "signal.created", {"n": 1})
        command = [sys.executable, "-c", "from signalroom.cli.webhooks import app; app()",
                   "deliver", "--watch", "0.2", "--db", str(db_path), "--json"]  # fmt: skip
        watcher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert watcher.stdout is not None
        out = watcher.stdout
        reader = threading.Thread(target=lambda: passes.extend(orjson.loads(line) for line in out), daemon=True)
        reader.start()
        try:
            wait_for(1)
            for _ in range(100):  # the watcher holds the file only during a pass
                try:
                    with Store.open(db_path) as store:
                        announce(store, "signal.updated", {"n": 2})
                    break
                except StoreError:
                    time.sleep(0.05)
            else:
                raise AssertionError("the watcher never let go of the warehouse")
            wait_for(2)
        finally:
            watcher.send_signal(signal.SIGINT)
            watcher.wait(timeout=30)
            reader.join(timeout=5)
    finally:
        receiver.stop()
    assert watcher.returncode == 0
    assert all(p["attempted"] == p["delivered"] == 1 for p in passes) and len(passes) == 2
    assert [orjson.loads(r.body)["data"]["n"] for r in receiver.received] == [1, 2]
