"""`check --no-cache` along the closes: the closed months judged in parallel runs.

Once months are closed, a cold full check cuts them into runs of months, each
judged in a process of its own from the opening the close before it carries,
while the open period is judged from the last close. It may only ever answer
"no problem", and only when reading everything would: anything else, and the
full read answers. So every test here compares the two on the same books, the
full read forced by giving the route one CPU:

- clean books: the same output, said to be read along the closes;
- hostile edits that a run of months judged alone would miss (an account closed
  in one month and used in another, a balance asserted from an open month's file
  about a closed month, an entry in another month's folder, a close that leaves
  out two members whose balances cancel, an invoice settled in a closed month
  and settled again in the open one, a trade id in two periods): the full
  read's output, and `--verbose` says which guard sent the check back to it.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopledger.model.closing import BALANCES_KEY, CLOSE_TYPE, text_fingerprint
from coopledger.storage import along_closes
from tests.conftest import Builds, Coop, Result, in_french

OCTOBER_CLOSE = "journal/2026/10/close.beancount"
ALONG = "read: along the closes (no cache asked)"


def closed_through_october(coop: Coop) -> None:
    """Trades every month from June to November, an invoice of June settled in
    July and November; June to October closed."""
    steps = [
        ("trade", "alice", "bob", "100", "--date", "2026-06-05"),
        ("invoice", "bob", "alice", "80", "--ref", "F-1", "--date", "2026-06-10"),
        ("trade", "bob", "fournil", "40", "--date", "2026-06-20"),
        ("settle", "F-1", "50", "--date", "2026-07-03"),
        ("trade", "fournil", "tresa", "25", "--date", "2026-07-15"),
        ("trade", "tresa", "alice", "10", "--date", "2026-08-02"),
        ("trade", "alice", "fournil", "300", "--date", "2026-09-10"),
        ("trade", "bob", "tresa", "30", "--date", "2026-10-12"),
        ("close", "2026-10", "--with-earlier"),
        ("trade", "fournil", "bob", "5", "--date", "2026-11-04"),
        ("settle", "F-1", "--date", "2026-11-05"),
    ]
    for step in steps:
        result = coop.run(*step)
        assert result.code == 0, result.text


@pytest.fixture
def closed(builds: Builds, coop: Coop, monkeypatch: pytest.MonkeyPatch) -> Coop:
    """`coop` after `closed_through_october`, checked with one process per
    closed month (whatever the machine has)."""
    monkeypatch.setattr(along_closes, "cpus", lambda: 5)
    return builds.after("closed-through-october", coop, closed_through_october)


def both(coop: Coop, monkeypatch: pytest.MonkeyPatch) -> tuple[Result, Result]:
    """`--verbose check --no-cache` along the closes, then read in full."""
    along = coop.run("--verbose", "check", "--no-cache")
    with monkeypatch.context() as one_cpu:
        one_cpu.setattr(along_closes, "cpus", lambda: 1)
        full = coop.run("--verbose", "check", "--no-cache")
    assert (
        "read: full (no cache asked; the closed months cannot be judged one by one: one CPU)"
        in (full.err)
    )
    return along, full


def answered_by_the_full_read(coop: Coop, monkeypatch: pytest.MonkeyPatch, why: str) -> str:
    """Both ways print the same refusal (exit 1): the route along the closes
    went back to the full read, for the reason `why` (`--verbose`). Its output."""
    along, full = both(coop, monkeypatch)
    assert along.code == full.code == 1, along.text
    assert along.out == full.out
    assert (
        f"read: full (no cache asked; the closed months cannot be judged one by one: {why})"
        in along.err
    )
    return along.out


def add(coop: Coop, name: str, text: str) -> None:
    coop.append(name, text)
    coop.commit_all()


def by_hand(
    day: str, payer: str, payee: str, amount: str, memo: str = "by hand", **meta: str
) -> str:
    """A trade as a volunteer writes it by hand, `meta` as its metadata."""
    lines = [f"{day} * {json.dumps(memo)}", *(f'  {k}: "{v}"' for k, v in meta.items())]
    lines += [
        f"  Assets:Members:{payer.capitalize()}  -{amount} SEL",
        f"  Assets:Members:{payee.capitalize()}  {amount} SEL",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- clean books


def test_clean_closed_books_are_read_along_the_closes(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    along, full = both(closed, monkeypatch)

    assert along.code == full.code == 0, along.text
    assert ALONG in along.err
    assert along.out == full.out
    assert "ok: 4 members, 7 trades, balances sum to 0.00 SEL; 0 warnings" in along.out
    assert "are closed and unchanged" not in along.out  # nothing was carried unread
    as_json = json.loads(closed.run("check", "--no-cache", "--json").out)
    assert as_json["ok"] is True and as_json["closed_months_carried_through"] is None


def test_the_runs_of_months_cut_the_closed_months_in_order(closed: Coop) -> None:
    from coopledger.cache import carry

    chain = carry.close_chain(closed.root)

    assert [c.month for c in chain] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    weights = [along_closes._entries_of(closed) for closed in chain]
    assert weights == [3, 2, 1, 1, 1]  # June: 2 trades, an invoice; July: a settlement, a trade
    for count in (1, 2, 3, 5, 9):
        runs = along_closes.runs_of_months(weights, count)
        assert len(runs) == min(count, len(chain))
        assert [i for first, last in runs for i in range(first, last + 1)] == list(range(5))


def test_with_two_runs_the_books_are_read_along_the_closes_too(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(along_closes, "cpus", lambda: 2)

    along, full = both(closed, monkeypatch)

    assert ALONG in along.err
    assert along.out == full.out and along.code == 0


# ---------------------------------------------------------------- what a run alone would miss


def test_an_account_closed_in_one_closed_month_and_used_in_another(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(closed, "journal/2026/07/close-bob.beancount", "2026-07-20 close Assets:Members:Bob\n")

    out = answered_by_the_full_read(closed, monkeypatch, "an entry outside its month")

    assert "error: Invalid reference to inactive account 'Assets:Members:Bob'" in out


def test_a_balance_asserted_from_an_open_file_about_a_closed_month(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """alice's balance on 2026-08-15 is -90.00: the open period alone, which starts
    in November, would find 0.00 there."""
    add(
        closed,
        "journal/2026/11/alice-by-hand.beancount",
        "2026-08-15 balance Assets:Members:Alice  0.00 SEL\n",
    )

    out = answered_by_the_full_read(closed, monkeypatch, "an entry outside its month")

    assert "Balance failed" in out


def test_an_entry_written_in_another_closed_months_folder(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An October trade written in July's folder: October's own run does not
    read it, July's has no October close to compare it with."""
    add(
        closed,
        "journal/2026/07/tresa-by-hand.beancount",
        by_hand("2026-10-20", "tresa", "alice", "5.00", "October, in July's folder"),
    )

    out = answered_by_the_full_read(closed, monkeypatch, "an entry outside its month")

    assert "the month 2026-10 is closed" in out


