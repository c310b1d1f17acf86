"""Web and app behaviour: what customers do before (and instead of) contacting us."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from signalroom.demo.reasons import Reason
from signalroom.demo.scenarios import Episode, Phenomena
from signalroom.demo.world import Clock, Customer

SEARCHES = {
    "card_declined_abroad": ("card declined abroad", "card not working holiday", "travel card"),
    "lost_stolen_card": ("lost card", "freeze card", "stolen wallet"),
    "dispute_transaction": ("dispute payment", "charged twice", "refund merchant"),
    "fraud_alert": ("fraud text", "scam", "suspicious payment"),
    "direct_debit_failed": ("direct debit failed", "returned payment", "standing order"),
    "loan_overdraft": ("overdraft interest", "loan calculator", "increase overdraft"),
    "refund_status": ("refund", "where is my refund", "refund how long"),
    "close_account": ("close account", "cancel contract", "pac code"),
    "change_address": ("change address", "update details", "change name"),
    "app_login": ("cant log in", "login code", "face id"),
    "password_reset": ("forgot password", "reset password", "reset link"),
    "bill_higher": ("bill higher", "why is my bill", "price rise"),
    "roaming_charges": ("roaming", "roaming charges", "europe roaming"),
    "upgrade_plan": ("upgrade", "unlimited data", "new phone"),
    "broadband_outage": ("broadband down", "service status", "red light router"),
    "mobile_signal": ("no signal", "mobile data not working", "coverage checker"),
    "sim_activation": ("activate sim", "esim", "keep my number"),
    "payment_arrangement": ("cant pay bill", "payment plan", "missed payment"),
    "engineer_appointment": ("engineer", "rebook appointment", "installation"),
    "complaint": ("complaint", "complain", "compensation"),
}
# Failures some reasons meet in self-service before contacting.
FAILURES = {
    "card_declined_abroad": "payment_failed",
    "app_login": "login_failed",
    "password_reset": "password_reset_failed",
    "change_address": "form_error",
    "direct_debit_failed": "payment_failed",
    "upgrade_plan": "form_error",
}
BACKGROUND = (
    ("page_view", 0.42),
    ("login", 0.25),
    ("search", 0.08),
    ("faq_view", 0.06),
    ("payment", 0.08),
    ("purchase", 0.04),
    ("login_failed", 0.04),
    ("form_error", 0.03),
)
BROWSE = ("/", "/accounts", "/bills/latest", "/payments", "/cards", "/shop", "/offers", "/help")
MERCHANTS = (
    "Tesco",
    "Amazon",
    "Ryanair",
    "Booking.com",
    "Uber",
    "Deliveroo",
    "Netflix",
    "Argos",
    "Shell",
    "Trainline",
    "eBay",
    "Spotify",
    "IKEA",
    "Currys",
    "Boots",
)


class EventMaker:
    """Writes event dicts; ids are sequential so a seed gives the same ids."""

    def __init__(self, clock: Clock, sink: Callable[[float, dict[str, Any]], None], ph: Phenomena) -> None:
        self.clock = clock
        self.sink = sink
        self.ph = ph
        self._seq = 0

    def emit(
        self,
        customer: Customer,
        t: float,
        type_: str,
        channel: str,
        props: dict[str, Any],
        anonymous: bool = False,
    ) -> str:
        self._seq += 1
        event_id = f"ev{self._seq:08d}"
        ref = {"email": customer.email} if anonymous else {"id": customer.id}
        if channel == "app":
            props = {**props, "app_version": self.app_version(t)}
        self.sink(
            t,
            {
                "kind": "event",
                "id": event_id,
                "customer": ref,
                "at": self.clock.iso(t),
                "type": type_,
                "channel": channel,
                "properties": props,
            },
        )
        return event_id

    def app_version(self, t: float) -> str:
        return self.ph.app_version if self.clock.day_of(t) >= self.ph.emerging_day else "7.3.2"

    def before_contact(self, rng: random.Random, ep: Episode) -> list[str]:
        """Self-service steps some customers take before they contact about ``ep``."""
        c, reason = ep.customer, ep.reason
        if ep.trigger_events or rng.random() > 0.2 + 0.55 * c.digital:
            return []
        channel = "app" if rng.random() < 0.55 else "web"
        t = ep.t - rng.randrange(120, 5400)
        ids = [self.emit(c, t, "page_view", channel, {"page": rng.choice(reason.pages or ("/help",))})]
        steps = rng.randrange(1, 4)
        for _ in range(steps):
            t += rng.randrange(15, 240)
            roll = rng.random()
            if roll < 0.4:
                query = rng.choice(SEARCHES[reason.id])
                ids.append(self.emit(c, t, "search", channel, {"query": query, "results": rng.randrange(0, 12)}))
            elif roll < 0.75:
                ids.append(self.emit(c, t, "faq_view", channel, {"article": reason.faq}))
            elif reason.id in FAILURES:
                ids.append(self._failure(rng, c, t, channel, reason))
        if ep.variant == "app_update":
            ids.append(self.emit(c, t + 30, "app_error", "app", {"error": "BIOMETRIC_LOOP", "screen": "login"}))
        if ep.campaign:
            ids.append(
                self.emit(
                    c,
                    t + 45,
                    "page_view",
                    channel,
                    {"page": "/offers/spring-unlimited", "campaign": "spring_unlimited"},
                )
            )
        return ids

    def _failure(self, rng: random.Random, c: Customer, t: float, channel: str, reason: Reason) -> str:
        kind = FAILURES[reason.id]
        props: dict[str, Any]
        if kind == "payment_failed":
            props = {
                "merchant": rng.choice(MERCHANTS),
                "amount": round(rng.uniform(4, 240), 2),
                "code": rng.choice(("DECLINED", "INSUFFICIENT_FUNDS", "SECURITY_CHECK")),
            }
        elif kind == "login_failed":
            props = {"method": rng.choice(("password", "biometric", "otp")), "attempt": rng.randrange(1, 5)}
        elif kind == "form_error":
            props = {"form": rng.choice(("address", "upgrade", "contact_details")), "field": "postcode"}
        else:
            props = {"error": "RESET_TOKEN_INVALID"}
        return self.emit(c, t, kind, channel, props)

    def reset_attempt(self, rng: random.Random, c: Customer, t: float) -> tuple[bool, list[str], float]:
        """A web password reset; returns (failed, event ids, time of the last step)."""
        broken = self.ph.reset_broken(self.clock.day_of(t))
        fail_p = self.ph.reset_fail_in_window if broken else self.ph.reset_fail_normally
        ids = [
            self.emit(c, t, "page_view", "web", {"page": "/login"}, anonymous=True),
            self.emit(c, t + 20, "login_failed", "web", {"method": "password", "attempt": 3}, anonymous=True),
            self.emit(c, t + 45, "page_view", "web", {"page": "/login/forgotten-password"}, anonymous=True),
        ]
        t += 60
        tries = rng.randrange(1, 4)
        for attempt in range(tries):
            t += rng.randrange(30, 300)
            if rng.random() < fail_p:
                error = "RESET_SERVICE_ERROR" if broken else rng.choice(("RESET_TOKEN_EXPIRED", "EMAIL_MISMATCH"))
                ids.append(
                    self.emit(
                        c,
                        t,
                        "password_reset_failed",
                        "web",
                        {"error": error, "attempt": attempt + 1},
                        anonymous=True,
                    )
                )
            else:
                ids.append(self.emit(c, t, "password_reset_completed", "web", {}, anonymous=True))
                ids.append(self.emit(c, t + 40, "login", "web", {"method": "password"}))
                return False, ids, t
        return True, ids, t

    def background(self, rng: random.Random, c: Customer, t: float) -> None:
        """Everyday digital behaviour that leads to no contact."""
        channel = "app" if rng.random() < 0.6 else "web"
        kind = rng.choices([k for k, _ in BACKGROUND], [w for _, w in BACKGROUND])[0]
        props: dict[str, Any]
        if kind == "page_view":
            props = {"page": rng.choice(BROWSE)}
        elif kind == "search":
            props = {
                "query": rng.choice(rng.choice(list(SEARCHES.values()))),
                "results": rng.randrange(1, 15),
            }
        elif kind == "faq_view":
            props = {"article": rng.choice(("Using your card abroad", "Understanding your bill", "Direct debits"))}
        elif kind == "payment":
            props = {"amount": round(rng.uniform(5, 400), 2), "to": rng.choice(MERCHANTS)}
        elif kind == "purchase":
            props = {
                "item": rng.choice(("data add-on", "roaming pass", "phone case", "travel insurance")),
                "amount": round(rng.uniform(3, 60), 2),
            }
        elif kind == "login_failed":
            props = {"method": rng.choice(("password", "biometric", "otp")), "attempt": 1}
        elif kind == "form_error":
            props = {"form": "contact_details", "field": rng.choice(("postcode", "phone", "email"))}
        else:
            props = {"method": rng.choice(("password", "biometric"))}
        self.emit(c, t, kind, channel, props)
