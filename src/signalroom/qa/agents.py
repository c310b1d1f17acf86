"""Agent consistency (docs/qa.md#agent-consistency): for every agent and criterion, how often the
agent fails it against what their peers' failure rates on the same contact reasons predict
(indirect standardisation: expected = Σ over reasons of the agent's answers × the peers' rate for
that reason). An exact Poisson test of observed against expected, Benjamini–Hochberg across every
agent and criterion tested; negative outliers need coaching, positive ones are exemplars."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from signalroom.journeys.driver_stats import benjamini_hochberg
from signalroom.store import qa as qa_store
from signalroom.store.warehouse import Store


@dataclass(frozen=True)
class AgentFinding:
    agent_id: str
    team: str | None
    scorecard_id: str
    criterion_id: str
    answers: int  # applicable answers (pass or fail)
    failures: int
    expected: float  # failures expected at the peers' rates on the same reasons
    ratio: float | None  # failures / expected
    ratio_ci: tuple[float, float | None]
    fail_rate: float
    peer_rate: float  # the peers' rate over the same mix of reasons
    p_value: float
    q_value: float
    finding: str  # coaching | exemplar | in line
    examples: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ratio_ci"] = list(self.ratio_ci)
        d["examples"] = list(self.examples)
        return d


def _poisson_cis(observed: np.ndarray, expected: np.ndarray) -> list[tuple[float, float | None]]:
    """Exact (Garwood) 95% intervals of observed / expected, all at once (scipy's distributions are
    slow called one value at a time)."""
    lower = np.where(observed > 0, stats.chi2.ppf(0.025, 2 * np.maximum(observed, 1)) / 2, 0.0)
    upper = stats.chi2.ppf(0.975, 2 * (observed + 1)) / 2
    return [
        (round(float(lo) / e, 4), round(float(hi) / e, 4)) if e > 0 else (0.0, None)
        for lo, hi, e in zip(lower, upper, expected, strict=True)
    ]


def _two_sided_p(observed: np.ndarray, expected: np.ndarray) -> list[float]:
    """Exact two-sided Poisson test of observed against expected, per pair."""
    safe = np.where(expected > 0, expected, 1.0)
    tails = np.minimum(stats.poisson.sf(observed - 1, safe), stats.poisson.cdf(observed, safe))
    return [
        min(1.0, 2 * float(t)) if e > 0 else (1.0 if o == 0 else 0.0)
        for o, e, t in zip(observed, expected, tails, strict=True)
    ]


def agent_consistency(
    store: Store, *, min_answers: int = 20, alpha: float = 0.05, examples: int = 3
) -> list[AgentFinding]:
    rows = qa_store.agent_answer_counts(store)
    totals: dict[tuple[str, str, int | None], tuple[int, int]] = {}
    for _agent, _team, card, criterion, reason, n, f in rows:
        key = (card, criterion, reason)
        tn, tf = totals.get(key, (0, 0))
        totals[key] = (tn + n, tf + f)
    per_agent: dict[tuple[str, str, str], dict[str, Any]] = {}
    for agent, team, card, criterion, reason, n, f in rows:
        entry = per_agent.setdefault((agent, card, criterion), {"team": team, "n": 0, "f": 0, "expected": 0.0})
        tn, tf = totals[(card, criterion, reason)]
        peers_n, peers_f = tn - n, tf - f
        # Without peers on this reason, the agent's own answers there say nothing about them.
        if peers_n <= 0:
            continue
        entry["n"] += n
        entry["f"] += f
        entry["expected"] += n * peers_f / peers_n
    tested = [(k, v) for k, v in per_agent.items() if v["n"] >= min_answers]
    observed = np.array([v["f"] for _, v in tested], dtype=np.int64)
    expected = np.array([v["expected"] for _, v in tested], dtype=np.float64)
    p_values = _two_sided_p(observed, expected)
    intervals = _poisson_cis(observed, expected)
    findings = []
    for ((agent, card, criterion), v), p, q, ci in zip(
        tested, p_values, benjamini_hochberg(p_values), intervals, strict=True
    ):
        o, e, n = v["f"], v["expected"], v["n"]
        finding = "in line" if q >= alpha else ("coaching" if o > e else "exemplar")
        shown: tuple[str, ...] = ()
        if finding != "in line" and examples:
            value = "fail" if finding == "coaching" else "pass"
            shown = tuple(qa_store.agent_examples(store, agent, card, criterion, value, examples))
        findings.append(
            AgentFinding(
                agent_id=agent, team=v["team"], scorecard_id=card, criterion_id=criterion, answers=n, failures=o,
                expected=round(e, 3), ratio=round(o / e, 4) if e > 0 else None, ratio_ci=ci,
                fail_rate=round(o / n, 4), peer_rate=round(e / n, 4), p_value=p, q_value=q, finding=finding,
                examples=shown,
            )
        )  # fmt: skip
    order = {"coaching": 0, "exemplar": 1, "in line": 2}
    return sorted(findings, key=lambda f: (order[f.finding], f.q_value, f.agent_id, f.criterion_id))
