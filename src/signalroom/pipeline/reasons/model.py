"""``ReasonModel``: discover contact reasons (and sub-reasons) from customer-purpose embeddings.

Method (see docs/reasons.md): normalise → PCA (64 d) → each distinct one of at most
``max_tree_points`` sampled texts averaged with its ``smooth_neighbours`` nearest neighbours → Ward tree → cut the
tree where the mean coherence (cosine to centroid) reaches ``coherence``, or, by default, at the
level in ``coherence_range`` where the reasons are best separated (silhouette) → two spherical
k-means rounds over all texts on their own vectors (groups under ``min_topic_size`` dissolve into
their neighbours) → texts less similar to their sub-reason than the ``outlier_quantile`` of all
members are outliers (-1) and the same similarity is the "unexplained" threshold of
:meth:`ReasonModel.assign`. Each reason is re-clustered (Ward tree on its texts' own vectors) at
``sub_coherence`` into sub-reasons. Labels come from c-TF-IDF key phrases. With ``previous=`` the new reasons are
matched to the old by centroid similarity (Hungarian) and keep their ids and user names.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from signalroom.pipeline.reasons import edits
from signalroom.pipeline.reasons.cluster import F32, I64, WardTree, cluster, group_sums, nearest, normalise, refine
from signalroom.pipeline.reasons.labels import keywords, label_from
from signalroom.pipeline.reasons.topics import Assignment, Topic, match_ids, micro_centroids

FORMAT = "signalroom.reasons/1"
# The cut level depends on the embedding space. None: chosen per data set (silhouette) within
# ``coherence_range`` (MiniLM); a number fixes it: on static (model2vec) vectors, which sit closer
# together, the silhouette sometimes prefers a far too coarse cut, so the fast tier uses a fixed
# level (both calibrated on dev data, docs/reasons.md).
COHERENCE_BY_TIER: dict[str, float | None] = {"quality": None, "fast": 0.84}
DEFAULT_RANGE = (0.70, 0.96)


class ReasonModel:
    # Learned state (set by fit / from_dict).
    topics_: dict[int, Topic]
    sub_topics_: dict[int, Topic]
    labels_: I64  # per fitted text: reason id, -1 = outlier
    sub_labels_: I64
    unexplained_threshold_: float
    typical_similarity_: float
    coherence_: float  # the cut level used (chosen or given)
    next_id_: int
    n_features_in_: int

    def __init__(
        self,
        *,
        coherence: float | None = None,
        coherence_range: tuple[float, float] | list[float] = DEFAULT_RANGE,
        smooth_neighbours: int = 6,
        sub_coherence: float = 0.86,
        min_topic_size: int = 3,
        reduce_dims: int = 64,
        max_tree_points: int = 6000,
        refine_rounds: int = 2,
        outlier_quantile: float = 0.01,
        match_similarity: float = 0.80,
        n_examples: int = 3,
        n_prototypes: int = 12,
        max_label_docs: int = 30000,
        random_state: int = 0,
        blas_threads: int | None = 1,
    ) -> None:
        self.coherence = None if coherence is None else float(coherence)
        lo, hi = coherence_range
        if not 0.0 < float(lo) <= float(hi) < 1.0:
            raise ValueError(f"coherence_range must satisfy 0 < lo <= hi < 1, got {coherence_range}")
        self.coherence_range = (float(lo), float(hi))
        self.smooth_neighbours = smooth_neighbours
        self.sub_coherence = sub_coherence
        self.min_topic_size = min_topic_size
        self.reduce_dims = reduce_dims
        self.max_tree_points = max_tree_points
        self.refine_rounds = refine_rounds
        self.outlier_quantile = outlier_quantile
        self.match_similarity = match_similarity
        self.n_examples = n_examples
        self.n_prototypes = n_prototypes
        self.max_label_docs = max_label_docs
        self.random_state = random_state
        self.blas_threads = blas_threads

    def get_params(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    # ---------------------------------------------------------------- fit
    def fit(
        self, texts: list[str], embeddings: NDArray[np.floating], *, previous: ReasonModel | None = None
    ) -> ReasonModel:
        # Many BLAS threads on a few busy cores make small eigen/matrix steps 100x slower.
        with threadpool_limits(limits=self.blas_threads, user_api="blas"):
            return self._fit(texts, normalise(embeddings), previous)

    def _fit(self, texts: list[str], x: F32, previous: ReasonModel | None) -> ReasonModel:
        if len(texts) != len(x):
            raise ValueError(f"{len(texts)} texts but {len(x)} embeddings")
        if len(x) == 0:
            raise ValueError("cannot fit on no texts")
        labels, cents, sizes, basis, self.coherence_ = cluster(
            x, self.coherence, self.coherence_range, self.reduce_dims, self.max_tree_points, self.refine_rounds,
            self.min_topic_size, self.random_state, self.smooth_neighbours,
        )  # fmt: skip
        order = np.argsort(-sizes, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        labels, cents, sizes = rank[labels], cents[order], sizes[order]
        sims = np.einsum("ij,ij->i", x, cents[labels])
        k = len(cents)
        keys = self._keywords(texts, labels, k)
        topics: list[Topic] = []
        for t in range(k):
            members = np.flatnonzero(labels == t)
            top = members[np.argsort(-sims[members])[: self.n_examples]]
            protos, psizes = micro_centroids(x[members], self.n_prototypes, self.random_state + t)
            topics.append(Topic(
                id=t, name=label_from(keys[t]), keywords=keys[t], size=int(sizes[t]),
                examples=[texts[i] for i in top], centroid=cents[t], prototypes=protos, prototype_sizes=psizes,
            ))  # fmt: skip
        subs, sub_labels = self._sub_reasons(texts, x, labels, topics, basis)
        # Assignment goes to the nearest sub-reason (so merged or split reasons stay well described):
        # calibrate "unexplained" on the fitted texts' similarity to their own sub-reason.
        sims = np.einsum("ij,ij->i", x, np.stack([s.centroid for s in subs])[sub_labels])
        # Leave-one-out: a text's similarity to its sub-reason's centre without itself, as a new text sees it.
        left_out = group_sums(x, sub_labels, len(subs))[sub_labels] - x
        norms = np.linalg.norm(left_out, axis=1)
        loo = np.einsum("ij,ij->i", x, left_out)[norms > 1e-6] / norms[norms > 1e-6]
        calib = loo if len(loo) else sims
        self.unexplained_threshold_ = float(np.quantile(calib, self.outlier_quantile)) if len(x) > 1 else 0.0
        self.typical_similarity_ = float(np.median(calib))
        self._number(topics, subs, previous)
        ids = np.array([t.id for t in topics], dtype=np.int64)
        sub_ids = np.array([s.id for s in subs], dtype=np.int64)
        out = sims < self.unexplained_threshold_
        self.labels_ = np.where(out, -1, ids[labels])
        self.sub_labels_ = np.where(out, -1, sub_ids[sub_labels])
        self.topics_ = {t.id: t for t in sorted(topics, key=lambda t: t.id)}
        self.sub_topics_ = {s.id: s for s in sorted(subs, key=lambda s: s.id)}
        self.n_features_in_ = int(x.shape[1])
        return self

    def _keywords(self, texts: list[str], labels: I64, k: int) -> list[list[tuple[str, float]]]:
        idx = np.arange(len(texts))
        if len(idx) > self.max_label_docs:
            idx = np.sort(np.random.default_rng(self.random_state).choice(len(idx), self.max_label_docs, replace=False))
        return keywords([texts[i] for i in idx], labels[idx], k)

    def _sub_reasons(
        self, texts: list[str], x: F32, labels: I64, topics: list[Topic], basis: tuple[F32, F32]
    ) -> tuple[list[Topic], I64]:
        """Re-cluster each reason at ``sub_coherence``; every reason gets at least one sub-reason."""
        mean, comps = basis
        sub_labels = np.zeros(len(x), dtype=np.int64)
        owner: list[int] = []
        cents: list[F32] = []
        sizes: list[int] = []
        cap = min(self.max_tree_points, 2000)
        for t, topic in enumerate(topics):
            members = np.flatnonzero(labels == t)
            xm = x[members]
            if len(members) >= 2 * self.min_topic_size:
                tree = (
                    members[:cap]
                    if len(members) <= cap
                    else np.sort(np.random.default_rng(self.random_state + t).choice(members, cap, replace=False))
                )
                xt = x[tree]
                cut = WardTree(xt, (xt - mean) @ comps.T).cut(self.sub_coherence)
                c0 = refine(xt, cut, int(cut.max()) + 1, 1, self.min_topic_size)[1]
                lab, _ = nearest(xm, c0)
                lab, c, s = refine(xm, lab, len(c0), 1, self.min_topic_size)
            else:
                lab, c, s = np.zeros(len(members), dtype=np.int64), topic.centroid[None, :], np.array([len(members)])
            sub_labels[members] = lab + len(cents)
            for j in range(len(c)):
                owner.append(t)
                cents.append(c[j])
                sizes.append(int(s[j]))
        sims = np.einsum("ij,ij->i", x, np.stack(cents)[sub_labels])
        keys = self._keywords(texts, sub_labels, len(cents))
        subs: list[Topic] = []
        for j, c in enumerate(cents):
            members = np.flatnonzero(sub_labels == j)
            top = members[np.argsort(-sims[members])[: self.n_examples]]
            subs.append(Topic(
                id=j, name=label_from(keys[j]), keywords=keys[j], size=sizes[j],
                examples=[texts[i] for i in top], centroid=c, parent=owner[j],
            ))  # fmt: skip
        return subs, sub_labels

    def _number(self, topics: list[Topic], subs: list[Topic], previous: ReasonModel | None) -> None:
        """Final ids: matched to ``previous`` where it exists, else fresh ones (reasons first)."""
        next_id: int = previous.next_id_ if previous is not None else 0
        matched: dict[int, Topic] = {}
        if previous is not None:
            old = list(previous.topics_.values())
            pairs = match_ids(np.stack([t.centroid for t in topics]), np.stack([o.centroid for o in old]),
                              self.match_similarity)  # fmt: skip
            matched = {i: old[j] for i, j in pairs.items()}
        for i, topic in enumerate(topics):
            if i in matched:
                topic.id = matched[i].id
                if matched[i].renamed:
                    topic.name, topic.renamed = matched[i].name, True
            else:
                topic.id, next_id = next_id, next_id + 1
        for i, topic in enumerate(topics):
            mine = [s for s in subs if s.parent == i]
            old_subs = [previous.sub_topics_[c] for c in matched[i].children] if i in matched and previous else []
            pairs = match_ids(np.stack([s.centroid for s in mine]), np.stack([o.centroid for o in old_subs]),
                              self.match_similarity) if old_subs else {}  # fmt: skip
            for j, sub in enumerate(mine):
                if j in pairs:
                    sub.id = old_subs[pairs[j]].id
                    if old_subs[pairs[j]].renamed:
                        sub.name, sub.renamed = old_subs[pairs[j]].name, True
                else:
                    sub.id, next_id = next_id, next_id + 1
            for sub in mine:
                sub.parent = topic.id
            topic.children = sorted(s.id for s in mine)
        self.next_id_ = next_id

    # ---------------------------------------------------------------- use
    def assign(self, texts: list[str], embeddings: NDArray[np.floating]) -> list[Assignment]:
        """Assign new texts to the fitted (and edited) reasons through their nearest sub-reason;
        below the calibrated similarity a text is unexplained."""
        x = normalise(embeddings)
        if len(texts) != len(x):
            raise ValueError(f"{len(texts)} texts but {len(x)} embeddings")
        subs = [s for s in self.sub_topics_.values() if s.parent in self.topics_]
        tids = list(self.topics_)
        col = {t: i for i, t in enumerate(tids)}
        sims = x @ np.stack([s.centroid for s in subs]).T
        per_topic = np.full((len(x), len(tids)), -1.0, dtype=np.float32)
        for j, s in enumerate(subs):
            c = col[s.parent] if s.parent is not None else 0
            per_topic[:, c] = np.maximum(per_topic[:, c], sims[:, j])
        best = sims.argmax(axis=1)
        top = sims[np.arange(len(x)), best]
        share = 1.0 / np.exp((per_topic - top[:, None]) / 0.05).sum(axis=1)
        span = max(self.typical_similarity_ - self.unexplained_threshold_, 1e-6)
        closeness = np.clip((top - self.unexplained_threshold_) / span, 0.0, 1.0)
        out: list[Assignment] = []
        for n in range(len(x)):
            if top[n] < self.unexplained_threshold_:
                out.append(Assignment(-1, -1, 0.0, True, float(top[n])))
            else:
                sub = subs[int(best[n])]
                conf = round(float(share[n] * closeness[n]), 4)
                out.append(Assignment(int(sub.parent or 0), sub.id, conf, False, float(top[n])))
        return out

    def _topic(self, topic_id: int) -> Topic:
        if topic_id in self.topics_:
            return self.topics_[topic_id]
        if topic_id in self.sub_topics_:
            return self.sub_topics_[topic_id]
        raise KeyError(f"no reason or sub-reason with id {topic_id}")

    def topic_info(self) -> list[dict[str, Any]]:
        """Reasons with their sub-reasons, largest first: id, name, size, keywords, examples."""
        rows = []
        for t in sorted(self.topics_.values(), key=lambda t: -t.size):
            subs = [self.sub_topics_[c] for c in t.children]
            rows.append({
                "id": t.id, "name": t.name, "size": t.size, "keywords": [k for k, _ in t.keywords[:5]],
                "examples": t.examples,
                "sub_reasons": [{"id": s.id, "name": s.name, "size": s.size, "examples": s.examples[:1]}
                                for s in sorted(subs, key=lambda s: -s.size)],
            })  # fmt: skip
        return rows

    # ---------------------------------------------------------------- edits
    def rename(self, topic_id: int, name: str) -> None:
        edits.rename(self, topic_id, name)

    def merge(self, topic_ids: list[int]) -> int:
        return edits.merge(self, topic_ids)

    def split(self, topic_id: int, n: int) -> list[int]:
        return edits.split(self, topic_id, n)

    # ---------------------------------------------------------------- (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "params": self.get_params(),
            "unexplained_threshold": self.unexplained_threshold_,
            "typical_similarity": self.typical_similarity_,
            "coherence": self.coherence_,
            "next_id": self.next_id_,
            "n_features_in": self.n_features_in_,
            "topics": [t.to_dict() for t in self.topics_.values()],
            "sub_topics": [t.to_dict() for t in self.sub_topics_.values()],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReasonModel:
        if d.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} document: format={d.get('format')!r}")
        model = cls(**d["params"])
        model.unexplained_threshold_ = float(d["unexplained_threshold"])
        model.typical_similarity_ = float(d["typical_similarity"])
        model.coherence_ = float(d.get("coherence", d["params"].get("coherence") or float("nan")))
        model.next_id_ = int(d["next_id"])
        model.n_features_in_ = int(d["n_features_in"])
        model.topics_ = {t.id: t for t in map(Topic.from_dict, d["topics"])}
        model.sub_topics_ = {t.id: t for t in map(Topic.from_dict, d["sub_topics"])}
        return model

    @classmethod
    def from_json(cls, text: str) -> ReasonModel:
        return cls.from_dict(json.loads(text))
