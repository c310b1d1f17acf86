"""Grouping identifiers into people: connected components with one guard, all in numpy and scipy.

The graph's nodes are normalised identifiers; an edge says two identifiers were carried by one
record (or listed by one profile). People are its connected components, with one exception: two
different customer ids of the same source are two people — that source has already told them apart
— so a weak identifier (email, phone, handle, account) that would join them is *shared* (a
household phone, a joint account) and links neither. It becomes a person of its own, and the
conflict is reported. Manual overrides win over the rules: a detached identifier links nothing,
customer ids merged by hand never clash, and a manual merge joins two people whatever the rules say.

Everything here is vectorised over arrays of node numbers; the only Python loop is over the
reported conflicts, which are few.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass
class IdentityGraph:
    """Node numbers run from 0 to ``size - 1``; nodes no record carries are ignored."""

    size: int
    is_id: Bools  # per node: a customer id (the only strong kind)
    present: Bools  # per node: carried by at least one record or profile
    edges: Ints  # (E, 2): identifiers carried together by a record
    id_sources: Ints  # (K, 2): (customer-id node, source number), one row per source it appears in
    detached: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # manual splits
    merges: Ints = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))  # manual merges


@dataclass(frozen=True)
class Conflict:
    shared: Ints  # the weak identifiers that would have joined different customers
    customers: Ints  # the customer-id nodes they sit beside


@dataclass
class Clustering:
    labels: Ints  # per node: person number (0..people-1), -1 for nodes no record carries
    people: int
    contested: Bools  # per node: shared by customers who stay apart
    conflicts: list[Conflict]


def components(size: int, a: Ints, b: Ints) -> Ints:
    """Connected-component label of every node, for undirected edges a[i]–b[i]."""
    # Duplicate edges are summed into one entry: int32 cannot overflow back to "no edge".
    graph = coo_matrix((np.ones(a.size, dtype=np.int32), (a, b)), shape=(size, size)).tocsr()
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def _groups_with_two_ids(group: Ints, source: Ints, node: Ints) -> Ints:
    """The group labels in which two different customer ids share a source."""
    if group.size == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((node, source, group))
    g, s, x = group[order], source[order], node[order]
    clash = (g[1:] == g[:-1]) & (s[1:] == s[:-1]) & (x[1:] != x[:-1])
    return np.unique(g[1:][clash])


def _with_sources(node_ids: Ints, id_sources: Ints) -> tuple[Ints, Ints]:
    """For each entry of ``node_ids`` (customer ids), one row per source it appears in:
    (index into node_ids, source number)."""
    order = np.argsort(id_sources[:, 0], kind="stable")
    keys, values = id_sources[order, 0], id_sources[order, 1]
    lo = np.searchsorted(keys, node_ids, side="left")
    counts = np.searchsorted(keys, node_ids, side="right") - lo
    index = np.repeat(np.arange(node_ids.size), counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return index, values[np.repeat(lo, counts) + offsets]


def _mask(size: int, nodes: Ints) -> Bools:
    mask = np.zeros(size, dtype=bool)
    mask[nodes] = True
    return mask


def cluster(graph: IdentityGraph) -> Clustering:
    size = graph.size
    merges = graph.merges.reshape(-1, 2)
    # Customer ids merged by hand count as one customer: they never clash. Merges name any
    # identifiers (an email of one, a person's anchor), so which ids they join is known only once
    # people are formed: a first pass forms them, a second applies the merged ids.
    customer = components(size, merges[:, 0], merges[:, 1])
    labels, contested, groups = _cluster_once(graph, customer)
    if merges.size:
        joined = _apply_merges(merges, graph.present, labels)
        if _groups_with_two_ids(joined[graph.id_sources[:, 0]], graph.id_sources[:, 1], graph.id_sources[:, 0]).size:
            labels, contested, groups = _cluster_once(graph, joined)
        labels = _apply_merges(merges, graph.present, labels)
    present = graph.present
    final = np.full(size, -1, dtype=np.int64)
    people_found, final_present = np.unique(labels[present], return_inverse=True)
    final[present] = final_present
    conflicts = [Conflict(shared, customers) for shared, customers in groups]
    return Clustering(final, int(people_found.size), contested & present, conflicts)


def _cluster_once(graph: IdentityGraph, customer: Ints) -> tuple[Ints, Bools, list[tuple[Ints, Ints]]]:
    """Labels (components, with clashing ones separated), the shared identifiers and the
    conflicts, before manual merges. ``customer``: ids with one value are one customer."""
    size, is_id = graph.size, graph.is_id
    a, b = graph.edges[:, 0], graph.edges[:, 1]
    detached = _mask(size, graph.detached)
    # A detached identifier links nothing. Two ids never sit on one record (a record carries one
    # customer id), so an id–id edge would be malformed input: it is ignored too.
    keep = ~(detached[a] | detached[b]) & ~(is_id[a] & is_id[b])
    a, b = a[keep], b[keep]
    comp = components(size, a, b)
    ids = graph.id_sources
    clashing = _groups_with_two_ids(comp[ids[:, 0]], ids[:, 1], customer[ids[:, 0]])
    if not clashing.size:
        return comp, np.zeros(size, dtype=bool), []
    in_clash = np.isin(comp, clashing)
    inside = in_clash[a]  # both ends share a component
    labels, contested, groups = _separate(graph, a[inside], b[inside], in_clash, customer)
    return np.where(in_clash, labels + size, comp), contested, groups


def _separate(
    graph: IdentityGraph, a: Ints, b: Ints, in_clash: Bools, customer: Ints
) -> tuple[Ints, Bools, list[tuple[Ints, Ints]]]:
    """Labels for the nodes of clashing components, with the shared identifiers set apart.

    1. A weak identifier carried beside two ids of one source is shared.
    2. Without those, weak identifiers still joined to clashing ids through other weak
       identifiers (e.g. an email on one record and a phone on another) are shared as a group.
    3. Should two ids of one source still meet through an id of another source, every weak
       group between two ids of that tangle is shared: nothing is merged on doubtful evidence."""
    size, is_id = graph.size, graph.is_id
    id_weak = is_id[a] ^ is_id[b]
    x = np.where(is_id[a], a, b)[id_weak]  # the id end
    w = np.where(is_id[a], b, a)[id_weak]  # the weak end
    weak_weak = ~is_id[a] & ~is_id[b]
    wa, wb = a[weak_weak], b[weak_weak]
    contested = np.zeros(size, dtype=bool)

    index, source = _with_sources(x, graph.id_sources)
    contested[_groups_with_two_ids(w[index], source, customer[x[index]])] = True

    for step in (2, 3):
        open_ww = ~(contested[wa] | contested[wb])
        weak_groups = components(size, wa[open_ww], wb[open_ww])
        open_iw = ~contested[w]
        xo, wo = x[open_iw], w[open_iw]
        index, source = _with_sources(xo, graph.id_sources)
        if step == 2:  # weak groups beside two ids of one source
            bad_groups = _groups_with_two_ids(weak_groups[wo[index]], source, customer[xo[index]])
        else:  # in each tangle still joining two ids of one source, every weak group between two ids
            joined = components(size, np.concatenate([xo, wa[open_ww]]), np.concatenate([wo, wb[open_ww]]))
            tangles = _groups_with_two_ids(joined[xo[index]], source, customer[xo[index]])
            in_tangle = np.isin(joined[wo], tangles)
            pairs = np.unique(np.stack([weak_groups[wo[in_tangle]], customer[xo[in_tangle]]], axis=1), axis=0)
            between = pairs[1:, 0][pairs[1:, 0] == pairs[:-1, 0]]
            bad_groups = np.unique(between)
        if bad_groups.size == 0:
            continue
        contested |= np.isin(weak_groups, bad_groups) & in_clash & ~is_id

    # Shared identifiers stay together (a household's phone and email), apart from everyone else.
    open_ww = ~(contested[wa] | contested[wb])
    both_shared = contested[wa] & contested[wb]
    open_iw = ~contested[w]
    final = components(
        size,
        np.concatenate([wa[open_ww], wa[both_shared], x[open_iw]]),
        np.concatenate([wb[open_ww], wb[both_shared], w[open_iw]]),
    )
    groups: list[tuple[Ints, Ints]] = []
    shared_nodes = np.flatnonzero(contested)
    if shared_nodes.size:
        # Which customers each shared group sits beside: edges sorted by the group of their weak end.
        beside = contested[w]
        edge_group, edge_customer = final[w[beside]], x[beside]
        order = np.argsort(edge_group, kind="stable")
        edge_group, edge_customer = edge_group[order], edge_customer[order]
        shared_nodes = shared_nodes[np.argsort(final[shared_nodes], kind="stable")]
        starts = np.flatnonzero(np.r_[True, np.diff(final[shared_nodes]) != 0])
        for members in np.split(shared_nodes, starts[1:]):
            label = final[members[0]]
            lo, hi = np.searchsorted(edge_group, [label, label + 1])
            groups.append((members, np.unique(edge_customer[lo:hi])))
    return final, contested, groups


def _apply_merges(pairs: Ints, present: Bools, labels: Ints) -> Ints:
    """Join the people of each manual merge (one naming a node no record carries is inactive)."""
    if pairs.size == 0:
        return labels
    pairs = pairs[present[pairs[:, 0]] & present[pairs[:, 1]]]
    la, lb = labels[pairs[:, 0]], labels[pairs[:, 1]]
    if not np.any(la != lb):
        return labels
    joined = components(int(labels.max()) + 1, la, lb)
    return joined[labels]
