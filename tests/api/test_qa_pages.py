"""The QA and agents pages: what each role sees, the dispute form posted from an interaction page
(as an advisor, with the session's CSRF token) and its review from the disputes queue (as QA)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from centre_fixtures import PASSWORD, Centre


def login(client: TestClient, username: str) -> str:
    """Logs the client in with a session cookie; the session's CSRF token."""
    response = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(client.get("/api/v1/auth/me").json()["csrf_token"])


def logout(client: TestClient, csrf: str) -> None:
    client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)


def failing_answer(client: TestClient, centre: Centre, interaction: str) -> dict[str, Any]:
    answers = client.get(f"/api/v1/qa/answers?interaction={interaction}", headers=centre.people["qa"].headers)
    return next(a for a in answers.json()["items"] if a["value"] == "fail")


def query_of(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


def chart_of(html: str) -> dict[str, Any]:
    found = re.search(r"data-chart='([^']*)'", html)
    assert found, "no chart on the page"
    config: dict[str, Any] = json.loads(found.group(1).replace("&#39;", "'"))
    return config


def test_qa_page_shows_scorecards_and_the_2_percent_contrast(
    shared_client: TestClient, centre_template: Centre
) -> None:
    response = shared_client.get("/qa", headers=centre_template.people["qa"].headers)
    assert response.status_code == 200
    html = response.text
    assert "Call-recording and monitoring disclosure" in html  # a criterion of a scorecard
    assert "Compliance risk: every interaction, against a 2% review sample" in html
    assert 'href="/qa/disputes"' in html and 'href="/qa/calibration"' in html
    chart = chart_of(html)
    assert [d["label"] for d in chart["data"]["datasets"]] == [
        "Every interaction: 95% interval", "A 2% review sample: 95% interval"
    ]  # fmt: skip
    assert all(len(bar) == 2 for bar in chart["data"]["datasets"][0]["data"])
    assert float(response.headers["server-timing"].split("dur=")[1]) > 0
    for username in ("advisor", "executive"):
        assert shared_client.get("/qa", headers=centre_template.people[username].headers).status_code == 403


def test_an_advisor_is_sent_to_my_work(shared_client: TestClient, centre_template: Centre) -> None:
    advisor = centre_template.people["advisor"]
    redirect = shared_client.get("/agents", headers=advisor.headers, follow_redirects=False)
    assert (redirect.status_code, redirect.headers["location"]) == (303, f"/agents/{advisor.agent_id}")
    page = shared_client.get(f"/agents/{advisor.agent_id}", headers=advisor.headers)
    assert page.status_code == 200
    assert "<h1>My work</h1>" in page.text
    assert "This is everything QA measures about your work" in page.text
    assert "Your coaching plan" in page.text and "Your disputes" in page.text
    assert [d["label"] for d in chart_of(page.text)["data"]["datasets"]] == ["This agent", "Everyone else"]
    other = centre_template.people["advisor2"].agent_id
    hidden = shared_client.get(f"/agents/{other}", headers=advisor.headers)
    assert hidden.status_code == 404 and "among those you may see" in hidden.text


def test_a_supervisor_sees_their_teams_agents(shared_client: TestClient, centre_template: Centre) -> None:
    supervisor = centre_template.people["supervisor"]
    page = shared_client.get("/agents?finding=all", headers=supervisor.headers)
    assert page.status_code == 200
    teams = set(re.findall(r"<td>([A-Z][a-z]+)</td>", page.text))
    assert teams == set(supervisor.teams)
    everyone = shared_client.get("/agents?finding=all", headers=centre_template.people["analyst"].headers).text
    assert len(set(re.findall(r"<td>([A-Z][a-z]+)</td>", everyone))) > 1
    assert shared_client.get("/agents", headers=centre_template.people["executive"].headers).status_code == 403


def test_dispute_from_the_interaction_page_and_review_from_the_queue(client: TestClient, centre: Centre) -> None:
    own = centre.facts["advisor_interaction"]
    answer = failing_answer(client, centre, own)
    back = f"/interactions/demo/{own}"
    form = {"source": "demo", "id": own, "scorecard": answer["scorecard_id"], "criterion": answer["criterion_id"],
            "comment": "I gave the next steps", "back": back}  # fmt: skip
    csrf = login(client, "advisor")
    refused = client.post("/qa/disputes", data=form, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token
    raised = client.post("/qa/disputes", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert raised.status_code == 303
    assert urlsplit(raised.headers["location"]).path == back
    [number] = query_of(raised.headers["location"])["disputed"]
    twice = client.post("/qa/disputes", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert query_of(twice.headers["location"])["error"] == [f"dispute {number} about this answer is still open"]
    mine = client.get(f"/agents/{centre.people['advisor'].agent_id}")
    assert "I gave the next steps" in mine.text
    denied = client.post(f"/qa/disputes/{number}/review", data={"csrf_token": csrf, "decision": "accept"},
                         follow_redirects=False)  # fmt: skip
    assert denied.status_code == 403
    logout(client, csrf)

    csrf = login(client, "qa")
    queue = client.get("/qa/disputes")
    assert queue.status_code == 200
    assert f'action="/qa/disputes/{number}/review"' in queue.text and "I gave the next steps" in queue.text
    review = {"csrf_token": csrf, "decision": "accept", "value": "", "comment": "right",
              "back": "/qa/disputes?status=open"}  # fmt: skip
    reviewed = client.post(f"/qa/disputes/{number}/review", data=review, follow_redirects=False)
    assert reviewed.status_code == 303
    assert reviewed.headers["location"] == f"/qa/disputes?status=open&reviewed={number}"
    assert f"Dispute {number} reviewed." in client.get(reviewed.headers["location"]).text
    again = client.post(f"/qa/disputes/{number}/review", follow_redirects=False,
                        data={"csrf_token": csrf, "decision": "reject"})  # fmt: skip
    assert query_of(again.headers["location"])["error"] == [f"dispute {number} was already accepted by qa"]
    accepted = client.get("/qa/disputes?status=accepted").text
    assert f'id="dispute-{number}"' in accepted and "the answer is now" in accepted


def test_dispute_form_checks_scope_and_where_it_sends_back(client: TestClient, centre: Centre) -> None:
    other = centre.facts["advisor2_interaction"]
    answer = failing_answer(client, centre, other)
    csrf = login(client, "advisor")
    form = {"csrf_token": csrf, "source": "demo", "id": other, "criterion": answer["criterion_id"],
            "comment": "not mine", "back": "https://evil.example/steal"}  # fmt: skip
    response = client.post("/qa/disputes", data=form, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert urlsplit(location).path == f"/agents/{centre.people['advisor'].agent_id}"  # not the other site
    assert query_of(location)["error"] == [f"no interaction '{other}' among those you may see"]
    empty = client.post("/qa/disputes", data={"csrf_token": csrf, "back": "//evil.example"}, follow_redirects=False)
    assert query_of(empty.headers["location"])["error"] == ["a dispute needs the interaction and the criterion"]
    assert urlsplit(empty.headers["location"]).netloc == ""


def test_calibration_page(client: TestClient, centre: Centre) -> None:
    own = centre.facts["advisor_interaction"]
    criterion = failing_answer(client, centre, own)["criterion_id"]
    rows = [{"evaluator": "ann", "interaction": own, "criterion": criterion, "answer": "fail"},
            {"evaluator": "bob", "interaction": own, "criterion": criterion, "answer": "pass"}]  # fmt: skip
    client.post("/api/v1/qa/evaluations", json={"evaluations": rows}, headers=centre.people["qa"].headers)
    csrf = login(client, "qa")
    page = client.get("/qa/calibration")
    assert page.status_code == 200
    assert 'action="/qa/calibration/record"' in page.text and f">demo/{own}</a>" in page.text
    recorded = client.post("/qa/calibration/record", follow_redirects=False, data={
        "csrf_token": csrf, "id": own, "source": "demo", "criterion": criterion, "answer": "pass", "note": "agreed",
        "back": "/qa/calibration"})  # fmt: skip
    assert recorded.status_code == 303 and "recorded" in query_of(recorded.headers["location"])
    after = client.get(recorded.headers["location"]).text
    assert "Calibration sessions" in after and "Auto-QA against the agreed answers" in after
    logout(client, csrf)
    login(client, "supervisor")
    seen = client.get("/qa/calibration")
    assert seen.status_code == 200 and 'action="/qa/calibration/record"' not in seen.text
