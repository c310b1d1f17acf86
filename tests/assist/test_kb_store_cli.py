"""The knowledge base in the warehouse (add, update in place, unchanged, remove) and `signalroom kb`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from signalroom.assist.types import Article
from signalroom.cli.app import app
from signalroom.store import Store
from signalroom.store import knowledge as kb

runner = CliRunner()
DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY2 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)

ROAM = Article("roam", "Roaming abroad", "Turn on roaming before you travel.", "https://x.example/r", "telco", ("sim",))
PIN = Article("cards/pin", "Forgotten PIN", "Reset the PIN in the app.", collection="bank")


def test_upsert_adds_updates_in_place_and_keeps_the_rest(db_path: Path) -> None:
    with Store.open(db_path) as store:
        assert kb.upsert_articles(store, [ROAM, PIN], "kb.json", now=DAY1) == {"added": 2, "updated": 0, "unchanged": 0}
        assert kb.upsert_articles(store, [ROAM, PIN], "kb.json", now=DAY2) == {"added": 0, "updated": 0, "unchanged": 2}
        changed = Article("roam", "Roaming abroad", "Roaming is free in the EU.", collection="telco")
        new = Article("fees", "Fees", "Monthly.")
        assert kb.upsert_articles(store, [changed, new], ["roam.md", "fees.md"], now=DAY2) == {
            "added": 1, "updated": 1, "unchanged": 0,
        }  # fmt: skip
    # Read back from the file itself, after closing it.
    with Store.open(db_path, read_only=True) as store:
        assert [s.to_dict() for s in kb.list_articles(store)] == [
            {**PIN.to_dict(), "source": "kb.json", "imported_at": DAY1.isoformat(), "updated_at": DAY1.isoformat()},
            {**new.to_dict(), "source": "fees.md", "imported_at": DAY2.isoformat(), "updated_at": DAY2.isoformat()},
            {**changed.to_dict(), "source": "roam.md", "imported_at": DAY1.isoformat(), "updated_at": DAY2.isoformat()},
        ]
        assert kb.count_articles(store) == 3 and kb.count_articles(store, "telco") == 1
        assert [a.id for a in kb.all_articles(store, "bank")] == ["cards/pin"]
        assert [s.article.id for s in kb.list_articles(store, limit=1, offset=1)] == ["fees"]
        assert kb.collections(store) == {None: 1, "bank": 1, "telco": 1}
        stored = kb.get_article(store, "cards/pin")
        assert stored is not None and stored.article == PIN
        assert kb.get_article(store, "nope") is None


def test_moving_source_is_an_update_and_delete_reports_whether_it_removed(store: Store) -> None:
    kb.upsert_articles(store, [ROAM], "a.json", now=DAY1)
    before = kb.fingerprint(store)
    assert kb.upsert_articles(store, [ROAM], "b.json", now=DAY2) == {"added": 0, "updated": 1, "unchanged": 0}
    assert kb.fingerprint(store) != before
    assert kb.delete_article(store, "roam") is True
    assert kb.delete_article(store, "roam") is False
    assert kb.all_articles(store) == [] and kb.fingerprint(store)[0] == 0


def test_upsert_refuses_ambiguous_input_and_writes_nothing(store: Store) -> None:
    with pytest.raises(ValueError, match="article id\\(s\\) given more than once: 'roam'"):
        kb.upsert_articles(store, [ROAM, ROAM], "x")
    with pytest.raises(ValueError, match="2 articles but 1 sources"):
        kb.upsert_articles(store, [ROAM, PIN], ["x"])
    assert kb.count_articles(store) == 0


# -- the CLI -----------------------------------------------------------------------------------------


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "cards").mkdir(parents=True)
    (docs / "cards" / "lost.md").write_text("# Lost card\n\nBlock the **card** in the app, then order a new one.\n")
    (docs / "roaming.html").write_text("<title>Roaming</title><p>Turn roaming on before you travel abroad.</p>")
    (docs / "faq.json").write_text(json.dumps([{"id": "fees", "title": "Fees", "body": "Fees are monthly.",
                                                "collection": "billing"}]))  # fmt: skip
    return docs


def test_cli_import_list_show_search_remove(tmp_path: Path, folder: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    result = run("kb", "import", str(folder), "--collection", "bank", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "files": [
            {"path": str(folder / "cards" / "lost.md"), "articles": 1},
            {"path": str(folder / "faq.json"), "articles": 1},
            {"path": str(folder / "roaming.html"), "articles": 1},
        ],
        "articles": 3, "added": 3, "updated": 0, "unchanged": 0,
    }  # fmt: skip
    again = run("kb", "import", str(folder), "--collection", "bank", "--db", db)
    assert "3 article(s) from 3 file(s): 0 added, 0 updated, 3 unchanged" in again.stdout

    listed = json.loads(run("kb", "list", "--db", db, "--json").stdout)
    assert [(a["id"], a["title"], a["collection"], "body" in a) for a in listed["articles"]] == [
        ("cards/lost", "Lost card", "bank", False),
        ("fees", "Fees", "billing", False),
        ("roaming", "Roaming", "bank", False),
    ]
    billing = json.loads(run("kb", "list", "--collection", "billing", "--db", db, "--json").stdout)
    assert [a["id"] for a in billing["articles"]] == ["fees"]
    assert "Knowledge articles: 3" in run("kb", "list", "--db", db).stdout

    shown = json.loads(run("kb", "show", "cards/lost", "--db", db, "--json").stdout)
    assert {k: shown[k] for k in ("id", "title", "body", "url", "collection", "tags", "source")} == {
        "id": "cards/lost", "title": "Lost card", "body": "Block the card in the app, then order a new one.",
        "url": None, "collection": "bank", "tags": [], "source": str(folder / "cards" / "lost.md"),
    }  # fmt: skip
    text = run("kb", "show", "cards/lost", "--db", db).stdout
    assert text.startswith("Lost card\n\nid: cards/lost\ncollection: bank\n")
    assert text.endswith("Block the card in the app, then order a new one.\n")

    found = json.loads(run("kb", "search", "travel abroad", "--db", db, "--json").stdout)
    assert [(r["rank"], r["id"]) for r in found["results"]] == [(1, "roaming")]
    assert found["query"] == "travel abroad" and found["results"][0]["score"] > 0
    several = json.loads(run("kb", "search", "card fees roaming", "-k", "2", "--db", db, "--json").stdout)
    assert len(several["results"]) == 2
    only = json.loads(run("kb", "search", "fees", "--collection", "bank", "--db", db, "--json").stdout)
    assert only == {"query": "fees", "results": []}
    assert "no article matches 'zebra'" in run("kb", "search", "zebra", "--db", db).stdout

    removed = run("kb", "remove", "fees", "--db", db, "--json")
    assert json.loads(removed.stdout) == {"id": "fees", "removed": True}
    missing = run("kb", "remove", "fees", "--db", db)
    assert missing.exit_code == 2 and "no article 'fees'" in missing.stderr
    unknown = run("kb", "show", "fees", "--db", db)
    assert unknown.exit_code == 2 and "no article 'fees'" in unknown.stderr


def test_cli_import_refuses_bad_input_and_stores_nothing(tmp_path: Path, folder: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    (folder / "broken.json").write_text('[{"id": "x", "title": "X"}]')
    result = run("kb", "import", str(folder), "--db", db)
    assert result.exit_code == 2
    assert f"{folder / 'broken.json'}: item 1: 'body' is missing" in result.stderr
    bad_format = run("kb", "import", str(folder), "--format", "pdf", "--db", db)
    assert bad_format.exit_code == 2 and "unknown format 'pdf'" in bad_format.stderr
    with Store.open(db) as store:
        assert kb.count_articles(store) == 0
