"""PII redaction evaluation: real customer text with generated PII inserted at known spans.

Base sentences come from the shared datasets beside the repository (../shared/data: banking77 and the Bitext
customer-service sample); none of their text is stored in the project. Each labelled example is a base
sentence with a templated PII phrase before or after it ("my card number is …"), and the gold span is the
inserted value. Negatives carry numbers that are not PII (amounts, quantities, times, Luhn-invalid card-like
numbers) or are the base sentence alone. Most templates carry the cue the recognizers look for; a few are
deliberately hard (no keyword, lower-case ASR text: "{lower} here", "it's {v} I think"). A prediction matches a
gold span of the same entity when they overlap.

    python benchmarks/pii_eval.py [--n 3000] [--seed 7] [--no-prescan] [--markdown]
"""

from __future__ import annotations

import argparse
import csv
import random
import string
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO / "src"))

from signalroom.pipeline.redact import Redactor  # noqa: E402


def _words(text: str) -> list[str]:
    """A word list written as text (data reads better as lines of words than as one string per line)."""
    return text.split()


FIRST = _words(
    """
    Olivia Amelia Isla Ava Mia Noah Oliver George Arthur Muhammad Leo Harry Oscar Archie Henry Priya
    Aisha Fatima Chen Wei Siobhan Niamh Declan Mateo Sofia Lucas Emma Liam Ethan Chloe Daniel Sarah
    James Hannah
    """
)
LAST = _words(
    """
    Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Khan Wright Walker Robinson Thompson
    Evans Hughes Okafor Nowak Murphy Kelly Garcia Martinez Nguyen Chen Singh Campbell Stewart MacDonald
    """
)
STREETS = _words(
    """
    High Church Station Victoria Green Manor Park Queens Kings Mill Orchard Meadow Riverside Oak
    """
)
STREET_TYPES = _words(
    """
    Street Road Lane Avenue Drive Close Way Court Crescent Gardens Terrace Grove
    """
)
DOMAINS = ["gmail.com", "outlook.com", "yahoo.co.uk", "example.org", "btinternet.com", "icloud.com"]
DIGIT_NAMES = _words(
    """
    zero one two three four five six seven eight nine
    """
)
MONTHS = _words(
    """
    January February March April May June July August September October November December
    """
)


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def card(rng: random.Random, valid: bool = True) -> str:
    prefix = rng.choice(["4", "51", "52", "53", "54", "55", "37"])
    length = 15 if prefix == "37" else 16
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    check = luhn_digit(body)
    if not valid:
        check = str((int(check) + rng.randint(1, 9)) % 10)
    digits = body + check
    sep = rng.choice(["", " ", "-"])
    if length == 15:
        return sep.join([digits[:4], digits[4:10], digits[10:]])
    return sep.join(digits[i : i + 4] for i in range(0, 16, 4))


def iban(rng: random.Random) -> str:
    bank = "".join(rng.choice(string.ascii_uppercase) for _ in range(4))
    bban = bank + "".join(rng.choice(string.digits) for _ in range(14))
    numeric = "".join(str(int(c, 36)) for c in bban + "GB00")
    check = 98 - int(numeric) % 97
    raw = f"GB{check:02d}{bban}"
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4)) if rng.random() < 0.6 else raw


def aba(rng: random.Random) -> str:
    while True:
        d = [rng.randint(0, 9) for _ in range(8)]
        for last in range(10):
            x = [*d, last]
            if (3 * (x[0] + x[3] + x[6]) + 7 * (x[1] + x[4] + x[7]) + x[2] + x[5] + x[8]) % 10 == 0:
                return "".join(map(str, x))


def spoken(rng: random.Random, n: int) -> str:
    digits = [rng.choice(DIGIT_NAMES) for _ in range(n)]
    out: list[str] = []
    i = 0
    while i < len(digits):
        if i + 1 < len(digits) and digits[i] == digits[i + 1]:
            out.append("double " + ("oh" if digits[i] == "zero" and rng.random() < 0.5 else digits[i]))
            i += 2
        else:
            out.append("oh" if digits[i] == "zero" and rng.random() < 0.5 else digits[i])
            i += 1
    return " ".join(out)


def uk_postcode(rng: random.Random) -> str:
    area = rng.choice(
        _words(
            """
        SW E N M LS CF G EH B BS NE
        """
        )
    )
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"{area}{rng.randint(1, 19)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"


def dob(rng: random.Random) -> str:
    y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        [f"{d:02d}/{m:02d}/{y}", f"{d} {MONTHS[m - 1]} {y}", f"{MONTHS[m - 1]} {d}, {y}", f"{y}-{m:02d}-{d:02d}"]
    )


