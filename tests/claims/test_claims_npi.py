"""NPI check digits (claims.npi)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claims.npi import is_valid_npi, make_npi, npi_check_digit


def test_cms_example_npi_is_valid() -> None:
    assert is_valid_npi("1234567893")
    assert npi_check_digit("123456789") == "3"


@pytest.mark.parametrize(
    "npi",
    [
        "1234567890",  # wrong check digit
        "3234567893",  # first digit must be 1 or 2
        "123456789",  # nine digits
        "12345678931",  # eleven
        "12345678a3",
        "",
        "１２３４５６７８９３",  # full-width digits are digits to str.isdigit, not to an NPI
    ],
)
def test_invalid_npis(npi: str) -> None:
    assert not is_valid_npi(npi)


def test_check_digit_refuses_a_bad_body() -> None:
    with pytest.raises(ValueError):
        npi_check_digit("12345678")


bodies = st.from_regex(r"\A[12][0-9]{8}\Z")


@given(bodies)
def test_made_npis_are_valid(body: str) -> None:
    assert is_valid_npi(make_npi(body))


@given(bodies, st.integers(0, 9), st.integers(1, 9))
def test_any_single_digit_typo_is_caught(body: str, pos: int, delta: int) -> None:
    npi = make_npi(body)
    typo = npi[:pos] + str((int(npi[pos]) + delta) % 10) + npi[pos + 1 :]
    assert not is_valid_npi(typo)
