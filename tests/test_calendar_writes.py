"""The month's writes after a close read the open period only, and judge as a full read.

After `close`, `invoice`, `settle`, `import`, `clear` (and `--apply`) and
`invoices` plan on the months after the last close: the balances the close
asserted and the invoices, settlements and clearings of the closed months it
carries (`Ledger.write(open_period=True)`). A write dated in a closed month
needs the history: the ledger then reads everything, and says why.

Each test here would fail if a command read the whole journal in the monthly
cycle (`store.load` refused), or if the open period judged a write differently
from a full read (the property at the end plans the same writes both ways).
"""

from __future__ import annotations

import datetime
import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopledger.cache import carry, snapshot
from coopledger.ledger import DRY_RUN_AUTHOR, FULL, OPEN_PERIOD, Ledger, take_reads
from coopledger.model import journal
from coopledger.model.invoices import Invoice
from coopledger.model.members import Roster, parse_members
from coopledger.model.problems import CoopError
from coopledger.model.rules import parse_rules
from coopledger.plans import csvio
from coopledger.plans.invoice_plans import (
    journal_obligations,
    plan_clearing,
    plan_invoice,
    plan_settle,
    solve_clearing,
)
from coopledger.storage import store
from coopledger.storage.store import Cooperative
from tests.conftest import Builds, Coop, cache_folder

CLOSE_DAY = datetime.date(2026, 11, 1)  # the first day of the open period


def member_ids(coop: Coop) -> list[str]:
    """The members, richest first (a trade they pay breaks no floor)."""
    text = coop.read("members.yaml")
    ids = [line.split(": ")[1] for line in text.splitlines() if line.startswith("  - id: ")]
    view = Ledger(coop.root, cache=False).view()
    return sorted(ids, key=lambda m: (-view.balance(m), m))


def build_closed_demo(demo: Coop) -> None:
    """A demo cooperative (May to November 2026, with invoices) closed up to October."""
    target = demo.root
    for item in target.iterdir():  # the demo command founds its own repository here
        if item.is_dir():
            shutil.rmtree(item)
        else:
            item.unlink()
    target.rmdir()
    made = demo.run(
        "demo", str(target), "--members", "12", "--months", "7", "--trades", "300",
        "--invoices", "24", "--until", "2026-11-20",
    )  # fmt: skip
    assert made.code == 0, made.text
    closed = demo.run("close", "2026-10", "--with-earlier")
    assert closed.code == 0, closed.text


@pytest.fixture
def closed(builds: Builds, coop: Coop) -> Coop:
    return builds.copy("closed-demo", coop, build_closed_demo)


def refuse_full_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, reading the whole journal fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole journal was read")

    monkeypatch.setattr(store, "load", refuse)
    take_reads()  # the reads of the set-up are not the command's


def two_trades_slip(folder: Path, first: str, second: str) -> Path:
    """A CSV slip of two trades in the open month, one each way."""
    path = folder / "slip.csv"
    path.write_text(
        "date,payer,payee,amount,memo\n"
        f"2026-11-21,{first},{second},3.00,pommes\n"
        f"2026-11-22,{second},{first},1.50,poires\n",
        encoding="utf-8",
    )
    return path


def slip(folder: Path, payer: str, payee: str, amount: str) -> Path:
    """A CSV slip of one trade in the open month."""
    path = folder / "slip.csv"
    path.write_text(
        f"date,payer,payee,amount,memo\n2026-11-21,{payer},{payee},{amount},slip\n",
        encoding="utf-8",
    )
    return path


def invoices_of(root: Path) -> list[Invoice]:
    return Ledger(root, cache=False).invoices(None, False).items


def open_invoice_of_a_closed_month(root: Path) -> Invoice:
    found = [i for i in invoices_of(root) if i.is_open and i.date < CLOSE_DAY]
    assert found, "the demo has no open invoice before its close"
    return found[0]


