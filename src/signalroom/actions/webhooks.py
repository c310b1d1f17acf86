"""Outbound webhooks (docs/webhooks.md): signing, the dispatcher with backoff, dead letters, replay.

Delivery is at least once: a delivery is marked delivered only after the receiver's 2xx is
committed, so a crash between the POST and that commit sends the event again, with the same
``Idempotency-Key`` (the event's key) on every attempt and on replay. Receivers de-duplicate on it."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import random
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson

from signalroom.store import webhooks as outbox
from signalroom.store.warehouse import Store
from signalroom.store.webhooks import ALL_EVENTS, EVENT_TYPES, DueDelivery, WebhookError

__all__ = [
    "ALL_EVENTS",
    "EVENT_TYPES",
    "DeliveryConfig",
    "DeliveryReport",
    "SignatureError",
    "WebhookError",
    "deliver",
    "event_body",
    "replay",
    "retry_delay",
    "sign",
    "subscribe",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Signalroom-Signature"
EVENT_HEADER = "X-Signalroom-Event"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MIN_SECRET_LENGTH = 16
_ERROR_BODY_CHARS = 200


class SignatureError(ValueError):
    """A webhook signature that does not verify: missing, malformed, stale or wrong."""


@dataclass(frozen=True, kw_only=True)
class DeliveryConfig:
    """How the dispatcher sends. The retry after failed attempt n waits
    min(max_delay_s, base_delay_s * factor**(n-1)), less up to ``jitter`` of it at random so that
    many deliveries failing together do not retry together. With the defaults a delivery is retried
    for about 5 hours (12 attempts) before it becomes a dead letter."""

    timeout_s: float = 5.0
    max_attempts: int = 12
    base_delay_s: float = 30.0
    factor: float = 2.0
    max_delay_s: float = 3600.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"webhook timeout_s must be positive, got {self.timeout_s}")
        if self.max_attempts < 1:
            raise ValueError(f"webhook max_attempts must be at least 1, got {self.max_attempts}")
        if self.base_delay_s < 0 or self.max_delay_s < self.base_delay_s:
            raise ValueError(
                f"webhook delays need 0 <= base_delay_s <= max_delay_s, got {self.base_delay_s} and {self.max_delay_s}"
            )
        if self.factor < 1:
            raise ValueError(f"webhook backoff factor must be at least 1, got {self.factor}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"webhook jitter is a fraction in [0, 1), got {self.jitter}")


@dataclass
class DeliveryReport:
    """What one pass did."""

    attempted: int = 0
    delivered: int = 0
    failed: int = 0  # failed attempts that will be retried
    dead: int = 0  # failed attempts that exhausted the delivery
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- validation ----------------------------------------------------------------------------------


def validate_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise WebhookError(f"webhook URL {url!r} must start with http:// or https://")
    if not parts.hostname:
        raise WebhookError(f"webhook URL {url!r} has no host")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        raise WebhookError(f"webhook URL {url!r} has a bad port: {exc}") from exc
    return url


def validate_events(events: list[str] | None) -> list[str]:
    """The subscription's filter: the given event types, or '*' (all) when none are given."""
    if not events:
        return [ALL_EVENTS]
    unknown = [e for e in events if e != ALL_EVENTS and e not in EVENT_TYPES]
    if unknown:
        raise WebhookError(
            f"unknown webhook event type {', '.join(map(repr, unknown))}: expected {ALL_EVENTS!r} or one of "
            f"{', '.join(EVENT_TYPES)}"
        )
    return [ALL_EVENTS] if ALL_EVENTS in events else list(dict.fromkeys(events))


def subscribe(
    store: Store, url: str, secret: str, events: list[str] | None = None, *, now: datetime | None = None
) -> int:
    """Add a subscription; its id. It receives the events emitted from now on."""
    validate_url(url)
    if len(secret) < MIN_SECRET_LENGTH:
        raise WebhookError(
            f"webhook secret is {len(secret)} characters: use at least {MIN_SECRET_LENGTH} "
            "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
        )
    return outbox.add_subscription(store, url, secret, validate_events(events), now=now or datetime.now(UTC))


# -- signing -------------------------------------------------------------------------------------


