"""The overview and drivers pages: what they show, who reaches them, and their server time."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi.testclient import TestClient
from markupsafe import escape

from centre_fixtures import Centre
from signalroom.actions.actions import create_action, update_action
from signalroom.api import cache
from signalroom.api.app import create_app
from signalroom.api.state import ServeSettings
from signalroom.store import Store


def page(client: TestClient, centre: Centre, who: str, path: str) -> tuple[int, str, dict[str, str]]:
    response = client.get(path, headers=centre.people[who].headers, follow_redirects=False)
    return response.status_code, response.text, dict(response.headers)


def charts(html: str) -> list[dict[str, object]]:
    return [json.loads(unescape(m)) for m in re.findall(r"data-chart='([^']*)'", html)]


def test_overview_shows_kpis_with_trends_and_the_signals(shared_client: TestClient, centre_template: Centre) -> None:
    status, html, _ = page(shared_client, centre_template, "executive", "/")
    assert status == 200
    kpis = re.findall(r'data-kpi="([a-z_]+)"', html)
    assert kpis == ["contacts", "repeat_contact_rate", "first_contact_resolution", "bot_containment_rate", "csat",
                    "csat_predicted"]  # fmt: skip
    drawn = charts(html)
    assert len(drawn) == 6 and all(c["type"] == "line" for c in drawn)
    days = drawn[0]["data"]["labels"]  # type: ignore[index]
    assert len(days) == 14 and days[-1] == "31 Mar"  # the last two weeks of data by default
    assert "vs" in html and "compared with 2026-03-04 → 2026-03-17" in html
    signal = centre_template.facts["signal_id"]
    assert f'href="/signals/{signal}"' in html and "no action yet" in html
    assert "Commercial policy" in html  # the signal's owner


def test_overview_period_form(shared_client: TestClient, centre_template: Centre) -> None:
    status, html, _ = page(shared_client, centre_template, "analyst", "/?from=2026-03-10&to=2026-03-16")
    assert status == 200
    assert 'value="2026-03-10"' in html and "compared with 2026-03-03 → 2026-03-09" in html
    assert len(charts(html)[0]["data"]["labels"]) == 7  # type: ignore[index]


def test_overview_sends_others_home(shared_client: TestClient, centre_template: Centre) -> None:
    status, _, headers = page(shared_client, centre_template, "advisor", "/")
    assert status == 303 and headers["location"] != "/"


def test_overview_shows_the_status_of_a_signals_action(centre: Centre) -> None:
    with Store.open(centre.db) as store:
        action = create_action(store, by="analyst", signal_id=centre.facts["signal_id"])
        update_action(store, action["action_id"], by="analyst", status="in_progress")
    with TestClient(create_app(ServeSettings(db=centre.db))) as fresh:
        status, html, _ = page(fresh, centre, "supervisor", "/")
    assert status == 200 and "in progress" in html and "no action yet" not in html


def test_drivers_page_chart_table_and_drill_links(shared_client: TestClient, centre_template: Centre) -> None:
    status, html, _ = page(shared_client, centre_template, "analyst", "/drivers?outcome=unresolved")
    assert status == 200
    assert '<option value="unresolved" selected>' in html
    [chart] = charts(html)
    assert chart["type"] == "bar" and chart["options"]["indexAxis"] == "y"  # type: ignore[index]
    links = [unescape(h) for h in re.findall(r'href="(/drivers/interactions\?[^"]+)"', html)]
    assert len(links) == len(chart["data"]["labels"]) > 0  # type: ignore[index]
    query = parse_qs(urlsplit(links[0]).query)
    assert query["outcome"] == ["unresolved"] and ":" in query["driver"][0]
    status, drill, _ = page(shared_client, centre_template, "analyst", links[0])
    assert status == 200 and 'href="/interactions/demo/' in drill


def test_drivers_page_for_an_executive_has_no_drill_down(shared_client: TestClient, centre_template: Centre) -> None:
    status, html, _ = page(shared_client, centre_template, "executive", "/drivers?outcome=negative_end")
    assert status == 200 and "/drivers/interactions" not in html and "<table" in html
    status, _, _ = page(shared_client, centre_template, "executive",
                        "/drivers/interactions?outcome=negative_end&driver=handling:unresolved")  # fmt: skip
    assert status == 403


def test_drivers_page_bad_outcome(shared_client: TestClient, centre_template: Centre) -> None:
    status, html, _ = page(shared_client, centre_template, "analyst", "/drivers?outcome=happiness")
    assert status == 422 and "unknown outcome &#39;happiness&#39;" in html


def test_drill_page_is_scoped(shared_client: TestClient, centre_template: Centre) -> None:
    path = "/drivers/interactions?outcome=negative_end&driver=handling:unresolved"
    ids = {}
    for who in ("analyst", "supervisor", "advisor"):
        status, html, _ = page(shared_client, centre_template, who, path)
        assert status == 200
        ids[who] = set(re.findall(r'href="/interactions/demo/([^"]+)"', html))
    assert ids["advisor"] and ids["supervisor"] and ids["analyst"]
    own = centre_template.people["advisor"].agent_id
    with Store.open(centre_template.db, read_only=True) as store:
        marks = ", ".join("?" for _ in ids["advisor"])
        agents = store.connection.execute(
            f"SELECT DISTINCT agent_id FROM interactions WHERE id IN ({marks})", list(ids["advisor"])
        ).fetchall()
    assert agents == [(own,)]


def test_drill_page_names_its_driver_as_the_report_does_or_from_its_key(
    shared_client: TestClient, centre_template: Centre
) -> None:
    headers = centre_template.people["analyst"].headers
    report = shared_client.get("/api/v1/drivers", params={"outcome": "unresolved"}, headers=headers).json()
    first = report["drivers"][0]
    path = "/drivers/interactions?" + urlencode({"outcome": "unresolved", "driver": first["key"]})
    status, html, _ = page(shared_client, centre_template, "analyst", path)
    assert status == 200 and f"<strong>{escape(first['label'])}</strong>" in html
    # Without the report at hand the drill-down names the driver from its key, without ranking.
    topics = shared_client.get("/api/v1/topics", headers=headers).json()["items"]
    ids = [t["id"] for t in topics if t["id"] >= 0][:5]
    names = {t["id"]: t["name"] for t in topics}
    cache.clear()
    key = "reason:" + "+".join(str(i) for i in ids)
    status, html, _ = page(shared_client, centre_template, "analyst",
                           "/drivers/interactions?" + urlencode({"outcome": "unresolved", "driver": key}))  # fmt: skip
    expected = ", ".join(names[i] for i in ids[:3]) + " and 2 more related reasons"
    assert status == 200 and f"<strong>{escape(expected)}</strong>" in html
    assert "drivers" not in cache.kinds()
    cache.clear()
    status, html, _ = page(shared_client, centre_template, "analyst",
                           "/drivers/interactions?outcome=negative_end&driver=handling:unresolved")  # fmt: skip
    assert status == 200 and "<strong>handling unresolved</strong>" in html
