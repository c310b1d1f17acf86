"""The redaction vocabulary: the entity types a `Redactor` finds and the mark that replaces each.

`ENTITIES` are the names users pass to ``Redactor(entities=...)`` and read back in `RedactedSpan.entity`;
`PRESIDIO_LABELS` maps each to the labels the recognizers (built-in Presidio ones and ours) emit.
"""

from __future__ import annotations

from types import MappingProxyType

#: entity -> the mark written in its place (documented in docs/pii.md)
MARKS = MappingProxyType(
    {
        "NAME": "[NAME]",
        "EMAIL": "[EMAIL]",
        "PHONE": "[PHONE]",
        "CARD": "[CARD]",
        "CVV": "[CVV]",
        "EXPIRY": "[EXPIRY]",
        "ACCOUNT": "[ACCOUNT]",
        "IBAN": "[IBAN]",
        "ROUTING": "[ROUTING]",
        "SSN": "[SSN]",
        "NATIONAL_ID": "[NATIONAL_ID]",
        "ADDRESS": "[ADDRESS]",
        "DOB": "[DOB]",
        "PIN": "[PIN]",
        "NUMBER": "[NUMBER]",
    }
)

ENTITIES: tuple[str, ...] = tuple(MARKS)

#: entity -> the recognizer labels that produce it
PRESIDIO_LABELS = MappingProxyType(
    {
        "NAME": ("PERSON",),
        "EMAIL": ("EMAIL_ADDRESS",),
        "PHONE": ("PHONE_NUMBER",),
        "CARD": ("CREDIT_CARD", "CARD_LAST_DIGITS"),
        "CVV": ("CVV",),
        "EXPIRY": ("CARD_EXPIRY",),
        "ACCOUNT": ("BANK_ACCOUNT",),
        "IBAN": ("IBAN_CODE",),
        "ROUTING": ("ROUTING_NUMBER",),
        "SSN": ("US_SSN",),
        "NATIONAL_ID": ("UK_NINO",),
        "ADDRESS": ("STREET_ADDRESS", "POSTCODE"),
        "DOB": ("DATE_OF_BIRTH",),
        "PIN": ("PIN",),
        "NUMBER": ("SPOKEN_NUMBER",),
    }
)

#: recognizer label -> entity
ENTITY_OF_LABEL = MappingProxyType({label: entity for entity, labels in PRESIDIO_LABELS.items() for label in labels})

#: when two findings overlap, the higher priority wins (then the higher score, then the longer span)
PRIORITY = MappingProxyType(
    {
        "CARD": 90,
        "IBAN": 90,
        "EMAIL": 90,
        "SSN": 80,
        "NATIONAL_ID": 80,
        "DOB": 75,
        "CVV": 70,
        "EXPIRY": 70,
        "PIN": 70,
        "ROUTING": 65,
        "ACCOUNT": 65,
        "PHONE": 60,
        "ADDRESS": 55,
        "NUMBER": 50,
        "NAME": 40,
    }
)
