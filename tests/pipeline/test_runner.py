"""The incremental runner over a real warehouse, with toy stages."""

from __future__ import annotations

from pathlib import Path

import pytest

from signalroom.ingest.loader import Loader
from signalroom.pipeline.base import AnalysisBatch, PassThrough, Stage, pipeline_hash
from signalroom.pipeline.runner import Analyzer
from signalroom.store import Store
from support import interaction, rows, write_jsonl


class TurnCount(Stage):
    name = "turn_count"

    def __init__(self, *, scale: int = 1) -> None:
        self.scale = scale

    def process(self, batch: AnalysisBatch) -> None:
        for view in batch.views:
            batch.put(
                self.name, view, {"turns": len(view.turns) * self.scale, "before": [e.type for e in view.events_before]}
            )
            if not view.customer_turns():
                batch.flag(view, "no customer turns")


class Broken(Stage):
    name = "broken"

    def process(self, batch: AnalysisBatch) -> None:
        raise RuntimeError("stage failed")


def load(store: Store, tmp_path: Path, records: list) -> None:
    Loader(store).ingest([write_jsonl(tmp_path / "in.jsonl", records)], fmt="jsonl", source="s")


def results(store: Store) -> dict[str, str]:
    return dict(rows(store, "SELECT id, result FROM stage_results ORDER BY id"))


def test_only_new_or_changed_interactions_are_analysed(store: Store, tmp_path: Path) -> None:
    load(store, tmp_path, [interaction("a"), interaction("b")])
    first = Analyzer(store, [TurnCount()]).run()
    assert (first.status, first.interactions) == ("completed", 2)
    assert Analyzer(store, [TurnCount()]).run().interactions == 0
    load(
        store,
        tmp_path,
        [interaction("a", turns=[{"speaker": "customer", "text": "only one"}]), interaction("b"), interaction("c")],
    )
    again = Analyzer(store, [TurnCount()]).run()
    assert again.interactions == 2  # a changed, c is new
    assert results(store) == {
        "a": '{"turns":1,"before":[]}',
        "b": '{"turns":3,"before":[]}',
        "c": '{"turns":3,"before":[]}',
    }
    assert Analyzer(store, [TurnCount()]).run(full=True).interactions == 3


def test_other_parameters_mean_a_new_analysis_recorded_with_the_run(store: Store, tmp_path: Path) -> None:
    load(store, tmp_path, [interaction("a")])
    Analyzer(store, [TurnCount()]).run()
    summary = Analyzer(store, [TurnCount(scale=10)]).run()
    assert summary.interactions == 1
    assert results(store) == {"a": '{"turns":30,"before":[]}'}
    [(stages, digest)] = rows(store, "SELECT stages, pipeline_hash FROM analysis_runs WHERE run_id = 2")
    assert stages == '[{"name":"turn_count","version":"1","params":{"scale":10}}]'
    assert digest == pipeline_hash([TurnCount(scale=10)]) != pipeline_hash([TurnCount()])
    assert rows(store, "SELECT run_id, pipeline_hash FROM interaction_analysis") == [(2, digest)]


def test_flags_and_journey_events_before(store: Store, tmp_path: Path) -> None:
    agent_only = interaction("quiet", turns=[{"speaker": "agent", "text": "Hello?"}])
    load(
        store,
        tmp_path,
        [
            interaction("a", customer={"id": "cus-1", "email": "ann@example.com"}),
            agent_only,
            {
                "kind": "event",
                "customer": {"email": "ann@example.com"},
                "at": "2026-03-02T07:50:00Z",
                "type": "password_reset_failed",
            },
            {"kind": "event", "customer": {"id": "cus-1"}, "at": "2026-03-01T06:00:00Z", "type": "too_early"},
            {"kind": "event", "customer": {"id": "cus-1"}, "at": "2026-03-02T09:00:00Z", "type": "after_the_call"},
        ],
    )
    summary = Analyzer(store, [TurnCount()]).run()
    assert (summary.flagged, dict(summary.flags)) == (1, {"no customer turns": 1})
    assert rows(store, "SELECT id, flags FROM interaction_analysis ORDER BY id") == [
        ("a", []),
        ("quiet", ["no customer turns"]),
    ]
    assert results(store)["a"] == '{"turns":3,"before":["password_reset_failed"]}'


def test_a_failing_stage_fails_the_run_and_keeps_earlier_batches(store: Store, tmp_path: Path) -> None:
    load(store, tmp_path, [interaction("a")])
    with pytest.raises(RuntimeError, match="stage failed"):
        Analyzer(store, [TurnCount(), Broken()]).run()
    assert rows(store, "SELECT status, error FROM analysis_runs") == [("failed", "RuntimeError: stage failed")]
    assert rows(store, "SELECT count(*) FROM interaction_analysis") == [(0,)]


def test_pass_through_skips_a_stage_and_says_so(store: Store, tmp_path: Path) -> None:
    load(store, tmp_path, [interaction("a")])
    summary = Analyzer(store, [PassThrough(replaces="turn_count")]).run()
    assert summary.stages == [{"name": "skip", "version": "1", "params": {"replaces": "turn_count"}}]
    assert rows(store, "SELECT count(*) FROM stage_results") == [(0,)]


def test_worker_processes_give_the_same_results(store: Store, tmp_path: Path) -> None:
    load(
        store,
        tmp_path,
        [interaction(f"c-{i}", turns=[{"speaker": "customer", "text": "x " * i}]) for i in range(1, 40)],
    )
    Analyzer(store, [TurnCount(scale=3)], batch_size=7, workers=1).run()
    alone = results(store)
    summary = Analyzer(store, [TurnCount(scale=3)], batch_size=7, workers=2).run(full=True)
    assert summary.interactions == 39 and summary.status == "completed"
    assert results(store) == alone
    assert rows(store, "SELECT count(*) FROM interaction_analysis WHERE run_id = ?", [summary.run_id]) == [(39,)]
