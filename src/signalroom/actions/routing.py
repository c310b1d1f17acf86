"""Routing (docs/routing.md): which function owns a signal, and who in it.

Rules in YAML, tried in order; the first whose conditions all hold chooses the owner function and
the named owner, and the signal records the rule's name. A condition holds when any of its values
does: ``words`` (whole words or phrases in the signal's title and phrases),
``reasons`` (text contained in a reason label), ``detectors`` (one of its detectors found it),
``kinds`` (need, phrase, cluster, flags). ``default`` owns what no rule matches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from signalroom.signals.model import DETECTORS
from signalroom.yaml_lines import validate_yaml

FUNCTIONS = ("product", "marketing", "operations", "policy", "training", "workforce", "qa")
Function = Literal["product", "marketing", "operations", "policy", "training", "workforce", "qa"]
Detector = Literal[DETECTORS]  # type: ignore[valid-type]
Kind = Literal["need", "phrase", "cluster", "flags"]


class RoutingError(ValueError):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Conditions(_Strict):
    words: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    detectors: tuple[Detector, ...] = ()
    kinds: tuple[Kind, ...] = ()

    @model_validator(mode="after")
    def _something(self) -> Conditions:
        if not (self.words or self.reasons or self.detectors or self.kinds):
            raise ValueError("a rule needs at least one condition: words, reasons, detectors or kinds")
        if any(not w.strip() for w in (*self.words, *self.reasons)):
            raise ValueError("an empty word or reason matches everything: remove it")
        return self


class Owner(_Strict):
    owner_function: Function
    owner: str | None = None


class Rule(Owner):
    name: str = Field(min_length=1)
    when: Conditions


class RoutingRules(_Strict):
    rules: tuple[Rule, ...] = ()
    default: Owner

    @model_validator(mode="after")
    def _unique_names(self) -> RoutingRules:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"two rules are named {rule.name!r}: a signal records the rule that routed it")
            seen.add(rule.name)
        return self


@dataclass(frozen=True, kw_only=True)
class Subject:
    """What routing sees of a signal."""

    title: str
    kind: str
    detectors: Sequence[str]
    phrases: Sequence[str] = ()
    reason_labels: Sequence[str] = ()


@dataclass(frozen=True)
class Route:
    owner_function: str
    owner: str | None
    rule: str  # the rule's name, or "default"


def parse_rules(text: str, where: str = "<yaml>") -> RoutingRules:
    return validate_yaml(text, RoutingRules, where, error=RoutingError,
                         shape="routing rules are a mapping with `rules` and `default`")  # fmt: skip


def load_rules(path: Path) -> RoutingRules:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise RoutingError(f"{path}: cannot read: {exc}") from None
    return parse_rules(text, str(path))


def default_rules_text() -> str:
    return (resources.files("signalroom.actions") / "routing_rules" / "default.yaml").read_text("utf-8")


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", text) is not None


def _holds(when: Conditions, subject: Subject) -> bool:
    text = " ".join((subject.title, *subject.phrases)).lower()
    labels = [label.lower() for label in subject.reason_labels]
    checks = (
        (when.words, lambda w: _has_word(text, w)),
        (when.reasons, lambda r: any(r.lower() in label for label in labels)),
        (when.detectors, lambda d: d in subject.detectors),
        (when.kinds, lambda k: k == subject.kind),
    )
    return all(not values or any(test(v) for v in values) for values, test in checks)


def route(rules: RoutingRules, subject: Subject) -> Route:
    """The owner of the first rule that holds, or the default's."""
    for rule in rules.rules:
        if _holds(rule.when, subject):
            return Route(rule.owner_function, rule.owner, rule.name)
    return Route(rules.default.owner_function, rules.default.owner, "default")
