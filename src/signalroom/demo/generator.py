"""Orchestration: plan each day, play its episodes out on their channels, stream the records out.

Everything random comes from ``random.Random`` streams seeded from the seed, and nothing reads
the clock, so one seed always writes byte-identical files. Only one day's records are held at a
time (sorted by time before they are written).
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import orjson

from signalroom.demo.config import BACKGROUND_RATE, FILES, PREFIX, DayBuffer, DemoConfig, DemoSummary, clamp
from signalroom.demo.conversations import Conversations, Talk, base_context, with_agent
from signalroom.demo.reasons import REASON_BY_ID, REASONS
from signalroom.demo.scenarios import Episode, Phenomena, Planner, hour_time, poisson
from signalroom.demo.selfservice import EventMaker
from signalroom.demo.truth import Truth, trajectory
from signalroom.demo.world import (
    DAY,
    QUEUES,
    Agent,
    Clock,
    Customer,
    customer_record,
    make_agents,
    make_customers,
)

# The share of agent-handled contacts where identification and verification pass. Decided by a
# hash of the interaction id, not the generator's random streams, so that every other choice of
# a seed's month stays as it was.
VERIFICATION_PASS_PERCENT = 97


def passes_verification(interaction_id: str) -> bool:
    return zlib.crc32(interaction_id.encode()) % 100 < VERIFICATION_PASS_PERCENT


class Generator:
    def __init__(self, config: DemoConfig) -> None:
        if config.customers < 1 or config.days < 1:
            raise ValueError("customers and days must be at least 1")
        self.config = config
        seed = config.seed
        self.r_world = random.Random(f"{seed}:world")
        self.r_plan = random.Random(f"{seed}:plan")
        self.r_talk = random.Random(f"{seed}:talk")
        self.r_events = random.Random(f"{seed}:events")
        self.clock = Clock(config.start, config.days)
        self.customers = make_customers(self.r_world, config.customers)
        n_agents = max(12, config.customers // 40)
        kestrel_merlin = sum(1 for i in range(n_agents) if i % 6 in (0, 5))
        self.ph = Phenomena(config.days, disclosure_skippers=max(2, kestrel_merlin // 3))
        self.agents = make_agents(self.r_world, n_agents, self.ph.disclosure_skippers)
        self.by_queue: dict[str, list[Agent]] = {q: [a for a in self.agents if q in a.queues] for q in QUEUES}
        self.planner = Planner(self.r_plan, self.customers, self.ph)
        self.talk = Conversations(self.clock)
        self._day = DayBuffer()
        self.events = EventMaker(self.clock, lambda t, rec: self._day.add("events.jsonl", t, rec), self.ph)
        self._ids = 0
        self._surveys = 0
        self.counts = dict.fromkeys(FILES, 0)

    # -- ids and references ----------------------------------------------------------------------

    def new_id(self, channel: str) -> str:
        self._ids += 1
        return f"{PREFIX[channel]}-{self._ids:07d}"

    def customer_ref(
        self, rng: random.Random, c: Customer, channel: str, logged_in: bool
    ) -> tuple[dict[str, str], str]:
        if channel == "voice":
            if rng.random() < 0.05:
                return {"account": c.accounts[0]}, "account"
            if c.alt_phone and rng.random() < 0.35:
                return {"phone": c.alt_phone}, "alt_phone"
            return {"phone": c.phone}, "phone"
        if channel in ("chat", "bot"):
            return ({"id": c.id}, "id") if logged_in else ({"email": c.email, "name": c.first}, "email")
        if channel == "email":
            if c.alt_email and rng.random() < 0.4:
                return {"email": c.alt_email, "name": c.name}, "alt_email"
            return {"email": c.email, "name": c.name}, "email"
        if channel == "social" and c.handle:
            return {"handle": c.handle, "name": f"{c.first} {c.last[0]}."}, "handle"
        if c.alt_phone and rng.random() < 0.2:
            return {"phone": c.alt_phone}, "alt_phone"
        return {"phone": c.phone}, "phone"

    def pick_agent(self, rng: random.Random, queue: str) -> Agent:
        return rng.choice(self.by_queue[queue])

    # -- one interaction -------------------------------------------------------------------------

    def emit_interaction(
        self,
        ep: Episode,
        iid: str,
        channel: str,
        t0: float,
        talk: Talk,
        *,
        agent: Agent | None,
        queue: str,
        ref: tuple[dict[str, str], str],
        outcome: dict[str, Any],
        parent: str | None = None,
        survey: dict[str, Any] | None = None,
        attributes: dict[str, Any] | None = None,
        truth: dict[str, Any] | None = None,
    ) -> float:
        rng = self.r_talk
        end = t0 + max(1.0, talk.duration_s)
        record: dict[str, Any] = {
            "kind": "interaction",
            "id": iid,
            "channel": channel,
            "started_at": self.clock.iso(t0),
            "ended_at": self.clock.iso(end),
            "customer": ref[0],
        }
        verified = agent is not None and "id" not in ref[0] and passes_verification(iid)
        if verified:
            # After ID&V the agent desktop attaches the customer's record, as CRM integrations do.
            record["customer"] = {**ref[0], "id": ep.customer.id}
        if agent:
            record["agent"] = agent.ref()
        record.update({"queue": queue, "direction": "inbound", "language": "en-GB"})
        if parent:
            record["parent_id"] = parent
        record["turns"] = talk.turns
        if talk.events:
            record["events_in_call"] = talk.events
        record["outcome"] = outcome
        if survey:
            record["survey"] = survey
        attrs = dict(attributes or {})
        if agent:
            right = rng.random() < 0.72
            attrs["wrap_code"] = (
                ep.reason.id if right else rng.choice(("general_enquiry", REASONS[rng.randrange(len(REASONS))].id))
            )
        record["attributes"] = attrs
        self._day.add("interactions.jsonl", t0, record)
        start, mid, finish = talk.mood or [0.0, 0.0, 0.0]
        line = {
            "interaction_id": iid,
            "episode_id": ep.id,
            "customer_id": ep.customer.id,
            "channel": channel,
            "identifier_used": ref[1],
            "verified_id": verified,
            "started_at": record["started_at"],
            "primary_reason": ep.reason.id,
            "secondary_reason": ep.secondary.id if ep.secondary else None,
            "variant": ep.variant,
            "repeat_index": ep.repeat_index,
            "repeat_of": ep.previous,
            "agent_id": agent.id if agent else None,
            "parent_id": parent,
            "resolved": outcome.get("resolved"),
            "sentiment": {
                "start": round(start, 3),
                "mid": round(mid, 3),
                "end": round(finish, 3),
                "trajectory": trajectory(start, finish),
            },
            "disclosure_given": talk.disclosure,
            "empathy_phrases": talk.empathy,
            "holds": talk.holds,
            "wrap_code_correct": attrs.get("wrap_code") == ep.reason.id if agent else None,
            "tags": list(ep.tags),
            "trigger_events": list(ep.trigger_events),
            "satisfaction": None,
            "survey": {"responded": False},
        }
        if truth:
            line.update(truth)
        self.truth.interaction(line)
        return end

    # -- one episode -----------------------------------------------------------------------------

    def play(self, ep: Episode) -> None:
        rng, talk_maker = self.r_talk, self.talk
        c, reason = ep.customer, ep.reason
        day = self.clock.day_of(ep.t)
        self.truth.episode(reason.id, day, ep.repeat_index)
        pre = self.events.before_contact(self.r_events, ep)
        ep.trigger_events.extend(pre)
        ctx = base_context(rng, ep, self.clock, app_version=self.events.app_version(ep.t))
        start = clamp(
            reason.mood + c.temper - 0.22 * ep.repeat_index - (0.2 if ep.trigger_events else 0) + rng.gauss(0, 0.15)
        )
        queue = reason.queue
        agent = self.pick_agent(rng, queue)
        p_resolve = reason.resolve_p + agent.skill + (0.12 * ep.repeat_index)
        if ep.variant == "app_update":
            p_resolve = 0.3
        resolved = rng.random() < p_resolve
        secondary_resolved = rng.random() < 0.8
        empathy_lift = 0.15 if rng.random() < agent.empathy else 0.0
        end = clamp(start + (0.65 if resolved else -0.2) + empathy_lift + rng.gauss(0, 0.15))
        mid = clamp((start + end) / 2 + rng.gauss(0, 0.1))
        moods = (start, mid, end)
        logged_in = rng.random() < 0.4 + 0.5 * c.digital
        channel = ep.channel
        t = ep.t
        parent: str | None = None
        hour = int(t % DAY) // 3600
        wait = rng.randrange(5, 900) if channel == "voice" else rng.randrange(5, 400)

        if channel == "voice" and rng.random() < 0.1:  # misrouted: answered by another queue, transferred
            wrong = rng.choice([q for q in QUEUES if q != queue])
            first_agent = self.pick_agent(rng, wrong)
            cx = with_agent(ctx, first_agent, QUEUES[wrong], hour)
            cx["to_team"] = QUEUES[queue].lower()
            lines, talk = talk_maker.live_script(
                rng,
                ep,
                first_agent,
                cx,
                channel="voice",
                resolved=False,
                moods=(start, start, start - 0.1),
                transfer_to=queue,
            )
            talk_maker.spoken(rng, lines, talk, first_agent)
            talk.events.append({"type": "transfer", "offset_ms": int(talk.duration_s * 1000)})
            iid = self.new_id("voice")
            ref = self.customer_ref(rng, c, "voice", False)
            t = self.emit_interaction(
                ep,
                iid,
                "voice",
                t,
                talk,
                agent=first_agent,
                queue=wrong,
                ref=ref,
                outcome={"resolved": False, "disposition": "transferred", "transferred": True},
                attributes={"wait_s": wait, "ivr_option": wrong},
                truth={"role": "transfer_leg"},
            )
            self.truth.transfers.append({"from": iid, "from_queue": wrong, "to_queue": queue})
            ctx["from_team"] = QUEUES[wrong].lower()
            parent, wait = iid, rng.randrange(20, 240)
            t += wait
            self._finish(ep, agent, ctx, moods, resolved, secondary_resolved, "voice", t, parent, wait, ref=ref)
            return

        if channel == "chat" and rng.random() < 0.4:  # the bot first
            contained = rng.random() < 0.2
            guess = reason.name if rng.random() < 0.7 else REASONS[rng.randrange(len(REASONS))].name
            bot_talk = talk_maker.bot(rng, ep, ctx, t, contained=contained, guess=guess)
            if contained:
                bot_talk.mood = [start, mid, end]
            iid = self.new_id("bot")
            ref = self.customer_ref(rng, c, "bot", logged_in)
            outcome = (
                {"resolved": True, "disposition": "contained"}
                if contained
                else {"resolved": False, "disposition": "handed_off", "escalated": True}
            )
            bot_end = self.emit_interaction(
                ep,
                iid,
                "bot",
                t,
                bot_talk,
                agent=None,
                queue="virtual_assistant",
                ref=ref,
                outcome=outcome,
                attributes={"bot": "Hari", "intent": guess},
                truth={"role": "bot_session"},
            )
            if contained:
                self.truth.counts["bot_contained"] += 1
                return
            self.events.emit(
                c,
                bot_end,
                "bot_handoff",
                "bot",
                {"session_id": iid, "intent": guess, "queue": queue},
                anonymous=not logged_in,
            )
            parent, t = iid, bot_end + rng.randrange(20, 300)
            self.truth.handoffs.append({"bot_session": iid, "queue": queue})
            self._finish(
                ep,
                agent,
                ctx,
                moods,
                resolved,
                secondary_resolved,
                "chat",
                t,
                parent,
                0,
                ref=ref,
                handoff=True,
            )
            return
        ref = self.customer_ref(rng, c, channel, logged_in)
        self._finish(ep, agent, ctx, moods, resolved, secondary_resolved, channel, t, None, wait, ref=ref)

    def _finish(
        self,
        ep: Episode,
        agent: Agent,
        ctx: dict[str, str],
        moods: tuple[float, float, float],
        resolved: bool,
        secondary_resolved: bool,
        channel: str,
        t: float,
        parent: str | None,
        wait: int,
        *,
        ref: tuple[dict[str, str], str],
        handoff: bool = False,
    ) -> None:
        rng, talk_maker = self.r_talk, self.talk
        queue = ep.reason.queue
        cx = with_agent(ctx, agent, QUEUES[queue], int(t % DAY) // 3600)
        if channel in ("voice", "chat", "messaging"):
            lines, talk = talk_maker.live_script(
                rng,
                ep,
                agent,
                cx,
                channel=channel,
                resolved=resolved,
                moods=moods,
                handoff=handoff,
                transferred_from=ctx.get("from_team"),
                secondary_resolved=secondary_resolved,
                verify=channel == "voice" or (channel == "chat" and ref[1] != "id" and rng.random() < 0.6),
            )
            if channel == "voice":
                talk_maker.spoken(rng, lines, talk, agent)
            else:
                talk_maker.typed(rng, lines, talk, t, agent, slow=channel == "messaging")
        elif channel == "email":
            talk = talk_maker.email(rng, ep, agent, cx, t, resolved=resolved, moods=moods)
        elif channel == "social":
            talk = talk_maker.social(rng, ep, agent, cx, t, resolved=resolved, moods=moods)
        else:
            talk = talk_maker.sms(rng, ep, agent, cx, t, resolved=resolved, moods=moods)
        iid = self.new_id(channel)
        disposition = (
            "resolved"
            if resolved
            else rng.choice(("unresolved", "callback_promised", "escalated", "follow_up_required"))
        )
        outcome: dict[str, Any] = {"resolved": resolved, "disposition": disposition}
        if disposition == "escalated":
            outcome["escalated"] = True
        # True satisfaction, and whether this customer answers the survey (extremes answer more).
        sat = max(1.0, min(5.0, 3 + 1.5 * moods[2] + (0.4 if resolved else -0.3) + rng.gauss(0, 0.35)))
        extremity = abs(sat - 3) / 2
        p_answer = (0.03 + 0.42 * extremity**2 * (1.35 if sat < 3 else 1.0)) * (0.5 + ep.customer.survey_taker)
        answered = rng.random() < p_answer
        csat = max(1, min(5, round(sat + rng.gauss(0, 0.3))))
        survey = None
        survey_truth: dict[str, Any] = {"responded": answered}
        end_est = t + 1
        if answered and channel == "voice":
            survey = {"csat": csat, "ces": max(1, min(7, round(8 - 1.5 * sat + rng.gauss(0, 0.6))))}
            survey_truth.update({"via": "ivr_post_call", "csat": csat})
        attrs: dict[str, Any] = {"wait_s": wait}
        if channel == "voice":
            attrs["ivr_option"] = queue
        elif channel == "messaging":
            attrs["platform"] = "WhatsApp"
        end_est = self.emit_interaction(
            ep,
            iid,
            channel,
            t,
            talk,
            agent=agent,
            queue=queue,
            ref=ref,
            outcome=outcome,
            parent=parent,
            survey=survey,
            attributes=attrs,
            truth={"role": "handling", "satisfaction": round(sat, 3), "survey": survey_truth},
        )
        if answered and channel != "voice":
            self._survey(ep, iid, end_est, sat, csat, ref[0])
        if resolved and ep.reason.id == "close_account" and rng.random() < 0.7:
            self.events.emit(ep.customer, end_est + 600, "account_closed", "web", {"products": ep.customer.products})
        if resolved and ep.reason.id == "upgrade_plan" and rng.random() < 0.6:
            self.events.emit(
                ep.customer,
                end_est + 300,
                "purchase",
                "web",
                {"item": "plan_upgrade", "amount": 0.0, "via": channel},
            )
        if not resolved:
            self.planner.schedule_repeat(ep, iid, end_est)

    def _survey(self, ep: Episode, iid: str, t: float, sat: float, csat: int, ref: dict[str, str]) -> None:
        rng = self.r_talk
        self._surveys += 1
        record: dict[str, Any] = {
            "kind": "survey",
            "id": f"srv-{self._surveys:07d}",
            "customer": ref,
            "at": self.clock.iso(t + rng.randrange(1800, 40 * 3600)),
            "interaction_id": iid,
            "csat": csat,
            "nps": max(0, min(10, round((sat - 1) * 2.5 + rng.gauss(0, 1)))),
        }
        if rng.random() < 0.45:
            key = "survey_good" if sat >= 3.7 else "survey_bad" if sat < 2.5 else "survey_mid"
            record["comment"] = self.talk.say(rng, key, {"agent_first": "the agent"})
        self._day.add("surveys.jsonl", t, record)

    # -- the period ------------------------------------------------------------------------------

    def self_service(self, day: int) -> list[Episode]:
        """Background digital behaviour, and password resets (some failing into contacts)."""
        rng, ph = self.r_events, self.ph
        for _ in range(poisson(rng, len(self.customers) * BACKGROUND_RATE)):
            self.events.background(rng, rng.choice(self.customers), day * DAY + rng.randrange(6 * 3600, DAY))
        episodes = []
        for _ in range(poisson(rng, len(self.customers) * ph.reset_attempt_rate)):
            c = rng.choice(self.customers)
            t = hour_time(rng, day, {h: 1.0 for h in range(7, 21)})
            failed, ids, last = self.events.reset_attempt(rng, c, t)
            self.truth.reset_attempts["failed" if failed else "succeeded"] += 1
            if failed and rng.random() < ph.reset_contact_p:
                channel = "voice" if rng.random() < 0.65 else "chat"
                ep = self.planner.episode(
                    c, REASON_BY_ID["password_reset"], last + rng.randrange(300, 5400), day, channel=channel
                )
                ep.trigger_events = list(ids)
                if ph.reset_broken(day):
                    ep.tags.append("self_service_failure")
                episodes.append(ep)
        return episodes

    def run(self, progress: Callable[[int, int, int], None] | None = None) -> DemoSummary:
        cfg = self.config
        began = time.perf_counter()
        out = Path(cfg.out)
        out.mkdir(parents=True, exist_ok=True)
        self.truth = Truth(out, self.clock, self.ph)
        handles: dict[str, IO[bytes]] = {name: (out / name).open("wb") for name in FILES}
        try:
            for c in self.customers:
                handles["customers.jsonl"].write(orjson.dumps(customer_record(c)) + b"\n")
            self.counts["customers.jsonl"] = len(self.customers)
            for day in range(cfg.days):
                self._day = DayBuffer()
                episodes = self.planner.day_episodes(day, self.clock.weekday_of(day)) + self.self_service(day)
                episodes.sort(key=lambda e: (e.t, e.id))
                for ep in episodes:
                    self.play(ep)
                for name, rows in self._day.rows.items():
                    rows.sort(key=lambda row: (row[0], row[1]))
                    handles[name].writelines(row[2] + b"\n" for row in rows)
                    self.counts[name] += len(rows)
                if progress:
                    progress(day + 1, cfg.days, self.counts["interactions.jsonl"])
        finally:
            for handle in handles.values():
                handle.close()
            self.truth.close_lines()
        self.truth.write(seed=cfg.seed, customers=self.customers, agents=self.agents, files=dict(self.counts))
        return DemoSummary(
            out,
            cfg.seed,
            cfg.start.isoformat(),
            cfg.days,
            len(self.customers),
            len(self.agents),
            dict(self.counts),
            time.perf_counter() - began,
        )


def generate(config: DemoConfig, progress: Callable[[int, int, int], None] | None = None) -> DemoSummary:
    """Write a demo period into ``config.out`` and return what was written."""
    return Generator(config).run(progress)
