"""/api/v1/knowledge/articles: listing, searching, importing (JSON and uploads), removing, who may
do which, and the audit log; over a warehouse of its own with one user per role it needs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from signalroom.api.app import create_app
from signalroom.api.state import ServeSettings
from signalroom.auth import users as auth
from signalroom.store import Store

URL = "/api/v1/knowledge/articles"
Client = tuple[TestClient, dict[str, dict[str, str]]]
ROAM = {"id": "roam", "title": "Roaming abroad", "body": "Turn on roaming before you travel.", "tags": ["sim"]}
PIN = {"id": "cards/pin", "title": "Forgotten PIN", "body": "Reset the PIN in the app.", "collection": "bank",
       "url": "https://help.example/pin"}  # fmt: skip


@pytest.fixture
def kb_client(tmp_path: Path) -> Iterator[Client]:
    db = tmp_path / "kb.duckdb"
    headers = {}
    with Store.open(db) as store:
        for username in ("admin", "analyst", "advisor", "executive", "qa"):
            agent = "ag-1" if username == "advisor" else None
            auth.add_user(store, username=username, role=username, password=None, agent_id=agent, by=None)
            _, token = auth.create_token(store, username, name="tests", by=None)
            headers[username] = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(ServeSettings(db=db))) as client:
        yield client, headers


def without_times(item: dict[str, Any]) -> dict[str, Any]:
    assert item.pop("imported_at") and item.pop("updated_at")
    return item


def test_import_list_get_search_delete(kb_client: Client) -> None:
    client, h = kb_client
    imported = client.post(URL, json={"articles": [ROAM, PIN], "collection": "telco"}, headers=h["analyst"])
    assert imported.status_code == 200, imported.text
    assert imported.json() == {
        "source": "api", "articles": 2, "added": 2, "updated": 0, "unchanged": 0, "ids": ["roam", "cards/pin"],
    }  # fmt: skip
    again = client.post(URL, json={"articles": [{**ROAM, "body": "Roaming is free in the EU."}]}, headers=h["admin"])
    assert again.json() == {"source": "api", "articles": 1, "added": 0, "updated": 1, "unchanged": 0, "ids": ["roam"]}

    listed = client.get(URL, headers=h["advisor"]).json()
    assert [without_times(i) for i in listed.pop("items")] == [
        {"id": "cards/pin", "title": "Forgotten PIN", "url": "https://help.example/pin", "collection": "bank",
         "tags": [], "source": "api"},
        # Updated without a collection: the default given with the first import no longer applies.
        {"id": "roam", "title": "Roaming abroad", "url": None, "collection": None, "tags": ["sim"], "source": "api"},
    ]  # fmt: skip
    assert listed == {"total": 2, "limit": 50, "offset": 0, "next_offset": None}
    page = client.get(URL, params={"limit": 1}, headers=h["executive"]).json()
    assert ([i["id"] for i in page["items"]], page["total"], page["next_offset"]) == (["cards/pin"], 2, 1)
    bank = client.get(URL, params={"collection": "bank"}, headers=h["qa"]).json()
    assert [i["id"] for i in bank["items"]] == ["cards/pin"] and bank["total"] == 1

    one = client.get(f"{URL}/cards/pin", headers=h["advisor"])
    assert one.status_code == 200
    assert without_times(one.json()) == {**PIN, "tags": [], "source": "api"}

    found = client.get(URL, params={"q": "free roaming in the EU"}, headers=h["advisor"]).json()
    [hit] = found["items"]
    assert hit["id"] == "roam" and hit["score"] > 0 and "body" not in hit
    assert found["total"] == 1
    assert client.get(URL, params={"q": "zebra"}, headers=h["advisor"]).json() == {
        "items": [], "total": 0, "limit": 50, "offset": 0, "next_offset": None,
    }  # fmt: skip
    assert client.get(URL, params={"q": "PIN", "collection": "telco"}, headers=h["advisor"]).json()["total"] == 0

    assert client.delete(f"{URL}/cards/pin", headers=h["analyst"]).json() == {"id": "cards/pin", "removed": True}
    gone = client.delete(f"{URL}/cards/pin", headers=h["analyst"])
    assert gone.status_code == 404
    assert gone.json() == {"error": {"status": 404, "code": "not_found", "message": "no knowledge article 'cards/pin'"}}
    assert client.get(f"{URL}/cards/pin", headers=h["advisor"]).status_code == 404
    # The search index follows the change.
    assert client.get(URL, params={"q": "PIN"}, headers=h["advisor"]).json()["total"] == 0

    logged = client.get("/api/v1/audit", params={"action": "settings_change"}, headers=h["admin"]).json()
    assert logged["total"] == 3
    assert [(r["username"], r["resource"]) for r in logged["items"]] == [
        ("analyst", "knowledge article cards/pin"), ("admin", "knowledge base"), ("analyst", "knowledge base"),
    ]  # fmt: skip


def test_upload_markdown_html_and_json(kb_client: Client) -> None:
    client, h = kb_client
    markdown = b"---\ntags: [cards]\n---\n# Lost card\n\nBlock the **card** in the app.\n"
    answer = client.post(f"{URL}/upload", files={"file": ("Lost Card.md", markdown, "text/markdown")},
                         data={"collection": "bank"}, headers=h["admin"])  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "source": "Lost_Card.md", "articles": 1, "added": 1, "updated": 0, "unchanged": 0, "ids": ["lost-card"],
    }  # fmt: skip
    got = without_times(client.get(f"{URL}/lost-card", headers=h["advisor"]).json())
    assert got == {"id": "lost-card", "title": "Lost card", "body": "Block the card in the app.", "url": None,
                   "collection": "bank", "tags": ["cards"], "source": "Lost_Card.md"}  # fmt: skip
    page = b"<title>Fees</title><nav>Menu</nav><p>Monthly fees.</p>"
    html = client.post(f"{URL}/upload", files={"file": ("fees.txt", page)}, data={"format": "html"}, headers=h["admin"])
    assert html.json()["ids"] == ["fees"]
    items = json.dumps([{"id": "a", "title": "A", "text": "Alpha."}, {"id": "b", "title": "B", "body": "Beta."}])
    assert client.post(f"{URL}/upload", files={"file": ("kb.json", items)}, headers=h["admin"]).json()["added"] == 2


@pytest.mark.parametrize(
    ("files", "data", "message", "location"),
    [
        ({"file": ("kb.json", '[{"id": "a", "title": "A"}]')}, {},
         "kb.json: item 1: 'body' is missing (or 'content' or 'text')", "body.file"),
        ({"file": ("kb.json", '[{"id": "a",')}, {}, "kb.json: line 1, column 13: not valid JSON", "body.file"),
        ({"file": ("notes.pdf", "x")}, {}, "notes.pdf: cannot tell the format from the extension", "body.file"),
        ({"file": ("a.md", "# A\nx")}, {"format": "docx"}, "unknown format 'docx'", "body.format"),
        ({"file": ("a.md", b"# Caf\xe9")}, {}, "a.md: not UTF-8 text (byte 5)", "body.file"),
    ],
)  # fmt: skip
def test_bad_uploads_are_refused_naming_the_place(
    kb_client: Client,
    files: dict[str, Any], data: dict[str, str], message: str, location: str,
) -> None:  # fmt: skip
    client, h = kb_client
    answer = client.post(f"{URL}/upload", files=files, data=data, headers=h["analyst"])
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["message"].startswith(message)
    assert [f["location"] for f in error["fields"]] == [location]
    assert client.get(URL, headers=h["analyst"]).json()["total"] == 0


def test_bad_json_imports_are_refused(kb_client: Client) -> None:
    client, h = kb_client
    twice = client.post(URL, json={"articles": [ROAM, PIN, {**ROAM, "title": "Other"}]}, headers=h["admin"])
    assert twice.status_code == 422
    assert twice.json() == {"error": {
        "status": 422, "code": "invalid_request",
        "message": "articles[2]: article id 'roam' is already used by articles[0]",
        "fields": [{"location": "body.articles[2].id",
                    "problem": "articles[2]: article id 'roam' is already used by articles[0]"}],
    }}  # fmt: skip
    bodies: list[dict[str, Any]] = [
        {"articles": []},
        {"articles": [{**ROAM, "title": "  "}]},
        {"articles": [{**ROAM, "content": "x"}]},  # one text field only: "content" is not an API field
        {"articles": [{"id": "x", "title": "X"}]},
    ]
    for body in bodies:
        answer = client.post(URL, json=body, headers=h["admin"])
        assert answer.status_code == 422, body
    assert client.get(URL, headers=h["admin"]).json()["total"] == 0


def test_roles(kb_client: Client) -> None:
    client, h = kb_client
    for who in ("advisor", "executive", "qa"):
        refused = client.post(URL, json={"articles": [ROAM]}, headers=h[who])
        assert refused.status_code == 403, who
        assert client.delete(f"{URL}/roam", headers=h[who]).status_code == 403
        assert client.get(URL, headers=h[who]).status_code == 200
    assert client.get(URL).status_code == 401
