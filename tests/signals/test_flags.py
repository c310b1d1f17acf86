"""Advisors' signals: recording a flag (validation, the webhook event), grouping similar flags,
matching groups to machine-detected signals, the findings they become, and the two commands; on a
real warehouse with a few ingested interactions and the fast embedding tier."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
import typer
from typer.testing import CliRunner

from signalroom.cli.flags import flag_command, flags_command
from signalroom.ingest.loader import Loader
from signalroom.pipeline.embed import Embedder, make_embedder
from signalroom.signals.flags import (
    MAX_TEXT,
    FlagConfig,
    FlagError,
    FlagGroup,
    SignalCandidate,
    add_flag,
    candidate,
    flag_findings,
    flag_vectors,
    group_flags,
    match_groups,
    review_flags,
)
from signalroom.signals.needs import Needs
from signalroom.store import Store
from signalroom.store import flags as flag_store
from signalroom.store.flags import Flag
from support import count, interaction, rows, write_jsonl

FEE = "customers confused by the new fee letter"
FEE_2 = "lots of people asking what the new charges letter means"
FEE_3 = "callers do not understand the fee letter we sent"
APP = "app crashes after update"
APP_2 = "customers say the app crashes since the latest update"

# interaction → (customer, reason): t/c-1 and t/c-2 are one customer; t/c-6 was never analysed.
CONTACTS = {
    "c-1": ("cus-1", 10),
    "c-2": ("cus-1", 10),
    "c-3": ("cus-3", 10),
    "c-4": ("cus-4", 20),
    "c-5": ("cus-5", 20),
    "c-6": ("cus-6", None),
}


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return make_embedder("fast")


@pytest.fixture
def warehouse(store: Store, tmp_path: Path) -> Store:
    records = [
        interaction(ident, customer={"id": cus, "phone": f"+4477009001{n:02d}"})
        for n, (ident, (cus, _)) in enumerate(CONTACTS.items())
    ]
    Loader(store, resolve_identities=True).ingest([write_jsonl(tmp_path / "i.jsonl", records)], fmt="jsonl", source="t")
    # The reasons an analysis would have given them (the pipeline itself is tested elsewhere).
    store.connection.executemany(
        "INSERT INTO interaction_reasons VALUES ('t', ?, 1, 'discovered', ?, NULL, 0.9, false, 1)",
        [[ident, reason] for ident, (_, reason) in CONTACTS.items() if reason is not None],
    )
    return store


def _flag(flag_id: int, text: str, interaction: str | None = None, reason: int | None = None, **kw: Any) -> Flag:
    return Flag(
        flag_id=flag_id, advisor=kw.get("advisor", "ann"), text=text, interaction=interaction,
        created_at=kw.get("created_at", datetime(2026, 3, 10, 9, tzinfo=UTC)), reason=reason,
    )  # fmt: skip


def _group_texts(groups: list[FlagGroup]) -> list[set[str]]:
    return [{f.text for f in g.flags} for g in groups]


# -- recording a flag ------------------------------------------------------------------------


def test_a_flag_is_stored_with_its_interaction_and_that_interactions_reason(warehouse: Store) -> None:
    first = add_flag(
        warehouse, advisor=" ann ", text="  customers   confused by\nthe new fee letter ", interaction="t/c-1"
    )
    second = add_flag(warehouse, advisor="bob", text=APP, interaction=None)
    assert second == first + 1
    stored = flag_store.list_flags(warehouse)
    assert [(f.flag_id, f.advisor, f.text, f.interaction, f.reason) for f in stored] == [
        (first, "ann", FEE, "t/c-1", 10),
        (second, "bob", APP, None, None),
    ]
    assert [f.flag_id for f in flag_store.list_flags(warehouse, advisor="bob")] == [second]
    today = stored[0].day
    assert len(flag_store.list_flags(warehouse, since=today)) == 2
    assert flag_store.list_flags(warehouse, since=date(today.year + 1, 1, 1)) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "   "}, "the flag's text is empty"),
        ({"text": "x" * (MAX_TEXT + 1)}, f"at most {MAX_TEXT}"),
        ({"advisor": " "}, "the advisor is empty"),
        ({"interaction": "c-1"}, "interaction reference 'c-1' is not SOURCE/ID"),
        ({"interaction": "/c-1"}, "interaction reference '/c-1' is not SOURCE/ID"),
        ({"interaction": "t/"}, "interaction reference 't/' is not SOURCE/ID"),
        ({"interaction": "t/c-99"}, "interaction t/c-99 is not in the warehouse"),
        ({"interaction": "other/c-1"}, "interaction other/c-1 is not in the warehouse"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_is_stored(
    warehouse: Store, kwargs: dict[str, Any], message: str
) -> None:
    warehouse.connection.execute(
        "INSERT INTO webhook_subscriptions VALUES (1, 'http://127.0.0.1:9/h', 's', ['*'], true, now())"
    )
    args = {"advisor": "ann", "text": FEE, "interaction": "t/c-1", **kwargs}
    with pytest.raises(FlagError, match=message):
        add_flag(warehouse, **args)
    assert count(warehouse, "advisor_flags") == 0
    assert count(warehouse, "webhook_events") == 0  # the announcement rolled back with the flag


def test_a_flag_is_announced_to_subscribers_in_its_own_transaction(warehouse: Store) -> None:
    add_flag(warehouse, advisor="ann", text=FEE, interaction="t/c-1")
    assert count(warehouse, "webhook_events") == 0  # nobody subscribes: nothing to deliver
    warehouse.connection.execute(
        "INSERT INTO webhook_subscriptions VALUES (1, 'http://127.0.0.1:9/h', 's', ['flag.created'], true, now()), "
        "(2, 'http://127.0.0.1:9/other', 's', ['signal.created'], true, now())"
    )
    flag_id = add_flag(warehouse, advisor="bob", text=APP, interaction="t/c-4")
    [(event_type, payload)] = rows(warehouse, "SELECT event_type, payload FROM webhook_events")
    data = orjson.loads(payload)  # the event's data; the dispatcher adds the envelope
    assert event_type == "flag.created"
    assert {k: data[k] for k in ("flag_id", "advisor", "text", "interaction")} == {
        "flag_id": flag_id, "advisor": "bob", "text": APP, "interaction": "t/c-4",
    }  # fmt: skip
    assert rows(warehouse, "SELECT subscription_id, status FROM webhook_deliveries") == [(1, "pending")]


# -- grouping --------------------------------------------------------------------------------


def test_paraphrases_are_grouped_and_unrelated_flags_kept_apart(embedder: Embedder) -> None:
    flags = [_flag(1, APP), _flag(2, FEE), _flag(3, FEE_2), _flag(4, APP_2), _flag(5, FEE_3)]
    groups = group_flags(flags, flag_vectors(flags, embedder), {}, FlagConfig())
    assert _group_texts(groups) == [{FEE, FEE_2, FEE_3}, {APP, APP_2}]
    fee, app = groups
    assert (fee.group_id, app.group_id) == (2, 1)  # the smallest flag id: stable while a group grows
    # The closest to the centre: FEE is the most similar to both others (0.48 and 0.66 on the fast tier).
    assert fee.representative.text == FEE
    assert float(np.linalg.norm(fee.centre)) == pytest.approx(1.0, abs=1e-5)


def test_a_shared_need_pulls_moderately_similar_flags_together_but_not_unrelated_ones() -> None:
    # Hand-made unit vectors: flags 1 and 2 at cosine 0.3 (under the 0.4 threshold), 3 at 0.05.
    vectors = np.array([[1.0, 0.0, 0.0], [0.3, np.sqrt(1 - 0.3**2), 0.0], [0.05, 0.0, np.sqrt(1 - 0.05**2)]])
    flags = [_flag(1, "a", "t/c-1"), _flag(2, "b", "t/c-2"), _flag(3, "c", "t/c-3")]
    config = FlagConfig()
    apart = group_flags(flags, vectors, {}, config)
    assert sorted(len(g.flags) for g in apart) == [1, 1, 1]
    other_needs = group_flags(flags, vectors, {1: 7, 2: 8, 3: 7}, config)
    assert sorted(len(g.flags) for g in other_needs) == [1, 1, 1]
    same_need = group_flags(flags, vectors, {1: 7, 2: 7, 3: 7}, config)
    assert [sorted(f.flag_id for f in g.flags) for g in same_need] == [[1, 2], [3]]


def test_different_needs_push_flags_worded_alike_apart() -> None:
    # Cosine 0.45: together on words alone, apart when their interactions have different needs.
    vectors = np.array([[1.0, 0.0], [0.45, np.sqrt(1 - 0.45**2)]])
    flags = [_flag(1, "a", "t/c-1"), _flag(2, "b", "t/c-4")]
    assert len(group_flags(flags, vectors, {}, FlagConfig())) == 1
    assert len(group_flags(flags, vectors, {1: 7}, FlagConfig())) == 1  # one need unknown: no push
    assert len(group_flags(flags, vectors, {1: 7, 2: 8}, FlagConfig())) == 2
    assert len(group_flags(flags, vectors, {1: 7, 2: 8}, FlagConfig(other_need_penalty=0.0))) == 1


def test_grouping_checks_its_inputs() -> None:
    assert group_flags([], np.zeros((0, 4)), {}, FlagConfig()) == []
    [single] = group_flags([_flag(5, "a")], np.array([[0.0, 1.0]]), {}, FlagConfig())
    assert (single.group_id, single.representative.flag_id) == (5, 5)
    with pytest.raises(ValueError, match="one vector per flag: 2 flags"):
        group_flags([_flag(1, "a"), _flag(2, "b")], np.zeros((3, 4)), {}, FlagConfig())
    with pytest.raises(ValueError, match="group_similarity must be in"):
        FlagConfig(group_similarity=0.0)
    with pytest.raises(ValueError, match="same_need_bonus"):
        FlagConfig(same_need_bonus=-0.1)


# -- matching --------------------------------------------------------------------------------


def _candidate(title: str, embedder: Embedder | None = None, **kw: Any) -> SignalCandidate:
    if embedder is not None:
        return candidate(title=title, embedder=embedder, reasons=kw.get("reasons", ()),
                         phrases=kw.get("phrases", ()), evidence=kw.get("evidence", ()))  # fmt: skip
    return SignalCandidate(
        title=title, reasons=frozenset(kw.get("reasons", ())), phrases=(), evidence=frozenset(kw.get("evidence", ()))
    )


def _fee_group(embedder: Embedder) -> list[FlagGroup]:
    flags = [_flag(1, FEE, "t/c-1", 10), _flag(2, FEE_2, "t/c-2", 10)]
    groups = group_flags(flags, flag_vectors(flags, embedder), {}, FlagConfig())
    assert len(groups) == 1
    return groups


def test_a_group_matches_by_evidence_by_reason_and_by_text(embedder: Embedder) -> None:
    groups, config = _fee_group(embedder), FlagConfig()
    unrelated = _candidate("stuck logging in to the mobile app", embedder, reasons=[20], evidence=["t/c-4"])
    by_evidence = _candidate("no words", evidence=["t/c-1", "t/c-2", "t/c-9"])
    by_reason = _candidate("no words", reasons=[10, 11])
    by_text = _candidate("questions about the fee letter", embedder, phrases=["new fee letter"])
    for cand in (by_evidence, by_reason):
        assert match_groups(groups, [unrelated, cand], config) == {0: (1, 1.0)}
    [(index, score)] = match_groups(groups, [unrelated, by_text], config).values()
    assert index == 1 and config.match_similarity <= score < 1.0
    # Half the flags linked is enough (the threshold), a third is not without the words.
    half = _candidate("no words", evidence=["t/c-1"])
    assert match_groups(groups, [half], config) == {0: (0, 0.5)}
    assert match_groups(groups, [half], FlagConfig(min_link_share=0.6)) == {}


def test_no_match_below_the_thresholds(embedder: Embedder) -> None:
    groups = _fee_group(embedder)
    candidates = [
        _candidate("stuck logging in to the mobile app", embedder, phrases=["since the update"], reasons=[20]),
        _candidate("refund status", embedder, evidence=["t/c-5"]),
    ]
    assert match_groups(groups, candidates, FlagConfig()) == {}
    # Flags without interactions can only match by their words.
    loose = group_flags([_flag(1, FEE)], flag_vectors([_flag(1, FEE)], embedder), {}, FlagConfig())
    assert match_groups(loose, [_candidate("x", reasons=[10], evidence=["t/c-1"])], FlagConfig()) == {}


def test_the_best_match_is_the_one_both_linked_and_described(embedder: Embedder) -> None:
    groups = _fee_group(embedder)
    linked_only = _candidate("card declined abroad", embedder, reasons=[10])
    both = _candidate("confusing new fee letter", embedder, reasons=[10])
    [(index, score)] = match_groups(groups, [linked_only, both], FlagConfig()).values()
    assert (index, score) == (1, 1.0)
    assert match_groups(groups, [both, linked_only], FlagConfig())[0][0] == 0


def test_candidate_vectors_must_come_from_the_same_tier(embedder: Embedder) -> None:
    bad = SignalCandidate(title="t", reasons=frozenset(), phrases=(), evidence=frozenset(), vector=np.ones((1, 3)))
    with pytest.raises(ValueError, match="embed both with the same tier"):
        match_groups(_fee_group(embedder), [bad], FlagConfig())


# -- findings --------------------------------------------------------------------------------


def test_each_group_becomes_an_advisor_finding(warehouse: Store) -> None:
    day = datetime(2026, 3, 10, 9, tzinfo=UTC)
    flags = [
        _flag(1, "a", "t/c-1", 10, created_at=day),
        _flag(2, "a", "t/c-2", 10, advisor="bob", created_at=day.replace(day=12)),  # c-1's customer again
        _flag(3, "a", "t/c-4", 20, created_at=day.replace(day=11)),
        _flag(4, "a", None, None, created_at=day),
        _flag(5, "b", "t/c-5", 20),
        _flag(6, "b", "t/c-6", None),
    ]
    vectors = np.array([[1.0, 0.0]] * 4 + [[0.0, 1.0]] * 2)
    needs = Needs({11: 10}, {10: [10, 11], 20: [20]}, {10: "fees", 20: "app"})
    groups = group_flags(flags, vectors, {}, FlagConfig())
    first, second = flag_findings(warehouse, needs, groups)
    assert first.detector == "advisor" and first.subject == "a" and first.p_value == 1.0
    assert (first.support, first.customers, first.need, first.reasons) == (4, 2, 10, (10, 20))
    assert first.evidence == ["t/c-1", "t/c-2", "t/c-4"]
    assert (first.first_detected, first.last_detected, first.days_detected) == (
        date(2026, 3, 10), date(2026, 3, 12), 3,
    )  # fmt: skip
    assert first.measure == {"flags": 4, "advisors": 2, "group": 1}
    assert first.series[0] == {"day": "2026-03-10", "flags": 2}
    # Half the referred interactions of one need is a majority; c-6 has no reason yet.
    assert (second.need, second.customers, second.support) == (20, 2, 2)
    third = flag_findings(warehouse, needs, group_flags(flags[2:4] + flags[:1], vectors[[0, 1, 2]], {}, FlagConfig()))
    assert third[0].need is None  # c-4 (app) and c-1 (fees): half each names neither
    minority = [_flag(1, "a", "t/c-1", 10), _flag(2, "a", "t/c-4", None), _flag(3, "a", "t/c-5", None)]
    [lone] = flag_findings(warehouse, needs, group_flags(minority, np.ones((3, 2)), {}, FlagConfig()))
    assert lone.need is None  # one need among a third of the referred interactions


# -- review, saving and the commands -----------------------------------------------------------


def _store_signal(store: Store, signal_id: int, title: str, kind: str, reasons: list[int], evidence: list[str]) -> None:
    store.connection.execute(
        "INSERT INTO signals VALUES (?, ?, ?, ?, ?, ['volume'], DATE '2026-03-12', DATE '2026-03-14', ?, 10.0, 20, "
        "15, 12.0, 0.0, NULL, 0, NULL, NULL, NULL, ?, '[]', ?, now(), now())",
        [signal_id, f"{kind}:{title}", title, kind, reasons, signal_id,
         orjson.dumps([{"phrase": None}]).decode(), orjson.dumps(evidence).decode()],
    )  # fmt: skip


def _flag_month(store: Store) -> None:
    for advisor, text, ref in [
        ("ann", FEE, "t/c-1"), ("bob", FEE_2, "t/c-3"), ("cy", APP, "t/c-4"), ("ann", APP_2, None), ("bob", FEE_3, None)
    ]:  # fmt: skip
        add_flag(store, advisor=advisor, text=text, interaction=ref)


def test_review_matches_stored_signals_and_saves_nothing(warehouse: Store, embedder: Embedder) -> None:
    _flag_month(warehouse)
    _store_signal(warehouse, 41, "stuck logging in to the mobile app", "need", [20], ["t/c-5"])
    _store_signal(warehouse, 42, FEE, "flags", [10], ["t/c-1"])  # an earlier grouping: never a match
    review = review_flags(warehouse, embedder=embedder)
    assert _group_texts(review.groups) == [{FEE, FEE_2, FEE_3}, {APP, APP_2}]
    assert 0 not in review.matches
    assert review.matches[1][0]["signal_id"] == 41 and review.matches[1][1] == 1.0  # by reason
    assert [f.support for f in review.findings] == [3, 2]
    assert {(f.group_id, f.signal_id) for f in flag_store.list_flags(warehouse)} == {(None, None)}
    only_ann = review_flags(warehouse, embedder=embedder, advisor="ann")
    assert _group_texts(only_ann.groups) == [{FEE}, {APP_2}]


def test_the_grouping_is_saved_on_the_flags_with_the_signal_each_group_went_to(
    warehouse: Store, embedder: Embedder
) -> None:
    """What `signals detect` records once the list is stored: a matched group points at its signal with
    the match's score, a group standing alone at its own signal without one."""
    from signalroom.signals.flag_signals import Attached, save_attachments
    from signalroom.signals.rank import Signal

    _flag_month(warehouse)
    _store_signal(warehouse, 41, "stuck logging in to the mobile app", "need", [20], ["t/c-5"])
    review = review_flags(warehouse, embedder=embedder)
    matched = Signal(fingerprint="need:app", title="app", kind="need", reasons=[20], findings=[], signal_id=41)
    alone = Signal(fingerprint="flags:1", title=FEE, kind="flags", reasons=[10], findings=[], signal_id=43)
    fee, app = review.groups
    save_attachments(warehouse, [Attached(fee, alone, None), Attached(app, matched, review.matches[1][1])])
    saved = {f.flag_id: (f.group_id, f.signal_id, f.match_similarity) for f in flag_store.list_flags(warehouse)}
    assert saved == {1: (1, 43, None), 2: (1, 43, None), 3: (3, 41, 1.0), 4: (3, 41, 1.0), 5: (1, 43, None)}
    with pytest.raises(ValueError, match="no advisor flag with id 99"):
        flag_store.save_grouping(warehouse, [(1, 1, None, None), (99, 1, None, None)])


