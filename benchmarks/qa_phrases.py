"""Phrase matching for automated QA: how long one PhraseMatcher (about 60 scorecard patterns:
disclosure, verification, empathy, hold etiquette, closing, next steps, compliance) takes to find
every match in a 12-turn conversation.

Conversations are synthetic and repeatable (seeded): agent and customer turns drawn from
contact-centre lines, about half of them carrying a scorecard phrase, the rest ordinary talk;
a share of them (default 20%) written with typographic apostrophes (’), which takes the
non-ASCII tokeniser. Reports microseconds per conversation, the median of the runs.

    python benchmarks/qa_phrases.py [--conversations 10000] [--repeat 5] [--curly 0.2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from signalroom.qa.phrases import PhraseMatcher, TurnText

RESULTS = Path(__file__).parent / "results"

PATTERNS = {
    # disclosure and compliance
    "disclosure.recorded": "this call (is|may be|will be) (recorded|monitored)",
    "disclosure.training": "for (training|quality) purposes",
    "disclosure.any_purposes": "for * purposes",
    "disclosure.data": "data protection",
    "disclosure.consent": "do you consent",
    "compliance.terms": "terms and conditions",
    "compliance.cooling_off": "cooling off period",
    "compliance.vulnerable": "(extra|additional) support",
    "compliance.complaint": "(make|raise|log) a complaint",
    # greeting
    "greeting.thanks_calling": "thank you for (calling|contacting)",
    "greeting.thanks_short": "thanks for (calling|contacting|getting in touch)",
    "greeting.name": "my name is",
    "greeting.speaking": "you're speaking (to|with)",
    "greeting.how_help": "how can I help",
    "greeting.how_may": "how may I (help|assist)",
    # verification
    "verify.verify": "verify",
    "verify.security": "(security|verification) (questions|check)",
    "verify.dob": "date of birth",
    "verify.postcode": "(postcode|post code)",
    "verify.first_line": "first line of (your|the) address",
    "verify.card_number": "card NEAR:3 number",
    "verify.last_digits": "last (four|4) digits",
    "verify.prefix": "verif*",
    "verify.confirm_name": "confirm your (full name|name)",
    "verify.passcode": "(passcode|password|memorable word)",
    # empathy
    "empathy.sorry_hear": "(sorry|sad) to hear",
    "empathy.apologise": "apologise",
    "empathy.apologies": "(apologies|apology) for",
    "empathy.understand": "I (understand|appreciate) (that|how|this|it)",
    "empathy.frustrating": "(frustrating|annoying|upsetting)",
    "empathy.must_be": "that must be",
    "empathy.bear_with": "bear with me",
    "empathy.thanks_patience": "thank* for your (patience|time|understanding)",
    # hold etiquette
    "hold.permission": "(can|may) I (put|place) you on hold",
    "hold.back": "thanks for holding",
    "hold.minutes": "(a|two|few|couple) * minutes",
    # resolution and next steps
    "next.will": "I will (send|call|email|update|arrange|raise)",
    "next.within": "within * (working|business) days",
    "next.reference": "reference number",
    "next.text": "(text|email|letter) (to|confirming)",
    "next.follow_up": "follow* up",
    "next.callback": "call you back",
    "resolution.sorted": "(sorted|fixed|resolved) (that|this|it)",
    "resolution.removed": "(removed|lifted) the (block|restriction)",
    "resolution.refund": "refund",
    "resolution.credit": "(credit|goodwill) (gesture|payment)",
    # closing
    "closing.anything_else": "anything else I can (help|do)",
    "closing.anything_else_short": '"anything else"',
    "closing.have_day": "have a (good|great|lovely|nice) (day|evening|weekend)",
    "closing.thanks_calling": "thanks for calling",
    "closing.bye": "(bye|goodbye)",
    "closing.survey": "(short|quick) survey",
    # customer signals
    "customer.cancel": "(cancel|close) my (account|card|contract)",
    "customer.complain": "complain*",
    "customer.manager": "(speak|talk) to (a|your) (manager|supervisor)",
    "customer.again": "(calling|called|rang) again",
    "customer.not_happy": '"not happy"',
    "customer.waste": "waste of time",
    "customer.declined": "card NEAR:4 declined",
    "customer.thank": "thank you so much",
}

AGENT_LINES = [
    "Thank you for calling Acme Bank, my name is Sam, this call may be recorded for training purposes.",
    "Thanks for contacting us, you're speaking with Priya, how can I help today?",
    "Before we go on I need to verify a few details, can I take your date of birth please?",
    "Could you confirm your full name and the first line of your address?",
    "I'm so sorry to hear that, that must be really frustrating for you.",
    "I understand how annoying this is, bear with me while I take a look.",
    "Can I put you on hold for a couple of minutes while I check that?",
    "Thanks for holding, I really appreciate your patience.",
    "I've removed the block on your card now, it should work within five minutes.",
    "I will send you a text confirming the change and a reference number.",
    "The refund will reach your account within three working days.",
    "Is there anything else I can help you with today?",
    "Have a lovely day, goodbye.",
    "You may get a short survey after this call, it only takes a minute.",
    "I apologise for the delay, we've had a lot of calls this morning.",
    "I'll arrange a callback from the team and follow up by email tomorrow.",
    "Let me just check the notes on your account.",
    "Okay, I can see the payment on the fourteenth.",
    "Right, that all looks fine on our side.",
    "Can you read me the last four digits of the card number please?",
]
CUSTOMER_LINES = [
    "Hi, my card keeps getting declined since I landed in Lisbon.",
    "I've called three times about this and I'm not happy at all.",
    "It's Ann Lee, fifth of March 1984, and the postcode is LS1 4AB.",
    "I don't want to cancel my account, I just want it fixed.",
    "Can I speak to a manager please, this is a waste of time.",
    "Yes that's right, the last four digits are 4421.",
    "Oh great, thank you so much, that's really helpful.",
    "No that's everything, thanks, bye.",
    "I didn't get a text message confirming the payment.",
    "Sure, no problem, I'll hold.",
    "Why was I charged twice for the same order?",
    "I'd like to make a complaint about the way this was handled.",
    "The app said the card number wasn't valid.",
    "Okay, that makes sense now.",
    "I was calling again because nobody called me back.",
]


def conversations(n: int, curly: float, seed: int = 7) -> list[list[TurnText]]:
    rng = random.Random(seed)
    result = []
    for _ in range(n):
        turns = []
        offset = 0
        for t in range(12):
            agent = t % 2 == 0
            text = rng.choice(AGENT_LINES if agent else CUSTOMER_LINES)
            turns.append(TurnText("agent" if agent else "customer", text, offset))
            offset += rng.randint(2000, 12000)
        if rng.random() < curly:
            turns = [TurnText(t.speaker, t.text.replace("'", "’"), t.offset_ms) for t in turns]
        result.append(turns)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--curly", type=float, default=0.2, help="share of conversations with ’ apostrophes")
    args = parser.parse_args()
    began = time.perf_counter()
    matcher = PhraseMatcher(PATTERNS)
    compile_ms = round((time.perf_counter() - began) * 1000, 2)
    convs = conversations(args.conversations, args.curly)
    matches = sum(len(ms) for c in convs for ms in matcher.find(c).values())  # also warms the token cache
    runs = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        for conversation in convs:
            matcher.find(conversation)
        runs.append(round((time.perf_counter() - began) / len(convs) * 1e6, 2))
    ascii_only = [c for c in convs if all(t.text.isascii() for t in c)]
    by_path: dict[str, Any] = {}
    for name, subset in (("ascii", ascii_only), ("curly", [c for c in convs if c not in ascii_only])):
        if subset:
            began = time.perf_counter()
            for conversation in subset:
                matcher.find(conversation)
            by_path[name] = round((time.perf_counter() - began) / len(subset) * 1e6, 2)
    result: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "patterns": len(PATTERNS),
        "conversations": len(convs),
        "turns_per_conversation": 12,
        "curly_share": args.curly,
        "compile_ms": compile_ms,
        "matches_per_conversation": round(matches / len(convs), 2),
        "us_per_conversation": {"runs": runs, "median": statistics.median(runs)},
        "us_per_conversation_by_tokeniser": by_path,
    }
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"qa-phrases-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
