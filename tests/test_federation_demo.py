"""`coopledger demo DIR --groups N`: a synthetic federation of cooperatives, each
its own git repository, trading within and between groups
(coopledger/intergroup/federation_demo.py).

Small here (3 and 4 groups of a few members); benchmarks/bench_federation.py
makes 100 groups of 250."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from coopledger.intergroup.federation_demo import FederationDemo, FederationSpec, neighbours
from coopledger.storage import journal_text
from tests.conftest import Builds, Coop, bean_check

GROUPS = ("sel-001", "sel-002", "sel-003")


@pytest.fixture
def federation(builds: Builds, coop: Coop) -> dict[str, Coop]:
    """Three generated groups, made once, then each test has them as made, in the
    same place (`Builds.placed`: they name each other by absolute path)."""

    def make(target: Path) -> None:
        made = coop.run(
            *("demo", str(target), "--groups", "3", "--members", "5", "--months", "2"),
            *("--trades", "20", "--between", "30", "--seed", "4"),
        )
        assert made.code == 0, made.text
        assert f"Created a federation of 3 cooperatives in {target}" in made.out

    target = builds.placed("federation-demo", make)
    assert sorted(p.name for p in target.iterdir()) == list(GROUPS)
    return {name: Coop(target / name, coop.capsys) for name in GROUPS}


def test_each_group_is_a_valid_cooperative(federation: dict[str, Coop]) -> None:
    for name, group in federation.items():
        checked = group.run("check")
        assert checked.code == 0, checked.text
        assert re.search(r"ok: 5 members, \d+ trades, balances sum to 0\.00 [A-Z]+", checked.out)
        assert bean_check(group.root).returncode == 0
        assert group.status() == ""
        assert group.git("log", "--format=%an <%ae>").split("\n")[0] == (
            "Claire Petit <claire@example.org>"
        )
        subjects = group.log()
        assert subjects[-1].startswith("demo: ") and f"({name}), 5 members" in subjects[-1]
        listed = json.loads(group.run("partner", "list", "--json").out)["partners"]
        assert sorted(p["id"] for p in listed) == sorted(set(GROUPS) - {name})
        assert all(p["known_as"] == name for p in listed)


def test_the_groups_trade_with_each_other_and_their_books_agree(
    federation: dict[str, Coop],
) -> None:
    mirrored = 0
    for name, group in federation.items():
        first_commits = {
            other: federation[other].git("rev-list", "--max-parents=0", "HEAD").strip()
            for other in GROUPS
        }
        for path in sorted(group.root.glob("journal/*/*/_partners.beancount")):
            text = path.read_text(encoding="utf-8")
            for partner, commit in re.findall(
                r'partner: "([a-z0-9-]+)"\n.*\n.*\n  partner_commit: "([0-9a-f]+)"', text
            ):
                assert commit == first_commits[partner]  # the commit holding the origin
                mirrored += 1
        for other in GROUPS:
            if other != name:
                checked = group.run("partner", "check", other)
                assert checked.code == 0, checked.text
                assert "the books agree" in checked.out
        synced = group.run("partner", "sync", GROUPS[0] if name != GROUPS[0] else GROUPS[1])
        assert synced.code == 0 and " 0 recorded, 0 refused" in synced.out
    assert mirrored > 5


def test_a_clearing_among_the_generated_groups_keeps_every_book_valid(
    federation: dict[str, Coop],
) -> None:
    roots = [str(group.root) for group in federation.values()]
    anyone = federation[GROUPS[0]]
    planned = anyone.run("federation", "clear", *roots, "--write")
    assert planned.code == 0, planned.text
    for name, group in federation.items():
        assert group.run("check").code == 0
        for other in GROUPS:
            if other != name:
                assert group.run("partner", "check", other).code == 0


def test_the_same_seed_gives_the_same_repositories(coop: Coop, tmp_path: Path) -> None:
    heads = []
    for folder, seed in (("one", "7"), ("two", "7"), ("three", "8")):
        args = ("--groups", "3", "--members", "4", "--months", "1", "--seed", seed)
        assert coop.run("demo", str(tmp_path / folder), *args).code == 0
        heads.append(
            [Coop(tmp_path / folder / g, coop.capsys).git("rev-parse", "HEAD") for g in GROUPS]
        )
    assert heads[0] == heads[1]  # the commits are dated: the ids are the same too
    assert heads[0] != heads[2]


def test_every_journal_file_is_aligned_as_bean_format_aligns_it() -> None:
    demo = FederationDemo(FederationSpec(groups=4, members=20, months=2, between=40, seed=3))
    files = [*demo.first_files(), *demo.mirror_files({g.id: "a" * 40 for g in demo.groups})]
    journal = [text for _, path, text in files if re.match(r"journal/\d{4}/", path)]
    assert len(journal) > 20
    for text in journal:
        assert journal_text.insert_entries("", [text]).text == text


def test_partners_are_neighbours_on_a_ring() -> None:
    assert neighbours(0, 100, 6) == [1, 2, 3, 97, 98, 99]
    assert neighbours(50, 100, 4) == [48, 49, 51, 52]
    assert neighbours(2, 4, 6) == [0, 1, 3]
    for index in range(10):  # the partners of a partner include the group: lines both ways
        assert all(index in neighbours(other, 10, 4) for other in neighbours(index, 10, 4))


def test_a_federation_needs_two_groups_and_an_empty_folder(coop: Coop, tmp_path: Path) -> None:
    alone = coop.run("demo", str(tmp_path / "alone"), "--groups", "1")
    assert alone.code == 2 and "--groups" in alone.err
    assert not (tmp_path / "alone").exists()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    refused = coop.run("demo", str(busy), "--groups", "3")
    assert refused.code == 1 and "is not an empty folder" in refused.err
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]
