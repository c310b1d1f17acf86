"""Every route of the command centre enforces its role rule: one test per route of the whole route
table, asking it as each role and as nobody."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from centre_fixtures import Centre, build_centre
from signalroom.api.app import create_app, route_table
from signalroom.api.deps import RoleGate
from signalroom.api.state import ServeSettings
from signalroom.auth.roles import Role

# Routes anyone may reach: logging in.
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/api/v1/auth/login")}


ROUTES = [(entry.method, entry.path, entry.route) for entry in route_table()]


def gates(route: APIRoute) -> list[RoleGate]:
    return [d.dependency for d in route.dependencies if isinstance(d.dependency, RoleGate)]


def test_every_route_has_exactly_one_role_rule_or_is_public() -> None:
    missing = [
        f"{method} {path}" for method, path, route in ROUTES if (method, path) not in PUBLIC and len(gates(route)) != 1
    ]
    assert missing == []


def test_api_routes_have_unique_stable_operation_ids_and_docs() -> None:
    api = [(path, route) for _, path, route in ROUTES if path.startswith("/api/")]
    ids = [route.operation_id for _, route in api]
    assert [path for path, route in api if not route.operation_id] == []
    assert sorted(i for i in ids if ids.count(i) > 1) == []
    assert [i for i in ids if not re.fullmatch(r"[a-z][A-Za-z0-9]+", i or "")] == []
    undocumented = [path for path, route in api if not (route.description or "").strip()]
    assert undocumented == []


@pytest.fixture(scope="module")
def table_centre(tmp_path_factory: pytest.TempPathFactory) -> Centre:
    return build_centre(tmp_path_factory.mktemp("roles"))


@pytest.fixture(scope="module")
def table_client(table_centre: Centre) -> Any:
    with TestClient(create_app(ServeSettings(db=table_centre.db)), follow_redirects=False) as client:
        yield client


def example_path(path: str, centre: Centre) -> str:
    facts = centre.facts
    values = {
        "signal_id": facts["signal_id"],
        "source": facts["source"],
        "interaction_id": facts["advisor_interaction"],
        "person_id": facts["person_id"],
        "reason_id": facts["reason_id"],
        "username": "analyst",
        "agent_id": centre.people["advisor"].agent_id,
        "scorecard_id": facts["scorecard"],
    }

    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return str(values.get(name, 1))

    return re.sub(r"\{([^}]+)\}", value, path)


GATED = [(m, p, r) for m, p, r in ROUTES if (m, p) not in PUBLIC]


def test_public_routes_answer_without_logging_in(table_client: Any) -> None:
    public = sorted((m, p) for m, p, _ in ROUTES if (m, p) in PUBLIC)
    assert public == sorted(PUBLIC)
    assert table_client.get("/login").status_code == 200
    # Wrong credentials: refused as such, not for want of a session.
    form = table_client.post("/login", data={"username": "analyst", "password": "not it"})
    assert form.status_code == 401 and "wrong user name or password" in form.text
    api = table_client.post("/api/v1/auth/login", json={"username": "analyst", "password": "not it"})
    assert api.status_code == 401 and "wrong user name or password" in api.json()["error"]["message"]


@pytest.mark.parametrize(("method", "template", "route"), GATED, ids=[f"{m} {p}" for m, p, _ in GATED])
def test_route_enforces_its_role_rule(
    method: str, template: str, route: APIRoute, table_centre: Centre, table_client: Any
) -> None:
    path = example_path(template, table_centre)
    body = {} if method in ("POST", "PUT", "PATCH") else None
    [gate] = gates(route)
    anonymous = table_client.request(method, path, json=body)
    expected_anonymous = 401 if template.startswith("/api/") else 303
    assert anonymous.status_code == expected_anonymous, anonymous.text[:300]
    for person in table_centre.people.values():
        response = table_client.request(method, path, json=body, headers=person.headers)
        allowed = Role(person.role) in gate.roles
        if allowed:
            assert response.status_code not in (401, 403), (person.username, response.status_code, response.text[:300])
        else:
            assert response.status_code == 403, (person.username, response.status_code, response.text[:300])
