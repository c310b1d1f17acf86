"""The route table of docs/api.md, made from the app's routers: `python -m signalroom.api.route_docs`
prints it; a test fails when docs/api.md's copy is out of date."""

from __future__ import annotations

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


def markdown() -> str:
    lines = [BEGIN, "", "| method | path | operation | roles | what it does |", "|---|---|---|---|---|"]
    for entry in route_table():
        route = entry.route
        summary = (route.description or "").strip().splitlines()[0] if route.description else ""
        operation = f"`{route.operation_id}`" if entry.is_api else "page"
        lines.append(
            f"| {entry.method} | `{entry.path}` | {operation} | {_roles(list(route.dependencies))} | {summary} |"
        )
    lines += ["", END]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
