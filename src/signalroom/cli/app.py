"""The `signalroom` command."""

from __future__ import annotations

import typer

from signalroom.cli import (
    actions,
    assist,
    customers,
    demo,
    episodes,
    export,
    interactions,
    knowledge,
    qa,
    quarantine,
    routing,
    scorecard,
    signals,
    surveys,
    topics,
    users,
    webhooks,
)
from signalroom.cli.analyze import analyze_command
from signalroom.cli.context import context
from signalroom.cli.drivers import drivers
from signalroom.cli.ingest import ingest
from signalroom.cli.metrics import metrics
from signalroom.cli.schema import schema
from signalroom.cli.serve import serve
from signalroom.cli.stats import stats

app = typer.Typer(
    name="signalroom",
    help="signalroom: every customer interaction on every channel, turned into signals people act on.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(ingest)
app.command()(stats)
app.command()(schema)
app.command("analyze")(analyze_command)
app.command()(metrics)
app.command()(drivers)
app.command("context")(context)
app.command()(serve)
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(demo.app, name="demo")
app.add_typer(interactions.app, name="interactions")
app.add_typer(export.app, name="export")
app.add_typer(topics.app, name="topics")
app.add_typer(customers.app, name="customers")
app.add_typer(episodes.app, name="episodes")
app.add_typer(scorecard.app, name="scorecard")
app.add_typer(qa.app, name="qa")
app.add_typer(signals.app, name="signals")
app.add_typer(routing.app, name="routing")
app.add_typer(actions.app, name="actions")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(surveys.app, name="surveys")
app.add_typer(users.app, name="users")
app.add_typer(knowledge.app, name="kb")
app.add_typer(assist.app, name="assist")


def main() -> None:
    app()