def test_a_close_that_leaves_out_two_balances_that_cancel(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """alice pays bob 100.00 in September; October's close is edited by hand to
    leave out both their balances (which cancel, so its sum stays zero), its
    `balances` fingerprint made again. A run of months would start November with
    alice at 0.00; she is at -100.00, and 450.00 more breaks her floor of -500.00."""
    monkeypatch.setattr(along_closes, "cpus", lambda: 2)
    assert coop.run("trade", "alice", "bob", "100", "--date", "2026-09-10").code == 0
    assert coop.run("close", "2026-10", "--with-earlier").code == 0
    text = coop.read(OCTOBER_CLOSE)
    kept = [
        line
        for line in text.splitlines(keepends=True)
        if not re.search(r" balance Assets:Members:(Alice|Bob) ", line)
    ]
    assert len(kept) == len(text.splitlines()) - 2
    edited = "".join(kept)
    above = edited[: re.search(rf'^\S+ custom "{CLOSE_TYPE}"', edited, re.M).start()]  # type: ignore[union-attr]
    recorded = re.search(rf'  {BALANCES_KEY}: "([^"]*)"', edited)
    assert recorded is not None
    coop.write(OCTOBER_CLOSE, edited.replace(recorded.group(1), text_fingerprint(above)))
    coop.commit_all()
    add(
        coop,
        "journal/2026/11/alice-by-hand.beancount",
        by_hand("2026-11-20", "alice", "bob", "450.00"),
    )

    out = answered_by_the_full_read(coop, monkeypatch, "a close does not carry its month's end")

    assert "alice's balance would be -550.00 SEL" in out


def test_an_invoice_settled_in_a_closed_month_and_again_in_the_open_one(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F-1 (80.00, June) is settled 50.00 in July and 30.00 in November; a second
    30.00 in November settles more than is owed. July's settlement is moved out
    of the file its close lists, into July's gathered file: no run judges F-1
    alone, and the invoices carried from the files the closes list would miss
    July's settlement."""
    listed = [
        p for p in (closed.root / "journal/2026/07").rglob("*.beancount") if "F-1" in p.read_text()
    ]
    assert len(listed) == 1
    settlement = listed[0].read_text()
    listed[0].write_text("; moved to _month.beancount\n")  # still listed, and empty
    add(closed, "journal/2026/07/_month.beancount", "\n" + settlement)
    november = next((closed.root / "journal/2026/11").rglob("bob.2026-11-05-*.beancount"))
    again = november.read_text().replace("2026-11-05", "2026-11-21")
    add(closed, "journal/2026/11/bob-by-hand.beancount", again)

    out = answered_by_the_full_read(closed, monkeypatch, "problems found")

    assert "bob-by-hand.beancount:1: error: invoice 'F-1' is reduced by 30.00" in out


def test_a_trade_id_of_a_closed_month_used_again_in_the_open_period(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    september = next((closed.root / "journal/2026/09").glob("_month.beancount")).read_text()
    found = re.search(r'  trade: "([^"]+)"', september)
    assert found is not None
    add(
        closed,
        "journal/2026/11/tresa-by-hand.beancount",
        by_hand("2026-11-22", "tresa", "bob", "1.00", "the same id", trade=found.group(1)),
    )

    out = answered_by_the_full_read(closed, monkeypatch, "a trade id in two periods")

    assert "duplicate" in out.lower() or found.group(1) in out


def test_a_closed_month_edited_is_named_as_the_full_read_names_it(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = "journal/2026/09/_month.beancount"
    closed.write(path, closed.read(path).replace("300.00 SEL", "310.00 SEL"))
    closed.commit_all()

    out = answered_by_the_full_read(closed, monkeypatch, "problems found")

    assert "the month 2026-09 is closed" in out


# ---------------------------------------------------------------- the property

MEMBERS = ("alice", "bob", "fournil", "tresa", "nobody")
MONTHS = ("06", "07", "08", "09", "10", "11")
hand_entries = st.lists(
    st.tuples(
        st.sampled_from(MEMBERS),
        st.sampled_from(MEMBERS),
        st.decimals(min_value="0.01", max_value=900, places=2),
        st.sampled_from(MONTHS),  # the folder written in
        st.sampled_from(MONTHS),  # the month of its date
        st.sampled_from(("*", "balance")),
    ),
    min_size=1,
    max_size=4,
)


@pytest.mark.slow
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entries=hand_entries)
def test_along_the_closes_answers_as_the_full_read(
    closed: Coop, monkeypatch: pytest.MonkeyPatch, entries: list[tuple[str, ...]]
) -> None:
    """Whatever is written by hand, in any month's folder, dated in any month (a
    trade or a balance assertion), the check along the closes says what the full
    read says."""
    closed.git("reset", "-q", "--hard", "HEAD")
    closed.git("clean", "-qfd", "journal")
    start = closed.git("rev-parse", "HEAD").strip()
    try:
        for payer, payee, amount, folder, month, kind in entries:
            name = f"journal/2026/{folder}/{payer}-by-hand.beancount"
            if kind == "*":
                closed.append(
                    name, "\n" + by_hand(f"2026-{month}-15", payer, payee, f"{amount:.2f}")
                )
            else:
                closed.append(
                    name,
                    f"\n2026-{month}-15 balance Assets:Members:{payee.capitalize()}  0.00 SEL\n",
                )
        closed.commit_all()

        along, full = both(closed, monkeypatch)

        assert along.code == full.code
        assert along.out == full.out
    finally:
        closed.git("reset", "-q", "--hard", start)


# ---------------------------------------------------------------- words


def test_without_fork_the_full_read_answers(closed: Coop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(along_closes.multiprocessing, "get_all_start_methods", lambda: ["spawn"])

    result = closed.run("--verbose", "check", "--no-cache")

    assert result.code == 0, result.text
    assert (
        "read: full (no cache asked; the closed months cannot be judged one by one: "
        "no process can be forked here)"
    ) in result.err


def test_each_reason_to_read_whole_has_french_words(closed: Coop) -> None:
    from coopledger.language.routes import DETAILS

    reasons = set(along_closes.REASONS)
    assert len(reasons) == 10 and reasons <= set(DETAILS)
    with in_french():
        from coopledger.i18n import _

        untranslated = [reason for reason in reasons if _(reason) == reason]
    assert untranslated == []
    said = closed.run("--lang", "fr", "--verbose", "check", "--no-cache")
    assert "lu depuis : le long des clôtures (sans cache, comme demandé)" in said.err
