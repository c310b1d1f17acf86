"""YAML files a person writes (reason taxonomies, QA scorecards), validated with pydantic, with
errors that name the line and the field: ``line 7: sections[0].criteria[1].wieght: Extra inputs
are not permitted``."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

Loc = tuple[str | int, ...]


def load_with_lines(text: str) -> tuple[Any, dict[Loc, int]]:
    """The parsed document and the line (1-based) of every key and item in it, by path. Raises
    ``yaml.YAMLError`` for text that is not YAML."""
    node = yaml.compose(text)
    data = yaml.safe_load(text)
    lines: dict[Loc, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def _walk(node: yaml.Node, path: Loc, out: dict[Loc, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[(*path, str(key.value))] = key.start_mark.line + 1
            _walk(value, (*path, str(key.value)), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            _walk(value, (*path, i), out)


def line_of(lines: dict[Loc, int], loc: Loc) -> int:
    """The line of the deepest part of ``loc`` the file has (a missing field: its parent's)."""
    return next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), 0)


def field_path(loc: Loc, root: str = "") -> str:
    out = root
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def problems(
    exc: ValidationError, lines: dict[Loc, int], *, prefix: Loc = (), root: str = "", tags: Collection[str] = ()
) -> list[str]:
    """One ``line N: field.path: message`` per error. ``prefix``: where the validated value sits in
    the file; ``tags``: the names pydantic adds to a location for the member of a tagged union it
    tried (not part of the file's paths)."""
    out = []
    for err in exc.errors():
        # The tag follows the position of the union member (a list index), e.g. criteria[1].metric.
        raw = tuple(err["loc"])
        kept = [p for i, p in enumerate(raw) if not (p in tags and i > 0 and isinstance(raw[i - 1], int))]
        loc = (*prefix, *kept)
        out.append(f"line {line_of(lines, loc)}: {field_path(loc, root)}: {err['msg']}")
    return out


def validate_yaml(
    text: str, model: type[M], where: str, *, error: type[Exception], shape: str, tags: Collection[str] = ()
) -> M:
    """``model`` from YAML text of a mapping; ``error`` names ``where`` and each line and field.
    ``shape`` says what the document should be when it is not a mapping."""
    try:
        data, lines = load_with_lines(text)
    except yaml.YAMLError as exc:
        raise error(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise error(f"{where}: line 1: {shape}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(f"{where}: " + "; ".join(problems(exc, lines, tags=tags))) from None
