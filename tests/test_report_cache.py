"""`coopledger report` from the month figures kept with the snapshot
(coopledger/cache/aggregates.py): byte for byte the report a full read gives, in every
format, after `check`, after trades recorded through the snapshot, and never
stale (a hand edit, a lost or foreign month file are noticed). The figures kept
one entry at a time equal the figures of the whole journal (hypothesis), and
the quick layout of the members table equals rich's (hypothesis).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from beancount.parser.parser import parse_string
from hypothesis import given, settings
from hypothesis import strategies as st
from rich import box
from rich.table import Table

from coopledger.cache import aggregates, cachefiles
from coopledger.cache.aggregates import MonthlyState, month_figures
from coopledger.cli import main
from coopledger.cli.render_report import to_text
from coopledger.cli.tables import table_text
from coopledger.model.members import parse_members
from coopledger.model.months import Month
from coopledger.model.rules import parse_rules, render_rules
from coopledger.reporting.reports import monthly_report, report_of_figures
from coopledger.storage import store
from tests.conftest import Builds, Coop, cache_folder

FORMATS = ("table", "markdown", "csv", "json")
MONTHS_OF_DEMO = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
COOP_ACCOUNTS = """\
accounts:
  treasury: Assets:Coop:Treasury
levy: {percent: 2, paid_by: payer, into: treasury}
"""


def make_demo(root: Path, capsys: pytest.CaptureFixture[str], *options: str) -> Coop:
    assert main(["demo", str(root), *options]) == 0
    coop = Coop(root, capsys)
    assert coop.run("check").code == 0  # builds the snapshot
    return coop


@pytest.fixture
def demo(builds: Builds, coop: Coop) -> Coop:
    """25 members, 300 trades from July to November 2026, no invoice (made once,
    then copied with its cache folder: `Builds.made`)."""

    def make(start: Coop, folder: Path) -> None:
        make_demo(folder, start.capsys, "--seed", "3", "--months", "5", "--trades", "300")

    return builds.made("demo", coop, make)


@pytest.fixture
def cleared(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Coop:
    """A demo with open invoices set off by `clear --apply` (debt cleared) and a
    levy on every new trade into the treasury (fees collected)."""
    coop = make_demo(
        tmp_path / "cleared",
        capsys,
        *("--seed", "5", "--members", "12", "--months", "4", "--trades", "150"),
        *("--invoices", "60", "--until", "2026-11-20"),
    )
    result = coop.run("clear", "--apply")
    assert result.code == 0 and "Applied clearing" in result.out, result.text
    coop.append("rules.yaml", COOP_ACCOUNTS)
    coop.commit_all("rules: a levy", email="claire@example.org")
    assert coop.run("check").code == 0
    return coop


def reports(coop: Coop, month: str, *extra: str) -> dict[str, str]:
    found = {}
    for output_format in FORMATS:
        result = coop.run("report", month, "--format", output_format, *extra)
        assert result.code == 0, result.text
        found[output_format] = result.out
    return found


def warm_reports(coop: Coop, months: list[str]) -> dict[str, dict[str, str]]:
    """Every format of every month, with the journal not read."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "load", lambda root: pytest.fail("the whole journal was read"))
        return {month: reports(coop, month) for month in months}


def full_reports(coop: Coop, months: list[str]) -> dict[str, dict[str, str]]:
    return {month: reports(coop, month, "--no-cache") for month in months}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["demo", "cleared"])
def test_the_warm_report_is_the_full_report_in_every_format(
    name: str, request: pytest.FixtureRequest
) -> None:
    coop: Coop = request.getfixturevalue(name)

    warm = warm_reports(coop, MONTHS_OF_DEMO)

    assert warm == full_reports(coop, MONTHS_OF_DEMO)
    assert (cache_folder(coop.root) / "months" / "2026-11.json").is_file()
    if name == "cleared":
        november = warm["2026-11"]["json"]
        assert '"cleared": "0.00"' not in november.split('"previous"')[0]


@pytest.mark.slow
def test_after_trades_through_the_snapshot_the_report_stays_warm_and_equal(
    cleared: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aggregates, "FOLD_AFTER", 3)  # merge into the month files often
    members = ["paul", "claire", "karim", "francois"]
    trades = [
        (members[0], members[1], "4", "2026-11-21"),
        (members[1], members[2], "2.50", "2026-10-03"),  # an earlier month
        (members[2], members[3], "1", "2026-12-02"),  # a month with no file yet
        (members[3], members[0], "3", "2026-11-22"),
        (members[0], members[2], "1.25", "2026-11-22"),
    ]
    for number, (payer, payee, amount, day) in enumerate(trades, start=1):
        with pytest.MonkeyPatch.context() as patch:  # recorded through the snapshot
            patch.setattr(store, "load", lambda root: pytest.fail("trade read the journal"))
            result = cleared.run(
                "trade", payer, payee, amount, "--date", day, "--category", "cours"
            )
        assert result.code == 0, result.text
        if number % 2 or number == len(trades):
            months = ["2026-10", "2026-11", "2026-12"]
            assert warm_reports(cleared, months) == full_reports(cleared, months)


