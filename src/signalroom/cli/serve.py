"""`signalroom serve`: the command centre — web app and REST API — on one embedded store (docs/serve.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from signalroom.auth import users as auth
from signalroom.auth.roles import Role
from signalroom.cli.common import DbOption, fail
from signalroom.store import Store, StoreError
from signalroom.store.migrations import MigrationError


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (127.0.0.1: this machine only).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")] = 8000,
    create_admin: Annotated[
        bool,
        typer.Option("--create-admin", help="If there is no admin yet, add user 'admin' and print its password once."),
    ] = False,
    secure_cookies: Annotated[
        str, typer.Option("--secure-cookies", help="auto (when the request came over https), always or never.")
    ] = "auto",
    max_body: Annotated[
        int, typer.Option("--max-body", min=1024, help="Largest request body in bytes (uploads excepted).")
    ] = 1_000_000,
    max_upload: Annotated[int, typer.Option("--max-upload", min=1024, help="Largest upload in bytes.")] = 200_000_000,
    db: DbOption = None,
) -> None:
    """Serve the web app and the REST API (/api/v1, documented at /api/v1/docs)."""
    import uvicorn

    from signalroom.api.app import create_app
    from signalroom.api.state import ServeSettings

    if secure_cookies not in ("auto", "always", "never"):
        fail(f"unknown --secure-cookies {secure_cookies!r}: use auto, always or never")
    try:
        store = Store.open(db)
    except (StoreError, MigrationError) as exc:
        fail(str(exc))
    console = Console()
    if create_admin:
        if any(u.role is Role.ADMIN and not u.disabled for u in auth.list_users(store)):
            console.print("An admin exists already (its password was printed when it was made; "
                          "`signalroom users password admin` sets a new one).")  # fmt: skip
        else:
            password = auth.generate_password()
            auth.add_user(store, username="admin", role="admin", password=password, display_name="Administrator",
                          by=None)  # fmt: skip
            console.print(f"Added user [bold]admin[/] with password [bold]{password}[/] (shown only now).",
                          highlight=False, soft_wrap=True)  # fmt: skip
    settings = ServeSettings(
        db=store.path, host=host, port=port, max_body_bytes=max_body, upload_bytes=max_upload,
        secure_cookies=secure_cookies, warm_up=True,
    )  # fmt: skip
    app = create_app(settings, store=store)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    console.print(f"signalroom command centre on [bold]http://{shown}:{port}/[/] (API: /api/v1/docs); Ctrl-C stops.",
                  highlight=False, soft_wrap=True)  # fmt: skip
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        store.close()
