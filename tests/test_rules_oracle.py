"""The rules made cheaper find exactly what they found before.

`check_postings`, `check_limits`, `daily_balances`, `check_closed_months`,
`check_invoices` and `check_ledger` were rewritten for speed (docs/performance.md,
"Coopledger's rules, cheaper"). Their versions before, word for word, are kept in
tests/rules_before.py; here both read the same random journals, full of what the
rules are there to find: unknown and foreign accounts, members not yet joined or
gone, limits broken (some changing over time), two currencies, amounts zero, too
precise or too large, trade ids used twice, self-trades, control characters,
invoices settled twice or by the wrong members, clearings, and closed months
edited after their close. The problems must be the same, in the same order,
down to each fact's type and exponent (their `repr`).
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pytest
import rules_before as before
from beancount.core import data
from beancount.core.amount import Amount
from beancount.parser import booking, parser
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from coopledger.model import closing, invoices
from coopledger.model.closing import Opening
from coopledger.model.members import Roster, parse_members
from coopledger.model.rules import Rules, parse_rules
from coopledger.validation import checks

RULES = """\
name: SEL
currency: SEL
decimals: 2
limits:
  person: {floor: {2025-01-01: -100, 2025-02-10: -60}, ceiling: 150}
  shop: {floor: -300, ceiling: {2025-01-01: 500, 2025-03-01: 250}}
accounts:
  treasury: Assets:Coop:Treasury
"""
MEMBERS = """\
members:
  - {id: ana, name: Ana, kind: person, joined: 2025-01-01}
  - {id: ben, name: Ben, kind: person, joined: 2025-01-01,
     floor: {2025-01-20: -40, 2025-03-01: -80}}
  - {id: cleo, name: Cleo, kind: person, joined: 2025-02-01, ceiling: {2025-02-15: 60}}
  - {id: dan, name: Dan, kind: shop, joined: 2025-01-01, status: {2025-02-20: left}}
  - {id: eve, name: Eve, kind: shop, joined: 2025-01-01,
     status: {2025-01-15: suspended, 2025-02-01: active}}
