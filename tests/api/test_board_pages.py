"""The Signals & actions board and the signal page: what each role sees, that their forms (with the
session's CSRF token) create, move and flag, the drag's PATCH, the impact chart, scope, and the time
each page takes."""

from __future__ import annotations

import json
import re
import statistics

import pytest
from fastapi.testclient import TestClient

from centre_fixtures import PASSWORD, Centre
from signalroom.actions.actions import STATUSES

ROLES = ("admin", "analyst", "qa", "supervisor", "advisor", "advisor2", "executive")


def login(client: TestClient, username: str) -> str:
    """Log in through the page; the CSRF token the pages carry."""
    client.cookies.clear()
    response = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf(client.get("/board").text)


def csrf(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def forms(html: str) -> list[str]:
    """The forms' actions, other than logging out."""
    return [a for a in re.findall(r'<form method="post" action="([^"]+)"', html) if a != "/logout"]


def charts(html: str) -> list[dict[str, object]]:
    return [json.loads(c.replace("&#39;", "'")) for c in re.findall(r"data-chart='([^']*)'", html)]


@pytest.fixture
def page_client(client: TestClient) -> TestClient:
    client.follow_redirects = False
    return client


def test_each_role_sees_its_board(shared_client: TestClient, centre_template: Centre) -> None:
    sid = centre_template.facts["signal_id"]
    for who in ROLES:
        login(shared_client, who)
        html = shared_client.get("/board").text
        columns = re.findall(r'data-board-column="([^"]+)"', html)
        if who in ("admin", "analyst", "qa", "supervisor"):
            assert columns == list(STATUSES), who
            assert forms(html) == ["/board/actions", "/board/flags"], who
            assert "Ranked signals without an action" in html
        elif who == "executive":
            assert (columns, forms(html)) == ([], []), who  # read-only
            assert '<h2 id="actions-heading">Actions <span class="muted">(read-only)</span></h2>' in html
        else:
            assert (columns, forms(html)) == ([], ["/board/flags"]), who
            assert "actions-heading" not in html
        assert f'<a href="/signals/{sid}">' in html, who


def test_create_and_move_an_action_with_the_forms(page_client: TestClient, centre: Centre) -> None:
    sid = centre.facts["signal_id"]
    token = login(page_client, "analyst")
    html = page_client.get("/board").text
    assert f'<input type="hidden" name="csrf_token" value="{token}">' in html
    assert '<option value="policy" selected>policy</option>' in html  # the routing's suggested owner
    assert 'value="Commercial policy"' in html
    without = page_client.post("/board/actions", data={"signal_id": sid, "title": "x"})
    assert without.status_code == 403
    created = page_client.post("/board/actions", data={
        "csrf_token": token, "signal_id": sid, "title": "Rewrite the fee letter", "owner_function": "policy",
        "owner": "Fees team", "due": "2026-01-05", "next": "/board",
    })  # fmt: skip
    assert (created.status_code, created.headers["location"]) == (303, "/board?notice=created")
    html = page_client.get("/board?notice=created").text
    assert "Action created." in html
    open_column = html.split('data-board-column="open"')[1].split('data-board-column="in_progress"')[0]
    assert 'data-action-card="1"' in open_column
    assert "Rewrite the fee letter" in open_column and "Fees team" in open_column
    assert '<span class="badge late">overdue</span>' in open_column
    assert f'signal <a href="/signals/{sid}">#1 ' in open_column
    assert "Every ranked signal has an action." in html

    bad_day = page_client.post("/board/actions", data={"csrf_token": token, "signal_id": sid, "due": "05/01/2026"})
    assert bad_day.status_code == 422 and "due: &#39;05/01/2026&#39; is not a date (YYYY-MM-DD)" in bad_day.text
    moved = page_client.post("/board/actions/1/move", data={"csrf_token": token, "status": "in_progress",
                                                            "next": f"/signals/{sid}"})  # fmt: skip
    assert (moved.status_code, moved.headers["location"]) == (303, f"/signals/{sid}?notice=moved")
    wrong = page_client.post("/board/actions/1/move", data={"csrf_token": token, "status": "verified"})
    assert wrong.status_code == 409
    assert "action 1 is in_progress: it cannot become verified" in wrong.text
    # The drag: app.js sends the column's status to the API with the page's token.
    dragged = page_client.patch("/api/v1/actions/1", json={"status": "done"}, headers={"X-CSRF-Token": token})
    assert (dragged.status_code, dragged.json()["status"]) == (200, "done")
    assert page_client.patch("/api/v1/actions/1", json={"status": "verified"}).status_code == 403  # no token
    html = page_client.get("/board").text
    done_column = html.split('data-board-column="done"')[1].split('data-board-column="verified"')[0]
    assert 'data-action-card="1"' in done_column
    assert "Impact: too early" in done_column  # done today: no days after it in the demo's data


def test_those_who_may_not_manage_cannot_post(page_client: TestClient, centre: Centre) -> None:
    for who in ("advisor", "executive"):
        token = login(page_client, who)
        refused = page_client.post("/board/actions", data={"csrf_token": token, "signal_id": centre.facts["signal_id"]})
        assert refused.status_code == 403, who
    token = login(page_client, "executive")
    assert page_client.post("/board/flags", data={"csrf_token": token, "text": "x"}).status_code == 403


def test_an_advisor_flags_from_the_signal_page(page_client: TestClient, centre: Centre) -> None:
    sid = centre.facts["signal_id"]
    token = login(page_client, "advisor")
    html = page_client.get(f"/signals/{sid}").text
    assert forms(html) == ["/board/flags"]
    own, other = (f"demo/{centre.facts[k]}" for k in ("advisor_interaction", "advisor2_interaction"))
    refused = page_client.post("/board/flags", data={"csrf_token": token, "text": "fee letter", "interaction": other})
    assert refused.status_code == 404 and "among those you may see" in refused.text
    flagged = page_client.post("/board/flags", data={"csrf_token": token, "text": "fee letter confuses people",
                                                     "interaction": own, "next": f"/signals/{sid}"})  # fmt: skip
    assert (flagged.status_code, flagged.headers["location"]) == (303, f"/signals/{sid}?notice=flagged")
    elsewhere = page_client.post("/board/flags", data={"csrf_token": token, "text": "again",
                                                       "next": "https://evil.example/"})  # fmt: skip
    assert elsewhere.headers["location"] == "/board?notice=flagged"
    listed = page_client.get("/api/v1/signals/flags").json()
    assert [(f["text"], f["interaction"]) for g in listed["items"] for f in g["items"]] == [
        ("fee letter confuses people", own), ("again", None),
    ]  # fmt: skip


def test_signal_page_shows_the_signal_and_only_visible_interactions(
    shared_client: TestClient, centre_template: Centre
) -> None:
    sid = centre_template.facts["signal_id"]
    login(shared_client, "analyst")
    html = shared_client.get(f"/signals/{sid}").text
    assert "<h1>Signal 1</h1>" in html
    assert '<span class="badge detector">driver</span>' in html
    assert "<dt>First detected</dt><dd>2026-03-31</dd>" in html
    assert "Commercial policy" in html and "(rule fees-and-policy)" in html
    [chart] = charts(html)
    assert chart["type"] == "line" and chart["data"]["labels"][0] == "2026-03-02"  # type: ignore[index]
    assert forms(html) == ["/board/actions", "/board/flags"]
    assert re.findall(r'<a href="/interactions/demo/bot-[^"]+">demo/bot-', html)  # its evidence

    login(shared_client, "advisor")
    html = shared_client.get(f"/signals/{sid}").text
    linked = set(re.findall(r'<a href="/interactions/demo/([^"]+)">', html))
    assert centre_template.facts["advisor2_interaction"] not in linked
    api = shared_client.get(f"/api/v1/signals/{sid}/interactions?limit=500").json()
    assert linked == {i["id"] for i in api["items"]} and linked
    assert "only those you may see (own interactions (agent A" in html

    login(shared_client, "executive")
    html = shared_client.get(f"/signals/{sid}").text
    assert "/interactions/" not in html and forms(html) == []
    assert "No action yet." in html
    assert shared_client.get("/signals/999").status_code == 404


def test_done_cards_chart_their_impact(done_client: TestClient, centre: Centre) -> None:
    login(done_client, "executive")
    html = done_client.get("/board").text
    done_column = html.split('aria-label="Done"')[1].split('aria-label="Verified"')[0]
    assert 'id="action-1"' in done_column and "data-action-card" not in done_column
    [chart] = charts(done_column)
    labels = [d["label"] for d in chart["data"]["datasets"]]  # type: ignore[index]
    assert labels == ["before", "after", "before rate", "after rate"]
    assert chart["data"]["labels"][0] == "2026-03-01" or chart["data"]["labels"][0] == "2026-03-02"  # type: ignore[index]
    signal_page = done_client.get(f"/signals/{centre.facts['signal_id']}").text
    assert len(charts(signal_page)) == 2  # the series and the action's impact


def test_pages_take_under_300_ms(shared_client: TestClient, centre_template: Centre) -> None:
    login(shared_client, "supervisor")
    for path in ("/board", f"/signals/{centre_template.facts['signal_id']}"):
        timings = []
        for _ in range(7):
            response = shared_client.get(path)
            assert response.status_code == 200
            timings.append(float(response.headers["Server-Timing"].split("dur=")[1]))
        assert statistics.median(timings) < 300, (path, timings)
