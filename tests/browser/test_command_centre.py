"""The command centre in real headless Chromium over a real server on 127.0.0.1: each role logs in,
an analyst drills from a signal to its interactions and creates and moves an action, an advisor
disputes a QA answer that QA then resolves, and an advisor cannot reach another advisor's interactions."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from centre_fixtures import Centre
from live_server import log_in

pytestmark = pytest.mark.slow

# Where each role lands after logging in, and pages it must and must not reach.
LANDING = {
    "admin": "/",
    "analyst": "/",
    "qa": "/",
    "supervisor": "/",
    "executive": "/",
    "advisor": "/board",
}
REACHES = {
    "admin": ["/settings/users", "/audit", "/customers"],
    "analyst": ["/drivers", "/customers", "/interactions"],
    "qa": ["/qa", "/qa/disputes", "/agents"],
    "supervisor": ["/interactions", "/agents"],
    "advisor": ["/board", "/interactions"],
    "executive": ["/drivers", "/board"],
}
REFUSED = {
    "analyst": ["/audit", "/settings/users"],
    "qa": ["/audit"],
    "supervisor": ["/settings", "/audit"],
    "advisor": ["/customers", "/drivers", "/qa"],
    "executive": ["/interactions", "/customers", "/qa/disputes"],
}


def _submit(page: Any, button: Any) -> None:
    """Clicks a form's submit button and waits for the page the server answers with."""
    with page.expect_navigation():
        button.click()


def _page(context: Any, live: tuple[str, Centre], username: str) -> Any:
    base, centre = live
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    log_in(page, base, username, centre.people[username].password)
    return page


@pytest.mark.parametrize("username", ["admin", "analyst", "qa", "supervisor", "advisor", "executive"])
def test_each_role_logs_in_and_reaches_only_its_pages(username: str, context: Any, live: tuple[str, Centre]) -> None:
    base, centre = live
    page = _page(context, live, username)
    role = centre.people[username].role
    assert page.url.removeprefix(base).split("?")[0] == LANDING[role]
    assert page.locator(".who .role").inner_text() == role
    for path in REACHES[role]:
        response = page.goto(base + path)
        assert response.status == 200, (username, path, response.status)
        assert page.locator("main h1").count() >= 1
    for path in REFUSED.get(role, []):
        response = page.goto(base + path)
        assert response.status in (403, 404), (username, path, response.status)
        assert page.locator(".error-message").count() == 1
    if role == "advisor":  # the overview is for aggregates: an advisor is sent to the board
        page.goto(base + "/")
        assert page.url == base + "/board"
    assert page.js_errors == []


def test_wrong_password_is_refused_with_a_message(context: Any, live: tuple[str, Centre]) -> None:
    base, _ = live
    page = context.new_page()
    log_in(page, base, "analyst", "not the password")
    assert "/login" in page.url
    assert "wrong user name or password" in page.locator(".error-message").inner_text()


def test_analyst_drills_from_a_signal_to_its_interactions(context: Any, live: tuple[str, Centre]) -> None:
    _, centre = live
    page = _page(context, live, "analyst")
    _submit(page, page.locator(f'a[href="/signals/{centre.facts["signal_id"]}"]').first)
    assert page.url.endswith(f"/signals/{centre.facts['signal_id']}")
    assert page.locator("canvas[data-drawn=true]").count() >= 1
    link = page.locator('main a[href^="/interactions/"]').first
    target = link.get_attribute("href")
    _submit(page, link)
    assert page.url.endswith(target)
    assert page.locator(".turn").count() >= 2
    assert page.js_errors == []


def test_analyst_creates_an_action_and_moves_it_by_form_and_by_drag(context: Any, live: tuple[str, Centre]) -> None:
    base, centre = live
    page = _page(context, live, "analyst")
    page.goto(base + "/board")
    form = page.locator(f"#signal-{centre.facts['signal_id']} form.create-action, form.create-action").first
    form.locator('input[name="title"]').fill("Fix refund status messages")
    form.locator('input[name="owner"]').fill("Refunds team")
    _submit(page, form.locator("button[type=submit]"))
    card = page.locator("[data-action-card]", has_text="Fix refund status messages")
    assert card.count() == 1
    action_id = card.get_attribute("data-action-card")
    assert page.locator('[data-board-column="open"]').locator(f"#action-{action_id}").count() == 1
    # Without JavaScript's help: the card's own form.
    card.locator('select[name="status"]').select_option("in_progress")
    _submit(page, card.locator("form.move button[type=submit]"))
    assert page.locator('[data-board-column="in_progress"]').locator(f"#action-{action_id}").count() == 1
    # With it: drag the card onto the done column.
    # Picked up by its corner: the middle of the card is its move form.
    page.drag_and_drop(f"#action-{action_id}", '[data-board-column="done"]', source_position={"x": 8, "y": 8})
    page.wait_for_selector(f'[data-board-column="done"] #action-{action_id}')
    assert page.js_errors == []