"""
ACCOUNTS = [
    *(f"Assets:Members:{m}" for m in ("Ana", "Ben", "Cleo", "Dan", "Eve")),
    "Assets:Members:Ana",
    "Assets:Members:Ben",
    "Assets:Members:Zed",  # nobody's
    "Assets:Coop:Treasury",
    "Expenses:Elsewhere",  # foreign
    "Assets:Receivable:Zed",  # an invoice account of nobody
]
MEMBERS_IDS = ["ana", "ben", "cleo", "dan", "eve", "zed"]
AMOUNTS = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("200"), places=2),
    st.sampled_from(
        [Decimal("0"), Decimal("0.00"), Decimal("1.005"), Decimal("2.50"), Decimal("2.5")]
    ),
    st.sampled_from([Decimal("10.000"), Decimal("1000000000000000"), Decimal("0.1")]),
)
DAYS = st.integers(min_value=0, max_value=130)  # 2025-01-01 to mid-May
# the parties of each invoice, mostly as issued (a reduction by others is malformed)
PARTIES = st.one_of(
    st.sampled_from([("F-1", "ana", "ben"), ("F-2", "ben", "eve"), ("F-3", "cleo", "ana")]),
    st.sampled_from([("F-1", "ana", "ben"), ("F-2", "ben", "eve"), ("F-3", "cleo", "ana")]),
    st.tuples(
        st.sampled_from(["F-1", "F-2", "F-3", "F-9"]),
        st.sampled_from(MEMBERS_IDS),
        st.sampled_from(MEMBERS_IDS),
    ),
)
START = datetime.date(2025, 1, 1)


def _day(offset: int) -> str:
    return (START + datetime.timedelta(days=offset)).isoformat()


def _number(value: Decimal) -> str:
    return f"{value:f}"


trades = st.builds(
    lambda day, payer, payee, amount, currency, trade, narration, rule, extra: (
        day,
        f'{_day(day)} * "{narration}"\n'
        + (f'  trade: "{trade}"\n' if trade else "")
        + (f'  rule: "{rule}"\n' if rule else "")
        + (f'  memo: "{extra}"\n' if extra == "bell\x07" else "")
        + f"  {'! ' if extra == '!' else ''}{payer}  -{_number(amount)} {currency}\n"
        + (f'    note: "{extra}"\n' if extra == "seen" else "")
        + f"  {payee}  {_number(amount)} {currency}\n",
    ),
    DAYS,
    st.sampled_from(ACCOUNTS),
    st.sampled_from(ACCOUNTS),
    AMOUNTS,
    st.sampled_from(["SEL", "SEL", "SEL", "EUR"]),
    st.one_of(st.none(), st.sampled_from(["t1", "t2", "t3", "t4"])),
    st.sampled_from(["bread", "tea", "ring\t", "é"]),
    st.one_of(st.none(), st.none(), st.sampled_from(["demurrage", "contribution"])),
    st.sampled_from([None, None, None, "bell\x07", "!", "seen"]),
)
three_legs = st.builds(
    lambda day, a, b, c, x, y: (
        day,
        f'{_day(day)} * "levy"\n'
        f"  {a}  -{_number(x + y)} SEL\n  {b}  {_number(x)} SEL\n  {c}  {_number(y)} SEL\n",
    ),
    DAYS,
    st.sampled_from(ACCOUNTS),
    st.sampled_from(ACCOUNTS),
    st.sampled_from(ACCOUNTS),
    AMOUNTS,
    AMOUNTS,
)


def _invoice(day: int, parties: tuple[str, str, str], amount: Decimal, due: str | None) -> str:
    ref, debtor, creditor = parties
    return (
        f'{_day(day)} * "invoice"\n  invoice: "{ref}"\n'
        + (f"  due: {due}\n" if due else "")
        + f"  Assets:Receivable:{creditor.title()}  {_number(amount)} SEL\n"
        + f"  Liabilities:Payable:{debtor.title()}  -{_number(amount)} SEL\n"
    )


def _settlement(day: int, parties: tuple[str, str, str], amount: Decimal) -> str:
    ref, debtor, creditor = parties
    return (
        f'{_day(day)} * "settles"\n  settles: "{ref}"\n'
        f"  Assets:Members:{debtor.title()}  -{_number(amount)} SEL\n"
        f"  Assets:Members:{creditor.title()}  {_number(amount)} SEL\n"
        f"  Liabilities:Payable:{debtor.title()}  {_number(amount)} SEL\n"
        f"  Assets:Receivable:{creditor.title()}  -{_number(amount)} SEL\n"
    )


def _clearing(day: int, parties: tuple[str, str, str], amount: Decimal, clearing: str) -> str:
    ref, debtor, creditor = parties
    return (
        f'{_day(day)} * "clearing"\n  clearing: "{clearing}"\n  clears: "{ref}"\n'
        f"  Liabilities:Payable:{debtor.title()}  {_number(amount)} SEL\n"
        f"  Assets:Receivable:{creditor.title()}  -{_number(amount)} SEL\n"
    )


invoice_entries = st.builds(
    lambda day, parties, amount, due: (day, _invoice(day, parties, amount, due)),
    DAYS,
    PARTIES,
    AMOUNTS,
    st.sampled_from([None, "2025-06-30", '"soon"']),
)
settlements = st.builds(
    lambda day, parties, amount: (day, _settlement(day, parties, amount)),
    DAYS,
    PARTIES,
    AMOUNTS,
)
clearings = st.builds(
    lambda day, parties, amount, clearing: (day, _clearing(day, parties, amount, clearing)),
    DAYS,
    PARTIES,
    AMOUNTS,
    st.sampled_from(["c1", "c2"]),
)
# a reference on an entry with no invoice account: malformed, or an unknown invoice
bare_references = st.builds(
    lambda day, key, parties, amount: (
        day,
        f'{_day(day)} * "bare"\n  {key}: "{parties[0]}"\n'
        f"  Assets:Members:{parties[1].title()}  -{_number(amount)} SEL\n"
        f"  Assets:Members:{parties[2].title()}  {_number(amount)} SEL\n",
    ),
    DAYS,
    st.sampled_from(["invoice", "settles", "clears"]),
    PARTIES,
    AMOUNTS,
)
journal_entries = st.lists(
    st.one_of(
        trades, trades, trades, three_legs, invoice_entries, settlements, clearings, bare_references
    ),
    max_size=40,
)


def setup() -> tuple[Rules, Roster]:
    rules, problems = parse_rules(RULES)
    assert rules is not None, problems
    roster, problems = parse_members(MEMBERS, rules)
    assert roster is not None, problems
    return rules, roster


def load(texts: list[str]) -> list[data.Directive]:
    """The entries of `texts`, spread over three files, sorted and booked."""
    entries: list[data.Directive] = []
    options = None
    for part in range(3):
        text = "\n".join(texts[part::3])
        name = f"/coop/journal/2025/part{part}.beancount"
        parsed, _, options = parser.parse_string(text, report_filename=name)
        entries.extend(parsed)
    booked, _ = booking.book(data.sorted(entries), options)
    return booked


def closes(entries: list[data.Directive], months: list[int], rules: Rules, roster: Roster) -> str:
    """Close directives for `months` of 2025, as `coopledger close` writes them."""
    texts = []
    for month in months:
        key = f"2025-{month:02d}"
        first, after = closing.month_of(key)
        content = closing.month_entries(entries, first, after)
        accounts = {m.id: m.account for m in roster if m.joined < after}
        texts.append(closing.close_text(key, {}, accounts, rules, content))
    return "\n".join(texts)


def same(new: list[object], old: list[object]) -> None:
    assert [repr(p) for p in new] == [repr(p) for p in old]


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    journal=journal_entries,
    closed=st.lists(st.integers(min_value=1, max_value=3), max_size=3),
    edits=st.lists(st.one_of(trades, invoice_entries), max_size=3),
    dropped=st.sets(st.integers(min_value=0, max_value=39), max_size=3),
    hard=st.booleans(),
    today=st.sampled_from([datetime.date(2025, 3, 1), datetime.date(2025, 12, 1)]),
    opened=st.booleans(),
)
def test_the_cheaper_rules_find_what_the_rules_before_found(
    journal: list[tuple[int, str]],
    closed: list[int],
    edits: list[tuple[int, str]],
    dropped: set[int],
    hard: bool,
    today: datetime.date,
    opened: bool,
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COOPLEDGER_TODAY", today.isoformat())
        compare(journal, closed, edits, dropped, hard, opened)


def compare(
    journal: list[tuple[int, str]],
    closed: list[int],
    edits: list[tuple[int, str]],
    dropped: set[int],
    hard: bool,
    opened: bool,
) -> None:
    rules, roster = setup()
    rules = dataclasses.replace(rules, enforcement="hard" if hard else "soft")
    texts = [text for _, text in journal]
    closed_text = closes(load(texts), closed, rules, roster) if closed else ""
    # closed months edited after their close: entries added, changed, removed
    texts = [t for i, t in enumerate(texts) if i not in dropped] + [t for _, t in edits]
    texts.append("2025-01-01 commodity SEL\n2025-01-01 commodity EUR\n")
    entries = load([*texts, closed_text])
    root = "/coop"

    same(
        checks.check_postings(entries, roster, rules, root),
        before.check_postings(entries, roster, rules, root),
    )
    history = checks.daily_balances(entries, root)
    assert history == before.daily_balances(entries, root)
    same(checks.check_limits(history, roster, rules), before.check_limits(history, roster, rules))
    same(closing.check_closed_months(entries, root), before.check_closed_months(entries, root))
    same(invoices.check_invoices(entries, root), before.check_invoices(entries, root))
    assert repr(invoices.read_invoices(entries, root)) == repr(before.read_invoices(entries, root))
    opening = None
    if opened:
        opening = Opening(
            "2024-12",
            START,
            {"ana": Decimal("-30.00"), "cleo": Decimal("12.5"), "zed": Decimal(1)},
            {"Assets:Coop:Treasury": Decimal("16.50")},
            0,
            (),
            file="journal/2024/12/close.beancount",
            line=3,
        )
    found, history = checks.check_ledger_with_history(entries, roster, rules, root, opening=opening)
    same(found, before.check_ledger(entries, roster, rules, root, opening=opening))
    alone = checks.check_ledger(entries, roster, rules, root, opening=opening, invoices=False)
    same(alone, before.check_ledger(entries, roster, rules, root, opening=opening, invoices=False))
    assert history == before.daily_balances(entries, root, opening)
    same(checks.check_ledger(entries, roster, rules, root, history=history, opening=opening), found)
    for code in sorted({p.code for p in found}):
        event(code)  # what the examples hold: `pytest --hypothesis-show-statistics`


KEYS = st.sampled_from(["note", "_x", "__y", "filename", "lineno", "trade", 3, ("t", 1)])
VALUES = st.one_of(
    st.text(max_size=3), st.decimals(allow_nan=False), st.integers(), st.dates(), st.none()
)


@given(
    entry_meta=st.dictionaries(KEYS, VALUES, max_size=5),
    posting_meta=st.one_of(st.none(), st.dictionaries(KEYS, VALUES, max_size=4)),
    tags=st.frozensets(st.sampled_from(["a", "b"])),
    flag=st.sampled_from([None, "!"]),
)
def test_an_entry_reads_as_the_same_canonical_text(
    entry_meta: dict[object, object],
    posting_meta: dict[object, object] | None,
    tags: frozenset[str],
    flag: str | None,
) -> None:
    """Metadata no journal text can hold (keys of a plugin's: not text, or with one
    `_`) make the same text before and after."""
    units = Amount(Decimal("-1.50"), "SEL")
    postings = [
        data.Posting("Assets:Members:Ana", units, None, None, flag, posting_meta),
        data.Posting("Assets:Members:Ben", -units, None, None, None, {"lineno": 3}),
    ]
    entry = data.Transaction(
        entry_meta,
        START,
        "*",
        None,
        "tea",
        tags,
        frozenset(),
        postings,  # type: ignore[arg-type]
    )
    assert closing.canonical_text(entry) == before.canonical_text(entry)
