"""Related reasons: the centroid tree, its groups (the next-issue model's needs) and their names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from scipy.cluster.hierarchy import linkage

from signalroom.journeys.next_issue import Contact, NextIssuePredictor
from signalroom.journeys.reason_groups import ReasonTree


def _tree() -> ReasonTree:
    # Reasons 1–3 point one way (refunds said three ways), 7–8 another (app login), 9 a third.
    base = {1: [1.0, 0.1, 0.0], 2: [1.0, 0.0, 0.1], 3: [0.9, 0.1, 0.1], 7: [0.0, 1.0, 0.1], 8: [0.1, 1.0, 0.0],
            9: [0.0, 0.0, 1.0]}  # fmt: skip
    ids = sorted(base)
    matrix = np.array([base[i] for i in ids], dtype=float)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    names = {1: "refund", 2: "money back", 3: "credit", 7: "log in", 8: "face id", 9: "address"}
    sizes = {1: 10, 2: 30, 3: 5, 7: 8, 8: 9, 9: 4}
    return ReasonTree(ids, names, sizes, linkage(matrix, method="average", metric="cosine"))


def test_groups_are_named_by_their_largest_reason() -> None:
    tree = _tree()
    groups = tree.groups(similarity=0.9)
    assert groups == {1: 2, 2: 2, 3: 2, 7: 8, 8: 8, 9: 9}
    assert tree.label([1, 2, 3]) == "money back (+2 related reasons)"
    assert tree.label([7, 8]) == "face id (+1 related reason)"
    assert tree.label([9]) == "address"
    # Every node of the tree but the root, leaves included.
    nodes = tree.nodes()
    assert len(nodes) == 2 * len(tree.ids) - 2
    assert sorted(len(n) for n in nodes)[:6] == [1, 1, 1, 1, 1, 1]


def test_the_next_issue_model_predicts_needs_and_keeps_its_mapping() -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    contacts = []
    for person in range(40):
        # A refund said one way is followed by a refund said another way: the same need.
        first, second = (1, 3) if person % 2 else (2, 1)
        contacts += [Contact(person, first, start + timedelta(hours=person)),
                     Contact(person, second, start + timedelta(days=1, hours=person))]  # fmt: skip
    needs = _tree().groups(similarity=0.9)
    model = NextIssuePredictor(window_days=7).fit(contacts, needs=needs)
    assert model.top(3, k=1)[0][0] == 2  # reason 3 is the refund need, named by reason 2
    assert model.need_of(3) == 2 and model.need_of(42) == 42
    again = NextIssuePredictor.from_dict(model.to_dict())
    assert again.needs_ == model.needs_
    assert again.predict_proba(1) == model.predict_proba(1)
    plain = NextIssuePredictor(window_days=7).fit(contacts)
    assert plain.top(3, k=1)[0][0] != 2  # reason by reason, the repeat is scattered
