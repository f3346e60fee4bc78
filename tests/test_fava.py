"""fava as the members' window (coopledger.fava_ext, docs/fava.md).

main.beancount, as `init` writes it, loads coopledger's extension: its page
shows the figures of `coopledger report --json` and every member's balance
against its limits, with names; fava notices new journal files, members.yaml
and rules.yaml without a restart; an entry added with fava's form lands in its
owner's month file, where the pull-request gate accepts it.

fava is part of the test extra: these tests run in CI.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest
from beancount.parser import parser
from fava.application import create_app
from fava.core import FavaLedger

from coopledger.model.journal import MAIN_FILE, owner_of
from tests.conftest import Builds, Coop, cache_folder


@pytest.fixture(autouse=True)
def no_watch_left() -> Iterator[None]:
    """The file watches a test's fava started (fava's and the extension's) end with it."""
    before = set(threading.enumerate())
    yield
    for thread in set(threading.enumerate()) - before:
        stop = getattr(thread, "stop", None)
        if callable(stop):
            stop()


TRADES = (
    ("alice", "bob", "40", "--date", "2026-10-05", "--memo", "pain"),
    ("bob", "fournil", "12.50", "--date", "2026-10-20"),
    ("fournil", "alice", "7", "--date", "2026-11-03"),
    ("alice", "fournil", "100", "--date", "2026-11-10"),
)


class PageFigures(HTMLParser):
    """The figures of coopledger's page: {(table, row, figure): text}, where
    table is the id of the enclosing table (or ""), row the data-member or
    data-month of the enclosing row (or ""), figure the data-figure name."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[tuple[str, str, str], str] = {}
        self.table = ""
        self.row = ""
        self.open: tuple[str, str, str] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag in ("table", "svg") and found.get("id", "").startswith("coopledger-"):
            self.table = found["id"]
        if tag == "tr":
            self.row = found.get("data-member") or found.get("data-month") or ""
        if "data-figure" in found:
            self.open = (self.table, self.row, found["data-figure"])
            self.text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "span") and self.open is not None:
            self.figures[self.open] = "".join(self.text).strip()
            self.open = None
        if tag == "tr":
            self.row = ""
        if tag in ("table", "svg"):
            self.table = ""

    def handle_data(self, data: str) -> None:
        if self.open is not None:
            self.text.append(data)


def figures_of(html: str) -> dict[tuple[str, str, str], str]:
    reader = PageFigures()
    reader.feed(html)
    assert reader.figures, "no figure on the page"
    return reader.figures


def assert_page_matches_report(figures: dict[tuple[str, str, str], str], report: dict) -> None:
    """Every figure of `report --json` the page shows, equal."""
    assert figures[("", "", "month")] == report["month"]
    for name in ("trades", "volume", "trading_members", "active_members", "credit_in_use"):
        assert figures[("coopledger-summary", "", name)] == str(report[name]), name
    assert figures[("coopledger-summary", "", "average")] == (report["average"] or "")
    for member, row in report["members"].items():
        for name in ("name", "opening", "paid", "received", "closing", "limit_use"):
            assert figures[("coopledger-members", member, name)] == row[name], (member, name)
    for point in report["trends"]:
        for name in ("trades", "volume", "trading_members"):
            got = figures[("coopledger-trends", point["month"], name)]
            assert got == str(point[name]), (point["month"], name)


@pytest.fixture
def with_trades(builds: Builds, coop: Coop) -> Coop:
    """`coop` after `traded` (`Builds.after`)."""
    return builds.after("fava-trades", coop, traded)


def traded(coop: Coop) -> Coop:
    for args in TRADES:
        assert coop.run("trade", *args).code == 0
    return coop


@contextmanager
def fava_client(root: Path) -> Iterator[tuple[object, str]]:
    """fava's web application on the cooperative, and the page's address."""
    app = create_app([str(root / MAIN_FILE)])
    client = app.test_client()
    first = client.get("/")
    assert first.status_code == 302
    yield client, first.headers["Location"]


def page_html(root: Path, query: str = "") -> str:
    with fava_client(root) as (client, address):
        assert address.endswith("/extension/Coopledger/")  # fava opens on coopledger's page
        response = client.get(address + query)  # type: ignore[attr-defined]
        assert response.status_code == 200
        return str(response.get_data(as_text=True))


def wait_for_reload(ledger: FavaLedger, seconds: float = 10) -> bool:
    """Whether fava saw a change (and reloaded) within `seconds`, as its page's
    poll of `/api/changed` would."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if ledger.changed():
            return True
        time.sleep(0.05)
    return False


