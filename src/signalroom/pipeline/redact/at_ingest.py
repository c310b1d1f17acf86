"""Redaction at the door: turn texts redacted before they are stored.

The content hash is taken from the record as it arrived, so reloading the same file still counts
every record as unchanged; the marks' positions are kept in each turn's attributes.
"""

from __future__ import annotations

from typing import Any

from signalroom.interchange.models import Interaction
from signalroom.pipeline.redact.redactor import Redactor


class IngestRedactor:
    """Redacts an interaction's turns in place (the loader's ``redactor``)."""

    def __init__(self, *, redactor: Redactor | None = None) -> None:
        self.redactor = redactor

    def get_params(self) -> dict[str, Any]:
        return self._redactor().get_params()

    def _redactor(self) -> Redactor:
        if self.redactor is None:
            self.redactor = Redactor()
        return self.redactor

    def redact_turns(self, interaction: Interaction) -> None:
        if not interaction.turns:
            return
        names = [interaction.customer.name] if interaction.customer.name else []
        if interaction.agent is not None and interaction.agent.name:
            names.append(interaction.agent.name)
        found = self._redactor().redact_many([t.text for t in interaction.turns], known_names=names)
        for turn, redaction in zip(interaction.turns, found, strict=True):
            if not redaction.spans:
                continue
            turn.text = redaction.text
            extra = turn.__pydantic_extra__
            if extra is not None:
                extra["redactions"] = [
                    {"start": m.start, "end": m.end, "entity": m.entity, "recognizer": m.recognizer}
                    for m in redaction.spans
                ]
