"""`signalroom users`: adding users of each role, listing, disabling, passwords and API tokens, on a
warehouse of the test's own, and the clear refusals of bad input."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from signalroom.auth import users as auth
from signalroom.cli.app import app
from signalroom.store import Store

runner = CliRunner()
GOOD_PASSWORD = "a long enough password"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "users.duckdb"


def users(db: Path, *args: str, stdin: str | None = None) -> Any:
    # Wide enough that rich does not wrap a token or a table cell.
    return runner.invoke(app, ["users", *args, "--db", str(db)], input=stdin, env={"COLUMNS": "200"})


def ok(result: Any) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return str(result.stdout)


def refused(result: Any, message: str) -> None:
    assert result.exit_code == 2, result.stdout
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert message in result.stderr


def check_login(db: Path, username: str, password: str) -> bool:
    with Store.open(db, read_only=True) as store:
        return auth.authenticate(store, username, password) is not None


def token_works(db: Path, token: str) -> bool:
    with Store.open(db) as store:
        return auth.user_for_token(store, token) is not None


def test_add_each_role_and_list(db: Path) -> None:
    out = ok(users(db, "add", "boss", "--role", "admin", "--name", "The Boss", "--password-stdin",
                   stdin=GOOD_PASSWORD + "\n"))  # fmt: skip
    assert out == "Added admin boss (everything).\n"  # a password read from stdin is never printed
    assert check_login(db, "boss", GOOD_PASSWORD)

    out = ok(users(db, "add", "ana", "--role", "analyst"))
    [password] = re.findall(r"^Password \(shown only now\): (\S+)$", out, re.M)
    assert check_login(db, "ana", password)

    ok(users(db, "add", "sue", "--role", "supervisor", "--team", "Cards", "--team", "Loans"))
    ok(users(db, "add", "adam", "--role", "advisor", "--agent", "A-17"))
    ok(users(db, "add", "exec", "--role", "executive", "--no-password"))
    made = orjson.loads(ok(users(db, "add", "qa1", "--role", "qa", "--json")))
    assert made["role"] == "qa"
    assert check_login(db, "qa1", made["password"])

    listed = orjson.loads(ok(users(db, "list", "--json")))["users"]
    assert [(u["username"], u["role"], u["teams"], u["agent_id"], u["disabled"], u["has_password"], u["created_by"])
            for u in listed] == [
        ("boss", "admin", [], None, False, True, "cli"),
        ("ana", "analyst", [], None, False, True, "cli"),
        ("sue", "supervisor", ["Cards", "Loans"], None, False, True, "cli"),
        ("adam", "advisor", [], "A-17", False, True, "cli"),
        ("exec", "executive", [], None, False, False, "cli"),
        ("qa1", "qa", [], None, False, True, "cli"),
    ]  # fmt: skip
    assert listed[0]["display_name"] == "The Boss"
    table = " ".join(ok(users(db, "list")).split())  # the table wraps at the terminal's width
    assert "password_hash" not in table and "$argon2" not in table
    for name in ("boss", "ana", "sue", "adam", "exec", "qa1"):
        assert name in table


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ("--role", "wizard"),
            None,
            "unknown role 'wizard': use one of admin, analyst, qa, supervisor, advisor, executive",
        ),
        (("--role", "supervisor"), None, "a supervisor needs at least one team (--team)"),
        (("--role", "advisor"), None, "an advisor needs their agent id (--agent)"),
        (("--role", "analyst", "--team", "Cards"), None, "only a supervisor has teams"),
        (("--role", "qa", "--agent", "A-1"), None, "only an advisor is linked to an agent id"),
        (("--role", "qa", "--password-stdin"), "short\n", "the password is too short: at least 10 characters"),
        (("--role", "qa", "--password-stdin"), "", "the password is too short"),
        (("--role", "qa", "--password-stdin", "--no-password"), None, "--password-stdin and --no-password exclude"),
    ],
)
def test_add_refuses_bad_input(db: Path, args: tuple[str, ...], stdin: str | None, message: str) -> None:
    refused(users(db, "add", "someone", *args, stdin=stdin), message)
    if db.exists():  # options that exclude each other are refused before the warehouse is opened
        assert orjson.loads(ok(users(db, "list", "--json"))) == {"users": []}


def test_add_refuses_a_duplicate_and_a_bad_name(db: Path) -> None:
    ok(users(db, "add", "ana", "--role", "analyst"))
    refused(users(db, "add", "ana", "--role", "qa"), "user 'ana' already exists")
    refused(users(db, "add", "Ana Lee", "--role", "qa"), "user name 'Ana Lee' is not allowed")


def test_disable_and_enable(db: Path) -> None:
    ok(users(db, "add", "boss", "--role", "admin", "--password-stdin", stdin=GOOD_PASSWORD))
    ok(users(db, "add", "ana", "--role", "analyst", "--password-stdin", stdin=GOOD_PASSWORD))
    token = orjson.loads(ok(users(db, "token", "ana", "--name", "sync", "--json")))["token"]
    assert token_works(db, token)

    assert ok(users(db, "disable", "ana")) == "ana disabled: their sessions are ended and their tokens refused.\n"
    assert not token_works(db, token)
    assert not check_login(db, "ana", GOOD_PASSWORD)
    assert orjson.loads(ok(users(db, "enable", "ana", "--json")))["disabled"] is False
    assert token_works(db, token)
    assert check_login(db, "ana", GOOD_PASSWORD)

    refused(users(db, "disable", "boss"), "boss is the last enabled admin: add another admin before disabling this one")
    refused(users(db, "disable", "nobody"), "no user nobody")
    ok(users(db, "add", "boss2", "--role", "admin"))
    ok(users(db, "disable", "boss"))
    refused(users(db, "disable", "boss2"), "boss2 is the last enabled admin")


def test_password_is_generated_or_read_and_replaces_the_old(db: Path) -> None:
    ok(users(db, "add", "ana", "--role", "analyst", "--password-stdin", stdin=GOOD_PASSWORD))
    out = ok(users(db, "password", "ana"))
    [new] = re.findall(r"^New password for ana \(shown only now\): (\S+)$", out, re.M)
    assert check_login(db, "ana", new)
    assert not check_login(db, "ana", GOOD_PASSWORD)
    assert ok(users(db, "password", "ana", "--password-stdin", stdin="another good one\n")) == "New password for ana.\n"
    assert check_login(db, "ana", "another good one")
    refused(users(db, "password", "ana", "--password-stdin", stdin="short\n"), "the password is too short")
    assert check_login(db, "ana", "another good one")
    refused(users(db, "password", "nobody"), "no user nobody")


def test_tokens_are_shown_once_listed_without_the_secret_and_revoked(db: Path) -> None:
    ok(users(db, "add", "ana", "--role", "analyst"))
    ok(users(db, "add", "sue", "--role", "supervisor", "--team", "Cards"))
    out = ok(users(db, "token", "ana", "--name", "ticketing sync"))
    [(token_id, token)] = re.findall(r"^Token #(\d+) for ana \(shown only now\): (sr_\S+)$", out, re.M)
    ok(users(db, "token", "sue", "--name", "wallboard"))
    assert token_works(db, token)

    listed = orjson.loads(ok(users(db, "tokens", "--json")))["tokens"]
    assert [(t["username"], t["name"], t["revoked"], t["last_used_at"] is None) for t in listed] == [
        ("ana", "ticketing sync", False, False),  # used just now
        ("sue", "wallboard", False, True),
    ]
    assert token not in orjson.dumps(listed).decode()
    assert [t["username"] for t in orjson.loads(ok(users(db, "tokens", "sue", "--json")))["tokens"]] == ["sue"]
    table = ok(users(db, "tokens"))
    assert "ticketing sync" in table
    assert token not in table

    assert ok(users(db, "revoke-token", token_id)) == f"Token #{token_id} revoked.\n"
    assert not token_works(db, token)
    assert orjson.loads(ok(users(db, "tokens", "ana", "--json")))["tokens"][0]["revoked"] is True
    refused(users(db, "revoke-token", token_id), f"no active token #{token_id}")
    refused(users(db, "revoke-token", "999"), "no active token #999")


def test_token_refusals(db: Path) -> None:
    ok(users(db, "add", "ana", "--role", "analyst"))
    refused(users(db, "token", "nobody", "--name", "x"), "no user nobody")
    refused(users(db, "token", "ana", "--name", "  "), "a token needs a name that says what uses it")
    refused(users(db, "tokens", "nobody"), "no user nobody")
    ok(users(db, "add", "boss", "--role", "admin"))
    ok(users(db, "disable", "ana"))
    refused(users(db, "token", "ana", "--name", "x"), "user ana is disabled")


def test_the_cli_changes_are_audited_as_the_cli(db: Path) -> None:
    ok(users(db, "add", "ana", "--role", "analyst"))
    ok(users(db, "token", "ana", "--name", "sync"))
    ok(users(db, "password", "ana"))
    from signalroom.auth import audit

    with Store.open(db, read_only=True) as store:
        rows, total = audit.entries(store)
    assert total == 3
    assert [(r["username"], r["role"], r["action"], r["resource"]) for r in rows] == [
        ("cli", "cli", "user_update", "user ana"),
        ("cli", "cli", "token_create", "user ana"),
        ("cli", "cli", "user_add", "user ana"),
    ]
    assert rows[0]["detail"] == {"password": "changed"}