def test_advisor_disputes_an_answer_and_qa_resolves_it(chromium: Any, live: tuple[str, Centre]) -> None:
    base, centre = live
    source, ident = centre.facts["source"], centre.facts["advisor_interaction"]
    advisor_context = chromium.new_context()
    qa_context = chromium.new_context()
    try:
        advisor = _page(advisor_context, live, "advisor")
        advisor.goto(f"{base}/interactions/{source}/{ident}")
        answered = advisor.locator(".qa-answer", has=advisor.locator("p > .badge.fail, p > .badge.pass"))
        dispute = answered.locator('form[action="/qa/disputes"]').first
        criterion = dispute.locator('input[name="criterion"]').get_attribute("value")
        dispute.locator('textarea[name="comment"]').fill("I did give the disclosure, at the start of the call")
        _submit(advisor, dispute.locator("button[type=submit]"))
        assert f"/interactions/{source}/{ident}" in advisor.url
        assert "raised" in advisor.locator("[role=status]").inner_text()

        dispute_id = parse_qs(urlsplit(advisor.url).query)["disputed"][0]

        qa = _page(qa_context, live, "qa")
        qa.goto(f"{base}/qa/disputes")
        review = qa.locator(f'form[action="/qa/disputes/{dispute_id}/review"]')
        assert review.count() == 1
        assert criterion in qa.locator(f"#dispute-{dispute_id}").inner_text()
        review.locator('input[name="decision"][value="accept"]').check()
        _submit(qa, review.locator("button[type=submit]"))
        assert "reviewed" in qa.locator("[role=status]").inner_text()

        advisor.goto(f"{base}/interactions/{source}/{ident}")
        assert "accepted" in advisor.locator("main").inner_text()
        assert advisor.js_errors == [] and qa.js_errors == []
    finally:
        advisor_context.close()
        qa_context.close()


def test_advisor_cannot_reach_another_advisors_interactions(context: Any, live: tuple[str, Centre]) -> None:
    base, centre = live
    page = _page(context, live, "advisor")
    other = centre.facts["advisor2_interaction"]
    response = page.goto(f"{base}/interactions/{centre.facts['source']}/{other}")
    assert response.status == 404
    assert "among those you may see" in page.locator(".error-message").inner_text()
    status = page.evaluate(
        "async (path) => (await fetch(path)).status", f"/api/v1/interactions/{centre.facts['source']}/{other}"
    )
    assert status == 404
    own_agent = centre.people["advisor"].agent_id
    listed = page.evaluate("async () => (await (await fetch('/api/v1/interactions?limit=500')).json()).items")
    assert listed and {item["agent_id"] for item in listed} == {own_agent}
    page.goto(f"{base}/interactions")
    assert other not in page.locator("main").inner_text()


def test_supervisor_sees_a_live_alert_pushed_to_the_live_page(context: Any, live: tuple[str, Centre]) -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import orjson
    from websockets.asyncio.client import connect

    base, centre = live
    page = _page(context, live, "supervisor")
    page.goto(base + "/live")
    page.wait_for_selector('#live-status[data-state="live"]')
    advisor = centre.people["advisor"]
    start = {"type": "start", "session": {"id": "browser-live-1", "channel": "chat", "customer": {"id": "C1"},
                                          "agent": {"id": advisor.agent_id, "team": centre.facts["team"]}}}  # fmt: skip
    said = {"type": "turn", "speaker": "customer", "text": "I want to cancel my account today", "offset_ms": 1000}

    async def stream() -> list[str]:
        url = base.replace("http://", "ws://") + "/api/v1/assist/ws"
        answers = []
        async with connect(url, additional_headers={"Authorization": f"Bearer {advisor.token}"}) as ws:
            for message in (start, said, {"type": "end"}):
                await ws.send(orjson.dumps(message).decode())
                answers.append(orjson.loads(await ws.recv())["type"])
        return answers

    # Playwright's sync API holds this thread's event loop: the platform streams from another thread.
    with ThreadPoolExecutor(1) as platform:
        assert platform.submit(lambda: asyncio.run(stream())).result(60) == ["started", "update", "ended"]
    alert = page.wait_for_selector('#live-alerts li[data-kind="cancel_intent"][data-session="browser-live-1"]')
    assert "intends to cancel" in alert.inner_text()
    assert page.js_errors == []