# ---------------------------------------------------------------- the page


def test_the_page_shows_the_figures_of_report_json_with_names(coop: Coop) -> None:
    traded(coop)
    report = json.loads(coop.run("report", "--json").out)  # 2026-10, the last complete month

    figures = figures_of(page_html(coop.root))

    assert_page_matches_report(figures, report)
    assert figures[("coopledger-members", "alice", "name")] == "Alice Martin"


def test_the_page_speaks_the_cooperatives_language_and_keeps_its_figures(with_trades: Coop) -> None:
    coop = with_trades
    report = json.loads(coop.run("report", "--json").out)
    english = page_html(coop.root)
    coop.append("rules.yaml", "language: fr\n")  # the cooperative's choice, as `init --language fr`

    french = page_html(coop.root)

    assert "Monthly report:" in english and "Rapport mensuel :" not in english
    assert "Rapport mensuel :" in french and "Monthly report:" not in french
    assert "peut payer" in french and "Catégories en" in french
    assert_page_matches_report(figures_of(french), report)  # the figures, as report --json


def test_the_page_shows_the_month_asked_for(with_trades: Coop) -> None:
    coop = with_trades
    report = json.loads(coop.run("report", "2026-11", "--json").out)

    figures = figures_of(page_html(coop.root, "?month=2026-11"))

    assert_page_matches_report(figures, report)
    assert figures[("coopledger-summary", "", "trades")] == "2"


def test_the_page_shows_balances_against_limits_with_names(with_trades: Coop) -> None:
    coop = with_trades
    balances = json.loads(coop.run("balances", "--json").out)["balances"]

    figures = figures_of(page_html(coop.root))

    assert figures[("", "", "today")] == "2026-11-25"
    for member, balance in balances.items():
        assert figures[("coopledger-balances", member, "balance")] == balance
    assert figures[("coopledger-balances", "alice", "name")] == "Alice Martin"
    assert figures[("coopledger-balances", "alice", "floor")] == "-500.00"
    assert figures[("coopledger-balances", "alice", "ceiling")] == "1000.00"
    assert figures[("coopledger-balances", "alice", "spendable")] == "367.00"  # -133 above -500
    assert figures[("coopledger-balances", "fournil", "ceiling")] == "5000.00"


def test_a_month_that_is_no_month_shows_the_last_complete_one(coop: Coop) -> None:
    html = page_html(coop.root, "?month=2026-13")

    assert figures_of(html)[("", "", "month")] == "2026-10"
    assert "&#39;2026-13&#39; is no month" in html  # the whole sentence escaped, quotes too
    hostile = page_html(coop.root, "?month=<b>x</b>")
    assert "<b>x</b>" not in hostile and "&lt;b&gt;x&lt;/b&gt;" in hostile


def test_a_members_name_is_shown_as_text_never_run(coop: Coop) -> None:
    """Hostile: members.yaml is untrusted input; a name holding markup is escaped."""
    text = coop.read("members.yaml").replace("Alice Martin", "<script>alert(1)</script>")
    coop.write("members.yaml", text)

    html = page_html(coop.root)

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_page_says_when_members_yaml_cannot_be_read(coop: Coop) -> None:
    coop.write("members.yaml", "members: [\n")

    html = page_html(coop.root)

    assert "members.yaml or rules.yaml cannot be read" in html


# ---------------------------------------------------------------- what fava watches


def test_fava_sees_a_new_month_file_without_a_restart(coop: Coop) -> None:
    ledger = FavaLedger(str(coop.root / MAIN_FILE))  # fava's default watcher (watchfiles)
    assert not wait_for_reload(ledger, 0.3)

    coop.write(
        "journal/2026/12/alice.beancount",
        '2026-12-01 * "first of december"\n'
        "  Assets:Members:Alice  -5.00 SEL\n  Assets:Members:Bob  5.00 SEL\n",
    )

    assert wait_for_reload(ledger)
    assert any(getattr(e, "narration", "") == "first of december" for e in ledger.all_entries)


