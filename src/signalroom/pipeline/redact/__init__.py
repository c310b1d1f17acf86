"""PII redaction for contact-centre text (see docs/pii.md).

>>> from signalroom.pipeline.redact import Redactor
>>> Redactor().redact("my card is 4111 1111 1111 1111").text
'my card is [CARD]'
"""

from __future__ import annotations

from .marks import ENTITIES, MARKS
from .redactor import RedactedSpan, Redaction, Redactor

__all__ = ["ENTITIES", "MARKS", "RedactedSpan", "Redaction", "Redactor"]