def volume_of(report_json: str) -> Decimal:
    return Decimal(report_json.split('"volume": "')[1].split('"')[0])


def test_a_hand_written_trade_shows_at_once(demo: Coop) -> None:
    before = warm_reports(demo, ["2026-11"])["2026-11"]["json"]
    demo.append(
        "journal/2026/11/claire.beancount",
        '\n2026-11-19 * "écrit à la main"\n'
        "  Assets:Members:Claire  -7.00 SEL\n"
        "  Assets:Members:Matheo   7.00 SEL\n",
    )

    after = reports(demo, "2026-11")

    assert volume_of(after["json"]) == volume_of(before) + 7
    assert after == full_reports(demo, ["2026-11"])["2026-11"]
    demo.commit_all("by hand")
    assert warm_reports(demo, ["2026-11"])["2026-11"] == after  # warm again


def test_an_edited_amount_shows_at_once(demo: Coop) -> None:
    before = warm_reports(demo, ["2026-11"])["2026-11"]["json"]
    path = sorted((demo.root / "journal/2026/11").glob("*.beancount"))[0]
    text = path.read_text(encoding="utf-8")
    amount = re.search(r"-(\d+\.\d\d) SEL", text).group(1)  # type: ignore[union-attr]
    more = f"{Decimal(amount) + 1:.2f}"
    edited = text.replace(f" -{amount} SEL", f" -{more} SEL", 1)
    edited = edited.replace(f" {amount} SEL", f" {more} SEL", 1)
    path.write_text(edited, encoding="utf-8")

    after = reports(demo, "2026-11")

    assert volume_of(after["json"]) == volume_of(before) + 1
    assert after == full_reports(demo, ["2026-11"])["2026-11"]


def test_a_lost_month_file_is_noticed_and_rebuilt(demo: Coop) -> None:
    expected = full_reports(demo, ["2026-10"])
    (cache_folder(demo.root) / "months" / "2026-09.json").unlink()

    assert reports(demo, "2026-10") == expected["2026-10"]  # read in full, snapshot saved
    assert warm_reports(demo, ["2026-10"]) == expected


