"""PII redaction for contact-centre text (see docs/pii.md).

>>> from signalroom.pipeline.redact import Redactor
>>> Redactor().redact("my card is 4111 1111 1111 1111").text
'my card is [CARD]'

The redactor (and with it Presidio and spaCy) is imported only when first asked for: the marks
alone are needed by scorecard validation and the pages, which must not wait seconds for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .marks import ENTITIES, MARKS

if TYPE_CHECKING:
    from .redactor import RedactedSpan, Redaction, Redactor

__all__ = ["ENTITIES", "MARKS", "RedactedSpan", "Redaction", "Redactor"]


def __getattr__(name: str) -> Any:
    if name in ("RedactedSpan", "Redaction", "Redactor"):
        from . import redactor

        return getattr(redactor, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
