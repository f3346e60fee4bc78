"""Closed months carried forward: `check` reads only the open period.

Once months are closed, `coopledger check` without a snapshot (a fresh clone
in CI, or after a hand edit) verifies each closed month's folder by its
fingerprint and starts from the balances its close carries, then checks the
open period in full. Whatever it finds must be exactly what `check --full`
finds; anything it cannot vouch for sends it back to reading everything.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopledger.storage import store
from tests.conftest import Builds, Coop, Result, bean_check, cache_folder

CARRIED = "Months up to 2026-09 are closed and unchanged"
SEPTEMBER_CLOSE = "journal/2026/09/close.beancount"


def closed_through_september(coop: Coop) -> Coop:
    """Trades in August, September and October; August and September closed."""
    for args in (
        ("alice", "bob", "300", "--date", "2026-08-05"),
        ("alice", "fournil", "150", "--date", "2026-09-10"),
        ("bob", "fournil", "20", "--date", "2026-10-02"),
    ):
        assert coop.run("trade", *args).code == 0
    result = coop.run("close", "2026-09", "--with-earlier")
    assert result.code == 0, result.text
    return coop


@pytest.fixture
def closed(builds: Builds, coop: Coop) -> Coop:
    """`coop` after `closed_through_september` (`Builds.after`)."""
    return builds.after("closed-through-september", coop, closed_through_september)


def forget_snapshot(coop: Coop) -> None:
    shutil.rmtree(cache_folder(coop), ignore_errors=True)


def assert_read_in_full_naming(result: Result, place: str, words: str) -> None:
    """Refused after reading everything (the closed months could not be carried),
    with the place and the words of the problem."""
    assert result.code == 1
    assert CARRIED not in result.out
    assert f"{place}:" in result.out and words in result.out


def problem_lines(text: str) -> list[str]:
    """The problems' lines, the random id of a trade's own file left out."""
    return [
        re.sub(r"\.\d{4}-\d{2}-\d{2}-[0-9a-f]{8}\.beancount", ".<id>.beancount", line)
        for line in text.splitlines()
        if ": error: " in line or ": warning: " in line
    ]


def test_close_with_earlier_closes_every_month_not_closed_in_one_commit(coop: Coop) -> None:
    closed_through_september(coop)

    assert coop.log()[0] == "close: 2026-08 to 2026-09"
    assert (coop.root / "journal/2026/08/close.beancount").is_file()
    text = coop.read(SEPTEMBER_CLOSE)
    assert "  trades: 2\n" in text
    assert '  folder: "sha256:' in text and '  balances: "sha256:' in text
    assert coop.status() == ""


def test_check_carries_closed_months_and_says_so(closed: Coop) -> None:
    coop = closed
    forget_snapshot(coop)

    result = coop.run("check")

    assert result.code == 0, result.text
    assert CARRIED in result.out
    assert "ok: 4 members, 3 trades, balances sum to 0.00 SEL" in result.out
    as_json = json.loads(coop.run("check", "--json").out)
    full = coop.run("check", "--full")
    assert CARRIED not in full.out and "ok: 4 members, 3 trades" in full.out
    assert as_json["ok"] is True


def test_a_breach_that_only_the_carried_balance_reveals_is_found(closed: Coop) -> None:
    coop = closed  # alice ends September at -450, her floor is -500
    coop.append(
        "journal/2026/10/alice.beancount",
        '\n2026-10-20 * "by hand"\n  Assets:Members:Alice  -60.00 SEL\n'
        "  Assets:Members:Bob  60.00 SEL\n",
    )
    coop.commit_all()

    fast, full = coop.run("check"), coop.run("check", "--full")

    assert fast.code == full.code == 1
    assert CARRIED in fast.out
    assert problem_lines(fast.out) == problem_lines(full.out)
    assert "alice's balance would be -510.00 SEL at the end of 2026-10-20" in fast.out


@pytest.mark.parametrize("committed", [True, False], ids=["committed", "uncommitted"])
def test_an_edited_closed_month_is_read_again_and_named(closed: Coop, committed: bool) -> None:
    coop = closed
    path = "journal/2026/09/_month.beancount"  # the month's files, gathered at its close
    coop.write(path, coop.read(path).replace("150.00 SEL", "140.00 SEL"))
    if committed:  # git's index vouches for the new bytes, which do not match
        coop.commit_all()

    assert_read_in_full_naming(coop.run("check"), path, "the month 2026-09 is closed")


def test_files_beancount_does_not_read_leave_closed_months_carried(closed: Coop) -> None:
    coop = closed
    coop.write("journal/2026/09/.alice.beancount.swp", "an editor's swap file")
    coop.write("journal/2026/09/NOTES.txt", "not a journal file")
    forget_snapshot(coop)

    result = coop.run("check")

    assert result.code == 0, result.text
    assert CARRIED in result.out


def test_an_edited_closing_balance_is_not_trusted(closed: Coop) -> None:
    coop = closed
    text = coop.read(SEPTEMBER_CLOSE)
    coop.write(SEPTEMBER_CLOSE, text.replace("-450.00 SEL", "-350.00 SEL", 1))
    coop.commit_all()

    assert_read_in_full_naming(coop.run("check"), SEPTEMBER_CLOSE, "Balance failed")


def test_an_entry_dated_in_a_closed_month_in_an_open_file_is_named(closed: Coop) -> None:
    coop = closed
    coop.append(
        "journal/2026/10/bob.beancount",
        '\n2026-09-20 * "back-dated by hand"\n  Assets:Members:Bob  -5.00 SEL\n'
        "  Assets:Members:Alice  5.00 SEL\n",
    )
    coop.commit_all()

    assert_read_in_full_naming(
        coop.run("check"), "journal/2026/10/bob.beancount", "the month 2026-09 is closed"
    )


def test_invoices_of_closed_months_are_carried(coop: Coop) -> None:
    assert (
        coop.run("invoice", "bob", "alice", "80", "--ref", "F-1", "--date", "2026-08-03").code == 0
    )
    closed_through_september(coop)
    invoice_file = "journal/2026/08/03/alice.invoice-f-1.beancount"
    assert 'invoices: "03/alice.invoice-f-1.beancount"' in coop.read(
        "journal/2026/08/close.beancount"
    )
    invoice = next(e for e in coop.read(invoice_file).split("\n\n") if "F-1" in e)
    coop.append("journal/2026/10/bob.beancount", "\n" + invoice.replace("2026-08-03", "2026-10-03"))
    coop.commit_all()

    fast, full = coop.run("check"), coop.run("check", "--full")

    assert CARRIED in fast.out
    assert "F-1" in fast.out and "journal/2026/10/bob.beancount:" in fast.out
    assert problem_lines(fast.out) == problem_lines(full.out)
    forget_snapshot(coop)
    settled = coop.run("invoices", "--json")
    assert settled.code == 0


def test_the_gate_on_a_fresh_clone_carries_closed_months(closed: Coop, tmp_path: Path) -> None:
    coop = closed
    base = coop.git("rev-parse", "HEAD").strip()
    assert coop.run("trade", "bob", "alice", "5", "--date", "2026-10-09").code == 0
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(coop.root), str(clone)], check=True)

    result = Coop(clone, coop.capsys).run("check", "--since", base)

    assert result.code == 0, result.text
    assert CARRIED in result.out
    assert "ok: 4 members, 4 trades" in result.out


# ------------------------------------------------------------- the property

MEMBERS = ("alice", "bob", "fournil", "tresa", "nobody")
hand_entries = st.lists(
    st.tuples(
        st.sampled_from(MEMBERS),
        st.sampled_from(MEMBERS),
        st.decimals(min_value=-700, max_value=900, places=2).filter(lambda d: d != 0),
        st.integers(min_value=1, max_value=28),
        st.sampled_from(("10", "11")),
    ),
    min_size=1,
    max_size=6,
)


def write_by_hand(coop: Coop, entries: list[tuple[str, str, object, int, str]]) -> None:
    """Append each (payer, payee, amount, day, month) to the payer's file, and commit."""
    for payer, payee, amount, day, month in entries:
        coop.append(
            f"journal/2026/{month}/{payer}.beancount",
            f'\n2026-{month}-{day:02d} * "by hand"\n'
            f"  Assets:Members:{payer.capitalize()}  {-amount:.2f} SEL\n"  # type: ignore[operator]
            f"  Assets:Members:{payee.capitalize()}  {amount:.2f} SEL\n",
        )
    coop.commit_all()


