"""The ranked list (docs/signals.md#the-ranked-list): merging findings about one phenomenon, minimum
support, scoring, routing; and backtest scoring against known incidents."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from signalroom.actions.routing import default_rules_text, parse_rules
from signalroom.signals.backtest import BacktestError, evaluate, load_incidents
from signalroom.signals.model import Finding
from signalroom.signals.needs import Needs
from signalroom.signals.rank import RankConfig, merge, rank
from signalroom.store import Store

NEEDS = Needs(of_reason={1: 1, 2: 1, 3: 3}, members={1: [1, 2], 3: [3]},
              labels={1: "mobile app (+1 related reason)", 3: "refund"})  # fmt: skip
NAMES = {1: "mobile app", 2: "log in app", 3: "refund"}
RULES = parse_rules(default_rules_text())


def finding(detector: str, subject: str, day: int, **kw: object) -> Finding:
    return Finding(detector=detector, subject=subject, first_detected=date(2026, 3, day),  # type: ignore[arg-type]
                   last_detected=date(2026, 3, kw.pop("last", day)), p_value=kw.pop("p", 1e-6), **kw)  # type: ignore[arg-type]  # fmt: skip


def test_findings_about_one_need_are_one_signal_with_the_largest_numbers_not_sums() -> None:
    found = [
        finding("volume", "mobile app (+1 related reason)", 19, need=1, reasons=(1, 2), support=60,
                customers=55, extra_contacts=40.0, evidence=["d/1", "d/2"], series=[{"day": "2026-03-19"}]),
        finding("negative_sentiment", "mobile app (+1 related reason)", 20, need=1, support=30, customers=30,
                evidence=["d/2", "d/3"], p=1e-3),
        finding("phrase", "since the update", 18, need=1, phrase="since the update", support=45, customers=44,
                extra_contacts=35.0, evidence=["d/4"]),
    ]  # fmt: skip
    [signal] = merge(found, NEEDS, NAMES)
    assert signal.fingerprint == "need:mobile app" and signal.kind == "need" and signal.reasons == [1, 2]
    assert signal.detectors == ["volume", "negative_sentiment", "phrase"]
    assert signal.first_detected == date(2026, 3, 18) and signal.last_detected == date(2026, 3, 20)
    assert (signal.support, signal.customers, signal.extra_contacts) == (60, 55, 40.0)
    assert signal.evidence == ["d/1", "d/2", "d/4", "d/3"]  # strongest findings' first, no repeats
    assert signal.series == [{"day": "2026-03-19"}]  # the volume detector's, to chart contacts
    assert signal.phrases == ["since the update"]


def test_findings_about_no_need_join_when_they_share_evidence_and_stand_alone_otherwise() -> None:
    found = [
        finding("phrase", "7.4.0", 18, phrase="7.4.0", support=20, evidence=["d/1", "d/2"]),
        finding("new_cluster", "version crash", 19, support=25, evidence=["d/2", "d/9"]),
        finding("phrase", "fee letter", 21, phrase="fee letter", support=12, evidence=["d/7"]),
    ]
    signals = merge(found, NEEDS, NAMES)
    assert [(s.kind, s.title, s.detectors) for s in signals] == [
        ("phrase", "7.4.0", ["phrase", "new_cluster"]),
        ("phrase", "fee letter", ["phrase"]),
    ]


def test_minimum_support_score_order_and_route() -> None:
    found = [
        finding("volume", "mobile app", 19, need=1, support=60, extra_contacts=40.0),
        finding("driver", "refund drives repeat contact", 31, need=3, support=136, extra_repeat_contacts=44.0),
        finding("phrase", "fee letter", 21, phrase="fee letter", support=5, extra_contacts=5.0),  # too few
        finding("advisor", "customers confused by the fee letter", 22, support=3),  # 3 flags, no machine finding
        finding("advisor", "one person's hunch", 22, support=1),
    ]
    ranked = rank(merge(found, NEEDS, NAMES), RULES, NAMES, RankConfig(min_support=8, min_flags=2))
    assert [(s.rank, s.title, s.score) for s in ranked] == [
        (1, "refund", 44.0),
        (2, "mobile app (+1 related reason)", 40.0),
        (3, "customers confused by the fee letter", 3.0),
    ]
    assert [(s.route.owner_function, s.route.rule) for s in ranked if s.route] == [
        ("policy", "fees-and-policy"), ("product", "app-and-website"), ("marketing", "offers-and-campaigns"),
    ]  # fmt: skip
    assert ranked[0].to_dict(cost_per_contact=4.5)["cost"] == 198.0


def test_advisors_flags_matched_to_a_need_add_to_its_support_and_score() -> None:
    found = [
        finding("volume", "mobile app", 19, need=1, support=60, extra_contacts=40.0),
        finding("advisor", "app broken since update", 20, need=1, support=4),
    ]
    [signal] = rank(merge(found, NEEDS, NAMES), RULES, NAMES, RankConfig())
    assert (signal.support, signal.advisor_flags, signal.score) == (64, 4, 44.0)


@pytest.mark.parametrize("bad", [{"min_support": 0}, {"min_flags": 0}, {"cost_per_contact": -1.0}])
def test_bad_rank_config(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"minimum|cost"):
        RankConfig(**bad)  # type: ignore[arg-type]


def test_a_finding_needs_a_known_detector_and_ordered_days() -> None:
    with pytest.raises(ValueError, match="unknown detector 'vibes'"):
        finding("vibes", "x", 3)
    with pytest.raises(ValueError, match="last detected 2026-03-02 before first 2026-03-03"):
        finding("volume", "x", 3, last=2)
    again = finding("phrase", "x", 3, phrase="x", reasons=(1,), measure={"a": 1})
    assert Finding.from_dict(again.to_dict()) == again


def test_backtest_delays_and_false_alarms(tmp_path: Path) -> None:
    incidents = tmp_path / "incidents.yaml"
    incidents.write_text(
        "incidents:\n  - {name: app update, onset: 2026-03-18, words: [app, '7.4.0']}\n"
        "  - {name: campaign, onset: 2026-03-08, words: [unlimited]}\n"
    )
    found = [
        finding("volume", "mobile app", 19, need=1, support=60),
        finding("phrase", "7.4.0", 18, phrase="7.4.0", support=20, evidence=["x/1"]),
        finding("volume", "refund", 12, need=3, support=20),
    ]
    report = evaluate(merge(found, NEEDS, NAMES), load_incidents(incidents))
    assert [(r.incident.name, r.delay_days) for r in report.incidents] == [("app update", 0), ("campaign", None)]
    assert report.false_alarms == [("refund", date(2026, 3, 12))]
    assert "campaign (onset 2026-03-08): NOT detected" in report.text()
    assert "false alarms: 1" in report.text()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("incidents: []\n", "line 1: incidents: Tuple should have at least 1 item"),
        ("incidents:\n  - {name: x, onset: soon, words: [a]}\n", "line 2: incidents[0].onset"),
        ("incidents:\n  - {name: x, onset: 2026-03-01}\n", "incidents[0].words: Field required"),
        ("[1]\n", "line 1: a mapping with a list of `incidents`"),
    ],
)
def test_bad_incidents_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "i.yaml"
    path.write_text(text)
    with pytest.raises(BacktestError, match=r"i\.yaml: ") as err:
        load_incidents(path)
    assert message in str(err.value)
    with pytest.raises(BacktestError, match="cannot read"):
        load_incidents(tmp_path / "missing.yaml")


def test_a_detector_the_data_cannot_feed_is_left_out_with_a_note(store: Store) -> None:
    """Nothing analysed: the cluster detector has no embeddings; the others still run."""
    from signalroom.signals.detect import DetectConfig, SignalsError, find

    config = DetectConfig(detectors=("volume", "new_cluster"))
    notes: list[str] = []
    assert find(store, NEEDS, start=date(2026, 3, 1), end=date(2026, 3, 2), config=config, notes=notes) == []
    assert len(notes) == 1 and notes[0].startswith("new_cluster: ")
    with pytest.raises(SignalsError):  # without a place for notes, the failure is the caller's
        find(store, NEEDS, start=date(2026, 3, 1), end=date(2026, 3, 2), config=config)