def event_body(delivery: DueDelivery) -> bytes:
    """The JSON posted: the same bytes on every attempt of the event."""
    return orjson.dumps(
        {
            "id": delivery.event_key,
            "type": delivery.event_type,
            "created_at": delivery.created_at.astimezone(UTC).isoformat(),
            "data": orjson.loads(delivery.payload),
        }
    )


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">``."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify_signature(secret: str, header: str, body: bytes, *, tolerance_s: float, now: float | None = None) -> int:
    """Check a received ``X-Signalroom-Signature`` against the raw body; its timestamp. Raises
    :class:`SignatureError` naming what is wrong. ``tolerance_s`` bounds the signature's age, which
    keeps a captured request from being replayed later by someone else."""
    fields: dict[str, list[str]] = {}
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            raise SignatureError(f"malformed signature header {header!r}: expected t=<unix>,v1=<hex>")
        fields.setdefault(name, []).append(value)
    if len(fields.get("t", [])) != 1 or not fields["t"][0].isdigit():
        raise SignatureError(f"signature header {header!r} has no single numeric t=")
    if not fields.get("v1"):
        raise SignatureError(f"signature header {header!r} has no v1= signature")
    timestamp = int(fields["t"][0])
    age = (time.time() if now is None else now) - timestamp
    if abs(age) > tolerance_s:
        raise SignatureError(f"signature timestamp {timestamp} is {age:.0f} s from now, beyond {tolerance_s} s")
    expected = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, v) for v in fields["v1"]):
        raise SignatureError("signature does not match the body: wrong secret, or the body was altered")
    return timestamp


# -- sending -------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed attempt: urllib would turn the POST into a GET without the body."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout_s: float) -> str | None:
    """POST once; None when the receiver answered 2xx, else what went wrong."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            response.read()
            status = int(response.status)
            return None if 200 <= status < 300 else f"HTTP {status}"
    except urllib.error.HTTPError as exc:
        try:
            detail = exc.read(_ERROR_BODY_CHARS).decode("utf-8", "replace").strip()
        except (OSError, http.client.HTTPException):
            detail = ""
        return f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return f"timed out after {timeout_s:g} s connecting"
        return f"cannot connect: {reason}"
    except TimeoutError:
        return f"timed out after {timeout_s:g} s waiting for the answer"
    except (OSError, http.client.HTTPException) as exc:
        return f"{type(exc).__name__}: {exc}"


def retry_delay(attempt: int, config: DeliveryConfig, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    delay = min(config.max_delay_s, config.base_delay_s * config.factor ** (attempt - 1))
    return delay * (1 - config.jitter * rng.random())


def _attempt(delivery: DueDelivery, config: DeliveryConfig) -> str | None:
    body = event_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "signalroom-webhooks",
        EVENT_HEADER: delivery.event_type,
        IDEMPOTENCY_HEADER: delivery.event_key,
        # Wall-clock time, not the dispatcher's (injectable) clock: the receiver checks it against its own.
        SIGNATURE_HEADER: sign(delivery.secret, int(time.time()), body),
    }
    return post(delivery.url, body, headers, timeout_s=config.timeout_s)


def deliver(
    store: Store,
    *,
    config: DeliveryConfig | None = None,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> DeliveryReport:
    """One pass: send every due delivery, each subscription's in event order, until each
    subscription's queue is empty, not yet due, or met a failure (one failed attempt per
    subscription per pass). Each outcome is committed as soon as it is known."""
    config = config or DeliveryConfig()
    at = now or datetime.now(UTC)
    rng = rng or random.Random()
    report = DeliveryReport()
    stalled: set[int] = set()
    tried: set[int] = set()  # a delivery is attempted at most once a pass, whatever the table says
    while True:
        heads = [
            h for h in outbox.due_heads(store, at) if h.subscription_id not in stalled and h.delivery_id not in tried
        ]
        if not heads:
            return report
        for head in heads:
            tried.add(head.delivery_id)
            report.attempted += 1
            error = _attempt(head, config)
            if error is None:
                outbox.record_delivered(store, head.delivery_id, now=at)
                report.delivered += 1
                continue
            stalled.add(head.subscription_id)
            attempts = head.attempts + 1
            retry_at = None
            if attempts < config.max_attempts:
                retry_at = at + timedelta(seconds=retry_delay(attempts, config, rng))
                report.failed += 1
            else:
                report.dead += 1
            outbox.record_failed(store, head.delivery_id, error, now=at, retry_at=retry_at)
            report.errors.append(
                {"delivery_id": head.delivery_id, "subscription_id": head.subscription_id, "url": head.url,
                 "attempts": attempts, "error": error, "retry_at": retry_at}
            )  # fmt: skip


def replay(store: Store, delivery_ids: list[int] | None, *, now: datetime | None = None) -> list[int]:
    """Send dead deliveries again (all of them when ``delivery_ids`` is None), with fresh attempts
    and their original event key; the ids put back in their queues."""
    return outbox.replay(store, delivery_ids, now=now or datetime.now(UTC))
