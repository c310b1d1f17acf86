"""What happens when: the everyday contact volume and the planted phenomena.

The planner turns each day into *episodes*: one customer contacting about one issue (which may
become several interactions: a bot session and its handoff, a call and its transfer). Repeat
contacts are scheduled into later days as earlier episodes end unresolved.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field

from signalroom.demo.reasons import REASON_BY_ID, REASONS, Reason
from signalroom.demo.world import DAY, Customer

BASE_DAILY_RATE = 0.05  # new issues per customer per day (a demo month is busier than life)
WEEKDAY_FACTOR = (1.3, 1.12, 1.0, 1.0, 0.95, 0.55, 0.38)  # Monday … Sunday
HOUR_WEIGHTS = {
    8: 0.6,
    9: 1.05,
    10: 1.2,
    11: 1.15,
    12: 1.0,
    13: 0.95,
    14: 1.05,
    15: 1.0,
    16: 0.9,
    17: 0.8,
    18: 0.6,
    19: 0.42,
    20: 0.3,
}

# Phrases that only exist from the emergence date (the test and docs refer to these).
EMERGING_MARKERS = ("since the update", "latest update", "new version of the app", "7.4.0")
CAMPAIGN_NAME = "Spring Unlimited 5G offer"


@dataclass(frozen=True)
class Phenomena:
    """The planted phenomena's parameters, derived from the period length."""

    days: int
    repeat_reason: str = "refund_status"
    repeat_p: float = 0.75  # an unresolved repeat-driver contact comes back …
    repeat_days: tuple[int, int] = (1, 4)  # … within this many days
    other_repeat_p: float = 0.18
    other_repeat_days: tuple[int, int] = (2, 9)
    campaign_reason: str = "upgrade_plan"
    campaign_multiplier: float = 6.0
    emerging_reason: str = "app_login"
    emerging_boost: float = 2.2  # extra app-login volume once the update ships
    emerging_share: float = 0.8  # share of app-login contacts about the update afterwards
    app_version: str = "7.4.0"
    reset_attempt_rate: float = 0.016  # web password-reset attempts per customer per day
    reset_fail_in_window: float = 0.85
    reset_fail_normally: float = 0.06
    reset_contact_p: float = 0.8  # a customer whose reset failed contacts us
    disclosure_skippers: int = 0

    @property
    def campaign_start(self) -> int:
        return max(1, round(self.days * 0.2))

    @property
    def campaign_days(self) -> int:
        return max(2, min(4, self.days // 6))

    @property
    def emerging_day(self) -> int:
        return max(2, round(self.days * 0.55))

    @property
    def reset_window(self) -> tuple[int, int]:
        """Days [first, last) when the web password reset is broken."""
        start = max(1, round(self.days * 0.35))
        return start, min(self.days, start + max(3, self.days // 4))

    def in_campaign(self, day: int) -> bool:
        return self.campaign_start <= day < self.campaign_start + self.campaign_days

    def reset_broken(self, day: int) -> bool:
        first, last = self.reset_window
        return first <= day < last


@dataclass
class Episode:
    id: str
    customer: Customer
    reason: Reason
    secondary: Reason | None
    t: float
    channel: str
    repeat_index: int = 0
    previous: str | None = None  # the interaction id of the contact this one repeats
    previous_t: float | None = None
    variant: str | None = None  # "app_update" for the emerging issue
    tags: list[str] = field(default_factory=list)
    trigger_events: list[str] = field(default_factory=list)
    campaign: bool = False


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def hour_time(rng: random.Random, day: int, weights: dict[int, float]) -> float:
    hour = rng.choices(list(weights), list(weights.values()))[0]
    return day * DAY + hour * 3600 + rng.randrange(3600)


def pick_channel(rng: random.Random, reason: Reason, customer: Customer) -> str:
    names = [c for c, _ in reason.channels]
    weights = []
    for name, w in reason.channels:
        if name == "social" and customer.handle is None:
            w = 0.0
        elif name in ("chat", "messaging"):
            w *= 0.5 + customer.digital
        elif name == "voice":
            w *= 1.4 - customer.digital
        weights.append(w)
    return rng.choices(names, weights)[0]


class Planner:
    def __init__(self, rng: random.Random, customers: list[Customer], ph: Phenomena) -> None:
        self.rng = rng
        self.customers = customers
        self.ph = ph
        self._pending: list[tuple[float, int, Episode]] = []  # repeats, by time
        self._seq = 0
        self._by_products = {
            products: [r for r in REASONS if r.domain == "any" or products == "both" or r.domain == products]
            for products in ("bank", "telco", "both")
        }

    def new_id(self) -> str:
        self._seq += 1
        return f"ep{self._seq:07d}"

    def _weights(self, reasons: list[Reason], day: int) -> list[float]:
        out = []
        for r in reasons:
            w = r.weight
            if r.id == self.ph.emerging_reason and day >= self.ph.emerging_day:
                w *= 1 + self.ph.emerging_boost
            out.append(w)
        return out

    def episode(self, customer: Customer, reason: Reason, t: float, day: int, **kw: object) -> Episode:
        rng = self.rng
        secondary = None
        if reason.secondary and rng.random() < 0.2:
            options = [
                REASON_BY_ID[s] for s in reason.secondary if REASON_BY_ID[s] in self._by_products[customer.products]
            ]
            secondary = rng.choice(options) if options else None
        channel = str(kw.pop("channel", None) or pick_channel(rng, reason, customer))
        ep = Episode(self.new_id(), customer, reason, secondary, t, channel, **kw)  # type: ignore[arg-type]
        if (
            reason.id == self.ph.emerging_reason
            and day >= self.ph.emerging_day
            and (rng.random() < self.ph.emerging_share)
        ):
            ep.variant = "app_update"
            ep.tags.append("emerging_issue")
        return ep

    def day_episodes(self, day: int, weekday: int) -> list[Episode]:
        rng, ph = self.rng, self.ph
        mean = len(self.customers) * BASE_DAILY_RATE * WEEKDAY_FACTOR[weekday]
        episodes = []
        for _ in range(poisson(rng, mean)):
            customer = rng.choice(self.customers)
            reasons = self._by_products[customer.products]
            reason = rng.choices(reasons, self._weights(reasons, day))[0]
            episodes.append(self.episode(customer, reason, hour_time(rng, day, HOUR_WEIGHTS), day))
        if ph.in_campaign(day):
            # Campaign-driven contacts on top of the everyday ones.
            reason = REASON_BY_ID[ph.campaign_reason]
            eligible = [c for c in self.customers if c.products != "bank"]
            share = reason.weight / sum(self._weights(self._by_products["telco"], day))
            # Campaign contacts follow the mailing, not the weekday: no weekday factor here.
            extra = poisson(
                rng,
                len(self.customers)
                * BASE_DAILY_RATE
                * share
                * (ph.campaign_multiplier - 1)
                * len(eligible)
                / len(self.customers),
            )
            for _ in range(extra):
                ep = self.episode(rng.choice(eligible), reason, hour_time(rng, day, HOUR_WEIGHTS), day)
                ep.campaign = True
                ep.tags.append("campaign")
                episodes.append(ep)
        while self._pending and self._pending[0][0] < (day + 1) * DAY:
            episodes.append(heapq.heappop(self._pending)[2])
        return episodes

    def schedule_repeat(self, ep: Episode, last_interaction: str, end_t: float) -> Episode | None:
        """Maybe bring the customer back about the same unresolved issue."""
        rng, ph = self.rng, self.ph
        if ep.repeat_index >= 3:
            return None
        if ep.reason.id == ph.repeat_reason:
            p, (lo, hi) = ph.repeat_p, ph.repeat_days
        else:
            p, (lo, hi) = ph.other_repeat_p, ph.other_repeat_days
        if rng.random() >= p:
            return None
        day = int(end_t // DAY) + rng.randint(lo, hi)
        t = hour_time(rng, day, HOUR_WEIGHTS)
        again = Episode(
            self.new_id(),
            ep.customer,
            ep.reason,
            None,
            t,
            pick_channel(rng, ep.reason, ep.customer),
            repeat_index=ep.repeat_index + 1,
            previous=last_interaction,
            previous_t=end_t,
            variant=ep.variant,
            tags=[tag for tag in ep.tags if tag == "emerging_issue"],
        )
        if ep.reason.id == ph.repeat_reason:
            again.tags.append("repeat_driver")
        heapq.heappush(self._pending, (t, self._seq, again))
        return again
