"""National Provider Identifier check digits.

An NPI is 10 digits, the first 1 or 2, and the last a Luhn check digit computed over the
card-issuer prefix ``80840`` followed by the first nine digits (CMS, "Requirements for
National Provider Identifier (NPI) and NPI Enumeration", after ISO/IEC 7812). A typo in an
NPI is the commonest front-end rejection, and the check digit catches every single-digit
error and most transpositions before a payer ever sees the claim.
"""

from __future__ import annotations

_PREFIX = "80840"


def _luhn_sum(digits: str) -> int:
    """Luhn sum of ``digits`` as if a check digit were appended after them."""
    total = 0
    # The digit next to the (absent) check digit is doubled, then every second one leftwards.
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total


def npi_check_digit(first_nine: str) -> str:
    """The check digit that completes ``first_nine`` (nine digits, first 1 or 2) into an NPI."""
    if len(first_nine) != 9 or not first_nine.isascii() or not first_nine.isdigit():
        raise ValueError(f"an NPI body is nine digits, got {first_nine!r}")
    return str((10 - _luhn_sum(_PREFIX + first_nine) % 10) % 10)


def make_npi(first_nine: str) -> str:
    """``first_nine`` plus its check digit: a valid NPI (used by tests and the benchmark)."""
    return first_nine + npi_check_digit(first_nine)


def is_valid_npi(npi: str) -> bool:
    """10 ASCII digits, first digit 1 or 2, and a correct check digit."""
    return (
        len(npi) == 10
        and npi.isascii()
        and npi.isdigit()
        and npi[0] in "12"
        and npi_check_digit(npi[:9]) == npi[9]
    )