def _commands() -> typer.Typer:
    app = typer.Typer()
    app.command("flag")(flag_command)
    app.command("flags")(flags_command)
    return app


def test_the_commands(warehouse: Store, db_path: Path) -> None:
    _store_signal(warehouse, 7, "fee letter questions", "need", [10], [])
    warehouse.close()
    app, runner = _commands(), CliRunner()
    made = runner.invoke(app, ["flag", FEE, "--advisor", "ann", "--interaction", "t/c-1", "--db", str(db_path)])
    assert made.exit_code == 0, made.output
    assert made.output.strip() == "1"
    made = runner.invoke(app, ["flag", FEE_2, "--advisor", "bob", "--db", str(db_path), "--json"])
    assert orjson.loads(made.output) == {"flag_id": 2}
    bad = runner.invoke(app, ["flag", APP, "--advisor", "cy", "--interaction", "t/nope", "--db", str(db_path)])
    assert bad.exit_code == 2 and "interaction t/nope is not in the warehouse" in bad.output
    bad = runner.invoke(app, ["flag", "", "--advisor", "cy", "--db", str(db_path)])
    assert bad.exit_code == 2 and "the flag's text is empty" in bad.output
    listed = runner.invoke(app, ["flags", "--db", str(db_path), "--json"])
    assert listed.exit_code == 0, listed.output
    [group] = orjson.loads(listed.output)["groups"]
    assert (group["flags"], group["advisors"], group["signal"]["signal_id"]) == (2, ["ann", "bob"], 7)
    assert [i["flag_id"] for i in group["items"]] == [1, 2]
    table = runner.invoke(app, ["flags", "--db", str(db_path), "--advisor", "bob"])
    assert table.exit_code == 0 and "1 in 1 groups" in table.output and "#7" in table.output
    assert "--since" in runner.invoke(app, ["flags", "--since", "March", "--db", str(db_path)]).output
