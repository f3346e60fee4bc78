"""`coopledger import` (all or nothing, one commit) and `coopledger export`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Coop
from tests.test_report import build_known


def balances(coop: Coop) -> dict[str, str]:
    result = coop.run("balances", "--json", "--at", "2026-12-31")
    assert result.code == 0, result.text
    return json.loads(result.out)["balances"]


def write_csv(tmp_path: Path, text: str, name: str = "slips.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_import_records_every_row_in_one_commit(coop: Coop, tmp_path: Path) -> None:
    slips = write_csv(
        tmp_path,
        "date,payer,payee,amount,memo\n"
        "2026-11-03,alice,fournil,12.50,pain\n"
        '2026-11-04,bob,alice,30,"jardinage, 2 h"\n'
        "2026-12-01,alice,bob,5,graines\n",
    )
    before = len(coop.log())

    result = coop.run("import", slips)

    assert result.code == 0, result.text
    assert "Recorded 3 trades in 3 files" in result.out
    assert len(coop.log()) == before + 1
    assert coop.log()[0] == "import: 3 trade(s), 47.50 SEL, from slips.csv"
    assert coop.status() == ""
    written = coop.git("show", "--name-only", "--format=", "HEAD").split()
    assert len(written) == 3 and len({name.split(".")[1] for name in written}) == 1  # one import
    (november,) = [coop.read(p) for p in written if p.startswith("journal/2026/11/03/alice.")]
    assert '2026-11-03 * "pain"' in november and "-12.50 SEL" in november
    (bob,) = [coop.read(p) for p in written if "/bob.import-" in p]
    assert '"jardinage, 2 h"' in bob
    (december,) = [coop.read(p) for p in written if p.startswith("journal/2026/12/")]
    assert "graines" in december
    assert balances(coop) == {
        "tresa": "0.00",
        "alice": "12.50",
        "bob": "-25.00",
        "fournil": "12.50",
    }
    assert coop.run("check").code == 0


def test_semicolons_decimal_commas_french_dates_and_a_bom(coop: Coop, tmp_path: Path) -> None:
    slips = write_csv(
        tmp_path,
        "\ufeffdate;payer;payee;amount;memo;category\n"
        "03/11/2026;alice;fournil;12,50;pain, brioche;\n"
        "04/11/2026;zed;fournil;1 030,25;travaux;\n",
        "export-tableur.csv",
    )
    add = ("member", "add", "zed", "--name", "Zed", "--kind", "business", "--joined", "2024-01-01")
    assert coop.run(*add).code == 0
    result = coop.run("import", slips)

    assert result.code == 0, result.text
    assert balances(coop)["alice"] == "-12.50"
    assert balances(coop)["zed"] == "-1030.25"
    assert balances(coop)["fournil"] == "1042.75"
    written = coop.git("show", "--name-only", "--format=", "HEAD").split()
    assert any('"pain, brioche"' in coop.read(p) for p in written if "/alice.import-" in p)


def test_a_bad_row_in_the_middle_writes_nothing(coop: Coop, tmp_path: Path) -> None:
    slips = write_csv(
        tmp_path,
        "date,payer,payee,amount,memo\n"
        "2026-11-03,alice,fournil,12.50,pain\n"
        "2026-11-04,bbo,alice,30,jardinage\n"
        "2026-11-31,alice,bob,5,graines\n"
        "2026-11-05,alice,bob,douze,graines\n"
        "2026-11-06,alice,alice,3,miroir\n"
        "2026-11-07,alice,bob,0,rien\n"
        "2026-11-08,alice,bob,1.2345,trop\n"
        "2026-11-09,alice,fournil,10,pain\n",
    )
    before = coop.log()

    result = coop.run("import", slips)

    assert result.code == 1
    assert "the import is refused and nothing is written" in result.err
    assert f"{slips}:3: error: 'bbo' is not a member (did you mean 'bob'?)" in result.err
    assert f"{slips}:4: error: '2026-11-31' is not a date" in result.err
    assert f"{slips}:5: error: 'douze' is not an amount" in result.err
    assert f"{slips}:6: error: 'alice' cannot pay itself" in result.err
    assert f"{slips}:7: error: the amount must be more than zero" in result.err
    assert f"{slips}:8: error: 1.2345 has more than 2 decimal places" in result.err
    assert ":2:" not in result.err and ":9:" not in result.err
    assert coop.log() == before
    assert coop.status() == ""
    assert not (coop.root / "journal/2026/11/alice.beancount").exists()


def test_limits_are_checked_in_date_order_across_rows(coop: Coop, tmp_path: Path) -> None:
    # in file order alice would go to -600 first; in date order she never goes below -400
    ok = write_csv(
        tmp_path,
        "date,payer,payee,amount,memo\n2026-11-05,alice,bob,600,a\n2026-11-01,bob,alice,200,b\n",
        "ok.csv",
    )
    assert coop.run("import", ok).code == 0
    assert balances(coop)["alice"] == "-400.00"

    too_much = write_csv(
        tmp_path,
        "date,payer,payee,amount,memo\n"
        "2026-11-10,alice,fournil,50,c\n"
        "2026-11-11,alice,fournil,60,d\n",
        "too-much.csv",
    )
    before = coop.log()

    result = coop.run("import", too_much)

    assert result.code == 1
    assert (
        f"{too_much}:3: error: alice's balance would be -510.00 SEL at the end of 2026-11-11, "
        "below its floor of -500.00 SEL" in result.err
    )
    assert ":2: error" not in result.err
    assert coop.log() == before
    assert balances(coop)["alice"] == "-400.00"


def test_a_row_that_breaks_a_later_recorded_trade_is_refused(coop: Coop, tmp_path: Path) -> None:
    assert coop.run("trade", "alice", "bob", "450", "--date", "2026-11-20").code == 0
    later = coop.last_written()
    slips = write_csv(tmp_path, "date,payer,payee,amount,memo\n2026-11-01,alice,bob,100,early\n")

    result = coop.run("import", slips)

    assert result.code == 1
    assert later in result.err  # the later trade now breaks
    assert "below its floor" in result.err


def test_dry_run_shows_the_trades_and_writes_nothing(coop: Coop, tmp_path: Path) -> None:
    slips = write_csv(
        tmp_path, "date,payer,payee,amount,memo\n2026-11-03,alice,fournil,12.5,pain\n"
    )
    before = coop.log()

    result = coop.run("import", slips, "--dry-run")

    assert result.code == 0, result.text
    assert "2026-11-03  alice → fournil 12.50 SEL  pain  (journal/2026/11/03/alice.import-" in (
        result.out
    )
    assert "Dry run: 1 trade would be recorded; nothing written." in result.out
    assert coop.log() == before
    assert coop.status() == ""


def test_import_signed_by_another_member(coop: Coop, tmp_path: Path) -> None:
    slips = write_csv(tmp_path, "date,payer,payee,amount,memo\n2026-11-03,alice,fournil,1,x\n")

    assert coop.run("import", slips, "--as", "alice").code == 0
    assert coop.git("log", "-1", "--format=%an <%ae>").strip() == "Alice Martin <alice@example.org>"


def test_importing_the_same_file_twice_warns_when_duplicates_are_allowed(
    coop: Coop, tmp_path: Path
) -> None:
    slips = write_csv(tmp_path, "date,payer,payee,amount,memo\n2026-11-03,alice,fournil,1,x\n")
    assert coop.run("import", slips).code == 0

    result = coop.run("import", slips, "--dry-run", "--allow-duplicates")

    assert result.code == 0
    assert f"{slips}:2: warning: a trade alice → fournil on 2026-11-03" in result.err
    assert "coopledger import --undo COMMIT" in result.err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "the file is empty"),
        ("date,payer,amount\n2026-11-03,alice,1\n", "the header lacks the column(s) payee, memo"),
        (
            "date,payer,payee,amount,memo,colour\n2026-11-03,alice,bob,1,x,red\n",
            "the header has unknown column(s) colour",
        ),
        ("date,payer,payee,amount,memo\n", "the file has a header but no trades"),
        (
            "date,payer,payee,amount,memo\n2026-11-03,alice,bob,1,pain, brioche\n",
            ":2: error: this line has 6 field(s) where the header has 5",
        ),
        (
            "date,payer,payee,amount,memo,category\n2026-11-03,alice,bob,1,x,bijoux\n",
            ":2: error: 'bijoux' is not a category of this cooperative",
        ),
    ],
)
def test_malformed_files_are_refused(
    coop: Coop, tmp_path: Path, content: str, expected: str
) -> None:
    rules = coop.read("rules.yaml").replace("categories: []", "categories: [alimentation]")
    coop.write("rules.yaml", rules)
    coop.commit_all("categories")
    before = coop.log()

    result = coop.run("import", write_csv(tmp_path, content))

    assert result.code == 1
    assert expected in result.err
    assert coop.log() == before


def test_a_file_neither_utf8_nor_windows_1252_is_refused(coop: Coop, tmp_path: Path) -> None:
    # 0x81 is in no character of Windows-1252 and starts no UTF-8 one
    slips = tmp_path / "slips.csv"
    slips.write_bytes(b"date;payer;payee;amount;memo\n03/11/2026;alice;bob;1;caf\x81\n")
    before = coop.log()

    result = coop.run("import", str(slips))

    assert result.code == 1
    assert "neither UTF-8 nor Windows-1252" in result.err and "CSV UTF-8" in result.err
    assert coop.log() == before and coop.status() == ""


def test_a_missing_file_is_an_error(coop: Coop, tmp_path: Path) -> None:
    result = coop.run("import", str(tmp_path / "nowhere.csv"))

    assert result.code == 1
    assert "no such file" in result.err


# ---------------------------------------------------------------- exports


def test_export_trades_csv_and_json_with_a_period(coop: Coop) -> None:
    known = build_known(coop)

    result = known.run("export", "trades", "--from", "2026-11-01", "--to", "2026-11-30")

    assert result.code == 0, result.text
    lines = result.out.splitlines()
    assert lines[0] == "date,payer,payee,amount,memo,category,trade"
    assert lines[1:] == [
        '2026-11-02,alice,fournil,60.00,"pain, novembre",alimentation,',
        "2026-11-03,fournil,bob,100.00,livraisons,,",
        "2026-11-15,alice,bob,380.50,déménagement,services,",
        "2026-11-28,bob,fournil,20.00,brioches,alimentation,",
    ]
    as_json = json.loads(known.run("export", "trades", "--format", "json").out)
    assert len(as_json) == 7
    assert as_json[0] == {
        "date": "2026-08-12",
        "payer": "alice",
        "payee": "bob",
        "amount": "10.00",
        "memo": "couture",
        "category": "services",
        "trade": None,
    }


def test_export_members_and_balances(coop: Coop) -> None:
    known = build_known(coop)

    members = known.run("export", "members", "--to", "2026-11-30").out.splitlines()
    assert members[0] == "id,name,kind,joined,status,floor,ceiling,roles"
    assert "dan,Dan,person,2024-01-01,left,-500.00,1000.00," in members
    assert "tresa,Trésorière,person,2024-01-01,active,-500.00,1000.00,treasurer" in members
    balances_json = json.loads(
        known.run("export", "balances", "--format", "json", "--to", "2026-11-30").out
    )
    assert {row["member"]: row["balance"] for row in balances_json} == {
        "tresa": "0.00",
        "alice": "-465.50",
        "bob": "445.50",
        "fournil": "20.00",
        "dan": "0.00",
        "carol": "0.00",
    }


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("export", "invoices"), "'invoices' is not a choice for export"),
        (("export", "trades", "--format", "ods"), "'ods' is not a choice for --format"),
        (("export", "trades", "--from", "2026-12-01", "--to", "2026-11-01"), "after its end"),
    ],
)
def test_export_errors(coop: Coop, args: tuple[str, ...], expected: str) -> None:
    result = coop.run(*args)

    assert result.code == 1
    assert expected in result.err


def test_round_trip_export_then_import_into_a_fresh_cooperative(
    coop: Coop, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known = build_known(coop)
    assert known.run("trade", "carol", "alice", "7", "--date", "2026-11-29").code == 0
    exported = known.run("export", "trades").out
    fresh = Coop(tmp_path / "fresh", capsys)
    init = fresh.run(
        "init", str(fresh.root), "--name", "Copie", "--currency", "SEL", "--treasurer", "tresa",
        "--treasurer-name", "Trésorière", "--email", "tresa@example.org", "--joined", "2024-01-01",
    )  # fmt: skip
    assert init.code == 0, init.text
    fresh.git("config", "user.email", "tresa@example.org")  # the treasurer's machine
    for args in (
        ("alice", "--name", "Alice Martin"),
        ("bob", "--name", "Bob Durand"),
        ("fournil", "--name", "Le Fournil", "--kind", "business", "--floor", "-2000"),
        ("dan", "--name", "Dan"),
    ):
        assert fresh.run("member", "add", *args, "--joined", "2024-01-01").code == 0
    assert fresh.run("member", "leave", "dan", "--date", "2026-11-20").code == 0
    assert (
        fresh.run("member", "add", "carol", "--name", "Carol", "--joined", "2026-11-10").code == 0
    )
    fresh.write("rules.yaml", known.read("rules.yaml"))
    fresh.commit_all("same rules")

    result = fresh.run("import", write_csv(tmp_path, exported, "all-trades.csv"))

    assert result.code == 0, result.text
    assert "Recorded 8 trades" in result.out
    assert balances(fresh) == balances(known)
    again = fresh.run("export", "trades").out.splitlines()
    for old, new in zip(exported.splitlines(), again, strict=True):
        # ids, categories and memos kept; trades written by hand without an id get one
        assert new == old or (old.endswith(",") and new.startswith(old))
    assert exported.count("2026-11-29-") == 1
    assert fresh.run("check").code == 0
