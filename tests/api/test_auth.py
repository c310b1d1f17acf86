"""Authentication and what every request shares: password login and its cookie, the login rate
limit, sessions and logout, CSRF, API tokens, disabled users, the error format, body limits and
the open-redirect guard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from centre_fixtures import PASSWORD, Centre
from signalroom.api.app import create_app
from signalroom.api.deps import SESSION_COOKIE
from signalroom.api.state import ServeSettings
from signalroom.auth import audit
from signalroom.store import Store
from signalroom.store import users as user_store


def app_store(client: TestClient) -> Store:
    store: Store = client.app.state.signalroom.store  # type: ignore[attr-defined]
    return store


def page_login(client: TestClient, username: str, password: str = PASSWORD, **form: str) -> Any:
    return client.post("/login", data={"username": username, "password": password, **form}, follow_redirects=False)


def csrf_of(client: TestClient) -> str:
    return str(client.get("/api/v1/auth/me").json()["csrf_token"])


@pytest.fixture
def make_client(centre: Centre) -> Iterator[Any]:
    """Clients over the test's own centre with settings of the test's choosing."""
    opened: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        client = TestClient(create_app(ServeSettings(db=centre.db, **settings)), follow_redirects=False)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


# ---------------------------------------------------------------- logging in


def test_page_login_sets_an_httponly_lax_session_cookie_not_secure_over_http(client: TestClient) -> None:
    response = page_login(client, "analyst")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert attributes["path"] == "Path=/"
    assert attributes["max-age"] == "Max-Age=43200"
    assert "secure" not in attributes
    me = client.get("/api/v1/auth/me").json()
    assert {k: me[k] for k in ("username", "role", "scope", "via")} == {
        "username": "analyst", "role": "analyst", "scope": "everything", "via": "session"
    }  # fmt: skip
    assert len(me["csrf_token"]) >= 24


def test_secure_cookies_always_marks_the_cookie_secure(make_client: Any) -> None:
    client = make_client(secure_cookies="always")
    response = page_login(client, "analyst")
    assert response.status_code == 303
    assert "secure" in [p.strip().lower() for p in response.headers["set-cookie"].split(";")]


def test_api_login_answers_the_user_and_csrf_token(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "supervisor", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    team = body["teams"][0]
    assert body == {
        "username": "supervisor", "display_name": "supervisor", "role": "supervisor", "teams": [team],
        "agent_id": None, "scope": f"teams {team}", "via": "session", "csrf_token": body["csrf_token"],
    }  # fmt: skip
    assert "httponly" in response.headers["set-cookie"].lower()


def test_a_wrong_password_shows_the_login_page_again_with_401(client: TestClient) -> None:
    response = page_login(client, "analyst", "not the password")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert "wrong user name or password, or the user is disabled" in response.text
    assert 'value="analyst"' in response.text  # the name stays typed
    assert "set-cookie" not in response.headers
    unknown = page_login(client, "nobody", "not the password")
    assert unknown.status_code == 401
    assert "wrong user name or password" in unknown.text  # the same answer: names are not revealed
    api = client.post("/api/v1/auth/login", json={"username": "analyst", "password": "nope"})
    assert api.json() == {
        "error": {"status": 401, "code": "not_authenticated", "message": "wrong user name or password, or the user "
                  "is disabled"}
    }  # fmt: skip


def test_a_login_posted_from_another_site_is_refused(client: TestClient) -> None:
    response = client.post("/login", data={"username": "analyst", "password": PASSWORD},
                           headers={"Origin": "https://evil.example"})  # fmt: skip
    assert response.status_code == 403
    assert "a login from another site (https://evil.example) is refused" in response.text


def test_passwords_are_stored_as_argon2_hashes(client: TestClient) -> None:
    [row] = user_store.user_rows(app_store(client), username="analyst")
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]


def test_logins_and_failures_are_audited_with_the_client(client: TestClient) -> None:
    page_login(client, "qa", "wrong password!")
    page_login(client, "qa")
    rows, _ = audit.entries(app_store(client), limit=2)
    assert [(r["username"], r["action"], r["resource"], r["client"]) for r in rows] == [
        ("qa", "login", None, "testclient"),
        ("cli", "login_failed", "user qa", "testclient"),
    ]


# ---------------------------------------------------------------- rate limit


def test_five_failures_block_logins_with_429_and_retry_after(client: TestClient) -> None:
    for _ in range(5):
        assert page_login(client, "analyst", "wrong password").status_code == 401
    blocked = page_login(client, "analyst", "wrong password")
    assert blocked.status_code == 429
    wait = int(blocked.headers["retry-after"])
    assert 1 <= wait <= 301
    assert f"too many failed logins: try again in {wait} s" in blocked.text
    # The right password is refused too while blocked, on the page and the API.
    right = page_login(client, "analyst")
    assert right.status_code == 429
    assert "set-cookie" not in right.headers
    api = client.post("/api/v1/auth/login", json={"username": "analyst", "password": PASSWORD})
    assert api.status_code == 429
    assert api.headers["retry-after"]
    assert api.json()["error"]["code"] == "too_many_requests"


def test_the_block_ends_when_the_window_has_passed(client: TestClient) -> None:
    limiter = client.app.state.signalroom.limiter  # type: ignore[attr-defined]
    now = [1000.0]
    limiter.clock = lambda: now[0]
    for _ in range(5):
        page_login(client, "analyst", "wrong password")
    assert page_login(client, "analyst").status_code == 429
    now[0] += limiter.window_s + 1
    assert page_login(client, "analyst").status_code == 303


# ---------------------------------------------------------------- sessions


def test_logout_ends_the_session(client: TestClient) -> None:
    page_login(client, "admin")
    cookie = client.cookies[SESSION_COOKIE]
    assert client.get("/settings").status_code == 200
    refused = client.post("/logout")  # a logout without the CSRF token is refused
    assert refused.status_code == 403
    response = client.post("/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    # The old cookie is worthless now, even if a browser kept it.
    client.cookies.set(SESSION_COOKIE, cookie)
    assert client.get("/api/v1/auth/me").status_code == 401
    again = client.get("/settings", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == "/login?next=%2Fsettings"


def test_api_logout_ends_the_session(client: TestClient) -> None:
    csrf = client.post("/api/v1/auth/login", json={"username": "qa", "password": PASSWORD}).json()["csrf_token"]
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).json() == {"status": "logged out"}
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_made_up_session_cookie_is_not_a_login(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "made-up")
    assert client.get("/api/v1/auth/me").status_code == 401


# ---------------------------------------------------------------- CSRF


def test_cookie_authenticated_changes_need_the_csrf_token(client: TestClient) -> None:
    page_login(client, "admin")
    csrf = csrf_of(client)
    missing = client.post("/api/v1/users/analyst/tokens", json={"name": "x"})
    assert missing.status_code == 403
    assert missing.json() == {
        "error": {"status": 403, "code": "forbidden",
                  "message": "missing or wrong CSRF token: send the page's token as X-CSRF-Token or csrf_token"}
    }  # fmt: skip
    wrong = client.patch("/api/v1/users/analyst", json={"display_name": "Ann"}, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    assert client.patch("/api/v1/users/analyst", json={"display_name": "Ann"}).status_code == 403
    patched = client.patch("/api/v1/users/analyst", json={"display_name": "Ann"}, headers={"X-CSRF-Token": csrf})
    assert patched.status_code == 200
    assert patched.json()["display_name"] == "Ann"
    made = client.post("/api/v1/users/analyst/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201
    # Reads need no token.
    assert client.get("/api/v1/users").status_code == 200


def test_api_tokens_need_no_csrf_token(client: TestClient, centre: Centre) -> None:
    response = client.patch(
        "/api/v1/users/analyst", json={"display_name": "Ann"}, headers=centre.people["admin"].headers
    )
    assert response.status_code == 200
    assert client.post("/api/v1/users/qa/tokens", json={"name": "x"},
                       headers=centre.people["admin"].headers).status_code == 201  # fmt: skip


def test_a_malformed_authorization_header_is_refused(client: TestClient) -> None:
    response = client.get("/api/v1/auth/me", headers={"Authorization": "Basic YWRtaW46eA=="})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["message"] == "the Authorization header must be 'Bearer <token>'"
    anonymous = client.get("/api/v1/auth/me")
    assert anonymous.json() == {
        "error": {"status": 401, "code": "not_authenticated",
                  "message": "log in, or send an API token as 'Authorization: Bearer …'"}
    }  # fmt: skip


# ---------------------------------------------------------------- disabled users, revoked tokens


def test_a_disabled_user_is_out_at_once_token_and_session(make_client: Any, centre: Centre) -> None:
    admin, analyst = make_client(), make_client()
    token = centre.people["analyst"].headers
    page_login(analyst, "analyst")
    assert analyst.get("/api/v1/auth/me").status_code == 200
    assert admin.get("/api/v1/auth/me", headers=token).status_code == 200

    response = admin.patch("/api/v1/users/analyst", json={"disabled": True}, headers=centre.people["admin"].headers)
    assert response.json()["disabled"] is True
    refused = admin.get("/api/v1/auth/me", headers=token)
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "the API token is not valid: unknown, revoked, or its user is disabled"
    assert analyst.get("/api/v1/auth/me").status_code == 401
    assert analyst.get("/drivers").status_code == 303  # to the login page
    assert page_login(make_client(), "analyst").status_code == 401

    admin.patch("/api/v1/users/analyst", json={"disabled": False}, headers=centre.people["admin"].headers)
    assert admin.get("/api/v1/auth/me", headers=token).status_code == 200
    assert analyst.get("/api/v1/auth/me").status_code == 401  # the session stays ended


def test_a_revoked_token_is_refused(client: TestClient, centre: Centre) -> None:
    admin = centre.people["admin"].headers
    made = client.post("/api/v1/users/qa/tokens", json={"name": "wallboard"}, headers=admin).json()
    assert made["token"].startswith("sr_")
    bearer = {"Authorization": f"Bearer {made['token']}"}
    assert client.get("/api/v1/auth/me", headers=bearer).json()["via"] == "token"
    revoked = client.delete(f"/api/v1/users/qa/tokens/{made['token_id']}", headers=admin)
    assert revoked.json() == {"token_id": made["token_id"], "revoked": True}
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401
    again = client.delete(f"/api/v1/users/qa/tokens/{made['token_id']}", headers=admin)
    assert again.status_code == 422
    assert again.json()["error"]["message"] == f"no active token #{made['token_id']}"


# ---------------------------------------------------------------- errors and limits


def test_unknown_paths_answer_404_json_under_api_and_a_page_elsewhere(shared_client: TestClient,
                                                                     centre_template: Centre) -> None:  # fmt: skip
    headers = centre_template.people["admin"].headers
    api = shared_client.get("/api/v1/no-such-thing", headers=headers)
    assert api.status_code == 404
    assert api.json() == {
        "error": {"status": 404, "code": "not_found", "message": "no such path: /api/v1/no-such-thing"}
    }
    page = shared_client.get("/no-such-page", headers=headers)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "no such path: /no-such-page" in page.text
    method = shared_client.delete("/api/v1/auth/me", headers=headers)
    assert method.status_code == 405
    assert method.json()["error"] == {"status": 405, "code": "method_not_allowed",
                                      "message": "DELETE is not allowed on /api/v1/auth/me"}  # fmt: skip


def test_validation_errors_list_each_field(shared_client: TestClient, centre_template: Centre) -> None:
    response = shared_client.post("/api/v1/users", json={"username": "x", "teams": "Cards"},
                                  headers=centre_template.people["admin"].headers)  # fmt: skip
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["fields"] == [
        {"location": "body.username", "problem": "String should have at least 2 characters"},
        {"location": "body.role", "problem": "Field required"},
        {"location": "body.teams", "problem": "Input should be a valid list"},
    ]
    assert error["message"].startswith("the request is not valid: body.username: String should have at least 2")
    query = shared_client.get("/api/v1/audit?limit=0", headers=centre_template.people["admin"].headers)
    assert query.json()["error"]["fields"] == [
        {"location": "query.limit", "problem": "Input should be greater than or equal to 1"}
    ]


def _chunks(size: int, piece: int = 1000) -> Iterator[bytes]:
    yield b'{"name": "'
    for _ in range(size // piece):
        yield b"x" * piece
    yield b'"}'


TOO_LARGE = {"error": {"status": 413, "code": "too_large", "message": "the request body is larger than the limit of "
                       "4,096 bytes"}}  # fmt: skip


@pytest.mark.parametrize("path", ["/api/v1/users/qa/tokens", "/settings/users"])
def test_bodies_over_the_limit_get_413_with_or_without_content_length(make_client: Any, centre: Centre,
                                                                      path: str) -> None:  # fmt: skip
    client = make_client(max_body_bytes=4096)
    kind = "application/json" if path.startswith("/api/") else "application/x-www-form-urlencoded"
    headers = {**centre.people["admin"].headers, "Content-Type": kind}
    declared = client.post(path, content=b"".join(_chunks(10_000)), headers=headers)
    assert declared.status_code == 413
    assert declared.json() == TOO_LARGE
    streamed = client.post(path, content=_chunks(10_000), headers=headers)  # chunked: no Content-Length
    assert streamed.status_code == 413
    assert streamed.json() == TOO_LARGE
    small = client.post("/api/v1/users/qa/tokens", json={"name": "x" * 100}, headers=centre.people["admin"].headers)
    assert small.status_code == 201


def test_a_lying_content_length_does_not_pass_the_limit(make_client: Any, centre: Centre) -> None:
    client = make_client(max_body_bytes=4096)
    # The header says 100 bytes; the server counts what arrives.
    headers = {**centre.people["admin"].headers, "Content-Type": "application/json", "Content-Length": "100"}
    response = client.post("/api/v1/users/qa/tokens", content=_chunks(10_000), headers=headers)
    assert response.status_code == 413
    assert response.json() == TOO_LARGE


# ---------------------------------------------------------------- where a login leads


@pytest.mark.parametrize(
    ("next_", "lands"),
    [
        ("/settings/users", "/settings/users"),
        ("/audit?action=login", "/audit?action=login"),
        ("//evil.com", "/"),
        ("https://evil.com/x", "/"),
        ("/\\evil.com", "/"),
        ("/\t/evil.com", "/"),
        ("evil.com", "/"),
    ],
)
def test_next_only_leads_to_a_path_on_this_site(client: TestClient, next_: str, lands: str) -> None:
    response = page_login(client, "admin", next=next_)
    assert response.status_code == 303
    assert response.headers["location"] == lands
    form = client.get("/login", params={"next": next_}).text
    assert f'name="next" value="{lands if lands != "/" else ""}"'.replace("&", "&amp;") in form


def test_each_role_lands_on_its_first_page(client: TestClient) -> None:
    assert page_login(client, "advisor").headers["location"] == "/board"
    assert page_login(client, "executive").headers["location"] == "/"
