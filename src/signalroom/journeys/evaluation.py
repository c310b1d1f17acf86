"""Identity stitching measured against the demo generator's truth (``DIR/.truth/``).

Pairwise, over interactions: precision is the share of the pairs put in one person that are truly
one customer; recall the share of the pairs of one customer that are put in one person.

The demo's records carry one identifier each (and the customer id once an agent verified them),
and its profiles list only some of a customer's identifiers (``.truth/customers.jsonl``:
``linked_in_profile``), so part of the truth cannot be reached from the data: nothing links a bot
chat from an unlisted email that no agent verified to the same customer's other contacts.
:func:`evidence_ceiling` is the recall an exact resolver reaches with the identifiers the records
carry, computed from the truth alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson


def _pairs(counter: Counter[Any]) -> int:
    return sum(n * (n - 1) // 2 for n in counter.values())


@dataclass(frozen=True)
class PairwiseScore:
    precision: float
    recall: float
    pairs_true: int  # pairs of interactions of one customer
    pairs_found: int  # pairs of interactions put in one person
    pairs_correct: int
    people_true: int
    people_found: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def pairwise(truth: dict[str, str], found: dict[str, int]) -> PairwiseScore:
    """``truth``: interaction id → true customer; ``found``: interaction id → person. An
    interaction no person holds counts as a person of its own."""
    assigned: dict[str, tuple[int, str]] = {iid: (found[iid], "") if iid in found else (-1, iid) for iid in truth}
    together = Counter(assigned.values())
    same = Counter(truth.values())
    both = Counter((assigned[iid], truth[iid]) for iid in truth)
    correct, predicted, actual = _pairs(both), _pairs(together), _pairs(same)
    return PairwiseScore(
        precision=round(correct / predicted, 5) if predicted else 1.0,
        recall=round(correct / actual, 5) if actual else 1.0,
        pairs_true=actual,
        pairs_found=predicted,
        pairs_correct=correct,
        people_true=len(same),
        people_found=len(together),
    )


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def true_customers(out: Path) -> dict[str, str]:
    """Interaction id → the customer it truly was."""
    return {line["interaction_id"]: line["customer_id"] for line in _lines(out / ".truth" / "interactions.jsonl")}


def evidence_ceiling(out: Path) -> float:
    """The pairwise recall reachable from the identifiers the demo's records carry."""
    customers = {c["customer_id"]: c for c in _lines(out / ".truth" / "customers.jsonl")}
    lines = _lines(out / ".truth" / "interactions.jsonl")

    # An identifier reaches the customer's profile when the profile lists it, or when any record
    # that used it also carries the customer id an agent attached after verification.
    verified = {(line["customer_id"], line["identifier_used"]) for line in lines if line.get("verified_id")}

    def reachable(line: dict[str, Any]) -> tuple[str, str]:
        customer, used = line["customer_id"], line["identifier_used"]
        # Customer ids and accounts are always in the profile; the main phone, email and handle
        # sometimes; second phones and work emails never.
        if used in ("id", "account") or customers[customer]["linked_in_profile"].get(used, False):
            return customer, "profile"
        if (customer, used) in verified:
            return customer, "profile"
        return customer, used  # linked only to the same identifier's other contacts

    same = Counter(line["customer_id"] for line in lines)
    return round(_pairs(Counter(reachable(line) for line in lines)) / _pairs(same), 5) if same else 1.0