def test_fava_sees_members_yaml_and_rules_yaml_change(coop: Coop) -> None:
    ledger = FavaLedger(str(coop.root / MAIN_FILE))
    extension = ledger.extensions.get_extension("Coopledger")
    assert extension is not None
    assert not wait_for_reload(ledger, 0.3)

    coop.write("members.yaml", coop.read("members.yaml").replace("Alice Martin", "Alice Petit"))

    assert wait_for_reload(ledger)
    page = extension.page()  # type: ignore[attr-defined]
    assert {r.member: r.name for r in page.balances}["alice"] == "Alice Petit"

    rules = coop.read("rules.yaml")
    assert "floor: -500" in rules
    coop.write("rules.yaml", rules.replace("floor: -500", "floor: -400", 1))

    assert wait_for_reload(ledger)
    page = extension.page()  # type: ignore[attr-defined]
    assert {r.member: r.floor for r in page.balances}["alice"] == -400


# ---------------------------------------------------------------- fava's add-entry form


def entry_of(text: str) -> object:
    entries, errors, _ = parser.parse_string(text)
    assert not errors
    return entries[0]


def test_an_entry_added_in_fava_lands_in_its_owners_month_file(coop: Coop) -> None:
    main_before = coop.read(MAIN_FILE)
    ledger = FavaLedger(str(coop.root / MAIN_FILE))

    ledger.file.insert_entries(
        [
            entry_of(
                '2026-11-20 * "confiture"\n'
                "  Assets:Members:Alice  -8.00 SEL\n  Assets:Members:Bob  8.00 SEL\n"
            )
        ]
    )

    assert coop.read(MAIN_FILE) == main_before
    (moved,) = (coop.root / "journal/2026/11/20").glob("alice.fava-*.beancount")  # its own file
    written = moved.read_text(encoding="utf-8")
    assert '2026-11-20 * "confiture"' in written
    assert "Assets:Members:Alice  -8.00 SEL" in written
    assert wait_for_reload(ledger)
    assert not ledger.errors


def test_an_entry_added_in_fava_by_a_member_passes_the_gate(coop: Coop) -> None:
    """alice adds her payment with fava's form, commits it with coopledger and
    the pull-request gate accepts it (in main.beancount it would refuse it)."""
    base = coop.git("rev-parse", "HEAD").strip()
    ledger = FavaLedger(str(coop.root / MAIN_FILE))
    ledger.file.insert_entries(
        [
            entry_of(
                '2026-11-21 * "légumes"\n'
                "  Assets:Members:Alice  -15 SEL\n  Assets:Members:Fournil  15 SEL\n"
            )
        ]
    )
    coop.git("config", "user.name", "Alice Martin")
    coop.git("config", "user.email", "alice@example.org")

    committed = coop.run("commit", "-m", "légumes, from fava")
    gate = coop.run("check", "--since", base)

    assert committed.code == 0, committed.text
    assert gate.code == 0, gate.text
    (committed_file,) = coop.git("show", "--name-only", "--format=", "HEAD").split()
    assert committed_file.startswith("journal/2026/11/21/alice.fava-")


def test_an_entry_in_a_closed_month_stays_where_fava_put_it_and_says_why(with_trades: Coop) -> None:
    coop = with_trades
    assert coop.run("close", "2026-10").code == 0
    ledger = FavaLedger(str(coop.root / MAIN_FILE))

    with pytest.raises(Exception, match="closed") as raised:
        ledger.file.insert_entries(
            [
                entry_of(
                    '2026-10-30 * "late"\n'
                    "  Assets:Members:Bob  -1 SEL\n  Assets:Members:Alice  1 SEL\n"
                )
            ]
        )

    assert "stays in journal/main.beancount" in str(raised.value)
    assert '"late"' in coop.read(MAIN_FILE)  # coopledger check reports it there
    assert not (coop.root / "journal/2026/10/bob.beancount").exists()


