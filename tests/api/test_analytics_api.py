"""/api/v1/metrics, /metrics/trend, /drivers, /drivers/interactions and /topics: shapes, filters,
bad input and who sees what."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from centre_fixtures import Centre

API = "/api/v1"
METRIC_KEYS = {"name", "value", "numerator", "denominator", "unit"}
DRIVER_KEYS = {
    "family", "value", "label", "units", "outcomes", "rate", "rate_ci", "baseline", "lift", "share", "share_ci",
    "share_beyond", "share_beyond_ci", "p_value", "q_value", "members", "explains", "examples", "key",
}  # fmt: skip
ITEM_KEYS = {"kind", "source", "id", "started_at", "channel", "agent_id", "agent_team", "reason_id", "reason",
             "contact", "outcome"}  # fmt: skip
ENVELOPE = {"items", "total", "limit", "offset", "next_offset"}


def get(client: TestClient, centre: Centre, who: str, path: str, **params: Any) -> Any:
    return client.get(f"{API}{path}", headers=centre.people[who].headers, params=params)


# -- metrics ---------------------------------------------------------------------------------------


def test_metrics_shape_for_an_executive(shared_client: TestClient, centre_template: Centre) -> None:
    response = get(shared_client, centre_template, "executive", "/metrics", metric=["csat", "repeat_contact_rate"],
                   by="channel")  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"by", "from", "to", "filters", "window_days", "churn_days", "observed_until", "metrics",
                         "groups", "definitions", "flags"}  # fmt: skip
    assert body["filters"] == {"channel": None, "reason": None, "queue": None, "team": None, "agent": None}
    assert (body["by"], body["from"], body["to"], body["window_days"], body["churn_days"]) == (
        "channel", None, None, 7, 30)  # fmt: skip
    assert [m["name"] for m in body["metrics"]] == ["csat", "repeat_contact_rate"]
    assert all(set(m) == METRIC_KEYS for m in body["metrics"])
    csat = body["metrics"][0]
    assert csat["unit"] == "share" and csat["value"] == round(csat["numerator"] / csat["denominator"], 6)
    assert set(body["definitions"]) == {"csat", "repeat_contact_rate", "docs"}
    assert body["groups"] and all(set(g) == {"group", "key", "metrics"} for g in body["groups"])
    assert {g["key"] for g in body["groups"]} >= {"voice", "chat"}


def test_metrics_period_and_windows(shared_client: TestClient, centre_template: Centre) -> None:
    whole = get(shared_client, centre_template, "analyst", "/metrics", metric="csat").json()
    part = get(shared_client, centre_template, "analyst", "/metrics", metric="csat", window_days=3,
               **{"from": "2026-03-10", "to": "2026-03-16"}).json()  # fmt: skip
    assert (part["from"], part["to"], part["window_days"]) == ("2026-03-10", "2026-03-16", 3)
    assert 0 < part["metrics"][0]["denominator"] < whole["metrics"][0]["denominator"]


FILTERS = ("channel", "reason", "queue", "team", "agent")
SOME = ["repeat_contact_rate", "first_contact_resolution", "transfer_rate", "csat"]


@pytest.mark.parametrize("dimension", FILTERS)
def test_a_metrics_filter_gives_its_group_of_the_breakdown(
    shared_client: TestClient, centre_template: Centre, dimension: str
) -> None:
    breakdown = get(shared_client, centre_template, "analyst", "/metrics", metric=SOME, by=dimension).json()
    groups = sorted((g for g in breakdown["groups"] if g["key"] is not None),
                    key=lambda g: -g["metrics"][0]["denominator"])  # fmt: skip
    for group in groups[:2]:
        response = get(shared_client, centre_template, "analyst", "/metrics", metric=SOME, **{dimension: group["key"]})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["filters"][dimension] == group["key"]
        assert body["metrics"] == group["metrics"]


def test_metrics_filters_combine_and_are_cached_apart(shared_client: TestClient, centre_template: Centre) -> None:
    whole = get(shared_client, centre_template, "analyst", "/metrics", metric="repeat_contact_rate").json()
    voice = get(shared_client, centre_template, "analyst", "/metrics", metric="repeat_contact_rate",
                channel="voice").json()  # fmt: skip
    chat = get(shared_client, centre_template, "analyst", "/metrics", metric="repeat_contact_rate",
               channel="chat").json()  # fmt: skip
    dens = [b["metrics"][0]["denominator"] for b in (whole, voice, chat)]
    assert 0 < dens[1] < dens[0] and 0 < dens[2] < dens[0] and dens[1] != dens[2]
    team = centre_template.people["supervisor"].teams[0]
    both = get(shared_client, centre_template, "analyst", "/metrics", metric="repeat_contact_rate", channel="voice",
               team=team, by="team").json()  # fmt: skip
    assert [g["key"] for g in both["groups"]] == [team]
    assert 0 < both["metrics"][0]["denominator"] < dens[1]
    again = get(shared_client, centre_template, "analyst", "/metrics", metric="repeat_contact_rate",
                channel="voice").json()  # fmt: skip
    assert again == voice


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"channel": "fax"}, "query.channel", "channel 'fax' is not a channel"),
        ({"reason": 99999}, "query.reason", "reason 99999 is not a known reason id"),
        ({"reason": "x"}, "query.reason", ""),
        ({"agent": ""}, "query.agent", "agent must not be empty"),
    ],
)
@pytest.mark.parametrize(
    ("path", "extra"), [("/metrics", {}), ("/metrics/trend", {}), ("/drivers", {"outcome": "unresolved"})]
)
def test_bad_filter_values_name_the_field(
    shared_client: TestClient,
    centre_template: Centre,
    path: str,
    extra: dict[str, Any],
    params: dict[str, Any],
    field: str,
    message: str,
) -> None:
    response = get(shared_client, centre_template, "analyst", path, **extra, **params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert message in error["message"] and error["fields"][0]["location"] == field


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"by": "colour"}, "query.by", "cannot group by 'colour'"),
        ({"metric": "happiness"}, "query.metric", "unknown metric(s) happiness"),
        ({"window_days": 0}, "query.window_days", "window_days must be at least 1, got 0"),
        ({"from": "2026-03-20", "to": "2026-03-10"}, "query.to", "'to' (2026-03-10) is before 'from' (2026-03-20)"),
    ],
)
def test_metrics_bad_input_names_the_field(
    shared_client: TestClient, centre_template: Centre, params: dict[str, Any], field: str, message: str
) -> None:
    response = get(shared_client, centre_template, "analyst", "/metrics", **params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert message in error["message"] and error["fields"][0]["location"] == field


@pytest.mark.parametrize("path", ["/metrics", "/metrics/trend", "/drivers?outcome=unresolved", "/topics"])
def test_advisors_may_not_read_aggregates(shared_client: TestClient, centre_template: Centre, path: str) -> None:
    response = shared_client.get(f"{API}{path}", headers=centre_template.people["advisor"].headers)
    assert response.status_code == 403
    assert response.json()["error"]["message"].startswith("an advisor may not do this")


def test_trend_shape_by_day_and_week(shared_client: TestClient, centre_template: Centre) -> None:
    body = get(shared_client, centre_template, "executive", "/metrics/trend").json()
    assert set(body) == {"interval", "from", "to", "window_days", "churn_days", "filters", "kpis", "points", "totals",
                         "flags"}  # fmt: skip
    names = ["contacts", "repeat_contact_rate", "first_contact_resolution", "bot_containment_rate", "csat",
             "csat_predicted"]  # fmt: skip
    assert [k["name"] for k in body["kpis"]] == names
    assert body["kpis"][1] == {"name": "repeat_contact_rate", "label": "Repeat rate", "unit": "share", "better": "down"}
    assert (body["interval"], body["to"]) == ("day", "2026-03-31") and len(body["points"]) == 30
    assert all(set(p) == {"key", "values"} and list(p["values"]) == names for p in body["points"])
    assert body["totals"]["contacts"] == sum(p["values"]["contacts"] for p in body["points"])
    assert 0 < body["totals"]["csat_predicted"] < 1 and 0 < body["totals"]["csat"] < 1
    # The last days' repeat windows have not ended: no value rather than a made-up one.
    assert body["points"][-1]["values"]["repeat_contact_rate"] is None
    weekly = get(shared_client, centre_template, "analyst", "/metrics/trend", interval="week").json()
    assert [p["key"] for p in weekly["points"]] == ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23",
                                                    "2026-03-30"]  # fmt: skip
    assert weekly["totals"]["contacts"] == body["totals"]["contacts"]


def test_trend_filters(shared_client: TestClient, centre_template: Centre) -> None:
    whole = get(shared_client, centre_template, "analyst", "/metrics/trend").json()
    voice = get(shared_client, centre_template, "analyst", "/metrics/trend", channel="voice").json()
    assert voice["filters"]["channel"] == "voice" and whole["filters"]["channel"] is None
    for name in ("contacts", "csat_predicted"):
        assert voice["totals"][name] != whole["totals"][name]
    assert 0 < voice["totals"]["contacts"] < whole["totals"]["contacts"]
    assert voice["totals"]["contacts"] == sum(p["values"]["contacts"] for p in voice["points"])
    # The period's rates are the filtered metrics' over the same days.
    period = {"from": voice["from"], "to": voice["to"]}
    metrics = get(shared_client, centre_template, "analyst", "/metrics", channel="voice",
                  metric=["repeat_contact_rate", "csat"], **period).json()  # fmt: skip
    assert [voice["totals"]["repeat_contact_rate"], voice["totals"]["csat"]] == [
        m["value"] for m in metrics["metrics"]]  # fmt: skip
    assert get(shared_client, centre_template, "analyst", "/metrics/trend", channel="voice").json() == voice


def test_trend_bad_interval(shared_client: TestClient, centre_template: Centre) -> None:
    response = get(shared_client, centre_template, "analyst", "/metrics/trend", interval="month")
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "interval must be one of day, week, not 'month'"


# -- drivers ---------------------------------------------------------------------------------------


def test_drivers_shape_for_an_executive(shared_client: TestClient, centre_template: Centre) -> None:
    response = get(shared_client, centre_template, "executive", "/drivers", outcome="unresolved", top=3)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"outcome", "description", "unit", "units", "outcomes", "rate", "tested", "significant",
                         "drivers", "text", "config", "flags", "definitions"}  # fmt: skip
    assert body["outcome"] == "unresolved" and body["config"]["top"] == 3
    assert 0 < len(body["drivers"]) <= 3 and len(body["text"]) == len(body["drivers"])
    for d in body["drivers"]:
        assert set(d) == DRIVER_KEYS and d["key"] == f"{d['family']}:{d['value']}"
        lo, hi = d["share_beyond_ci"]
        assert lo <= d["share_beyond"] <= hi


def test_drivers_bad_outcome(shared_client: TestClient, centre_template: Centre) -> None:
    response = get(shared_client, centre_template, "analyst", "/drivers", outcome="happiness")
    assert response.status_code == 422
    message = ("unknown outcome 'happiness': use one of repeat_contact, unresolved, negative_end, low_csat, churn, "
               "transfer, next_issue, contact")  # fmt: skip
    assert response.json() == {"error": {"status": 422, "code": "invalid_request", "message": message,
                                          "fields": [{"location": "query.outcome", "problem": message}]}}  # fmt: skip


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"family": "colour"}, "query.family"),
        ({"alpha": 2}, "query.alpha"),
        ({"top": 0}, "query.top"),
        ({"channel": "web"}, "query.channel"),
        ({"outcome": "contact", "queue": "billing"}, "query.queue"),
    ],
)
def test_drivers_bad_input(
    shared_client: TestClient, centre_template: Centre, params: dict[str, Any], field: str
) -> None:
    response = get(shared_client, centre_template, "analyst", "/drivers", **{"outcome": "unresolved", **params})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["location"] == field


def test_drivers_family_filter(shared_client: TestClient, centre_template: Centre) -> None:
    body = get(shared_client, centre_template, "analyst", "/drivers", outcome="unresolved", family="queue").json()
    assert body["drivers"] and {d["family"] for d in body["drivers"]} == {"queue"}


def test_drivers_filtered_to_a_queue(shared_client: TestClient, centre_template: Centre) -> None:
    queues = get(shared_client, centre_template, "analyst", "/drivers", outcome="unresolved", family="queue").json()
    queue = queues["drivers"][0]
    body = get(shared_client, centre_template, "analyst", "/drivers", outcome="unresolved",
               queue=queue["value"]).json()  # fmt: skip
    # The population is the queue's contacts, and the queue is no candidate any more.
    assert (body["units"], body["outcomes"]) == (queue["units"], queue["outcomes"])
    assert body["config"]["queue"] == queue["value"]
    assert "queue" not in {d["family"] for d in body["drivers"]}
    assert body["units"] < queues["units"]  # cached apart from the unfiltered report


def test_drivers_filtered_to_a_reason_rank_no_reason(shared_client: TestClient, centre_template: Centre) -> None:
    reasons = get(shared_client, centre_template, "analyst", "/metrics", metric="first_contact_resolution",
                  by="reason").json()  # fmt: skip
    reason = max((g for g in reasons["groups"] if g["key"] is not None), key=lambda g: g["metrics"][0]["denominator"])
    body = get(shared_client, centre_template, "analyst", "/drivers", outcome="unresolved",
               reason=reason["key"]).json()  # fmt: skip
    assert body["units"] > 0 and body["config"]["reason"] == reason["key"]
    assert "reason" not in {d["family"] for d in body["drivers"]}


# -- the drill-down --------------------------------------------------------------------------------


def drill(client: TestClient, centre: Centre, who: str, outcome: str, driver: str, **params: Any) -> Any:
    return get(client, centre, who, "/drivers/interactions", outcome=outcome, driver=driver, **params)


def test_drill_shape_and_order(shared_client: TestClient, centre_template: Centre) -> None:
    response = drill(shared_client, centre_template, "analyst", "unresolved", "queue:billing", limit=500)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == ENVELOPE and body["limit"] == 500 and body["offset"] == 0
    items = body["items"]
    assert items and all(set(i) == ITEM_KEYS and i["kind"] == "interaction" for i in items)
    flags = [i["outcome"] for i in items]
    assert flags == sorted(flags, reverse=True) and True in flags and False in flags
    second = drill(shared_client, centre_template, "analyst", "unresolved", "queue:billing", limit=5, offset=5).json()
    assert [i["id"] for i in second["items"]] == [i["id"] for i in items[5:10]]
    assert second["total"] == body["total"] and second["next_offset"] == 10


def test_drill_is_scoped(shared_client: TestClient, centre_template: Centre) -> None:
    people = centre_template.people
    everyone = drill(shared_client, centre_template, "analyst", "negative_end", "handling:unresolved", limit=500).json()
    team = drill(shared_client, centre_template, "supervisor", "negative_end", "handling:unresolved", limit=500).json()
    own = drill(shared_client, centre_template, "advisor", "negative_end", "handling:unresolved", limit=500).json()
    assert 0 < own["total"] < team["total"] < everyone["total"]
    assert {i["agent_team"] for i in team["items"]} == set(people["supervisor"].teams)
    assert {i["agent_id"] for i in own["items"]} == {people["advisor"].agent_id}
    other = people["advisor2"].agent_id
    assert any(i["agent_id"] == other for i in everyone["items"])
    # Self-service events were handled by no agent: a scoped user gets none of them.
    assert drill(shared_client, centre_template, "advisor", "contact", "event_type:faq_view").json()["total"] == 0
    assert drill(shared_client, centre_template, "analyst", "contact", "event_type:faq_view").json()["total"] > 0


def test_drill_takes_the_filters(shared_client: TestClient, centre_template: Centre) -> None:
    everyone = drill(shared_client, centre_template, "analyst", "unresolved", "queue:billing", limit=1).json()
    heron = drill(shared_client, centre_template, "analyst", "unresolved", "queue:billing", limit=500,
                  team="Heron").json()  # fmt: skip
    assert 0 < heron["total"] < everyone["total"]
    # The contacts are Heron's (their last interaction's): so is an interaction of each.
    contacts = {i["contact"] for i in heron["items"]}
    assert contacts == {i["contact"] for i in heron["items"] if i["agent_team"] == "Heron"}
    other = drill(shared_client, centre_template, "analyst", "contact", "event_type:faq_view", queue="billing")
    assert other.status_code == 422 and other.json()["error"]["fields"][0]["location"] == "query.queue"


def test_drill_is_not_for_executives(shared_client: TestClient, centre_template: Centre) -> None:
    assert drill(shared_client, centre_template, "executive", "unresolved", "queue:billing").status_code == 403


@pytest.mark.parametrize(
    ("outcome", "driver", "message"),
    [
        ("happiness", "queue:billing", "unknown outcome 'happiness'"),
        ("unresolved", "billing", "driver must be FAMILY:VALUE"),
        ("unresolved", "colour:red", "driver must be FAMILY:VALUE"),
        ("unresolved", "reason:1+x", "a reason driver's value is reason ids joined by '+'"),
        ("unresolved", "handling:grumpy", "a handling driver is one of transferred, escalated"),
        ("unresolved", "event_type:search", "a event_type driver does not apply to the unresolved outcome"),
        ("unresolved", "attribute:plan", "an attribute driver's value is 'KEY = VALUE'"),
    ],
)
def test_drill_bad_input(
    shared_client: TestClient, centre_template: Centre, outcome: str, driver: str, message: str
) -> None:
    response = drill(shared_client, centre_template, "analyst", outcome, driver)
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]


def test_drill_reason_group_key_from_the_report(shared_client: TestClient, centre_template: Centre) -> None:
    report = get(shared_client, centre_template, "analyst", "/drivers", outcome="unresolved", family="reason").json()
    key = report["drivers"][0]["key"]
    members = {int(i) for i in key.split(":")[1].split("+")}
    items = drill(shared_client, centre_template, "analyst", "unresolved", key, limit=500).json()["items"]
    assert items and {i["reason_id"] for i in items} <= members


# -- topics ----------------------------------------------------------------------------------------


def test_topics_listing_and_one(shared_client: TestClient, centre_template: Centre) -> None:
    body = get(shared_client, centre_template, "executive", "/topics", limit=2).json()
    assert set(body) == ENVELOPE | {"method", "model_version", "tier", "unexplained"}
    assert (body["method"], body["tier"], len(body["items"]), body["next_offset"]) == ("discovered", "fast", 2, 2)
    first = body["items"][0]
    assert set(first) == {"id", "name", "size", "keywords", "examples", "sub_reasons", "interactions"}
    one = get(shared_client, centre_template, "analyst", f"/topics/{first['id']}").json()
    assert one == {"method": "discovered", "model_version": body["model_version"], "tier": "fast", "reason": first,
                   "parent_id": None}  # fmt: skip
    sub = first["sub_reasons"][0]
    assert get(shared_client, centre_template, "analyst", f"/topics/{sub['id']}").json()["parent_id"] == first["id"]
    missing = get(shared_client, centre_template, "analyst", "/topics/99999")
    assert missing.status_code == 404 and "no reason or sub-reason 99999" in missing.json()["error"]["message"]


def test_topic_edits_are_for_analysts(shared_client: TestClient, centre_template: Centre) -> None:
    headers = centre_template.people["executive"].headers
    response = shared_client.post(f"{API}/topics/0/rename", json={"name": "x"}, headers=headers)
    assert response.status_code == 403


def test_rename_merge_and_split(client: TestClient, centre: Centre) -> None:
    headers = centre.people["analyst"].headers
    listing = client.get(f"{API}/topics", params={"limit": 500}, headers=headers).json()
    ids = [r["id"] for r in listing["items"]]
    renamed = client.post(f"{API}/topics/{ids[0]}/rename", json={"name": "  Lost cards "}, headers=headers)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {"id": ids[0], "name": "Lost cards", "model_version": listing["model_version"],
                              "tier": "fast"}  # fmt: skip
    assert client.get(f"{API}/topics/{ids[0]}", headers=headers).json()["reason"]["name"] == "Lost cards"
    merged = client.post(f"{API}/topics/merge", json={"ids": [ids[1], ids[2]]}, headers=headers)
    assert merged.status_code == 200, merged.text
    assert merged.json()["merged_into"] == min(ids[1], ids[2]) and merged.json()["reassigned"] > 0
    after = client.get(f"{API}/topics", params={"limit": 500}, headers=headers).json()
    assert len(after["items"]) == len(ids) - 1
    split = client.post(f"{API}/topics/{ids[0]}/split", json={"into": 2}, headers=headers)
    assert split.status_code == 200, split.text
    assert len(split.json()["reasons"]) == 2 and split.json()["reasons"][0] == ids[0]


@pytest.mark.parametrize(
    ("path", "body", "status", "location"),
    [
        ("/topics/0/rename", {"name": ""}, 422, "body.name"),
        ("/topics/merge", {"ids": [0]}, 422, "body.ids"),
        ("/topics/merge", {"ids": [0, 99999]}, 422, "body.ids"),
        ("/topics/0/split", {"into": 1}, 422, "body.into"),
        ("/topics/0/split", {}, 422, "body.into"),
        ("/topics/99999/rename", {"name": "x"}, 404, None),
        ("/topics/99999/split", {"into": 2}, 404, None),
    ],
)
def test_topic_edit_bad_input(
    client: TestClient, centre: Centre, path: str, body: dict[str, Any], status: int, location: str | None
) -> None:
    response = client.post(f"{API}{path}", json=body, headers=centre.people["analyst"].headers)
    assert response.status_code == status, response.text
    if location:
        assert response.json()["error"]["fields"][0]["location"] == location
