"""`signalroom routing`: the rules that choose each signal's owner (docs/routing.md)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, fail, open_store

app = typer.Typer(help="Routing rules: which function and who owns each signal.", no_args_is_help=True)

FileArgument = Annotated[Path, typer.Argument(help="A routing rules YAML file.", show_default=False)]


@app.command("show")
def show(db: DbOption = None, json: JsonOption = False) -> None:
    """The rules in use: the last set with `routing set`, else the shipped defaults."""
    from signalroom.actions.routing import default_rules_text
    from signalroom.store.signals import routing_yaml

    with open_store(db, read_only=True) as store:
        stored = routing_yaml(store)
    version, text = stored if stored else (None, default_rules_text())
    if json:
        emit_json({"version": version, "shipped_defaults": version is None, "yaml": text})
        return
    typer.echo(f"# {'version ' + str(version) if version else 'the shipped defaults'}")
    typer.echo(text.rstrip("\n"))


@app.command("lint")
def lint(path: FileArgument) -> None:
    """Check a rules file without setting it; errors name the line and the field."""
    from signalroom.actions.routing import RoutingError, load_rules

    try:
        rules = load_rules(path)
    except RoutingError as exc:
        fail(str(exc))
    console.print(f"{path}: {len(rules.rules)} rules, default {rules.default.owner_function}: OK")


@app.command("set")
def set_rules(
    path: FileArgument,
    by: Annotated[str | None, typer.Option("--by", help="Who sets them (default: the OS user).")] = None,
    db: DbOption = None,
) -> None:
    """Use these rules from now on, and route the stored signals again with them."""
    from signalroom.actions.routing import RoutingError, load_rules
    from signalroom.signals.reroute import reroute
    from signalroom.store.signals import set_routing_yaml

    try:
        rules = load_rules(path)
    except RoutingError as exc:
        fail(str(exc))
    with open_store(db) as store:
        version = set_routing_yaml(store, path.read_text("utf-8"), by or getpass.getuser())
        changed = reroute(store, rules)
    console.print(f"Routing rules version {version} set from {path}; {changed} stored signal(s) routed anew.")
