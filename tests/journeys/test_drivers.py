"""Outcome drivers: the statistics against published values, exact counts on the hand-made
warehouse (tests/journeys/outcome_fixtures.py), the overlap rule, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from journeys.outcome_fixtures import build_warehouse
from signalroom.cli.app import app
from signalroom.journeys import driver_stats as st
from signalroom.journeys.drivers import FAMILIES, OUTCOMES, DriversConfig, DriversError, find_drivers
from signalroom.journeys.episodes import build_episodes
from signalroom.store import Store
from signalroom.store import drivers as sql
from signalroom.store.outcome_metrics import observed_until

runner = CliRunner()


# -- statistics -----------------------------------------------------------------------------------


def test_wilson_and_newcombe_match_newcombes_worked_examples() -> None:
    # Newcombe (1998), Statistics in Medicine 17: 81/263 → 0.2553–0.3662; 56/70 − 48/80 → 0.0524–0.3339.
    lo, hi = st.wilson(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)
    lo, hi = st.newcombe(56, 70, 48, 80)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)
    assert st.wilson(0, 0) == (0.0, 1.0)


def test_two_proportion_p_uses_fisher_for_small_counts_and_z_otherwise() -> None:
    # Fisher's tea-tasting table: two-sided p = 0.4857.
    assert round(st.two_proportion_p(3, 4, 1, 4), 4) == 0.4857
    # 60/100 vs 40/100: pooled z = 2.828, p = 0.00468.
    assert round(st.two_proportion_p(60, 100, 40, 100), 5) == 0.00468
    assert st.two_proportion_p(1, 0, 1, 10) == 1.0


def test_benjamini_hochberg_q_values() -> None:
    q = st.benjamini_hochberg([0.01, 0.04, 0.03, 0.2])
    assert [round(v, 4) for v in q] == [0.04, 0.0533, 0.0533, 0.2]
    assert st.benjamini_hochberg([]) == []


def test_bernoulli_llr_scores_excess_only() -> None:
    llr = st.bernoulli_llr(np.array([30.0, 5.0, 10.0]), np.array([50.0, 50.0, 100.0]), 45.0, 200.0)
    assert llr[0] > 0  # 60% inside vs 10% outside
    assert llr[1] == 0  # 10% inside vs 27% outside: lower, not scanned
    assert llr[2] == 0


def test_tree_scan_finds_the_planted_branch_and_adjusts_for_every_node() -> None:
    # Leaves 0–1 share a high rate; a node over both must beat either leaf alone.
    leaf_n = np.array([100.0, 100.0, 100.0, 100.0])
    leaf_y = np.array([45.0, 40.0, 10.0, 12.0])
    nodes = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 1, 0, 0], [0, 0, 1, 1]], float)
    llr, p = st.tree_scan(leaf_n, leaf_y, nodes, 400, 107, permutations=199, seed=1)
    assert int(np.argmax(llr)) == 4
    assert p[4] == pytest.approx(1 / 200)
    assert p[2] == 1.0 and p[3] == 1.0  # below the rest: no excess
    # A world without a planted branch: nothing is significant.
    flat_y = np.array([25.0, 27.0, 26.0, 24.0])
    _, p_flat = st.tree_scan(leaf_n, flat_y, nodes, 400, 102, permutations=199, seed=1)
    assert p_flat.min() > 0.05


# -- the warehouse --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = build_warehouse(tmp_path_factory.mktemp("drivers"))
    with Store.open(db) as store:
        build_episodes(store)
    return db


def test_candidate_counts_on_the_hand_made_warehouse(built: Path) -> None:
    with Store.open(built, read_only=True) as store:
        params = sql.OutcomeParams(observed_until=observed_until(store))
        outcome = sql.outcomes(params)["unresolved"]
        units, hits, counts = sql.count_candidates(store, outcome, sql.families(params))
    # Ten contacts, all with a resolution: a1 (unresolved) a2 a3 (b1+b2) (b3+b4) c1 c2 d1 e1 e2.
    assert (units, hits) == (10, 1)
    got = {(c.family, c.value): (c.units, c.hits) for c in counts}
    # Channel of the first interaction: voice a1 a3 b3 d1 e2, bot b1 c1 e1, chat a2, email c2.
    assert got[("channel", "voice")] == (5, 1)
    assert got[("channel", "bot")] == (3, 0)
    assert got[("channel", "chat")] == (1, 0)
    assert got[("channel", "email")] == (1, 0)
    # Reasons of the contacts: r1 a1 a2 d1, r2 a3 c2 e2, r3 (b1+b2) (b3+b4); c1 and e1 have none.
    assert got[("reason", "1")] == (3, 1)
    assert got[("reason", "2")] == (3, 0)
    assert got[("reason", "3")] == (2, 0)
    # The b3 chain was transferred, the b1 chain escalated (the bot handed off); ending unresolved
    # and negative are the outcome and what follows from it, so they are not candidates here.
    assert got[("handling", "transferred")] == (1, 0)
    assert got[("handling", "escalated")] == (1, 0)
    assert ("handling", "unresolved") not in got and ("handling", "negative_end") not in got
    # Failed self-service ≤ 24 h before: login_failed (web) before c1, otp_error (web) before b3.
    assert got[("prior_failure", "login_failed (web)")] == (1, 0)
    assert got[("prior_failure", "otp_error (web)")] == (1, 0)


def test_self_service_events_carry_their_next_contact(built: Path) -> None:
    with Store.open(built, read_only=True) as store:
        rows = dict(
            store.connection.execute(
                "SELECT id, strftime(next_contact_at AT TIME ZONE 'UTC', '%d %H:%M') FROM self_service_events"
            ).fetchall()
        )
        failed = {r[0] for r in store.connection.execute("SELECT id FROM failed_events").fetchall()}
    assert rows["ev1"] == "05 12:00"  # c1
    assert rows["ev3"] == "04 09:00"  # b3
    assert rows["ev6"] == "03 10:00"  # a2, the next contact after a payment on the 2nd
    assert rows["ev2"] is None and rows["ev7"] is None
    assert failed == {"ev1", "ev2", "ev3", "ev4"}


def test_too_small_a_warehouse_ranks_nothing_and_says_why(built: Path) -> None:
    with Store.open(built, read_only=True) as store:
        report = find_drivers(store, DriversConfig(outcome="unresolved"))
    assert report.units == 10 and report.outcomes == 1
    assert report.drivers == ()
    assert report.tested == 0  # every candidate is under the 30 units tested


def test_unended_windows_are_flagged(built: Path) -> None:
    with Store.open(built, read_only=True) as store:
        report = find_drivers(store, DriversConfig(outcome="churn", churn_days=300))
    assert report.units == 0
    assert any("window" in f for f in report.flags)


def _routed(db: Path) -> None:
    """3000 contacts over ten reasons; reasons 0 and 1 are routed to queue billing, the rest to
    q0–q3 (teams t0 and t1 alternate); reason 0 ends unresolved 60% of the time, the rest 20%."""
    rng = np.random.default_rng(3)
    with Store.open(db) as store:
        con = store.connection
        rows = []
        for k in range(3000):
            reason = k % 10
            queue = "billing" if reason in (0, 1) else f"q{k % 4}"
            rate = 0.6 if reason == 0 else 0.2
            rows.append((f"c{k}", reason, queue, f"t{k % 2}", bool(rng.random() >= rate)))
        con.executemany(
            "INSERT INTO contacts (contact_source, contact_id, person_id, topic_id, episode_id, started_at, "
            "local_date, channel, queue, agent_team, resolved, interactions, inbound, self_service_only) "
            "VALUES ('s', ?, 1, ?, 1, TIMESTAMPTZ '2026-03-02 10:00:00+00', DATE '2026-03-02', 'voice', ?, ?, ?, "
            "1, TRUE, FALSE)",
            rows,
        )
        con.execute("INSERT INTO episode_builds VALUES (now(), [], [], 7, 3000, 3000, 1, NULL, NULL, 0.1)")


def test_overlapping_drivers_are_shown_under_the_more_specific_one(tmp_path: Path) -> None:
    """A reason routed to one queue: the queue's excess is the reason's, so it is listed under it."""
    db = tmp_path / "w.duckdb"
    _routed(db)
    with Store.open(db, read_only=True) as store:
        report = find_drivers(store, DriversConfig(outcome="unresolved", families=("reason", "queue")))
    first = report.drivers[0]
    assert first.family == "reason" and first.value == "0"
    assert "queue billing" in first.explains
    assert [d.label for d in report.drivers].count("queue billing") == 0
    assert 0.6 * 0.9 < first.rate < 0.6 * 1.1
    # Its share beyond baseline: (outcomes − units × the others' rate) / all outcomes.
    expected = (first.outcomes - first.units * first.baseline) / report.outcomes
    assert first.share_beyond == pytest.approx(expected, abs=1e-6)
    lo, hi = first.share_beyond_ci
    assert lo < first.share_beyond < hi


# -- the common filters ----------------------------------------------------------------------------


def test_a_queue_filter_ranks_within_the_queue_without_the_queue_family(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _routed(db)
    with Store.open(db, read_only=True) as store:
        params = sql.OutcomeParams(observed_until=observed_until(store))
        _, _, counts = sql.count_candidates(store, sql.outcomes(params)["unresolved"], sql.families(params))
        billing = next((c.units, c.hits) for c in counts if (c.family, c.value) == ("queue", "billing"))
        report = find_drivers(store, DriversConfig(outcome="unresolved", queue="billing"))
        team = find_drivers(store, DriversConfig(outcome="unresolved", team="t1", families=("reason", "queue")))
    # The population is the queue's contacts: its counts in the unfiltered run.
    assert (report.units, report.outcomes) == billing == (600, report.outcomes)
    assert report.drivers and {d.family for d in report.drivers} == {"reason"}
    assert report.drivers[0].value == "0"  # 60% against reason 1's 20%, in the queue
    assert "not a candidate, filtered to one value: queue" in report.flags
    assert report.to_dict()["config"]["queue"] == "billing"
    assert team.units == 1500 and "team" not in {d.family for d in team.drivers}


def test_filters_on_the_hand_made_warehouse(built: Path) -> None:
    with Store.open(built, read_only=True) as store:
        # Unresolved contacts: a1 is the one; voice contacts a1 a3 b3 d1 e2.
        voice = find_drivers(store, DriversConfig(outcome="unresolved", channel="voice"))
        reason = find_drivers(store, DriversConfig(outcome="unresolved", reason=1))
        agent = find_drivers(store, DriversConfig(outcome="repeat_contact", agent="ag-7"))
        web = find_drivers(store, DriversConfig(outcome="contact", channel="web"))
        with pytest.raises(DriversError, match="--reason 99 is not a known reason id"):
            find_drivers(store, DriversConfig(outcome="unresolved", reason=99))
    assert (voice.units, voice.outcomes) == (5, 1)
    assert (reason.units, reason.outcomes) == (3, 1)  # a1 a2 d1
    # Repeat contact of ag-7's contacts (a1 a3 c2 e2; d1's window is open): a1 → a2 by another agent counts.
    assert (agent.units, agent.outcomes) == (4, 1)
    # Web events whose 24 h have ended: ev1 ev3 ev6 followed by a contact, ev5 not (ev2 is in the app).
    assert (web.unit, web.units, web.outcomes) == ("event", 4, 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "contact", "queue": "cards"}, "--queue cannot filter the contact outcome"),
        ({"outcome": "unresolved", "channel": "web"}, "--channel 'web' is not a channel"),
        ({"outcome": "contact", "channel": "voice"}, "--channel 'voice' is not a channel"),
        ({"outcome": "unresolved", "team": ""}, "--team must not be empty"),
    ],
)
def test_bad_filters_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DriversError, match=message):
        DriversConfig(**kwargs)  # type: ignore[arg-type]


def test_cli_filters(built: Path) -> None:
    args = ["drivers", "--outcome", "unresolved", "--db", str(built)]
    result = runner.invoke(app, [*args, "--channel", "voice", "--queue", "cards", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["units"], data["config"]["channel"], data["config"]["queue"]) == (4, "voice", "cards")  # a1 a3 d1 e2
    result = runner.invoke(app, [*args, "--reason", "99"])
    assert result.exit_code == 2 and "--reason 99 is not a known reason id" in result.output
    result = runner.invoke(app, ["drivers", "--outcome", "contact", "--team", "Cards", "--db", str(built)])
    assert result.exit_code == 2 and "--team cannot filter the contact outcome" in result.output


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "happiness"}, "unknown outcome 'happiness'"),
        ({"outcome": "churn", "families": ("reason", "mood")}, "unknown family mood"),
        ({"outcome": "churn", "min_units": 0}, "--min-units must be at least 1"),
        ({"outcome": "churn", "alpha": 1.5}, "--alpha must be between 0 and 1"),
        ({"outcome": "low_csat", "low_csat_max": 5}, "--low-csat-max must be 1 to 4"),
    ],
)
def test_bad_configuration_is_refused_with_what_is_wrong(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DriversError, match=message):
        DriversConfig(**kwargs)  # type: ignore[arg-type]


def test_every_outcome_and_family_is_registered() -> None:
    assert OUTCOMES == (
        "repeat_contact", "unresolved", "negative_end", "low_csat", "churn", "transfer", "next_issue", "contact"
    )  # fmt: skip
    assert set(FAMILIES) >= {"reason", "sub_reason", "prior_failure", "path", "queue", "attribute", "handling"}


def test_cli_refuses_bad_input_and_unbuilt_episodes(tmp_path: Path, built: Path) -> None:
    result = runner.invoke(app, ["drivers", "--outcome", "happiness", "--db", str(built)])
    assert result.exit_code == 2 and "unknown outcome 'happiness'" in result.output
    result = runner.invoke(app, ["drivers", "--outcome", "churn", "--from", "2026-03-09", "--to", "2026-03-01",
                                 "--db", str(built)])  # fmt: skip
    assert result.exit_code == 2 and "--from 2026-03-09 is after --to 2026-03-01" in result.output
    result = runner.invoke(app, ["drivers", "--outcome", "churn", "--from", "March", "--db", str(built)])
    assert result.exit_code == 2 and "--from 'March' is not a date" in result.output
    empty = tmp_path / "empty.duckdb"
    Store.open(empty).close()
    result = runner.invoke(app, ["drivers", "--outcome", "unresolved", "--db", str(empty)])
    assert result.exit_code == 2 and "episodes were never built" in result.output


def test_cli_json_has_the_documented_keys(built: Path) -> None:
    result = runner.invoke(app, ["drivers", "--outcome", "repeat_contact", "--db", str(built), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == [
        "outcome", "description", "unit", "units", "outcomes", "rate", "tested", "significant", "drivers", "text",
        "config", "flags", "definitions",
    ]  # fmt: skip
    assert data["outcome"] == "repeat_contact" and data["unit"] == "contact"
    assert data["units"] == 9 and data["outcomes"] == 5  # as repeat_contact_rate in test_metrics.py
