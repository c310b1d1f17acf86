"""Normalising identifiers: one person written two ways is one identifier; junk is nobody."""

from __future__ import annotations

import pytest

from signalroom.journeys.identifiers import (
    Identifier,
    IdentifierError,
    candidates,
    check_region,
    normalise,
    parse_typed,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+447174757654", "+447174757654"),
        ("07174 757654", "+447174757654"),  # UK national format, the default region
        ("+44 (0)7174 757654", "+447174757654"),  # the trunk zero in brackets
        ("0044 7174 757654", "+447174757654"),  # international dialling prefix
        ("tel:+44-7174-757654", "+447174757654"),
        ("07671 222566", "+447671222566"),  # a range the numbering plan has not allocated yet
        ("+1 (415) 555-2671", "+14155552671"),
        ("anonymous", None),
        ("withheld", None),
        ("00000", None),
        ("12", None),
        ("7946 0018", None),  # dialable only within its area: no identifier
        ("+4400000", None),
    ],
)
def test_phone_numbers_in_e164(raw: str, expected: str | None) -> None:
    assert normalise("phone", raw) == expected


def test_phone_region_is_configurable() -> None:
    assert normalise("phone", "(415) 555-2671", "US") == "+14155552671"
    assert normalise("phone", "011 44 7174 757654", "US") == "+447174757654"
    assert normalise("phone", "030 1234567", "DE") == "+49301234567"
    assert check_region(" gb ") == "GB"
    with pytest.raises(IdentifierError, match="unknown phone region 'XX'"):
        check_region("XX")


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("email", "  Dana.Reyes@Example.COM ", "dana.reyes@example.com"),
        ("email", "mailto:dana@example.com", "dana@example.com"),
        ("email", "dana@localhost", None),
        ("email", "not an email", None),
        ("handle", "@Lily_Murphy48", "@lily_murphy48"),
        ("handle", "lily_murphy48", "@lily_murphy48"),  # the leading @ is added
        ("handle", " @@lily ", "@lily"),
        ("handle", "two words", None),
        ("handle", "@", None),
        ("account", "40-11-22 3141592", "4011223141592"),  # separators are formatting
        ("account", "tel-567 753", "TEL567753"),
        ("account", "N/A", None),
        ("id", " C000001 ", "C000001"),
        ("id", "c000001", "c000001"),  # ids are case-sensitive
        ("id", "unknown", None),
        ("id", "  ", None),
    ],
)
def test_other_kinds(kind: str, raw: str, expected: str | None) -> None:
    assert normalise(kind, raw) == expected


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(IdentifierError, match="unknown identifier kind 'fax'"):
        normalise("fax", "123")


def test_typed_lookups_and_bare_candidates() -> None:
    assert parse_typed("phone:07174 757654") == Identifier("phone", "+447174757654")
    assert parse_typed("EMAIL: Dana@Example.com") == Identifier("email", "dana@example.com")
    assert parse_typed("C000001") is None  # no kind prefix
    assert parse_typed("https://example.com") is None  # not a kind we know
    with pytest.raises(IdentifierError, match="'nonsense' is not a usable phone"):
        parse_typed("phone:nonsense")
    found = {c.kind: c.value for c in candidates("07174 757654")}
    assert found["phone"] == "+447174757654"
    assert "email" not in found and "handle" not in found
    assert {c.kind for c in candidates("dana@example.com")} == {"id", "email"}
    assert str(Identifier("handle", "@lily")) == "handle:@lily"
