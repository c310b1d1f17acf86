"""The clustering rules on small graphs: transitive merges, the same-source guard, overrides."""

from __future__ import annotations

import numpy as np

from signalroom.journeys.identity_graph import Clustering, IdentityGraph, cluster

# Node numbers: customer ids C1..C3, then weak identifiers.
C1, C2, C3, E1, P, E2, F = 1, 2, 3, 4, 5, 6, 7
SIZE = 8
IDS = (C1, C2, C3)


def _run(
    edges: list[tuple[int, int]],
    sources: dict[int, list[int]],
    *,
    detached: tuple[int, ...] = (),
    merges: tuple[tuple[int, int], ...] = (),
) -> Clustering:
    is_id = np.zeros(SIZE, dtype=bool)
    is_id[list(IDS)] = True
    present = np.zeros(SIZE, dtype=bool)
    present[[n for edge in edges for n in edge]] = True
    present[list(sources)] = True
    id_sources = [(node, s) for node, found in sources.items() for s in found]
    return cluster(
        IdentityGraph(
            size=SIZE,
            is_id=is_id,
            present=present,
            edges=np.array(edges, dtype=np.int64).reshape(-1, 2),
            id_sources=np.array(id_sources, dtype=np.int64).reshape(-1, 2),
            detached=np.array(detached, dtype=np.int64),
            merges=np.array(merges, dtype=np.int64).reshape(-1, 2),
        )
    )


def _same(result: Clustering, *nodes: int) -> bool:
    return len({int(result.labels[n]) for n in nodes}) == 1


def test_identifiers_on_shared_records_are_one_person_transitively() -> None:
    # C1's profile lists E1; a record carries E1 and P; another carries P and E2.
    result = _run([(C1, E1), (E1, P), (P, E2)], {C1: [0]})
    assert _same(result, C1, E1, P, E2)
    assert result.people == 1 and not result.conflicts


def test_a_weak_identifier_shared_by_two_customers_of_one_source_joins_neither() -> None:
    # Both profiles list the household phone P; C1's also lists E1; a record carries P alone.
    result = _run([(C1, E1), (C1, P), (C2, P)], {C1: [0], C2: [0]})
    assert not _same(result, C1, C2)
    assert _same(result, C1, E1)
    assert not _same(result, P, C1) and not _same(result, P, C2)  # the shared phone is a person of its own
    assert result.contested[P] and not result.contested[E1]
    [conflict] = result.conflicts
    assert conflict.shared.tolist() == [P] and conflict.customers.tolist() == [C1, C2]


def test_customers_of_different_sources_sharing_an_email_are_one_person() -> None:
    # The CRM's C1 and the chat platform's C2 are two systems' ids for one person.
    result = _run([(C1, E1), (C2, E1)], {C1: [0], C2: [1]})
    assert _same(result, C1, C2, E1) and not result.conflicts


def test_an_indirect_link_between_two_customers_is_shared_as_a_group() -> None:
    # C1–E1 (profile), E1+P on one record, C2–P (profile): E1 and P join C1 to C2 together.
    result = _run([(C1, E1), (E1, P), (C2, P)], {C1: [0], C2: [0]})
    assert not _same(result, C1, C2)
    assert _same(result, E1, P) and result.contested[E1] and result.contested[P]
    assert len(result.conflicts) == 1


def test_a_tangle_through_a_customer_of_another_source_is_not_merged() -> None:
    # C1 (source 0) –E1– C3 (source 1) –F– C2 (source 0)
    result = _run([(C1, E1), (C3, E1), (C3, F), (C2, F)], {C1: [0], C2: [0], C3: [1]})
    assert not _same(result, C1, C2)
    assert result.contested[E1] and result.contested[F]


def test_a_detached_identifier_links_nothing() -> None:
    result = _run([(C1, E1), (C1, P), (P, E2)], {C1: [0]}, detached=(P,))
    assert _same(result, C1, E1)
    assert not _same(result, C1, P) and not _same(result, C1, E2)


def test_a_manual_merge_wins_and_settles_the_conflict() -> None:
    edges = [(C1, E1), (C1, P), (C2, P), (P, E2)]
    result = _run(edges, {C1: [0], C2: [0]}, merges=((C1, C2),))
    assert _same(result, C1, C2, P, E2, E1)
    assert not result.conflicts and not result.contested.any()
    # A merge joins the two people named, as they are, even where no rule would: a shared
    # phone to one of its customers (the phone stays shared with C1, so it links nothing more).
    result = _run(edges, {C1: [0], C2: [0]}, merges=((P, C2),))
    assert _same(result, P, C2) and not _same(result, C1, C2) and not _same(result, E2, C2)


def test_nodes_no_record_carries_are_nobody() -> None:
    result = _run([(C1, E1)], {C1: [0]})
    assert result.labels[F] == -1 and result.labels[0] == -1
    assert result.people == 1
