"""Routing rules (docs/routing.md): validation with line numbers, first match wins, the shipped
defaults, `signalroom routing` and re-routing the stored signals."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalroom.actions.routing import (
    Route,
    RoutingError,
    Subject,
    default_rules_text,
    load_rules,
    parse_rules,
    route,
)
from signalroom.cli.app import app
from signalroom.store import Store

RULES = """\
rules:
  - name: app
    when:
      words: [app, "since the update"]
    owner_function: product
    owner: Priya (mobile)
  - name: quality
    when:
      detectors: [negative_sentiment]
      kinds: [need]
    owner_function: training
  - name: billing-reasons
    when:
      reasons: [bill]
    owner_function: policy
default:
  owner_function: operations
"""


def subject(title: str = "something", **kw: object) -> Subject:
    return Subject(title=title, kind=str(kw.get("kind", "need")), detectors=list(kw.get("detectors", ["volume"])),  # type: ignore[call-overload]
                   phrases=list(kw.get("phrases", [])), reason_labels=list(kw.get("labels", [])))  # type: ignore[call-overload]  # fmt: skip


def test_first_rule_that_holds_chooses_owner_and_is_recorded() -> None:
    rules = parse_rules(RULES)
    assert route(rules, subject("mobile app crashes")) == Route("product", "Priya (mobile)", "app")
    # A phrase, matched whole: "apple" is not "app".
    assert route(rules, subject("apple pay", phrases=["since the update"], kind="phrase")).rule == "app"
    assert route(rules, subject("apple pay")).rule == "default"
    # Every condition of a rule must hold: the right detector on a phrase signal is not enough.
    assert route(rules, subject("x", detectors=["negative_sentiment"], kind="phrase")).rule == "default"
    assert route(rules, subject("x", detectors=["volume", "negative_sentiment"])).owner_function == "training"
    assert route(rules, subject("x", labels=["Bill shock · roaming"])).rule == "billing-reasons"
    assert route(rules, subject("x")) == Route("operations", None, "default")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: []\n", "line 1: default: Field required"),
        ("rules:\n  - name: a\n    when: {words: [x]}\n    owner_function: sales\ndefault: {owner_function: qa}\n",
         "line 4: rules[0].owner_function: Input should be 'product'"),
        ("rules:\n  - name: a\n    when: {}\n    owner_function: qa\ndefault: {owner_function: qa}\n",
         "line 3: rules[0].when: Value error, a rule needs at least one condition"),
        ("rules:\n  - name: a\n    when: {wordz: [x]}\n    owner_function: qa\ndefault: {owner_function: qa}\n",
         "line 3: rules[0].when.wordz: Extra inputs are not permitted"),
        ("rules:\n  - name: a\n    when: {detectors: [vibes]}\n    owner_function: qa\ndefault: {owner_function: qa}\n",
         "rules[0].when.detectors[0]: Input should be 'volume'"),
        ("rules:\n  - {name: a, when: {words: [x]}, owner_function: qa}\n  - {name: a, when: {words: [y]}, "
         "owner_function: qa}\ndefault: {owner_function: qa}\n", "two rules are named 'a'"),
        ("rules:\n  - {name: a, when: {words: ['']}, owner_function: qa}\ndefault: {owner_function: qa}\n",
         "an empty word or reason matches everything"),
        ("- just a list\n", "line 1: routing rules are a mapping"),
        ("rules: [\n", "not valid YAML"),
    ],
)  # fmt: skip
def test_bad_rules_are_named_by_file_line_and_field(text: str, message: str) -> None:
    with pytest.raises(RoutingError) as err:
        parse_rules(text, "mine.yaml")
    assert str(err.value).startswith("mine.yaml: ")
    assert message in str(err.value)


def test_shipped_defaults_are_valid_and_route_the_demo_kinds_of_signal() -> None:
    rules = parse_rules(default_rules_text())
    assert route(rules, subject("stuck logging · log app · mobile app")).owner_function == "product"
    assert route(rules, subject("unlimited offer · spring unlimited · upgrade")).owner_function == "marketing"
    assert route(rules, subject("i'd refund · refund went")).owner_function == "policy"
    assert route(rules, subject("x", detectors=["transfer_rate"])).owner_function == "training"


def test_cli_lint_set_show_and_reroute(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with Store.open(db) as store:  # one stored signal, routed by the shipped defaults
        store.connection.execute(
            "INSERT INTO signals VALUES (1, 'need:mobile app', 'mobile app (+2 related reasons)', 'need', [], "
            "['volume'], DATE '2026-03-19', DATE '2026-03-20', 1, 40, 61, 23, 40, 0, NULL, 0, 'product', "
            "'Digital product team', 'app-and-website', '[]', '[]', '[]', now(), now())"
        )
    runner = CliRunner()
    good = tmp_path / "rules.yaml"
    good.write_text(RULES)
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULES.replace("owner_function: training", "owner_function: coaching"))
    result = runner.invoke(app, ["routing", "lint", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml: line 11: rules[1].owner_function" in result.stderr
    assert runner.invoke(app, ["routing", "lint", str(good)]).exit_code == 0
    shown = runner.invoke(app, ["routing", "show", "--db", str(db), "--json"])
    assert '"shipped_defaults": true' in shown.stdout
    result = runner.invoke(app, ["routing", "set", str(good), "--by", "ana", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "version 1" in result.stdout and "1 stored signal(s) routed anew" in " ".join(result.stdout.split())
    with Store.open(db, read_only=True) as store:
        assert store.connection.execute("SELECT owner_function, owner, routing_rule FROM signals").fetchall() == [
            ("product", "Priya (mobile)", "app")
        ]
    shown = runner.invoke(app, ["routing", "show", "--db", str(db)])
    assert shown.stdout.startswith("# version 1\nrules:")
    # A bad file is never set: the rules in use stay.
    assert runner.invoke(app, ["routing", "set", str(bad), "--db", str(db)]).exit_code == 2
    assert runner.invoke(app, ["routing", "show", "--db", str(db)]).stdout.startswith("# version 1")
    assert load_rules(good).rules[0].owner == "Priya (mobile)"
