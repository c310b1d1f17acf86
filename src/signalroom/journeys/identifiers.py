"""Normalising customer identifiers, so that the same person written two ways is one identifier.

Every identifier a record or profile carries is normalised here, once per distinct raw value
(the warehouse caches the result), and lookups typed on the command line are normalised the same
way. A value that cannot be normalised (a phone number that is no number, "unknown") links nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

KINDS: tuple[str, ...] = ("id", "account", "email", "phone", "handle")
# The strongest identifier first: a person is named (anchored) by its strongest identifier, and a
# record is placed by its strongest one. Customer ids are the only strong kind: everything else
# can be shared (a household's phone, a joint account, a family email).
KIND_RANK: dict[str, int] = {kind: rank for rank, kind in enumerate(KINDS)}
DEFAULT_PHONE_REGION = "GB"

# Placeholders systems write where they have no identifier; as identifiers they would link strangers.
_PLACEHOLDERS = frozenset(
    {"", "-", "--", "n/a", "na", "none", "null", "nil", "unknown", "anonymous", "withheld", "private", "0", "test"}
)
_ACCOUNT_SEPARATORS = re.compile(r"[\s\-./]+")
_ACCOUNT = re.compile(r"^[A-Z0-9]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HANDLE = re.compile(r"^[a-z0-9_.\-]+$")


class IdentifierError(ValueError):
    """A value given as an identifier of some kind that is not one."""


def check_region(region: str) -> str:
    """The region code, upper-cased, if phonenumbers knows it."""
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise IdentifierError(f"unknown phone region {region!r}: expected an ISO 3166 code such as GB, US or DE")
    return code


def normalise_id(raw: str) -> str | None:
    # Customer ids are compared exactly (they are case-sensitive in most systems), apart from spaces.
    value = raw.strip()
    return None if value.lower() in _PLACEHOLDERS else value


def normalise_email(raw: str) -> str | None:
    # Lower-cased as a whole: providers treat the local part case-insensitively in practice.
    value = raw.strip().lower()
    if value.startswith("mailto:"):
        value = value[len("mailto:") :]
    return value if _EMAIL.match(value) else None


def normalise_phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> str | None:
    """E.164 (+447174757654). National numbers ("07174 757654") are read in ``region``.

    The number's length must be possible for its country; it need not be in a range the
    numbering plan has allocated (phonenumbers' metadata lags behind real allocations, and
    rejecting a number loses every link it makes, while reading one oddly only fails to match
    it written another way)."""
    text = raw.strip()
    if text.lower() in _PLACEHOLDERS:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    # IS_POSSIBLE, not IS_POSSIBLE_LOCAL_ONLY: a number dialable only within its area is no identifier.
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_handle(raw: str) -> str | None:
    value = raw.strip().lower().lstrip("@")
    if value in _PLACEHOLDERS or not _HANDLE.match(value):
        return None
    return "@" + value


def normalise_account(raw: str) -> str | None:
    # "40-11-22 3141592" and "401122 3141592" are one account: separators are formatting.
    value = _ACCOUNT_SEPARATORS.sub("", raw.strip().upper())
    return None if value.lower() in _PLACEHOLDERS or not _ACCOUNT.match(value) else value


def normalise(kind: str, raw: str, region: str = DEFAULT_PHONE_REGION) -> str | None:
    """The normalised value of an identifier of ``kind``, or None when it identifies nobody."""
    if kind == "id":
        return normalise_id(raw)
    if kind == "email":
        return normalise_email(raw)
    if kind == "phone":
        return normalise_phone(raw, region)
    if kind == "handle":
        return normalise_handle(raw)
    if kind == "account":
        return normalise_account(raw)
    raise IdentifierError(f"unknown identifier kind {kind!r}: expected one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class Identifier:
    kind: str
    value: str  # normalised

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


def parse_typed(text: str, region: str = DEFAULT_PHONE_REGION) -> Identifier | None:
    """``kind:value`` as typed on the command line (``phone:07174 757654``), normalised; None when
    the text has no known kind prefix. Raises when the value is not an identifier of that kind."""
    kind, sep, raw = text.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in KIND_RANK:
        return None
    value = normalise(kind, raw, region)
    if value is None:
        raise IdentifierError(f"{raw.strip()!r} is not a usable {kind}")
    return Identifier(kind, value)


def candidates(text: str, region: str = DEFAULT_PHONE_REGION) -> list[Identifier]:
    """Every identifier a bare value could be, strongest kind first: "07174 757654" could be a
    phone number (and, in principle, an account or a customer id)."""
    found = []
    for kind in KINDS:
        value = normalise(kind, text, region)
        if value is not None:
            found.append(Identifier(kind, value))
    return found
