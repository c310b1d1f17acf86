"""The demo generator: valid, deterministic, and every planted phenomenon detectable in the data."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from signalroom.cli import demo
from signalroom.demo import DemoConfig, generate
from signalroom.demo.reasons import REASONS
from signalroom.interchange.models import record_adapter

FILES = ("customers.jsonl", "interactions.jsonl", "events.jsonl", "surveys.jsonl")
DISCLOSURE = re.compile(
    r"\brecord(ed|ing)?\b.*\b(call|quality|training)|\bcalls? (are|is|may be|will be)\b.*record", re.I
)
runner = CliRunner()


def _run(out: Path, *args: str) -> dict[str, Any]:
    result = runner.invoke(demo.app, ["generate", "--out", str(out), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _read(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


class Month:
    def __init__(self, out: Path, summary: dict[str, Any]) -> None:
        self.out = out
        self.summary = summary
        self.truth = json.loads((out / ".truth" / "truth.json").read_text())
        self.interactions = _read(out / "interactions.jsonl")
        self.events = _read(out / "events.jsonl")
        self.surveys = _read(out / "surveys.jsonl")
        self.customers = _read(out / "customers.jsonl")
        self.lines = {x["interaction_id"]: x for x in _read(out / ".truth" / "interactions.jsonl")}
        self.identity = {x["customer_id"]: x for x in _read(out / ".truth" / "customers.jsonl")}
        self.by_id = {x["id"]: x for x in self.interactions}
        self.ph = self.truth["phenomena"]

    def owner_of(self) -> dict[str, str]:
        """Every identifier -> the customer it belongs to (from the truth)."""
        owner = {}
        for cid, x in self.identity.items():
            for key in ("phone", "alt_phone", "email", "alt_email", "handle"):
                if x[key]:
                    owner[x[key]] = cid
            for acc in x["accounts"]:
                owner[acc] = cid
            owner[cid] = cid
        return owner


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Month:
    out = tmp_path_factory.mktemp("demo") / "month"
    summary = _run(out, "--customers", "700", "--days", "24", "--seed", "11", "--start", "2026-03-10")
    return Month(out, summary)


def _day(ts: str) -> dt.date:
    return dt.date.fromisoformat(ts[:10])


def test_files_written_and_every_line_valid(month: Month) -> None:
    assert {p.name for p in month.out.iterdir()} == {*FILES, ".truth"}
    for name in FILES:
        lines = (month.out / name).read_bytes().splitlines()
        assert len(lines) == month.summary["files"][name] > 0
        for line in lines:
            record_adapter.validate_json(line)
    assert month.summary["files"]["interactions.jsonl"] > 800
    channels = Counter(x["channel"] for x in month.interactions)
    assert {"voice", "chat", "email", "social", "sms", "messaging", "bot"} <= set(channels)
    offsets = {x["started_at"][-6:] for x in month.interactions}
    assert offsets <= {"+00:00", "+01:00"} and len(offsets) == 2  # the month spans the clocks going forward
    voice = [x for x in month.interactions if x["channel"] == "voice"]
    assert all(t["end_ms"] >= t["offset_ms"] for x in voice for t in x["turns"])
    assert any(e["type"] == "hold_start" for x in voice for e in x.get("events_in_call", []))
    turns = sorted(len(x["turns"]) for x in voice + [x for x in month.interactions if x["channel"] == "chat"])
    assert 8 <= turns[len(turns) // 2] <= 16


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((a, "7"), (b, "7"), (c, "8")):
        _run(out, "--customers", "150", "--days", "10", "--seed", seed)
    for name in (*FILES, ".truth/truth.json", ".truth/interactions.jsonl", ".truth/customers.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "interactions.jsonl").read_bytes() != (c / "interactions.jsonl").read_bytes()
    assert (a / "customers.jsonl").read_bytes() != (c / "customers.jsonl").read_bytes()


def test_reason_catalogue(month: Month) -> None:
    reasons = month.truth["reasons"]
    assert 15 <= len(reasons) <= 25
    assert all(r["id"] and r["name"] and r["description"] and r["owner_function"] for r in reasons)
    used = Counter(x["primary_reason"] for x in month.lines.values())
    assert set(used) == {r.id for r in REASONS}
    assert sum(1 for x in month.lines.values() if x["secondary_reason"]) > 30


def test_no_single_keyword_separates_a_reason(month: Month) -> None:
    docs = []
    for x in month.interactions:
        line = month.lines[x["id"]]
        if line["role"] == "handling":
            text = " ".join(t["text"] for t in x["turns"] if t["speaker"] == "customer").lower()
            docs.append((line["primary_reason"], set(re.findall(r"[a-z']+", text))))
    sizes = Counter(r for r, _ in docs)
    for reason, size in sizes.items():
        inside, outside = Counter(), Counter()
        for r, words in docs:
            (inside if r == reason else outside).update(words)
        best = max(2 * inside[w] / (size + inside[w] + outside[w]) for w in inside)
        assert best < 0.92, reason


def test_repeat_driver(month: Month) -> None:
    driver = month.ph["repeat_driver"]["reason_id"]
    contacts: dict[tuple[str, str], list[dt.datetime]] = defaultdict(list)
    for x in month.interactions:
        line = month.lines[x["id"]]
        if line["role"] == "handling":
            contacts[(line["customer_id"], line["primary_reason"])].append(dt.datetime.fromisoformat(x["started_at"]))
    total, repeated = Counter(), Counter()
    for (_, reason), times in contacts.items():
        times.sort()
        for i, t in enumerate(times):
            total[reason] += 1
            if i + 1 < len(times) and times[i + 1] - t <= dt.timedelta(days=7):
                repeated[reason] += 1
    rates = {r: repeated[r] / total[r] for r in total}
    others = sorted(v for r, v in rates.items() if r != driver)
    assert rates[driver] > 0.25
    assert rates[driver] > 3 * others[len(others) // 2]
    assert rates[driver] == max(rates.values())
    repeats = [month.lines[i] for i in month.ph["repeat_driver"]["repeat_interaction_ids"]]
    assert repeats and all(x["repeat_of"] and month.lines[x["repeat_of"]]["resolved"] is False for x in repeats)


def test_disclosure_skipping_agents(month: Month) -> None:
    skippers = set(month.ph["disclosure_skipping"]["agent_ids"])
    assert skippers
    calls, missing = Counter(), Counter()
    for x in month.interactions:
        if x["channel"] != "voice":
            continue
        group = "skip" if x["agent"]["id"] in skippers else "other"
        calls[group] += 1
        if not DISCLOSURE.search(x["turns"][0]["text"]):
            missing[group] += 1
    assert calls["skip"] > 30
    assert missing["skip"] / calls["skip"] > 0.4
    assert missing["other"] / calls["other"] < 0.06
    assert set(month.ph["disclosure_skipping"]["interaction_ids_without_disclosure"]) == {
        x["id"] for x in month.interactions if x["channel"] == "voice" and not DISCLOSURE.search(x["turns"][0]["text"])
    }


def test_emerging_issue_only_after_its_date(month: Month) -> None:
    issue = month.ph["emerging_issue"]
    start = dt.date.fromisoformat(issue["start_date"])
    markers = re.compile("|".join(re.escape(m) for m in issue["phrases"]), re.I)
    before, after = 0, 0
    for x in month.interactions:
        if any(markers.search(t["text"]) for t in x["turns"]):
            if _day(x["started_at"]) < start:
                before += 1
            else:
                after += 1
    assert before == 0
    assert after >= 20
    daily = issue["daily_volume"]
    pre = [n for d, n in daily.items() if dt.date.fromisoformat(d) < start]
    post = [n for d, n in daily.items() if dt.date.fromisoformat(d) >= start]
    assert sum(post) / len(post) > 1.8 * sum(pre) / len(pre)
    assert all(_day(month.lines[i]["started_at"]) >= start for i in issue["interaction_ids"])


def test_campaign_spike(month: Month) -> None:
    campaign = month.ph["campaign"]
    first, last = dt.date.fromisoformat(campaign["start_date"]), dt.date.fromisoformat(campaign["end_date"])
    per_day: Counter[dt.date] = Counter()
    for episode_start in {
        x["episode_id"]: x["started_at"]
        for x in sorted(month.lines.values(), key=lambda x: x["started_at"], reverse=True)
        if x["primary_reason"] == campaign["reason_id"]
    }.values():
        per_day[_day(episode_start)] += 1
    days = sorted({_day(x["started_at"]) for x in month.interactions})
    inside = [per_day[d] for d in days if first <= d <= last]
    outside = [per_day[d] for d in days if not first <= d <= last]
    assert sum(inside) / len(inside) > 2.5 * sum(outside) / len(outside)
    mentions = [x for x in month.interactions if any("Spring Unlimited" in t["text"] for t in x["turns"])]
    assert mentions and all(first <= _day(x["started_at"]) <= last for x in mentions)


def test_self_service_failure_precedes_contacts(month: Month) -> None:
    failure = month.ph["self_service_failure"]
    first, last = dt.date.fromisoformat(failure["start_date"]), dt.date.fromisoformat(failure["end_date"])
    owner = month.owner_of()
    failed: dict[str, list[dt.datetime]] = defaultdict(list)
    for e in month.events:
        if e["type"] == "password_reset_failed":
            ref = e["customer"]
            failed[owner[ref.get("id") or ref.get("email")]].append(dt.datetime.fromisoformat(e["at"]))

    def preceded(x: dict[str, Any]) -> bool:
        t = dt.datetime.fromisoformat(x["started_at"])
        cid = month.lines[x["id"]]["customer_id"]  # the truth stitches the phone of the call to the customer
        return any(dt.timedelta(0) < t - f <= dt.timedelta(hours=3) for f in failed[cid])

    inside, outside = [], []
    for x in month.interactions:
        line = month.lines[x["id"]]
        if line["primary_reason"] == "password_reset" and line["role"] == "handling":
            (inside if first <= _day(x["started_at"]) <= last else outside).append(preceded(x))
    assert len(inside) > 20
    assert sum(inside) / len(inside) > 0.6
    assert sum(inside) / len(inside) > sum(outside) / max(1, len(outside)) + 0.3
    days_in = (last - first).days + 1
    days_out = month.truth["period"]["days"] - days_in
    assert len(inside) / days_in > 2 * len(outside) / days_out
    assert failure["contacts"] and all(c["event_ids"] and c["interaction_ids"] for c in failure["contacts"])


def test_bot_sessions_hand_off(month: Month) -> None:
    bots = [x for x in month.interactions if x["channel"] == "bot"]
    handed = [x for x in bots if x["outcome"]["disposition"] == "handed_off"]
    assert handed and any(x["outcome"]["disposition"] == "contained" for x in bots)
    children = defaultdict(list)
    for x in month.interactions:
        if x.get("parent_id"):
            children[x["parent_id"]].append(x)
    handoff_events = {e["properties"]["session_id"] for e in month.events if e["type"] == "bot_handoff"}
    for bot in handed:
        assert [c["channel"] for c in children[bot["id"]]] == ["chat"]
        assert children[bot["id"]][0]["agent"]
        assert bot["id"] in handoff_events
        assert all(t["speaker"] in ("bot", "customer") for t in bot["turns"])


def test_transfers(month: Month) -> None:
    transferred = [x for x in month.interactions if (x.get("outcome") or {}).get("transferred")]
    assert len(transferred) > 10
    children = {x["parent_id"]: x for x in month.interactions if x.get("parent_id")}
    for x in transferred:
        child = children[x["id"]]
        assert x["channel"] == child["channel"] == "voice"
        assert child["queue"] != x["queue"] and child["started_at"] >= x["ended_at"]
        assert x["events_in_call"][-1]["type"] == "transfer"


def test_customers_known_by_different_identifiers(month: Month) -> None:
    owner = month.owner_of()
    kinds: dict[str, set[str]] = defaultdict(set)
    for x in month.interactions:
        for key, value in x["customer"].items():
            if key != "name":
                kinds[owner[value]].add(key)
    assert sum(1 for k in kinds.values() if len(k) >= 2) > 50
    profiled = set()
    for c in month.customers:
        profiled.update(c["emails"] + c["phones"] + c["handles"] + c["accounts"] + [c["id"]])
    used = {v for x in month.interactions for k, v in x["customer"].items() if k != "name"}
    unlinked = used - profiled
    assert len(unlinked) > 0.1 * len(used)  # stitching is needed: many identifiers are in no profile
    assert any(p.startswith("0") for c in month.customers for p in c["phones"])  # national formatting too


def test_surveys_are_a_biased_minority(month: Month) -> None:
    surveyed = [x for x in month.lines.values() if x["satisfaction"] is not None]
    answered = [x for x in surveyed if x["survey"]["responded"]]
    rate = len(answered) / len(surveyed)
    assert 0.05 < rate < 0.35

    def band_rate(lo: float, hi: float) -> float:
        group = [x for x in surveyed if lo <= x["satisfaction"] < hi]
        return sum(x["survey"]["responded"] for x in group) / len(group)

    middle = band_rate(2.5, 3.8)
    assert band_rate(1, 2) > 2.5 * middle and band_rate(4.2, 5.1) > 2 * middle
    in_data = {s["interaction_id"] for s in month.surveys} | {x["id"] for x in month.interactions if x.get("survey")}
    assert in_data == {x["interaction_id"] for x in answered}
    assert all(s["interaction_id"] in month.by_id for s in month.surveys)


def test_self_service_events_before_contacts(month: Month) -> None:
    types = Counter(e["type"] for e in month.events)
    for kind in (
        "page_view",
        "search",
        "faq_view",
        "login_failed",
        "password_reset_failed",
        "payment_failed",
        "form_error",
        "account_closed",
        "purchase",
        "bot_handoff",
        "app_error",
    ):
        assert types[kind] > 0, kind
    with_pre = [x for x in month.lines.values() if x["trigger_events"]]
    assert len(with_pre) > 0.2 * len(month.lines)


def test_ingest_quarantines_nothing(tmp_path: Path) -> None:
    from signalroom.ingest.loader import Loader
    from signalroom.store.warehouse import Store

    out = tmp_path / "demo"
    generate(DemoConfig(customers=150, days=10, seed=3, out=out))
    store = Store.open(tmp_path / "w.duckdb")
    try:
        summaries = Loader(store).ingest([out], fmt="jsonl", source="demo")
    finally:
        store.close()
    total = sum(len((out / name).read_bytes().splitlines()) for name in FILES)
    assert [s.status for s in summaries] == ["completed"]
    assert summaries[0].counts.quarantined == 0 and not summaries[0].reasons
    assert summaries[0].counts.inserted == summaries[0].records_read == total


def test_cli_help_and_summary(tmp_path: Path) -> None:
    result = runner.invoke(demo.app, ["generate", "--help"])
    assert result.exit_code == 0
    for option in ("--customers", "--days", "--seed", "--out", "--start", "--json"):
        assert option in result.output
    result = runner.invoke(
        demo.app,
        ["generate", "--customers", "40", "--days", "3", "--out", str(tmp_path / "x"), "--start", "2026-07-06"],
    )
    assert result.exit_code == 0, result.output
    assert "interactions" in result.output and (tmp_path / "x" / ".truth" / "truth.json").exists()
    first = orjson.loads((tmp_path / "x" / "interactions.jsonl").read_bytes().splitlines()[0])
    assert first["started_at"].startswith("2026-07-06") and first["started_at"].endswith("+01:00")
    bad = runner.invoke(demo.app, ["generate", "--start", "March", "--out", str(tmp_path / "y")])
    assert bad.exit_code != 0