# entity -> (value generator, templates with {v})
def generators(rng: random.Random) -> dict[str, tuple[object, list[str]]]:
    def name() -> str:
        return rng.choice(FIRST) + (" " + rng.choice(LAST) if rng.random() < 0.7 else "")

    def phone() -> str:
        return rng.choice(
            [
                f"07{rng.randint(700, 999)} {rng.randint(100000, 999999)}",
                f"+44 7{rng.randint(700, 999)} {rng.randint(100000, 999999)}",
                f"020 7{rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                f"({rng.choice([212, 312, 415, 617, 202, 303])}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
            ]
        )

    def email() -> str:
        user = f"{rng.choice(FIRST).lower()}{rng.choice(['.', '_', ''])}{rng.choice(LAST).lower()}{rng.randint(1, 99)}"
        return f"{user}@{rng.choice(DOMAINS)}"

    def ssn() -> str:
        return f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"

    def nino() -> str:
        a = rng.choice(
            _words(
                """
            AB CE JK LM PR SW HT YX EG WR
            """
            )
        )  # valid NINO prefixes
        d = f"{rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        v = f"{a} {d} {rng.choice('ABCD')}"
        return v if rng.random() < 0.5 else v.replace(" ", "")

    def routing() -> str:  # the value and its keyword go together: UK sort code or US ABA routing number
        if rng.random() < 0.5:
            return f"{rng.randint(10, 99)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
        return aba(rng)

    def address() -> str:
        street = f"{rng.randint(1, 250)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"
        return rng.choice([street, f"{street}, {uk_postcode(rng)}", uk_postcode(rng)])

    return {
        "NAME": (
            name,
            [
                "my name is {v}",
                "this is {v} speaking",
                "Hi {v},",
                "It's {v}.",
                "thanks {v}",
                "Kind regards,\n{v}",
                "I spoke to {v} yesterday",
                "I sent it to {v} last week",
                "{lower} here",
                "the account is in my wife's name, {v}",
            ],
        ),
        "EMAIL": (email, ["my email is {v}", "send it to {v} please", "{v}"]),
        "PHONE": (phone, ["call me on {v}", "my number is {v}", "you can reach me at {v}", "{v}"]),
        "CARD": (lambda: card(rng), ["my card number is {v}", "the card is {v}", "{v} is the long number", "it's {v}"]),
        "CVV": (
            lambda: str(rng.randint(100, 999)),
            [
                "the CVV is {v}",
                "security code {v}",
                "the three digits on the back are {v}",
                "and the code on the back, {v}",
            ],
        ),
        "EXPIRY": (
            lambda: f"{rng.randint(1, 12):02d}/{rng.randint(25, 31)}",
            ["expiry date {v}", "it expires {v}", "valid until {v}", "the end date is {v}"],
        ),
        "ACCOUNT": (
            lambda: "".join(rng.choice(string.digits) for _ in range(8)),
            ["account number {v}", "my account number is {v}", "acct no. {v}"],
        ),
        "IBAN": (lambda: iban(rng), ["my IBAN is {v}", "transfer to {v}", "IBAN: {v}"]),
        "ROUTING": (routing, ["{v}"]),
        "SSN": (ssn, ["my SSN is {v}", "social security number {v}", "SSN: {v}"]),
        "NATIONAL_ID": (nino, ["my national insurance number is {v}", "NI number {v}", "NINO {v}"]),
        "ADDRESS": (address, ["I live at {v}", "my address is {v}", "send it to {v}", "postcode {v}", "it's {lower}"]),
        "DOB": (lambda: dob(rng), ["my date of birth is {v}", "I was born on {v}", "DOB {v}", "it's {v}"]),
        "PIN": (
            lambda: "".join(rng.choice(string.digits) for _ in range(4)),
            ["my PIN is {v}", "the pin number is {v}", "I changed my PIN to {v}", "it's {v} I think"],
        ),
        "NUMBER": (lambda: spoken(rng, rng.randint(6, 11)), ["it's {v}", "the number is {v}", "{v}"]),
    }


NEGATIVES = [
    lambda r: f"I was charged £{r.randint(1, 999)}.{r.randint(0, 99):02d} twice",
    lambda r: f"the refund of ${r.randint(1, 9)},{r.randint(100, 999)}.{r.randint(0, 99):02d} hasn't arrived",
    lambda r: f"I ordered {r.randint(2, 40)} items on {r.randint(1, 28)} March",
    lambda r: f"I called at {r.randint(1, 12)}:{r.randint(0, 59):02d} and waited {r.randint(5, 90)} minutes",
    lambda r: f"my card number is {card(r, valid=False)}",
    lambda r: f"reference {card(r, valid=False).replace(' ', '')}",
    lambda r: f"order #{r.randint(1000, 99999)} for {r.randint(1, 5)} units",
    lambda r: f"it took {r.randint(2, 12)} weeks and cost {r.randint(20, 500)} pounds",
    lambda r: f"the app version {r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 9)} crashes",
]


@dataclass
class Example:
    text: str
    gold: list[tuple[int, int, str]]


def base_sentences() -> list[str]:
    out: list[str] = []
    for path in (SHARED_DATA / "banking77" / "train.csv", SHARED_DATA / "banking77" / "test.csv"):
        with path.open(encoding="utf-8") as f:
            out += [row["text"] for row in csv.DictReader(f)]
    with (
        SHARED_DATA / "bitext-customer-service-sample" / "Bitext_Sample_Customer_Service_Training_Dataset_8k.csv"
    ).open(encoding="utf-8-sig") as f:
        out += [row["utterance"] for row in csv.DictReader(f)]
    return [s.strip() for s in out if s.strip()]


def build(n: int, seed: int) -> list[Example]:
    rng = random.Random(seed)
    bases = base_sentences()
    gens = generators(rng)
    entities = list(gens)
    examples: list[Example] = []
    positives = 0
    for i in range(n):
        base = rng.choice(bases)
        kind = i % 5
        if kind == 4:  # negative
            phrase = NEGATIVES[rng.randrange(len(NEGATIVES))](rng) if rng.random() < 0.7 else ""
            text = f"{base} {phrase}".strip()
            examples.append(Example(text, []))
            continue
        entity = entities[positives % len(entities)]
        positives += 1
        make, templates = gens[entity]
        value = make()  # type: ignore[operator]
        template = rng.choice(templates)
        if entity == "ROUTING":
            template = (
                ("sort code {v}" if "-" in value else "routing number {v}")
                if rng.random() < 0.8
                else ("my sort code is {v}" if "-" in value else "ABA {v}")
            )
        if "{lower}" in template:  # an ASR transcript: no capitals
            value = value.lower()
            template = template.replace("{lower}", "{v}")
        phrase = template.replace("{v}", value)
        start_in_phrase = template.index("{v}")
        if rng.random() < 0.5:
            text = f"{base} {phrase}"
            start = len(base) + 1 + start_in_phrase
        else:
            text = f"{phrase}. {base}"
            start = start_in_phrase
        examples.append(Example(text, [(start, start + len(value), entity)]))
    return examples


def evaluate(examples: list[Example], redactor: Redactor) -> tuple[dict[str, dict[str, float]], float]:
    tp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    t0 = time.process_time()
    predictions = [redactor.find(ex.text) for ex in examples]
    elapsed = time.process_time() - t0
    for ex, pred in zip(examples, predictions, strict=True):
        for s, e, ent in ex.gold:
            if any(p.entity == ent and p.start < e and s < p.end for p in pred):
                tp[ent] += 1
            else:
                fn[ent] += 1
        for p in pred:
            if not any(p.entity == ent and p.start < e and s < p.end for s, e, ent in ex.gold):
                fp[p.entity] += 1
    table: dict[str, dict[str, float]] = {}
    for ent in sorted(set(tp) | set(fn) | set(fp)):
        prec = tp[ent] / (tp[ent] + fp[ent]) if tp[ent] + fp[ent] else 1.0
        rec = tp[ent] / (tp[ent] + fn[ent]) if tp[ent] + fn[ent] else 1.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        table[ent] = {"precision": prec, "recall": rec, "f1": f1, "support": tp[ent] + fn[ent], "fp": fp[ent]}
    t, f_n, f_p = sum(tp.values()), sum(fn.values()), sum(fp.values())
    p_all, r_all = t / (t + f_p), t / (t + f_n)
    table["ALL (micro)"] = {
        "precision": p_all,
        "recall": r_all,
        "f1": 2 * p_all * r_all / (p_all + r_all),
        "support": t + f_n,
        "fp": f_p,
    }
    return table, elapsed / len(examples) * 1e6


def render(table: dict[str, dict[str, float]], markdown: bool) -> str:
    lines = ["| entity | precision | recall | F1 | support | false positives |", "|---|---|---|---|---|---|"]
    for ent, m in table.items():
        lines.append(
            f"| {ent} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} "
            f"| {int(m['support'])} | {int(m['fp'])} |"
        )
    return "\n".join(lines) if markdown else "\n".join(line.replace("|", " ") for line in lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-prescan", action="store_true")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    if not SHARED_DATA.exists():
        print(f"no shared data at {SHARED_DATA}", file=sys.stderr)
        return 2
    examples = build(args.n, args.seed)
    redactor = Redactor(use_prescan=not args.no_prescan)
    redactor.find("warm up 4111 1111 1111 1111")
    table, us = evaluate(examples, redactor)
    print(
        f"{len(examples)} examples (seed {args.seed}), prescan {'off' if args.no_prescan else 'on'}, "
        f"{us:.0f} µs/example"
    )
    print(render(table, args.markdown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