@pytest.mark.slow
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entries=hand_entries)
def test_carried_check_finds_exactly_what_the_full_check_finds(
    coop: Coop, entries: list[tuple[str, str, object, int, str]]
) -> None:
    """Whatever is written by hand after the closed months (limits broken,
    unknown members, self-payments), the check that carries the closed months
    and the full check report the same problems."""
    if not (coop.root / SEPTEMBER_CLOSE).exists():
        closed_through_september(coop)
        coop.git("tag", "closed")
    coop.git("reset", "-q", "--hard", "closed")
    write_by_hand(coop, entries)

    fast, full = coop.run("check"), coop.run("check", "--full")

    assert CARRIED in fast.out
    assert fast.code == full.code
    assert problem_lines(fast.out) == problem_lines(full.out)


def test_members_read_in_a_second_process_give_the_same_check(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big members.yaml is read in a forked process while beancount parses the
    journal; the result is the same as reading it in one process."""
    coop = closed
    coop.append(
        "journal/2026/10/alice.beancount",
        '\n2026-10-20 * "by hand"\n  Assets:Members:Alice  -60.00 SEL\n'
        "  Assets:Members:Bob  60.00 SEL\n",
    )
    coop.commit_all()
    alone = coop.run("check")
    monkeypatch.setattr(store, "READ_ASIDE_FROM_BYTES", 0)
    forget_snapshot(coop)

    aside = coop.run("check")

    assert CARRIED in aside.out
    assert aside.code == alone.code == 1
    assert aside.out == alone.out


def test_a_member_with_a_carried_balance_removed_from_members_yaml_is_named(closed: Coop) -> None:
    coop = closed  # alice carries -450.00
    text = coop.read("members.yaml")
    start = text.index("  - id: alice")
    end = text.index("  - id: bob")
    coop.write("members.yaml", text[:start] + text[end:])
    coop.commit_all()

    assert_read_in_full_naming(
        coop.run("check"), "journal/2026/08/_month.beancount", "Assets:Members:Alice"
    )


def test_a_month_whose_entries_lie_in_another_folder_is_closed_but_read(coop: Coop) -> None:
    """A close fingerprints a folder only when it holds exactly the month's
    entries; a month with an entry written in another month's file is closed
    (its entries are frozen) but read again by every check."""
    for args in (("alice", "bob", "300", "--date", "2026-08-05"),
                 ("alice", "fournil", "150", "--date", "2026-09-10")):  # fmt: skip
        assert coop.run("trade", *args).code == 0
    coop.append(
        "journal/2026/10/bob.beancount",
        '2026-09-20 * "September, written in October\'s file"\n'
        "  Assets:Members:Bob  -5.00 SEL\n  Assets:Members:Alice  5.00 SEL\n",
    )
    coop.commit_all()
    assert coop.run("close", "2026-09", "--with-earlier").code == 0

    result = coop.run("check")

    assert "  folder: " not in coop.read(SEPTEMBER_CLOSE)
    assert result.code == 0, result.text
    assert "Months up to 2026-08 are closed and unchanged" in result.out


def test_the_cooperatives_own_accounts_are_carried_too(coop: Coop) -> None:
    """With a levy, the treasury holds part of the sum: its closing balance is
    asserted in the close and carried, so the balances still sum to zero, for
    the carried check and for bean-check alike."""
    coop.append("rules.yaml", "accounts:\n  treasury: Assets:Coop:Treasury\nlevy: {percent: 2}\n")
    coop.commit_all("rules: a levy")
    closed_through_september(coop)  # 6.00 + 3.00 of levy to the treasury
    assert "2026-10-01 balance Assets:Coop:Treasury" in coop.read(SEPTEMBER_CLOSE)
    assert coop.run("trade", "bob", "fournil", "10", "--date", "2026-10-05").code == 0
    forget_snapshot(coop)

    fast, full = coop.run("check"), coop.run("check", "--full")

    assert fast.code == full.code == 0, fast.text
    assert CARRIED in fast.out
    checked = bean_check(coop.root)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# ------------------------------------------------- the snapshot after a close


def never_read_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, reading the whole journal fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole journal was read")

    monkeypatch.setattr(store, "load", refuse)


def test_after_a_close_trade_balances_and_check_read_only_the_open_months(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A close (like any write but a trade) leaves the snapshot behind; the next
    command builds it again from the open months and the last close's balances,
    without reading the closed months, and answers as a full read would."""
    coop = closed  # alice -450, bob 280, fournil 170
    with monkeypatch.context() as patched:
        never_read_everything(patched)

        traded = coop.run("trade", "bob", "alice", "5", "--date", "2026-10-09")
        shown = coop.run("balances", "--json")
        checked = coop.run("check", "--json")
        reported = {month: coop.run("report", month).out for month in ("2026-08", "2026-10")}

    assert traded.code == 0, traded.text
    assert "-445.00 SEL" in traded.out  # alice's balance after the trade
    assert shown.out == coop.run("balances", "--json", "--no-cache").out
    as_json = json.loads(checked.out)
    assert as_json["ok"] is True and as_json["closed_months_carried_through"] == "2026-09"
    assert json.loads(shown.out)["balances"]["alice"] == "-445.00"
    assert coop.run("check", "--full").code == 0
    for month, text in reported.items():  # from the figures `close` kept for closed months
        assert text == coop.run("report", month, "--no-cache").out, month


def test_trades_on_the_day_after_a_close_read_only_the_open_months(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The close's balance assertions are dated the 1st of the next month, and
    beancount checks a balance before that day's entries: a trade dated the 1st
    cannot break them, and is checked on the open months like any other."""
    coop = closed  # alice -450, assertions dated 2026-10-01
    with monkeypatch.context() as patched:
        never_read_everything(patched)
        first = coop.run("trade", "bob", "alice", "5", "--date", "2026-10-01")
        second = coop.run("trade", "bob", "alice", "5", "--date", "2026-10-01")
        too_much = coop.run("trade", "alice", "bob", "61", "--date", "2026-10-01")

    assert first.code == 0 and second.code == 0, first.text + second.text
    assert "-440.00 SEL" in second.out
    assert too_much.code == 1 and "below its floor" in too_much.err, too_much.text
    assert coop.run("check", "--full").code == 0
    checked = bean_check(coop.root)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_report_is_the_first_command_after_a_close(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    coop = closed
    with monkeypatch.context() as patched:
        never_read_everything(patched)
        first = coop.run("report", "2026-09")
        traded = coop.run("trade", "bob", "alice", "5", "--date", "2026-10-09")

    assert first.code == 0 and traded.code == 0, first.text + traded.text
    assert first.out == coop.run("report", "2026-09", "--no-cache").out


def test_after_a_close_made_elsewhere_report_reads_the_closed_months_own_files(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The figures of closed months are kept by the close, in the cache: on a
    clone that did not make the close, `report` computes them from each closed
    month's own files (kept then), without reading everything."""
    coop = closed
    forget_snapshot(coop)
    assert coop.run("trade", "bob", "alice", "5", "--date", "2026-10-09").code == 0
    with monkeypatch.context() as patched:
        never_read_everything(patched)
        first = coop.run("report", "2026-10")

    assert first.code == 0, first.text
    assert first.out == coop.run("report", "2026-10", "--no-cache").out


def test_a_snapshot_from_the_open_months_never_answers_for_a_closed_month(closed: Coop) -> None:
    coop = closed
    assert coop.run("trade", "bob", "alice", "5", "--date", "2026-10-09").code == 0

    for day in ("2026-08-04", "2026-08-31", "2026-09-10", "2026-09-30", "2026-10-01"):
        cached = coop.run("balances", "--json", "--at", day)
        full = coop.run("balances", "--json", "--at", day, "--no-cache")
        assert cached.out == full.out, day
    for month in ("2026-08", "2026-09", "2026-10"):
        assert coop.run("report", month).out == coop.run("report", month, "--no-cache").out


def test_a_limit_broken_across_the_closed_boundary_is_refused_from_the_open_months(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    coop = closed  # alice ends September at -450, her floor is -500
    with monkeypatch.context() as patched:
        never_read_everything(patched)
        refused = coop.run("trade", "alice", "bob", "60", "--date", "2026-10-20")
        accepted = coop.run("trade", "alice", "bob", "50", "--date", "2026-10-20")

    assert refused.code == 1
    assert "alice's balance would be -510.00 SEL at the end of 2026-10-20" in refused.err
    assert accepted.code == 0, accepted.text


@pytest.mark.slow
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    entries=hand_entries,
    trade=st.tuples(
        st.sampled_from(("alice", "bob", "fournil")),
        st.sampled_from(("alice", "bob", "fournil")),
        st.decimals(min_value=1, max_value=700, places=2),
        st.integers(min_value=1, max_value=28),
    ),
)
def test_a_trade_after_a_close_decides_as_a_full_read_does(
    coop: Coop,
    entries: list[tuple[str, str, object, int, str]],
    trade: tuple[str, str, object, int],
) -> None:
    """Whatever was written by hand after the closed months, a trade planned on a
    snapshot of the open months is accepted or refused exactly as with
    --no-cache, which reads everything."""
    if not (coop.root / SEPTEMBER_CLOSE).exists():
        closed_through_september(coop)
        coop.git("tag", "closed")
    coop.git("reset", "-q", "--hard", "closed")
    write_by_hand(coop, entries)
    forget_snapshot(coop)
    payer, payee, amount, day = trade
    args = ("trade", payer, payee, f"{amount}", "--date", f"2026-11-{day:02d}", "-m", "x")

    fast = coop.run(*args)
    coop.git("reset", "-q", "--hard", "HEAD" if fast.code else "HEAD~1")
    forget_snapshot(coop)
    full = coop.run(*args, "--no-cache")

    assert fast.code == full.code
    assert problem_lines(fast.err) == problem_lines(full.err)


def test_a_balance_asserted_in_an_open_file_about_a_closed_month_is_judged(closed: Coop) -> None:
    """alice ends August at -300.00: an assertion of 0.00 on 2026-08-15, written in
    October's file, is false. Judged from the carried opening, August would read
    0.00 (nothing before the opening's day); so the check reads everything."""
    coop = closed
    coop.append(
        "journal/2026/10/alice.beancount", "\n2026-08-15 balance Assets:Members:Alice  0.00 SEL\n"
    )
    coop.commit_all()
    forget_snapshot(coop)

    fast, full = coop.run("check"), coop.run("check", "--full")

    assert fast.code == full.code == 1
    assert CARRIED not in fast.out
    assert problem_lines(fast.out) == problem_lines(full.out)
    assert "journal/2026/10/alice.beancount:" in fast.out and "Balance failed" in fast.out