def test_a_month_file_of_another_snapshot_is_never_used(
    demo: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    month_file = cache_folder(demo.root) / "months" / "2026-11.json"
    old = month_file.read_bytes()
    monkeypatch.setattr(aggregates, "FOLD_AFTER", 1)
    assert demo.run("trade", "claire", "matheo", "9", "--date", "2026-11-20").code == 0
    assert month_file.read_bytes() != old  # the trade was merged into the month file
    month_file.write_bytes(old)  # a month file without the trade

    after = reports(demo, "2026-11")

    assert after == full_reports(demo, ["2026-11"])["2026-11"]


def test_rev_reads_the_journal_of_that_revision(demo: Coop) -> None:
    assert demo.run("trade", "claire", "matheo", "9", "--date", "2026-11-20").code == 0

    at_demo = reports(demo, "2026-11", "--rev", "HEAD~1")

    assert volume_of(at_demo["json"]) + 9 == volume_of(reports(demo, "2026-11")["json"])


# ---------------------------------------------------------------- invariants

NAMES = ["ana", "bo", "cy", "dee"]
CATEGORIES = [None, "pain", "cours"]


def account(member: str) -> str:
    return "Assets:Members:" + member[0].upper() + member[1:]


@st.composite
def journal_entries(draw: st.DrawFn) -> str:
    """A transaction: a trade (with a category, a levy), a clearing of invoices,
    or a periodic charge into the treasury."""
    month, day = draw(st.integers(1, 12)), draw(st.integers(1, 28))
    payer, payee = draw(st.permutations(NAMES))[:2]
    cents = draw(st.integers(1, 50_000))
    amount = f"{Decimal(cents) / 100:.2f}"
    kind = draw(st.sampled_from(["trade", "trade", "levied", "clearing", "charge"]))
    lines = [f'2026-{month:02d}-{day:02d} * "x"']
    if kind in ("trade", "levied"):
        category = draw(st.sampled_from(CATEGORIES))
        if category:
            lines.append(f'  category: "{category}"')
        lines += [f"  {account(payer)}  -{amount} SEL", f"  {account(payee)}  {amount} SEL"]
        if kind == "levied":
            lines += [f"  {account(payer)}  -0.10 SEL", "  Assets:Coop:Treasury  0.10 SEL"]
    elif kind == "clearing":
        payable = "Liabilities:Payable:" + payer[0].upper() + payer[1:]
        receivable = "Assets:Receivable:" + payee[0].upper() + payee[1:]
        lines += [
            '  clearing: "c1"',
            f"  {payable}  {amount} SEL",
            f"  {receivable}  -{amount} SEL",
        ]
    else:
        lines += ['  rule: "demurrage"', f"  {account(payer)}  -{amount} SEL"]
        lines.append(f"  Assets:Coop:Treasury  {amount} SEL")
    return "\n".join(lines) + "\n"


def parsed(texts: list[str]) -> list:  # type: ignore[type-arg]
    entries, errors, _ = parse_string("\n".join(texts))
    assert not errors
    return sorted(entries, key=lambda e: e.date)


def write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(
    texts=st.lists(journal_entries(), max_size=25),
    split=st.integers(0, 25),
    fold_after=st.integers(1, 6),
    month=st.integers(1, 12),
)
def test_figures_kept_one_entry_at_a_time_equal_the_figures_of_the_whole_journal(
    texts: list[str], split: int, fold_after: int, month: int
) -> None:
    entries = parsed(texts)
    built, added = entries[:split], entries[split:]
    rules, _ = parse_rules(render_rules("Test", "SEL", "SEL"))
    members = "members:\n" + "".join(
        f"  - {{id: {n}, name: {n}, kind: person, joined: 2025-01-01}}\n" for n in NAMES
    )
    roster, _ = parse_members(members, rules)
    assert rules is not None and roster is not None
    last = Month(2026, month)
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder)
        state = MonthlyState.of_entries(built)
        state.save(cache, write, fold_after)
        for entry in added:  # what `trade` does: load the meta, add, save
            state = MonthlyState.of_saved(cachefiles.loads(cachefiles.dumps(state.saved())))
            state.add(entry)
            state.save(cache, write, fold_after)
        state = MonthlyState.of_saved(cachefiles.loads(cachefiles.dumps(state.saved())))

        kept = state.figures_until(cache, last)

        whole = {m: f for m, f in month_figures(entries).items() if m <= last}
        assert kept == whole
        assert report_of_figures(kept, roster, rules, last) == monthly_report(
            entries, roster, rules, last
        )


cells = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=45)
amounts = st.decimals(-99_999, 99_999, places=2).map(str)
notes = st.sampled_from(
    ["", "idle", "near floor", "near ceiling", "left", "suspended, near floor, idle", "é à"]
)


def rich_table(headings: tuple[str, ...], wrap: tuple[str, ...]) -> Table:
    """The oracle: the plain rich table the statements were drawn with before
    `cli.tables` (first column left, the others right; only `wrap` may wrap)."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 0, 0, 1))
    for index, heading in enumerate(headings):
        table.add_column(
            heading, justify="left" if index < 1 else "right", no_wrap=heading not in wrap
        )
    return table


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(cells, amounts, amounts, amounts, amounts, amounts, amounts, amounts, notes),
        min_size=1,
        max_size=12,
    ),
    width=st.sampled_from([30, 40, 60, 80, 90, 100]),
)
def test_the_members_table_is_what_rich_lays_out_when_it_fits_and_never_cuts(
    rows: list[tuple[str, ...]], width: int
) -> None:
    """rich is the oracle for a table that fits; one that does not is stacked, whole."""
    from rich.cells import cell_len

    headings = ("member", "opening", "paid", "received", "closing", "floor", "ceiling", "use")
    headings += ("note",)
    mine = table_text(headings, rows, right=set(range(1, 8)), optional=[8], width=width)
    natural = [max(cell_len(c) for c in column) for column in zip(headings, *rows, strict=True)]
    if sum(natural) + 2 * (len(natural) - 1) <= width:
        by_rich = rich_table(headings, wrap=("note",))
        by_rich.columns[-1].justify = "left"
        for row in rows:
            by_rich.add_row(*row)
        assert mine == to_text([by_rich], width)
    for row in rows:
        for cell in row[:8]:
            assert cell in mine


def test_the_demo_month_files_are_copied_with_the_cache(demo: Coop, tmp_path: Path) -> None:
    """A copy of the cooperative (same files, new stamps) reads everything once, then is warm."""
    copy = tmp_path / "copy"
    shutil.copytree(demo.root, copy)
    other = Coop(copy, demo.capsys)
    expected = full_reports(demo, ["2026-11"])

    assert reports(other, "2026-11") == expected["2026-11"]
    assert warm_reports(other, ["2026-11"]) == expected
