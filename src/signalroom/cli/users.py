"""`signalroom users`: the command centre's users, their roles and API tokens (docs/serve.md#users-and-roles)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from signalroom.auth import users as auth
from signalroom.cli.common import DbOption, JsonOption, console, emit_json, fail, open_store

app = typer.Typer(help="Users of the web app and API: add, list, disable, tokens.", no_args_is_help=True)

RoleOption = Annotated[str, typer.Option("--role", help="admin, analyst, qa, supervisor, advisor or executive.")]
TeamOption = Annotated[
    list[str] | None, typer.Option("--team", help="A supervisor's team (repeatable).", show_default=False)
]
AgentOption = Annotated[
    str | None, typer.Option("--agent", help="An advisor's agent id, as the interactions carry it.", show_default=False)
]


@app.command("add")
def add_command(
    username: Annotated[str, typer.Argument(help="The user name they log in with.")],
    role: RoleOption,
    team: TeamOption = None,
    agent: AgentOption = None,
    name: Annotated[str | None, typer.Option("--name", help="Their display name.", show_default=False)] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input instead of generating one.")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No web login: the user only uses API tokens.")
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Add a user; prints the generated password once (or reads it with --password-stdin)."""
    if password_stdin and no_password:
        fail("--password-stdin and --no-password exclude each other")
    password: str | None
    if no_password:
        password = None
    elif password_stdin:
        password = typer.get_text_stream("stdin").readline().rstrip("\n")
    else:
        password = auth.generate_password()
    with open_store(db) as store:
        try:
            user = auth.add_user(
                store, username=username, role=role, password=password, display_name=name,
                teams=tuple(team or ()), agent_id=agent, by=None,
            )  # fmt: skip
        except auth.UserError as exc:
            fail(str(exc))
    shown = password if password is not None and not password_stdin else None
    if json:
        emit_json({**user.to_dict(), "password": shown})
        return
    console.print(f"Added {user.role.value} [bold]{user.username}[/] ({user.scope.describe()}).", highlight=False)
    if shown:
        console.print(f"Password (shown only now): [bold]{shown}[/]", highlight=False, soft_wrap=True)


@app.command("list")
def list_command(db: DbOption = None, json: JsonOption = False) -> None:
    """Every user with their role, scope and whether they are enabled."""
    with open_store(db, read_only=True) as store:
        users = auth.list_users(store)
    if json:
        emit_json({"users": [u.to_dict() for u in users]})
        return
    table = Table(title="Users")
    for column in ("user", "name", "role", "sees", "web login", "enabled", "created"):
        table.add_column(column)
    for u in users:
        table.add_row(
            u.username, u.display_name, u.role.value, u.scope.describe(), "yes" if u.has_password else "no",
            "no" if u.disabled else "yes", f"{u.created_at:%Y-%m-%d} by {u.created_by}",
        )  # fmt: skip
    console.print(table)


def _set_disabled(username: str, disabled: bool, db: DbOption, json: bool) -> None:
    with open_store(db) as store:
        try:
            user = auth.update_user(store, username, by=None, disabled=disabled)
        except auth.UserError as exc:
            fail(str(exc))
    if json:
        emit_json(user.to_dict())
        return
    state = "disabled: their sessions are ended and their tokens refused" if disabled else "enabled"
    console.print(f"{username} {state}.", highlight=False)


@app.command("disable")
def disable_command(
    username: Annotated[str, typer.Argument(help="The user name.")], db: DbOption = None, json: JsonOption = False
) -> None:
    """Disable a user at once: their web sessions end and their API tokens stop working."""
    _set_disabled(username, True, db, json)


@app.command("enable")
def enable_command(
    username: Annotated[str, typer.Argument(help="The user name.")], db: DbOption = None, json: JsonOption = False
) -> None:
    """Enable a disabled user again."""
    _set_disabled(username, False, db, json)


@app.command("password")
def password_command(
    username: Annotated[str, typer.Argument(help="The user name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input instead of generating one.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Set a new password (generated and printed once, or read from standard input); ends their sessions."""
    password = typer.get_text_stream("stdin").readline().rstrip("\n") if password_stdin else auth.generate_password()
    with open_store(db) as store:
        try:
            auth.update_user(store, username, by=None, password=password)
        except auth.UserError as exc:
            fail(str(exc))
    shown = "." if password_stdin else f" (shown only now): [bold]{password}[/]"
    console.print(f"New password for {username}{shown}", highlight=False, soft_wrap=True)


@app.command("token")
def token_command(
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option("--name", help="What uses the token (e.g. 'ticketing sync').")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Create an API token for a user (send it as 'Authorization: Bearer …'); printed only once."""
    with open_store(db) as store:
        try:
            token_id, token = auth.create_token(store, username, name=name, by=None)
        except auth.UserError as exc:
            fail(str(exc))
    if json:
        emit_json({"token_id": token_id, "token": token, "username": username, "name": name})
        return
    console.print(
        f"Token #{token_id} for {username} (shown only now): [bold]{token}[/]", highlight=False, soft_wrap=True
    )


@app.command("revoke-token")
def revoke_token_command(
    token_id: Annotated[int, typer.Argument(help="The token's number (`signalroom users tokens`).")],
    db: DbOption = None,
) -> None:
    """Revoke an API token."""
    with open_store(db) as store:
        try:
            auth.revoke_token(store, token_id, by=None)
        except auth.UserError as exc:
            fail(str(exc))
    console.print(f"Token #{token_id} revoked.")


@app.command("tokens")
def tokens_command(
    username: Annotated[str | None, typer.Argument(help="Only this user's tokens.", show_default=False)] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """API tokens: whose, what for, when last used (never the tokens themselves)."""
    with open_store(db, read_only=True) as store:
        try:
            tokens = auth.list_tokens(store, username)
        except auth.UserError as exc:
            fail(str(exc))
    if json:
        emit_json({"tokens": tokens})
        return
    table = Table(title="API tokens")
    for column in ("#", "user", "name", "created", "last used", "revoked"):
        table.add_column(column)
    for t in tokens:
        table.add_row(
            str(t["token_id"]), t["username"], t["name"], f"{t['created_at']:%Y-%m-%d %H:%M}",
            f"{t['last_used_at']:%Y-%m-%d %H:%M}" if t["last_used_at"] else "never", "yes" if t["revoked"] else "no",
        )  # fmt: skip
    console.print(table)
