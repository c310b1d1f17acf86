"""Outcome metrics: exact values on a hand-made warehouse (tests/journeys/outcome_fixtures.py,
worked out by hand below), the contract every registered metric keeps, bad input, and the demo
month against the generator's truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from journeys import outcome_truth
from journeys.outcome_fixtures import build_warehouse
from signalroom.cli.app import app
from signalroom.journeys.episodes import build_episodes
from signalroom.journeys.metrics import METRICS, MetricsConfig, MetricsError, compute_metrics, metric_value
from signalroom.store import Store
from signalroom.store.outcome_metrics import UNIT_GROUPINGS
from support import REPO

runner = CliRunner()

# (numerator, denominator) of every metric on the fixture, with --churn-days 3. Contacts whose
# 7-day window has ended (started by 03-18 10:00): a1 a2 a3 (b1+b2) (b3+b4) c1 c2 e1 e2 — d1 is not.
EXPECTED: dict[str, tuple[float, float]] = {
    # followed by another contact ≤ 7 days: a1→a2, a2→a3 (5 d), b1→b3, c1→c2, e1→e2
    "repeat_contact_rate": (5, 9),
    # with a reason (not c1, e1): a1→a2 (r1), b1→b3 (r3)
    "same_reason_repeat_rate": (2, 7),
    # not unresolved and no same-reason repeat: a2, a3, b3 (its last leg b4 resolved), c2, e2
    "first_contact_resolution": (5, 7),
    # another reason ≤ 7 days: a1→a3 (exactly 7 days: included), a2→a3
    "next_issue_rate": (2, 7),
    # assisted = not bot: 9 interactions, b3 transferred
    "transfer_rate": (1, 9),
    "escalation_rate": (1, 12),  # b1
    # live assisted with a duration: a1 600 a2 300 a3 400 b2 200 b3 120 b4 500 d1 300 (c2 is email; e2 unmeasured)
    "average_handle_time_s": (2420, 7),
    "average_hold_s": (60 + 0 + 30 + 0 + 90, 5),
    "silence_pct": (30 + 40 + 0 + 50 + 30, 600 + 400 + 120 + 500 + 300),
    "first_response_time_s": (20 + 40 + 3600, 3),
    "csat": (2, 3),  # 2, 5, 4
    "csat_mean": (11, 3),
    "nps": (2 - 1, 3),  # 9 and 10 promote, 3 detracts
    "ces_mean": (2 + 5, 2),
    # bot-first: b1 (handed off), c1 (c2 comes 48 h later: contained), e1 (e2 within 24 h)
    "bot_containment_rate": (1, 3),
    # ev1 → c1, ev3 (otp_error) → b3; ev2 nothing; ev4's 24 h not ended
    "self_service_failure_contact_rate": (2, 3),
    "churn_rate": (1, 10),  # d1 → account_closed a day later; every contact's 3 days have ended
}
VALUES = {
    "average_handle_time_s": 345.714286,
    "silence_pct": 7.8125,
    "nps": 33.333333,
    "ces_mean": 3.5,
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = build_warehouse(tmp_path_factory.mktemp("metrics"))
    with Store.open(db) as store:
        build_episodes(store)
    return db


def _metrics(db: Path, *args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["metrics", "--db", str(db), "--json", *args])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_every_metric_exactly(warehouse: Path) -> None:
    report = _metrics(warehouse, "--churn-days", "3")
    found = {m["name"]: (m["numerator"], m["denominator"]) for m in report["metrics"]}
    assert found == EXPECTED
    values = {m["name"]: m["value"] for m in report["metrics"]}
    for name, expected in VALUES.items():
        assert values[name] == pytest.approx(expected)
    assert values["repeat_contact_rate"] == pytest.approx(5 / 9, abs=1e-6)
    assert report["observed_until"].startswith("2026-03-25T10:00")
    assert report["flags"] == []


def test_open_windows_leave_a_metric_empty_with_a_reason(warehouse: Path) -> None:
    report = _metrics(warehouse)  # churn within 30 days: no contact's 30 days have ended
    churn = next(m for m in report["metrics"] if m["name"] == "churn_rate")
    assert churn == {"name": "churn_rate", "value": None, "numerator": 0, "denominator": 0, "unit": "share"}
    assert any(f.startswith("churn_rate: nothing to measure") for f in report["flags"])


def test_window_days(warehouse: Path) -> None:
    found = {
        m["name"]: (m["numerator"], m["denominator"]) for m in _metrics(warehouse, "--window-days", "1")["metrics"]
    }
    # Within a day only e1 → e2 (10 h); d1 is now in (its day has ended).
    assert found["repeat_contact_rate"] == (1, 10)
    assert found["same_reason_repeat_rate"] == (0, 8)


def test_by_channel_and_reason(warehouse: Path) -> None:
    report = _metrics(warehouse, "--by", "channel", "--churn-days", "3")
    by = {(g["key"], m["name"]): (m["numerator"], m["denominator"]) for g in report["groups"] for m in g["metrics"]}
    # Contacts count under the channel they came in by: b1+b2 is a bot contact.
    assert by["voice", "repeat_contact_rate"] == (1, 4)  # a1 yes; a3, b3, e2 no (d1 still open)
    assert by["bot", "repeat_contact_rate"] == (3, 3)
    assert by["chat", "repeat_contact_rate"] == (1, 1)
    assert by["email", "repeat_contact_rate"] == (0, 1)
    assert by["web", "self_service_failure_contact_rate"] == (2, 2)
    assert by["app", "self_service_failure_contact_rate"] == (0, 1)
    assert ("web", "repeat_contact_rate") not in by
    reasons = _metrics(warehouse, "--by", "reason", "--metric", "first_contact_resolution")
    fcr = {g["key"]: g["metrics"][0]["value"] for g in reasons["groups"]}
    # r1: a1 no, a2 yes (d1 still open); r2: a3 c2 e2; r3: b1 no, b3 yes; no reason: not measured
    assert fcr == {1: 0.5, 2: 1.0, 3: 0.5, None: None}
    assert [g["group"] for g in reasons["groups"]] == ["1", "2", "3", "(none)"]  # no reason model: ids


@pytest.mark.parametrize("by", ["channel", "reason", "queue", "team", "agent", "day", "week"])
def test_groups_add_up_to_the_total(warehouse: Path, by: str) -> None:
    report = _metrics(warehouse, "--by", by, "--churn-days", "3")
    total = {m["name"]: m for m in report["metrics"]}
    for name, definition in METRICS.items():
        if by not in UNIT_GROUPINGS[definition.unit]:
            continue
        parts = [m for g in report["groups"] for m in g["metrics"] if m["name"] == name]
        # Records without the grouping value (a contact without a reason…) form a group of their own.
        assert sum(m["denominator"] for m in parts) == pytest.approx(total[name]["denominator"]), name


def test_from_to_limit_the_contacts_measured_not_their_follow_ups(warehouse: Path) -> None:
    report = _metrics(warehouse, "--from", "2026-03-04", "--to", "2026-03-06", "--metric", "repeat_contact_rate")
    # b3 (no), c1 (c2 on 03-07, outside the period, still counts), e1 (yes), e2 (no)
    assert report["metrics"][0]["numerator"] == 2 and report["metrics"][0]["denominator"] == 4


# -- the common filters ----------------------------------------------------------------------------

FILTERED = {"channel": "--channel", "reason": "--reason", "queue": "--queue", "team": "--team", "agent": "--agent"}


@pytest.mark.parametrize("dimension", list(FILTERED))
def test_a_filter_gives_its_group_of_the_breakdown(warehouse: Path, dimension: str) -> None:
    """metrics --channel chat == the chat row of metrics --by channel, for every dimension and value."""
    breakdown = _metrics(warehouse, "--by", dimension, "--churn-days", "3")
    keys = [g["key"] for g in breakdown["groups"] if g["key"] is not None]
    assert len(keys) >= 2
    for key in keys:
        group = next(g for g in breakdown["groups"] if g["key"] == key)
        expected = {m["name"]: m for m in group["metrics"]}
        report = _metrics(warehouse, FILTERED[dimension], str(key), "--churn-days", "3")
        assert report["filters"] == {name: (key if name == dimension else None) for name in FILTERED}
        for m in report["metrics"]:
            if m["name"] in expected:
                assert m == expected[m["name"]], (dimension, key, m["name"])
            else:  # no record of the unit has the value (events have no reason, queue, team or agent)
                assert (m["value"], m["numerator"], m["denominator"]) == (None, 0, 0), (dimension, key, m["name"])
        if dimension != "channel":
            assert any(f.startswith(f"nothing to measure with the {dimension} filter") for f in report["flags"])


def test_filters_keep_the_definitions_and_combine(warehouse: Path) -> None:
    # a2 (chat) is followed by a3 (voice) 5 days later: a repeat in any channel still counts.
    chat = _metrics(warehouse, "--channel", "chat", "--metric", "repeat_contact_rate")["metrics"][0]
    assert (chat["numerator"], chat["denominator"]) == (1, 1)
    # a1 → a2 is about the same reason in another channel and by another agent.
    same = _metrics(warehouse, "--agent", "ag-7", "--metric", "same_reason_repeat_rate")["metrics"][0]
    assert (same["numerator"], same["denominator"]) == (1, 4)  # a1 yes; a3 c2 e2 no (d1 still open)
    both = _metrics(warehouse, "--channel", "voice", "--team", "Cards", "--by", "reason",
                    "--metric", "repeat_contact_rate")  # fmt: skip
    assert (both["metrics"][0]["numerator"], both["metrics"][0]["denominator"]) == (1, 3)  # a1 yes; a3 e2 no
    assert {g["key"] for g in both["groups"]} == {1, 2}
    with Store.open(warehouse, read_only=True) as store:
        nothing = compute_metrics(store, MetricsConfig(queue="nowhere", metrics=("repeat_contact_rate",)))
    assert nothing.total[0].denominator == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--channel", "fax"], "--channel 'fax' is not a channel"),
        (["--reason", "99"], "--reason 99 is not a known reason id"),
        (["--reason", "x"], "Invalid value for '--reason'"),
        (["--queue", " "], "--queue must not be empty"),
    ],
)
def test_bad_filters_are_a_clear_error(warehouse: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["metrics", "--db", str(warehouse), *args])
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "colour"], "cannot group by 'colour'"),
        (["--from", "2026-03-10", "--to", "2026-03-01"], "is after --to"),
        (["--from", "10/03/2026"], "is not a date"),
        (["--to", "2026-02-30"], "is not a date"),
        (["--window-days", "0"], "at least 1"),
        (["--metric", "happiness"], "unknown metric"),
    ],
)
def test_bad_input_is_a_clear_error(warehouse: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["metrics", "--db", str(warehouse), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_the_table(warehouse: Path) -> None:
    result = runner.invoke(app, ["metrics", "--db", str(warehouse), "--by", "week"])
    assert result.exit_code == 0, result.output
    assert "repeat_contact_rate" in result.stdout and "55.6%" in result.stdout and "2026-03-02" in result.stdout


def test_stale_episodes_are_flagged(tmp_path: Path) -> None:
    db = build_warehouse(tmp_path)  # episodes never built
    with Store.open(db, read_only=True) as store:
        report = compute_metrics(store, MetricsConfig())
    assert any("never built" in f for f in report.flags)


def test_config_is_validated() -> None:
    with pytest.raises(MetricsError):
        MetricsConfig(by="month")
    assert metric_value("rate", 1, 0) is None
    assert metric_value("score", -1, 4) == -25.0


# -- the contract of every registered metric ----------------------------------------------------

DOCS = (REPO / "docs" / "metrics.md").read_text()


@pytest.mark.parametrize("name", list(METRICS))
def test_metric_contract(warehouse: Path, name: str) -> None:
    definition = METRICS[name]
    assert definition.name == name and definition.description and definition.formula and definition.excluded
    assert f"`{name}`" in DOCS.split("## Outcome metrics", 1)[1], f"{name} is not documented in docs/metrics.md"
    with Store.open(warehouse, read_only=True) as store:
        for by in (None, *UNIT_GROUPINGS[definition.unit]):
            report = compute_metrics(store, MetricsConfig(by=by, churn_days=3, metrics=(name,)))
            values = [*report.total, *(m for g in report.groups for m in g.metrics)]
            assert report.total[0].denominator > 0
            for v in values:
                assert v.name == name and v.denominator is not None and v.denominator >= 0
                if definition.kind == "rate":
                    assert 0 <= v.numerator <= v.denominator  # type: ignore[operator]
                    assert v.value is None or 0 <= v.value <= 1
                if definition.kind == "score":
                    assert v.value is None or -100 <= v.value <= 100


def test_an_empty_warehouse_measures_nothing(tmp_path: Path) -> None:
    with Store.open(tmp_path / "empty.duckdb") as store:
        build_episodes(store)
        report = compute_metrics(store, MetricsConfig(by="day"))
    assert all(m.value is None and m.denominator == 0 for m in report.total)
    assert report.groups == ()


# -- the demo month ------------------------------------------------------------------------------


def test_demo_month_against_the_truth(tmp_path: Path) -> None:
    from signalroom.demo import DemoConfig, generate
    from signalroom.ingest.loader import Loader

    out = tmp_path / "demo"
    generate(DemoConfig(out=out))
    with Store.open(tmp_path / "w.duckdb") as store:
        Loader(store).ingest([out], fmt="jsonl", source="demo")
        build_episodes(store)
        report = compute_metrics(store, MetricsConfig(metrics=("repeat_contact_rate", "bot_containment_rate")))
        persons = dict(store.connection.execute("SELECT id, person_id FROM interaction_persons").fetchall())
    measured = {m.name: m for m in report.total}
    lines, until = outcome_truth.load(out)
    # With the people identity resolution found, the truth's own calculation gives exactly the metric.
    as_found = [{**x, "customer_id": persons[x["interaction_id"]]} for x in lines]
    hits, contacts = outcome_truth.repeat_contact_rate(as_found, until)
    assert (measured["repeat_contact_rate"].numerator, measured["repeat_contact_rate"].denominator) == (hits, contacts)
    # Against the true customers: lower by what identity resolution cannot link (docs/metrics.md).
    hits, contacts = outcome_truth.repeat_contact_rate(lines, until)
    truth = hits / contacts
    value = measured["repeat_contact_rate"].value
    assert value is not None and truth - 0.08 <= value <= truth
    hits, sessions = outcome_truth.bot_containment(lines, until)
    contained = measured["bot_containment_rate"]
    assert contained.denominator == sessions
    assert contained.value is not None and abs(contained.value - hits / sessions) <= 0.02
