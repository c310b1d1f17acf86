"""The route table of docs/api.md, made from the app's routers: `python -m signalroom.api.route_docs`
writes it into docs/api.md between its markers; a test fails when that copy is out of date."""

from __future__ import annotations

import re
from pathlib import Path

from signalroom.api.app import route_table
from signalroom.api.deps import RoleGate

BEGIN = "<!-- routes:begin (python -m signalroom.api.route_docs) -->"
END = "<!-- routes:end -->"


def _roles(dependencies: list[object]) -> str:
    for dependency in dependencies:
        gate = getattr(dependency, "dependency", None)
        if isinstance(gate, RoleGate):
            return ", ".join(role.value for role in gate.roles)
    return "anyone"


def _summary(description: str) -> str:
    """The description's first sentence, on one line."""
    paragraph = " ".join(description.strip().split("\n\n")[0].split())
    sentence = re.split(r"(?<=[.])\s", paragraph, maxsplit=1)[0]
    return sentence.replace("|", "\\|")


def markdown() -> str:
    lines = [BEGIN, "", "| method | path | operation | roles | what it does |", "|---|---|---|---|---|"]
    for entry in route_table():
        route = entry.route
        summary = _summary(route.description or "")
        operation = f"`{route.operation_id}`" if entry.is_api else "page"
        lines.append(
            f"| {entry.method} | `{entry.path}` | {operation} | {_roles(list(route.dependencies))} | {summary} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def write(path: Path) -> None:
    text = path.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path} lacks the route table markers {BEGIN!r} … {END!r}")
    path.write_text(text[: text.index(BEGIN)] + markdown() + text[text.index(END) + len(END) :])


if __name__ == "__main__":
    write(Path(__file__).resolve().parents[3] / "docs" / "api.md")
