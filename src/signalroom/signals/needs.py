"""Customer needs as signals count them (docs/signals.md#rising-needs): the groups of related
discovered reasons that the next-issue model also uses, so one need said several ways is one signal.
With a taxonomy (no tree of centroids) each reason is its own need."""

from __future__ import annotations

from dataclasses import dataclass

from signalroom.journeys.reason_groups import reason_tree
from signalroom.store import episodes as episode_store
from signalroom.store.outcome_metrics import reason_labels
from signalroom.store.warehouse import Store


class SignalsError(ValueError):
    pass


@dataclass(frozen=True)
class Needs:
    of_reason: dict[int, int]  # reason → its need (named by the need's largest reason)
    members: dict[int, list[int]]  # need → its reasons, in id order
    labels: dict[int, str]  # need → its label

    def need(self, reason: int | None) -> int | None:
        return None if reason is None else self.of_reason.get(reason, reason)

    def label(self, need: int) -> str:
        return self.labels.get(need, str(need))

    def reasons(self, need: int) -> list[int]:
        return self.members.get(need, [need])


def needs_of(store: Store) -> Needs:
    """The needs of the reasons in use. Fails clearly when the episodes (which carry each contact's
    reason) were never built."""
    if episode_store.last_build(store) is None:
        raise SignalsError("episodes were never built: run `signalroom analyze` (or `signalroom episodes build`)")
    tree = reason_tree(store)
    names = reason_labels(store)
    of_reason = dict(tree.groups()) if tree else {}
    for reason in names:
        of_reason.setdefault(reason, reason)
    members: dict[int, list[int]] = {}
    for reason, need in sorted(of_reason.items()):
        members.setdefault(need, []).append(reason)
    labels = {need: tree.label(reasons) if tree else names.get(need, str(need)) for need, reasons in members.items()}
    return Needs(of_reason, members, labels)
