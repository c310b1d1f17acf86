"""Documentation that cannot drift: examples validate, the schema copy is current, every command
and option is documented."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import typer

from signalroom.cli.app import app
from signalroom.interchange.models import record_adapter
from signalroom.interchange.schema import json_schema
from support import REPO

DOCS = REPO / "docs"


def _jsonl_examples(text: str) -> list[str]:
    blocks = re.findall(r"```jsonl\n(.*?)```", text, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_interchange_examples_are_valid_records() -> None:
    examples = _jsonl_examples((DOCS / "interchange.md").read_text())
    assert len(examples) >= 7
    kinds = {record_adapter.validate_json(line).kind for line in examples}
    assert kinds == {"interaction", "event", "survey", "customer"}


def test_published_schema_is_current() -> None:
    published = json.loads((DOCS / "interchange-v1.schema.json").read_text())
    assert published == json.loads(json.dumps(json_schema())), (
        "docs/interchange-v1.schema.json is stale: run `signalroom schema --out docs/interchange-v1.schema.json`"
    )


def test_schema_accepts_the_examples_and_rejects_a_zoneless_timestamp() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for line in _jsonl_examples((DOCS / "interchange.md").read_text()):
        validator.validate(json.loads(line))
    missing = {"kind": "interaction", "id": "x", "channel": "voice", "started_at": "2026-03-02T09:15:00Z"}
    assert not validator.is_valid(missing)  # no customer


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command below a group (Typer vendors its own click, so duck-typed)."""
    found = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        found.append((path, command))
        if hasattr(command, "commands"):
            found.extend(_commands(command, path))
    return found


def test_every_command_and_option_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    root = typer.main.get_command(app)
    missing = []
    for path, command in _commands(root):
        heading = "signalroom " + " ".join(path)
        if f"## `{heading}`" not in text:
            missing.append(heading)
            continue
        section = text.split(f"## `{heading}`", 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            if param.param_type_name == "option":
                for opt in param.opts:
                    if opt.startswith("--") and f"`{opt}" not in section:
                        missing.append(f"{heading} {opt}")
    assert not missing, f"undocumented in docs/cli.md: {missing}"


def test_api_route_table_is_current() -> None:
    from signalroom.api.route_docs import BEGIN, END, markdown

    text = (DOCS / "api.md").read_text()
    assert BEGIN in text and END in text, "docs/api.md lacks the route table markers"
    published = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert published == markdown(), "docs/api.md's route table is stale: run `python -m signalroom.api.route_docs`"