def test_who_owns_an_entry() -> None:
    trade = entry_of(
        '2026-11-20 * "x"\n  Assets:Members:Alice  -8 SEL\n  Assets:Members:Bob  8 SEL\n'
    )
    balance = entry_of("2026-11-20 balance Assets:Members:Bob  8 SEL\n")
    other = entry_of('2026-11-20 custom "budget" "x"\n')

    assert [owner_of(trade), owner_of(balance), owner_of(other)] == ["alice", "bob", None]  # type: ignore[arg-type]


# ---------------------------------------------------------------- main.beancount's fava lines


def test_fava_lines_keep_the_open_period_fast(with_trades: Coop) -> None:
    """main.beancount's fava directives, dated 2000-01-01, are no entry of a
    closed month: check still carries the closed months."""
    coop = with_trades
    assert coop.run("close", "2026-10").code == 0
    assert 'custom "fava-extension" "coopledger.fava_ext"' in coop.read(MAIN_FILE)

    shutil.rmtree(cache_folder(coop), ignore_errors=True)  # no snapshot: the files are read

    result = coop.run("--verbose", "check")

    assert result.code == 0, result.text
    assert "Months up to 2026-10 are closed" in result.out
    assert "read: open period" in result.err


def test_an_error_in_main_beancount_is_told_there_in_the_open_period(with_trades: Coop) -> None:
    coop = with_trades
    assert coop.run("close", "2026-10").code == 0
    lines = coop.read(MAIN_FILE).count("\n")
    coop.append(
        MAIN_FILE,
        '\n2026-11-12 * "too much"\n'
        "  Assets:Members:Bob  -2000 SEL\n  Assets:Members:Alice  2000 SEL\n",
    )

    result = coop.run("--verbose", "check")

    assert result.code == 1
    assert "read: open period" in result.err
    assert ".coopledger" not in result.out
    assert f"journal/main.beancount:{lines + 2}: error: bob's balance would be" in result.out


# ---------------------------------------------------------------- fava runs no code of the journal


@pytest.mark.parametrize(
    "directive",
    [
        'custom "fava-extension" "planted"',
        'custom "fava-option" "import-config" "planted.py"',
    ],
    ids=["extension", "import-config"],
)
def test_fava_runs_no_code_a_directive_names(coop: Coop, directive: str) -> None:
    """Hostile: fava imports any module a `fava-extension` names (the journal's
    folder first on Python's path) and runs the file of `import-config`. The
    plugin leaves such a directive out of what fava gets, and says so."""
    marker = coop.root / "ran"
    planted = f"open({str(marker)!r}, 'w').close()\n"
    coop.write("journal/planted.py", planted)
    coop.write("journal/planted/__init__.py", planted)
    coop.append(MAIN_FILE, f"2000-01-01 {directive}\n")

    ledger = FavaLedger(str(coop.root / MAIN_FILE))
    ledger.ingest.import_data()  # what fava's import page asks
    check = coop.run("check")

    assert not marker.exists()
    assert any("would have fava run Python code" in str(e.message) for e in ledger.errors)
    assert check.code == 1 and "would have fava run Python code" in check.out


def test_the_gate_says_where_an_entry_written_in_main_beancount_belongs(coop: Coop) -> None:
    """fava without coopledger's extension appends to main.beancount: the gate
    refuses a member's entry there and names the file it belongs in."""
    base = coop.git("rev-parse", "HEAD").strip()
    coop.append(
        MAIN_FILE,
        '\n2026-11-21 * "légumes"\n  Assets:Members:Alice  -15 SEL\n  Assets:Members:Bob  15 SEL\n',
    )
    coop.commit_all("légumes", email="alice@example.org")

    gate = coop.run("check", "--since", base)

    assert gate.code == 1
    assert (
        "adds an entry to journal/main.beancount, which only a treasurer may change; move the "
        "entry to journal/2026/11/alice.beancount, the file of its owner's month"
    ) in gate.out


def test_fava_knows_each_members_account_by_name(coop: Coop) -> None:
    ledger = FavaLedger(str(coop.root / MAIN_FILE))

    assert ledger.accounts["Assets:Members:Alice"].meta["name"] == "Alice Martin"
    assert ledger.accounts["Assets:Members:Fournil"].meta["name"] == "Le Fournil"
