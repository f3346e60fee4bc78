"""coopledger aligns a new entry as bean-format does, without importing it.

`journal_text.aligned` writes amounts at bean-format's columns with its own
few lines (beancount.scripts.format imports click, which a `trade` does not
need otherwise); bean-format's own `align_beancount` is the oracle here, on
hand-picked texts and on generated ones.
"""

from __future__ import annotations

import pytest
from beancount.scripts import format as bean_format
from hypothesis import given
from hypothesis import strategies as st

from coopledger.storage import journal_text

TEXTS = [
    '2026-11-02 * "x"\n  Assets:Members:Alice  -1.00 SEL\n  Assets:Members:Bob  1.00 SEL\n',
    '2026-11-02 * "x"\n    Assets:Members:Alice   -12.50 SEL\n  Assets:B  (2 * 3) SEL\n'
    "  Assets:C\n",
    "2026-11-01 price SEL 1.00 EUR\n; a comment 12 SEL\n",
    '2026-11-02 * "tabs"\n\tAssets:Members:Alice\t-1 SEL ; memo\n\tAssets:Members:Bob 1 SEL\n',
    '2026-11-02 * "ties"\n   Assets:A  1 SEL\n  Assets:B  -1 SEL\n',
    '2026-11-02 * "no newline"\n  Assets:A  1 SEL\n  Assets:B  -1 SEL',
    '2026-11-02 * "wide"\n  Assets:Members:Élodie-Émilie  -1,000.00 SEL\n  Assets:B  +1 SEL\n',
]


def test_the_number_patterns_are_bean_formats() -> None:
    assert journal_text.NUMBER_RE == bean_format.NUMBER_RE
    assert journal_text.PARENTHESIZED_BINARY_OP_RE == bean_format.PARENTHESIZED_BINARY_OP_RE


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("after", ["", "  Assets:Members:Somebody-Long-Name   -100000.00 SEL\n"])
def test_aligned_is_bean_formats_alignment(text: str, after: str) -> None:
    widths = zip(journal_text._widths(after), journal_text._widths(text), strict=True)
    prefix, number = map(max, widths)
    expected = bean_format.align_beancount(text, prefix or None, number or None)

    assert journal_text.aligned(text, after) == expected


ACCOUNTS = st.sampled_from(["Assets:A", "Assets:Members:Alice", "Income:Coop:Levy", "Bad"])
NUMBERS = st.sampled_from(["1", "-1.00", "12,000.5", "+ 3", "(2 * 3)", "1.", "x"])
INDENTS = st.sampled_from(["", " ", "  ", "    ", "\t", " \t"])
TAILS = st.sampled_from([" SEL", "  SEL ; memo", " EUR", "", " SEL\xa0x"])
LINES = st.one_of(
    st.builds(lambda i, a, n, t: f"{i}{a}  {n}{t}", INDENTS, ACCOUNTS, NUMBERS, TAILS),
    st.builds(lambda i, a: f"{i}{a}", INDENTS, ACCOUNTS),
    st.sampled_from(['2026-11-02 * "x"', "; note 5 SEL", "", "2026-11-01 price SEL  2 EUR"]),
)


@given(st.lists(LINES, min_size=1, max_size=8), st.integers(0, 40), st.integers(0, 12))
def test_aligned_agrees_with_bean_format_on_generated_texts(
    lines: list[str], prefix: int, number: int
) -> None:
    text = "\n".join(lines) + "\n"
    if not (prefix and number):
        return
    try:
        expected: str | None = bean_format.align_beancount(text, prefix, number)
    except AssertionError:  # more than whitespace would change: bean-format refuses
        expected = None
    assert journal_text._align(text, prefix, number) == expected
