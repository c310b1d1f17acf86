"""Turning an episode into conversation turns on its channel, with timings."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from signalroom.demo.grammar import Grammar, roughen, tidy
from signalroom.demo.phrases import COMMON, EXTRA
from signalroom.demo.phrases_bank import PHRASES
from signalroom.demo.phrases_telco import PHRASES_TELCO
from signalroom.demo.reasons import SHARED, Reason
from signalroom.demo.scenarios import CAMPAIGN_NAME, Episode
from signalroom.demo.world import Agent, Clock


def build_grammar() -> Grammar:
    return Grammar({**COMMON, **SHARED, **PHRASES, **PHRASES_TELCO, **EXTRA})


COUNTRIES = (
    "Spain",
    "France",
    "Portugal",
    "Italy",
    "Greece",
    "Turkey",
    "the States",
    "Dubai",
    "Thailand",
    "Croatia",
    "Germany",
    "the Netherlands",
    "Morocco",
    "Mexico",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass
class Talk:
    """The result of a script: turns, events in the call, and what happened."""

    turns: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    duration_s: float = 0.0
    disclosure: bool | None = None
    empathy: int = 0
    holds: int = 0
    mood: list[float] = field(default_factory=list)


def _end(text: str) -> str:
    return text if text[-1:] in ".?!" else text + "."


class Conversations:
    def __init__(self, clock: Clock, grammar: Grammar | None = None) -> None:
        self.clock = clock
        self.g = grammar or build_grammar()

    def say(self, rng: random.Random, key: str, ctx: dict[str, str]) -> str:
        return self.g.say(rng, key, ctx)

    def key(self, ep: Episode, part: str, reason: Reason | None = None) -> str:
        reason = reason or ep.reason
        if reason is ep.reason and ep.variant and part in ("open", "detail", "fix", "nofix", "short"):
            return f"{ep.variant}.{part}"
        return f"{reason.id}.{part}"

    # -- the spoken or typed dialogue ---------------------------------------------------------------

    def opening(self, rng: random.Random, ep: Episode, ctx: dict[str, str], mood: float, *, greet: bool) -> str:
        g = self.g
        parts = []
        if ep.campaign and rng.random() < 0.8:
            parts.append(_end(tidy(g.raw(rng, "campaign.mention", ctx))))
        text = g.raw(rng, self.key(ep, "open"), ctx)
        if greet and rng.random() < 0.5:
            text = g.raw(rng, "hello_cust", ctx) + ", " + text
        parts.append(_end(tidy(text)))
        if ep.repeat_index:
            parts.append(g.say(rng, "repeat_prefix", ctx))
        if rng.random() < 0.5:
            parts.append(g.say(rng, self.key(ep, "detail"), ctx))
        if mood < -0.55 and rng.random() < 0.7:
            parts.append(g.say(rng, "tone_angry", ctx))
        elif mood < -0.3 and rng.random() < 0.4:
            parts.append(g.say(rng, "tone_worried", ctx))
        return " ".join(parts)

    def reaction(self, rng: random.Random, end_mood: float, ctx: dict[str, str]) -> str:
        if end_mood > 0.25:
            return self.say(rng, "react_good", ctx)
        if end_mood > -0.15:
            return self.say(rng, "react_ok", ctx)
        if end_mood > -0.55:
            return self.say(rng, "react_bad", ctx)
        return self.say(rng, "react_angry", ctx)

    def live_script(
        self,
        rng: random.Random,
        ep: Episode,
        agent: Agent,
        ctx: dict[str, str],
        *,
        channel: str,
        resolved: bool,
        moods: tuple[float, float, float],
        transfer_to: str | None = None,
        transferred_from: str | None = None,
        handoff: bool = False,
        verify: bool = True,
        secondary_resolved: bool = True,
    ) -> tuple[list[tuple[str, str]], Talk]:
        """(speaker, text) lines of an agent conversation; ("hold", "") marks a hold."""
        g, say = self.g, self.say
        start, mid, end = moods
        talk = Talk(mood=[start, mid, end])
        lines: list[tuple[str, str]] = []
        a = lines.append
        if channel == "voice":
            greeting = say(rng, "greet_voice", ctx)
            talk.disclosure = rng.random() >= agent.skip_disclosure
            if talk.disclosure:
                greeting += " " + tidy(g.raw(rng, "disclosure", ctx))
            a(("agent", greeting + " " + say(rng, "how_help", ctx)))
        elif handoff:
            a(("agent", say(rng, "greet_handoff", ctx)))
        else:
            a(("agent", say(rng, "greet_chat", ctx)))
        if transferred_from:
            a(
                (
                    "customer",
                    say(rng, "transferred_prefix", ctx) + " " + self.opening(rng, ep, ctx, start, greet=False),
                )
            )
        else:
            if not handoff and rng.random() < 0.2:  # the customer doesn't say why at first
                vague = say(rng, "vague_open", ctx)
                if channel == "voice" and rng.random() < agent.small_talk + 0.1:
                    a(("customer", vague + " " + say(rng, "small_talk", ctx)))
                    a(("agent", say(rng, "small_talk_reply", ctx) + " " + say(rng, "ask_why", ctx)))
                else:
                    a(("customer", vague))
                    a(("agent", say(rng, "ask_why", ctx)))
                a(("customer", self.opening(rng, ep, ctx, start, greet=False)))
            else:
                a(("customer", self.opening(rng, ep, ctx, start, greet=not handoff)))
        if verify:
            how = rng.choice(("dob", "address", "card") if ctx["last4"] else ("dob", "address"))
            a(("agent", tidy(g.raw(rng, "verify_lead", ctx) + " " + g.raw(rng, f"verify_ask_{how}", ctx))))
            a(("customer", say(rng, f"verify_answer_{how}", ctx)))
            if rng.random() < 0.08:
                a(("agent", say(rng, "verify_retry", ctx)))
                a(("customer", say(rng, f"verify_answer_{how}", ctx)))
            verified = say(rng, "verify_ok", ctx) + " "
        else:
            verified = ""
        if transfer_to:
            a(("agent", verified + say(rng, "transfer_say", ctx)))
            a(("customer", say(rng, "okay_short", ctx)))
            return lines, talk
        # The diagnostic question and its answer are paired template by template.
        answers = self.key(ep, "answer")
        pick = rng.randrange(g.size(answers))
        asks = self.key(ep, "ask")
        ask = g.say_at(rng, asks, min(pick, g.size(asks) - 1), ctx)
        if rng.random() < agent.empathy * (1.0 if start < 0 else 0.4):
            ask = say(rng, "empathy", ctx) + " " + ask
            talk.empathy += 1
        a(("agent", verified + ask))
        a(("customer", g.say_at(rng, answers, pick, ctx)))
        if rng.random() < agent.hold:
            a(("agent", say(rng, "hold_ask", ctx)))
            a(("customer", say(rng, "hold_ok", ctx)))
            a(("hold", ""))
            talk.holds += 1
            back = say(rng, "hold_back", ctx)
        else:
            back = say(rng, "checking", ctx)
        outcome = say(rng, self.key(ep, "fix" if resolved else "nofix"), ctx)
        if not resolved and rng.random() < agent.empathy:
            outcome = say(rng, "empathy", ctx) + " " + outcome
            talk.empathy += 1
        a(("agent", back + " " + outcome))
        a(("customer", self.reaction(rng, mid if ep.secondary else end, ctx)))
        if ep.secondary:
            lead = g.raw(rng, "secondary_lead", ctx)
            a(("customer", tidy(lead + g.raw(rng, f"{ep.secondary.id}.open", ctx)) + "."))
            a(("agent", say(rng, f"{ep.secondary.id}.{'fix' if secondary_resolved else 'nofix'}", ctx)))
            a(("customer", self.reaction(rng, end, ctx)))
        a(("agent", say(rng, "anything_else", ctx)))
        a(("customer", say(rng, "no_else", ctx)))
        a(("agent", say(rng, "close_agent", ctx)))
        if channel == "voice" and rng.random() < 0.7:
            a(("customer", say(rng, "close_cust", ctx)))
        return lines, talk

    # -- timings per channel ----------------------------------------------------------------------

    def spoken(self, rng: random.Random, lines: list[tuple[str, str]], talk: Talk, agent: Agent) -> None:
        ms = rng.randrange(300, 1500)
        pace = agent.aht
        for speaker, text in lines:
            if speaker == "hold":
                hold = int(rng.randrange(25_000, 180_000) * pace)
                talk.events.append({"type": "hold_start", "offset_ms": ms})
                ms += hold
                talk.events.append({"type": "hold_end", "offset_ms": ms})
                ms += rng.randrange(300, 1200)
                continue
            dur = int((len(text) * 72 + rng.randrange(300, 1500)) * (pace if speaker == "agent" else 1.0))
            talk.turns.append({"speaker": speaker, "text": text, "offset_ms": ms, "end_ms": ms + dur})
            ms += dur + rng.randrange(150, 1300)
            if speaker == "agent" and rng.random() < 0.25:
                ms += int(rng.randrange(2_000, 20_000) * pace)  # typing, reading the notes
        talk.duration_s = ms / 1000

    def typed(
        self,
        rng: random.Random,
        lines: list[tuple[str, str]],
        talk: Talk,
        t0: float,
        agent: Agent | None,
        *,
        slow: bool = False,
        noise: float = 0.35,
    ) -> None:
        t = t0
        pace = agent.aht if agent else 1.0
        iso = self.clock.iso
        for speaker, text in lines:
            if speaker == "hold":
                t += rng.randrange(60, 240)
                continue
            if speaker == "customer":
                text = roughen(text, rng, noise)
                t += rng.randrange(60, 1500) if slow else rng.randrange(8, 70)
            elif speaker == "bot":
                t += rng.randrange(1, 4)
            else:
                t += (rng.randrange(120, 1800) if slow else rng.randrange(15, 90)) * pace
            talk.turns.append({"speaker": speaker, "text": text, "at": iso(t)})
        talk.duration_s = t - t0

    # -- the other channels -------------------------------------------------------------------------

    def email(
        self,
        rng: random.Random,
        ep: Episode,
        agent: Agent,
        ctx: dict[str, str],
        t0: float,
        *,
        resolved: bool,
        moods: tuple[float, float, float],
    ) -> Talk:
        g, say = self.g, self.say
        talk = Talk(mood=list(moods))
        body = [say(rng, "email_open", ctx), ""]
        para = [self.opening(rng, ep, ctx, moods[0], greet=False), say(rng, self.key(ep, "detail"), ctx)]
        if ep.secondary:
            para.append(tidy(g.raw(rng, "secondary_lead", ctx) + g.raw(rng, f"{ep.secondary.id}.open", ctx)) + ".")
        body += [roughen(" ".join(para), rng, 0.12), "", g.raw(rng, "email_sign", ctx)]
        reply = [say(rng, "email_agent_open", ctx), ""]
        outcome = say(rng, self.key(ep, "fix" if resolved else "nofix"), ctx)
        if rng.random() < agent.empathy:
            outcome = say(rng, "empathy", ctx) + " " + outcome
            talk.empathy += 1
        reply += [outcome, "", g.raw(rng, "email_agent_sign", ctx)]
        t = t0
        talk.turns.append({"speaker": "customer", "text": "\n".join(body), "at": self.clock.iso(t)})
        t += rng.randrange(1800, 30 * 3600)
        talk.turns.append({"speaker": "agent", "text": "\n".join(reply), "at": self.clock.iso(t)})
        if rng.random() < 0.35:
            t += rng.randrange(600, 12 * 3600)
            talk.turns.append(
                {
                    "speaker": "customer",
                    "text": roughen(self.reaction(rng, moods[2], ctx), rng, 0.2),
                    "at": self.clock.iso(t),
                }
            )
        talk.duration_s = t - t0
        return talk

    def social(
        self,
        rng: random.Random,
        ep: Episode,
        agent: Agent,
        ctx: dict[str, str],
        t0: float,
        *,
        resolved: bool,
        moods: tuple[float, float, float],
    ) -> Talk:
        say = self.say
        talk = Talk(mood=list(moods))
        post = say(rng, self.key(ep, "short"), ctx)
        if "@" not in post:
            post = say(rng, "social_tag", ctx) + " " + post
        lines = [
            ("customer", post),
            ("agent", say(rng, "social_agent", ctx)),
            ("customer", say(rng, self.key(ep, "detail"), ctx)),
            ("agent", say(rng, self.key(ep, "fix" if resolved else "nofix"), ctx)),
        ]
        if rng.random() < 0.6:
            lines.append(("customer", self.reaction(rng, moods[2], ctx)))
        self.typed(rng, lines, talk, t0, agent, slow=True, noise=0.6)
        return talk

    def sms(
        self,
        rng: random.Random,
        ep: Episode,
        agent: Agent,
        ctx: dict[str, str],
        t0: float,
        *,
        resolved: bool,
        moods: tuple[float, float, float],
    ) -> Talk:
        say = self.say
        talk = Talk(mood=list(moods))
        lines = [
            ("customer", say(rng, self.key(ep, "short"), ctx)),
            ("agent", say(rng, "greet_chat", ctx) + " " + say(rng, self.key(ep, "ask"), ctx)),
            ("customer", say(rng, self.key(ep, "answer"), ctx)),
            ("agent", say(rng, self.key(ep, "fix" if resolved else "nofix"), ctx)),
            ("customer", say(rng, "sms_ack", ctx) if moods[2] > -0.2 else self.reaction(rng, moods[2], ctx)),
        ]
        self.typed(rng, lines, talk, t0, agent, slow=True, noise=0.5)
        return talk

    def bot(
        self,
        rng: random.Random,
        ep: Episode,
        ctx: dict[str, str],
        t0: float,
        *,
        contained: bool,
        guess: str,
    ) -> Talk:
        say = self.say
        talk = Talk()
        bot_ctx = {**ctx, "reason_name": guess.lower()}
        lines = [
            ("bot", say(rng, "bot_greet", bot_ctx)),
            ("customer", say(rng, self.key(ep, "open"), bot_ctx)),
            ("bot", say(rng, "bot_clarify", bot_ctx)),
        ]
        if contained:
            lines += [
                ("customer", say(rng, "bot_cust_yes", bot_ctx)),
                ("bot", say(rng, "bot_contained", bot_ctx)),
            ]
        else:
            lines.append(("customer", say(rng, "bot_cust_unhappy", bot_ctx)))
            if rng.random() < 0.4:
                lines += [
                    ("bot", say(rng, "bot_clarify", bot_ctx)),
                    ("customer", say(rng, "bot_cust_unhappy", bot_ctx)),
                ]
            lines.append(("bot", say(rng, "bot_handoff", bot_ctx)))
        self.typed(rng, lines, talk, t0, None, noise=0.5)
        return talk


def base_context(rng: random.Random, ep: Episode, clock: Clock, *, app_version: str) -> dict[str, str]:
    """Per-episode slot values, kept across the interactions of one episode."""
    c = ep.customer
    day = clock.day_of(ep.t)
    bank = [a for a in c.accounts if a.startswith("ACC")]
    digits = "".join(ch for ch in bank[0] if ch.isdigit()) if bank else ""
    if ep.previous_t is not None:
        gap = day - clock.day_of(ep.previous_t)
        prev = (
            "yesterday"
            if gap <= 1
            else f"on {WEEKDAYS[clock.weekday_of(clock.day_of(ep.previous_t))]}"
            if gap < 6
            else "last week"
        )
    else:
        prev = rng.choice(("last week", "a few days ago", "the other day"))
    future = clock.date(day + rng.randrange(2, 9))
    return {
        "company": "Harbourline",
        "first": c.first,
        "name": c.name,
        "dob": c.dob,
        "postcode": c.postcode,
        "street": c.street,
        "last4": digits[-4:],
        "email": c.email,
        "amount": f"£{rng.randrange(4, 480)}.{rng.randrange(0, 100):02d}",
        "merchant": rng.choice(
            (
                "Amazon",
                "Ryanair",
                "Booking.com",
                "Uber",
                "Netflix",
                "Argos",
                "Trainline",
                "eBay",
                "a parking app",
                "a gym",
                "an online shop",
            )
        ),
        "country": rng.choice(COUNTRIES),
        "weekday": WEEKDAYS[rng.randrange(7)],
        "date": f"{WEEKDAYS[future.weekday()]} the {future.day}{_suffix(future.day)}",
        "prev_when": prev,
        "app_version": app_version,
        "campaign": CAMPAIGN_NAME,
        "bot": "Hari",
        "reason_name": ep.reason.name,
        "faq_title": ep.reason.faq,
        "wait": str(rng.randrange(2, 15)),
        "card": rng.choice(("card", "debit card", "bank card", "contactless card", "credit card")),
        "device": rng.choice(("iPhone", "Android phone", "iPhone 15", "Samsung", "old iPhone", "iPad")),
    }


def _suffix(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def with_agent(ctx: dict[str, str], agent: Agent, queue_name: str, hour: int) -> dict[str, str]:
    hello = "Good morning" if hour < 12 else "Good afternoon" if hour < 18 else "Good evening"
    return {
        **ctx,
        "agent": agent.name,
        "agent_first": agent.first,
        "initials": agent.first[0] + agent.last[0],
        "dept": queue_name,
        "hello": hello,
    }
