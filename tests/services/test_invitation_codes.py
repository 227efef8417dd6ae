"""Invitation codes: short enough to type from a letter, impossible to misread, unguessable."""

from __future__ import annotations

import pytest

from node.services.invitation_codes import (
    ALPHABET,
    LENGTH,
    format_code,
    new_code,
    normalise_code,
)


def test_the_alphabet_has_no_symbol_that_reads_like_another():
    # 0/O and 1/I/L look alike on paper; U is left out too, as in Crockford's base 32
    assert set("0O1ILU").isdisjoint(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 30
    assert ALPHABET.upper() == ALPHABET


def test_a_code_has_ten_symbols_from_the_alphabet():
    for _ in range(200):
        code = new_code()
        assert len(code) == LENGTH == 10
        assert set(code) <= set(ALPHABET)


def test_ten_thousand_codes_are_all_different():
    codes = [new_code() for _ in range(10_000)]

    assert len(set(codes)) == 10_000
    # and every symbol gets used, so none of the alphabet's strength is wasted
    assert set("".join(codes)) == set(ALPHABET)


def test_a_code_is_printed_as_two_groups_of_five():
    assert format_code("K7QM4XRT9P") == "K7QM4-XRT9P"


@pytest.mark.parametrize(
    "typed",
    [
        "K7QM4XRT9P",
        "k7qm4xrt9p",
        "K7QM4-XRT9P",
        "k7qm4-xrt9p",
        "K7QM4 XRT9P",
        "  K7QM4-XRT9P  ",
        "K7-QM-4X-RT-9P",
        "K7QM4_XRT9P",
        "K7QM4.XRT9P",
        "K 7 Q M 4 X R T 9 P",
    ],
)
def test_what_people_type_is_read_as_the_code(typed):
    assert normalise_code(typed) == "K7QM4XRT9P"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "K7QM4-XRT9",  # nine symbols
        "K7QM4-XRT9PP",  # eleven
        "K7QM4-XRT9O",  # O is not in the alphabet
        "K7QM4-XRT90",  # nor 0
        "K7QM4-XRT91",  # nor 1
        "K7QM4-XRTIL",  # nor I or L
        "K7QM4-XRT9U",  # nor U
        "K7QM4-XRT9É",
        "K7QM4/XRT9P",
        "K7QM4-XRT9P;",
    ],
)
def test_anything_that_cannot_be_a_code_is_refused(typed):
    assert normalise_code(typed) is None


def test_a_printed_code_reads_back_as_itself():
    for _ in range(100):
        code = new_code()
        assert normalise_code(format_code(code)) == code
        assert normalise_code(format_code(code).lower()) == code