def test_an_invoice_of_a_closed_month_is_settled_reading_only_the_open_period(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    owed = open_invoice_of_a_closed_month(closed.root)
    monkeypatch.setenv("COOPLEDGER_VERBOSE", "1")
    refuse_full_reads(monkeypatch)

    done = closed.run("settle", owed.ref, "--date", "2026-11-21", "--as", owed.debtor)

    assert done.code == 0, done.text
    assert "read: open period" in done.err
    assert "loaded: full" not in done.err
    assert f"settle {owed.ref}" in closed.log()[0]


@pytest.mark.parametrize(
    "command",
    [
        ("invoice", "{0}", "{1}", "12.50", "--ref", "NOV-1", "--date", "2026-11-21"),
        ("invoices", "--open"),
        ("clear",),
        ("clear", "--apply"),
        ("clear", "--with-credit", "--apply"),
        ("import", "{slip}"),
    ],
    ids=["invoice", "invoices", "clear", "clear-apply", "clear-credit-apply", "import"],
)
def test_the_months_writes_after_a_close_read_only_the_open_period(
    closed: Coop, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: tuple[str, ...]
) -> None:
    first, second = member_ids(closed)[:2]
    slip = two_trades_slip(tmp_path, first, second)
    args = [a.format(first, second, slip=slip) for a in command]
    monkeypatch.setenv("COOPLEDGER_VERBOSE", "1")
    refuse_full_reads(monkeypatch)

    done = closed.run(*args)

    assert done.code == 0, done.text
    assert "read: open period" in done.err, done.err
    assert "loaded: full" not in done.err
    assert closed.status() == ""


def test_an_invoice_dated_in_a_closed_month_is_refused_as_a_full_read_refuses_it(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = member_ids(closed)[:2]
    before = closed.log()
    monkeypatch.setenv("COOPLEDGER_VERBOSE", "1")
    take_reads()

    done = closed.run("invoice", first, second, "5", "--ref", "LATE-1", "--date", "2026-10-15")

    assert done.code == 1
    assert "2026-10" in done.err and "2026-11-01" in done.err  # the month, and the first day open
    assert done.err.startswith("loaded: open period\nloaded: full\n")  # tried, then every month
    assert closed.log() == before and closed.status() == ""


def test_a_reference_used_in_a_closed_month_is_refused_from_the_open_period(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = next(i for i in invoices_of(closed.root) if i.date < CLOSE_DAY)
    first, second = member_ids(closed)[:2]
    refuse_full_reads(monkeypatch)

    done = closed.run("invoice", first, second, "5", "--ref", old.ref, "--date", "2026-11-21")

    assert done.code == 1
    assert old.ref in done.err and str(old.file) in done.err


# ------------------------------------------------ the open period judges as a full read

Planner = Callable[[Cooperative, tuple[str, str]], tuple[object, object]]


def outcome(root: Path, planner: Planner, open_period: bool) -> object:
    """What a dry run of `planner` gives: the files and message it would write and
    its warnings, or the refusal with every problem."""
    try:
        done = Ledger(root).write(
            planner,  # type: ignore[arg-type]
            dry_run=True,
            author=DRY_RUN_AUTHOR,
            open_period=open_period,
        )
    except CoopError as refused:
        return ("refused", refused.code, refused.params, refused.problems)
    change = done.change
    files = change.files if change else None
    return (files, change.message if change else None, done.warnings, repr(done.value))


amounts = st.sampled_from(["0.01", "1", "7.50", "40", "400", "5000", "0", "-3", "1.234"])
days = st.sampled_from(  # the last closed day, the first open one, and later
    [datetime.date(2026, 10, 31), CLOSE_DAY, datetime.date(2026, 11, 20)]
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
@pytest.mark.slow
def test_the_open_period_plans_every_write_as_a_full_read_does(
    closed: Coop, monkeypatch: pytest.MonkeyPatch, data: st.DataObject
) -> None:
    monkeypatch.setattr(journal.secrets, "token_hex", lambda n: "0" * (2 * n))  # same ids
    members = member_ids(closed)
    invoices = invoices_of(closed.root)
    kind = data.draw(st.sampled_from(["invoice", "settle", "import", "clear"]), "kind")
    day = data.draw(days, "day")
    member = st.sampled_from([*members, "nobody"])
    planner: Planner
    if kind == "invoice":
        debtor, creditor = data.draw(member, "debtor"), data.draw(member, "creditor")
        ref = data.draw(st.sampled_from(["NEW-1", *(i.ref for i in invoices)]), "ref")
        amount = data.draw(amounts, "amount")

        def planner(coop: Cooperative, author: tuple[str, str]) -> tuple[object, object]:
            return plan_invoice(
                coop, debtor=debtor, creditor=creditor, amount=amount, ref=ref,
                day=day, due=None, memo="", author=author,
            )  # fmt: skip

    elif kind == "settle":
        ref = data.draw(st.sampled_from(["NONE-1", *(i.ref for i in invoices)]), "ref")
        amount_or_all = data.draw(st.one_of(st.none(), amounts), "amount")

        def planner(coop: Cooperative, author: tuple[str, str]) -> tuple[object, object]:
            change, invoice, value = plan_settle(
                coop, ref=ref, amount=amount_or_all, day=day, memo="", author=author
            )
            return change, (invoice, value)

    elif kind == "import":
        rows = data.draw(
            st.lists(st.tuples(days, member, member, amounts), min_size=1, max_size=3), "rows"
        )
        text = "date,payer,payee,amount,memo\n" + "".join(
            f"{d.isoformat()},{p},{q},{a},slip\n" for d, p, q, a in rows
        )

        def planner(coop: Cooperative, author: tuple[str, str]) -> tuple[object, object]:
            plan = csvio.plan_import(coop, text, "slip.csv", author)
            return plan.change, plan.trades

    else:
        with_credit = data.draw(st.booleans(), "with credit")

        def planner(coop: Cooperative, author: tuple[str, str]) -> tuple[object, object]:
            obligations, found, places = journal_obligations(coop, day)
            result = solve_clearing(coop, obligations, with_credit, day, places)
            planned = plan_clearing(coop, result, found, day=day, author=author)
            return (planned[0] if planned else None), (result.cleared, result.paid)

    assert outcome(closed.root, planner, True) == outcome(closed.root, planner, False)


def test_each_route_is_the_one_said(closed: Coop) -> None:
    """The property above compares two routes: this makes sure they differ."""
    owed = open_invoice_of_a_closed_month(closed.root)

    def planner(coop: Cooperative, author: tuple[str, str]) -> tuple[object, object]:
        change, _, value = plan_settle(
            coop, ref=owed.ref, amount=None, day=datetime.date(2026, 11, 21), author=author
        )
        return change, value

    books = Ledger(closed.root)
    fast = books.write(planner, dry_run=True, author=DRY_RUN_AUTHOR, open_period=True)  # type: ignore[arg-type]
    whole = books.write(planner, dry_run=True, author=DRY_RUN_AUTHOR)  # type: ignore[arg-type]

    assert (fast.route, whole.route) == (OPEN_PERIOD, FULL)
    assert fast.value == whole.value == owed.remaining
    assert isinstance(fast.value, Decimal)


# ------------------------------------------------ the closed months' invoices, kept


def carried_files(coop: Coop) -> list[Path]:
    return sorted((cache_folder(coop) / carry.CARRIED_DIR).glob("*.json"))


def invoice_listing(root: Path) -> list[Invoice]:
    return Ledger(root).invoices(None, False).items


def test_the_closed_months_invoices_are_parsed_once_then_kept(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = invoices_of(closed.root)  # the full read
    first = invoice_listing(closed.root)  # parses the invoice files, keeps their entries
    assert carried_files(closed)
    monkeypatch.setattr(carry, "_parsed_invoices", lambda *a: pytest.fail("parsed again"))

    again = invoice_listing(closed.root)

    assert first == again == expected


@pytest.mark.parametrize(
    "spoil",
    [
        lambda kept: b"{",
        lambda kept: json.dumps({**json.loads(kept), "print": "0" * 64}).encode(),
        lambda kept: json.dumps({**json.loads(kept), "names": ["other.beancount"]}).encode(),
        lambda kept: json.dumps({**json.loads(kept), "rows": [[1, 2]]}).encode(),
        lambda kept: json.dumps({**json.loads(kept), "rows": 7}).encode(),
        lambda kept: kept.replace(b'["s", "', b'["i", "', 1),
    ],
    ids=["garbage", "another folder", "other files", "a short row", "no rows", "a wrong tag"],
)
def test_kept_invoices_that_are_not_exactly_ours_are_parsed_again(
    closed: Coop, spoil: Callable[[bytes], bytes]
) -> None:
    expected = invoices_of(closed.root)
    invoice_listing(closed.root)
    for kept in carried_files(closed):
        kept.write_bytes(spoil(kept.read_bytes()))

    assert invoice_listing(closed.root) == expected


def test_a_kept_row_that_is_not_an_invoice_is_not_carried(closed: Coop) -> None:
    """A trade slipped into the kept rows would carry a balance the close never
    asserted: the rows must all be invoices, settlements or clearings."""
    expected = invoices_of(closed.root)
    invoice_listing(closed.root)
    for kept in carried_files(closed):
        saved = json.loads(kept.read_bytes())
        row = saved["rows"][0]
        row[6] = [m for m in row[6] if m[0] not in ("invoice", "settles", "clears")]
        row[7] = [["Assets:Members:Alice", "-5", "SEL"], ["Assets:Members:Bob", "5", "SEL"]]
        kept.write_text(json.dumps(saved), encoding="utf-8")

    assert invoice_listing(closed.root) == expected


def test_kept_invoices_in_a_folder_others_may_write_are_neither_read_nor_written(
    closed: Coop,
) -> None:
    expected = invoices_of(closed.root)
    invoice_listing(closed.root)
    for kept in carried_files(closed):
        saved = json.loads(kept.read_bytes())
        saved["rows"] = saved["rows"][1:]  # an invoice forgotten, fingerprint right
        kept.write_text(json.dumps(saved), encoding="utf-8")
    cache_folder(closed).chmod(0o777)

    assert invoice_listing(closed.root) == expected


def test_a_forged_kept_invoice_would_show_so_the_comparisons_can_fail(closed: Coop) -> None:
    """The oracle bites: an invoice left out of the kept rows (same fingerprint, our
    own folder) changes the listing, so the tests above would catch a wrong cache."""
    expected = invoices_of(closed.root)
    invoice_listing(closed.root)
    for kept in carried_files(closed):
        saved = json.loads(kept.read_bytes())
        saved["rows"] = [r for r in saved["rows"] if not any(m[0] == "invoice" for m in r[6])]
        kept.write_text(json.dumps(saved), encoding="utf-8")

    assert invoice_listing(closed.root) != expected


# ------------------------------------------------ members.yaml, parsed once


def kept_roster_file(coop: Coop) -> Path:
    return cache_folder(coop) / snapshot.ROSTER_FILE


def test_members_yaml_is_parsed_once_for_the_open_period(
    closed: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    payer, payee = member_ids(closed)[:2]
    expected = invoice_listing(closed.root)  # parses members.yaml, keeps the roster
    assert kept_roster_file(closed).is_file()
    monkeypatch.setattr(store, "parse_members", lambda *a: pytest.fail("parsed again"))

    assert invoice_listing(closed.root) == expected
    assert closed.run("invoice", payer, payee, "2", "--ref", "K-1").code == 0


def test_a_member_added_by_hand_is_seen_at_once(closed: Coop) -> None:
    """The kept roster stands for one members.yaml, byte for byte: an edit is parsed."""
    invoice_listing(closed.root)
    closed.append(
        "members.yaml",
        "  - id: zoe\n    name: Zoé Nouvelle\n    kind: person\n    joined: 2026-11-01\n",
    )
    closed.commit_all("zoe joins")

    done = closed.run("invoice", member_ids(closed)[0], "zoe", "2", "--ref", "Z-1")

    assert done.code == 0, done.text


@pytest.mark.parametrize(
    "spoil",
    [
        lambda kept: b"[",
        lambda kept: kept.replace(b"generation", b"generatiox", 1),
        lambda kept: kept[: len(kept) // 2],
    ],
    ids=["garbage", "another members.yaml", "cut short"],
)
def test_a_kept_roster_that_is_not_exactly_ours_is_parsed_again(
    closed: Coop, spoil: Callable[[bytes], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = invoice_listing(closed.root)
    kept = kept_roster_file(closed)
    kept.write_bytes(spoil(kept.read_bytes()))
    parsed: list[int] = []
    real = store.parse_members
    monkeypatch.setattr(store, "parse_members", lambda *a: parsed.append(1) or real(*a))

    assert invoice_listing(closed.root) == expected
    assert parsed


def forge_roster(coop: Coop, poorest: str) -> None:
    """A kept roster in the right form for today's members.yaml, in which the
    poorest member is a business (a floor of -2,000 instead of -500)."""
    rules_text, members_text = coop.read("rules.yaml"), coop.read("members.yaml")
    rules, _ = parse_rules(rules_text)
    roster, _ = parse_members(members_text, rules)  # type: ignore[arg-type]
    assert rules is not None and roster is not None
    forged = Roster.of(
        [replace(m, kind="business") if m.id == poorest else m for m in roster.members]
    )
    snapshot.keep_roster(coop.root, rules_text, members_text, rules, forged)


@pytest.mark.parametrize("others_may_write", [False, True])
def test_a_kept_roster_is_trusted_only_in_a_folder_of_ones_own(
    closed: Coop, others_may_write: bool
) -> None:
    """In this user's own cache folder a kept roster stands for members.yaml (so a
    forged one shows: the test can fail); in a folder anyone may write, it is
    parsed from members.yaml again and the forged kind is ignored."""
    poorest, richest = member_ids(closed)[-1], member_ids(closed)[0]
    forge_roster(closed, poorest)
    if others_may_write:
        cache_folder(closed).chmod(0o777)

    done = closed.run("import", str(slip(closed.root.parent, poorest, richest, "900.00")))

    if others_may_write:
        assert done.code == 1 and "floor" in done.err
    else:
        assert done.code == 0, done.text
