"""Advisors' flags in the ranked list (docs/signals.md#advisors-signals): the recent flags grouped,
each group attached to the machine-detected signal it matches (by its flagged interactions and its
words), and a group that matches none standing as a signal of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from signalroom.signals.flags import FlagConfig, FlagGroup, candidate, group_and_match
from signalroom.signals.needs import Needs
from signalroom.signals.rank import Signal
from signalroom.store import flags as flag_store
from signalroom.store.warehouse import Store


@dataclass(frozen=True)
class Attached:
    group: FlagGroup
    signal: Signal
    similarity: float | None  # the match's score; None: the group is a signal of its own


def attach_flags(
    store: Store, needs: Needs, signals: list[Signal], *, first: date, last: date | None,
    config: FlagConfig | None = None,
) -> list[Attached]:  # fmt: skip
    """Group the flags raised from ``first`` (to ``last``, for a replay that must not see later
    ones), attach each group's finding to its matched signal in ``signals`` — or append a signal of
    its own — and say where each group went."""
    flags = [f for f in flag_store.list_flags(store) if f.day >= first and (last is None or f.day <= last)]
    if not flags:
        return []
    machine = list(signals)
    groups, findings, matches = group_and_match(
        store, needs, flags,
        lambda embedder: [
            candidate(title=s.title, reasons=s.reasons, phrases=s.phrases, evidence=s.evidence, embedder=embedder)
            for s in machine
        ],
        config or FlagConfig(),
    )  # fmt: skip
    out = []
    for index, (group, finding) in enumerate(zip(groups, findings, strict=True)):
        if index in matches:
            target, score = machine[matches[index][0]], matches[index][1]
            target.findings.append(finding)
        else:
            target, score = Signal(fingerprint=f"flags:{group.group_id}", title=finding.subject, kind="flags",
                                   reasons=list(finding.reasons), findings=[finding]), None  # fmt: skip
            signals.append(target)
        out.append(Attached(group, target, score))
    return out


def save_attachments(store: Store, attached: list[Attached]) -> None:
    """Record on each flag its group and the stored signal it is part of (after the list is saved)."""
    rows = [(f.flag_id, a.group.group_id, a.signal.signal_id, a.similarity) for a in attached for f in a.group.flags]
    with store.transaction():
        flag_store.save_grouping(store, rows)
