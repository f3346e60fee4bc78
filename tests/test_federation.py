"""Trading between cooperatives: partner groups, trust lines, syncs, checks and
clearing among groups, on real repositories side by side (docs/federation.md).

Each group is made with `coopledger init` in its own folder, set up as its
treasurer tresa; the groups name each other's folders as their `repo:`.
"""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from coopledger.cli import main
from tests.conftest import Builds, Coop, bean_check

UNITS = {"sel-a": "GRAIN", "sel-b": "PIGNE", "sel-c": "HEURE"}
MEMBERS = {"sel-a": ("alice", "arno"), "sel-b": ("zoe", "bea"), "sel-c": ("carl", "cleo")}


def make_group(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> Coop:
    root = tmp_path / name
    email = f"tresa@{name}.example.org"
    args = ["init", str(root), "--name", name.upper().replace("-", " ")]
    args += ["--currency", UNITS[name], "--treasurer", "tresa", "--email", email]
    assert main([*args, "--joined", "2024-01-01"]) == 0
    for key, value in (("user.name", "Trésorière"), ("user.email", email)):
        subprocess.run(["git", "config", key, value], cwd=root, check=True)
    for member in MEMBERS[name]:
        added = ["member", "add", member, "--name", member.title(), "--joined", "2024-01-01"]
        assert main(["--dir", str(root), *added, "--email", f"{member}@{name}.example.org"]) == 0
    capsys.readouterr()
    return Coop(root, capsys)


def link(a: Coop, b: Coop, *, floor: str, ceiling: str, rate: str = "1") -> None:
    """`a` adds `b` as a partner (its id is its folder's name; a is known as its own)."""
    result = a.run(
        *("partner", "add", b.root.name, "--name", b.root.name.upper(), "--repo", str(b.root)),
        *("--floor", floor, "--ceiling", ceiling, "--rate", rate, "--known-as", a.root.name),
    )
    assert result.code == 0, result.text


@pytest.fixture
def pair(builds: Builds, capsys: pytest.CaptureFixture[str]) -> tuple[Coop, Coop]:
    """sel-a and sel-b: one GRAIN is worth 2 PIGNE; each may owe the other 100 GRAIN
    (made once, then each test has them as made, in the same place: `Builds.placed`)."""

    def make(folder: Path) -> None:
        a, b = make_group(folder, capsys, "sel-a"), make_group(folder, capsys, "sel-b")
        link(a, b, floor="-100", ceiling="100", rate="2")
        link(b, a, floor="-200", ceiling="200", rate="0.5")

    folder = builds.placed("federation-pair", make)
    return Coop(folder / "sel-a", capsys), Coop(folder / "sel-b", capsys)


def position(coop: Coop, partner: str) -> str:
    listed = json.loads(coop.run("partner", "list", "--json").out)
    return next(p["position"] for p in listed["partners"] if p["id"] == partner)


def balance(coop: Coop, member: str) -> str:
    return json.loads(coop.run("balances", "--json").out)["balances"][member]


def test_partner_add_writes_the_line_and_the_account(pair: tuple[Coop, Coop]) -> None:
    a, _ = pair
    assert "  - id: sel-b\n" in a.read("partners.yaml")
    assert "  partner-sel-b: Assets:Partners:Sel-b\n" in a.read("rules.yaml")
    assert a.log()[0].startswith("partner add: sel-b")
    listed = json.loads(a.run("partner", "list", "--json").out)["partners"][0]
    assert (listed["floor"], listed["ceiling"], listed["rate"]) == ("-100.00", "100.00", "2")
    assert (listed["position"], listed["may_owe"], listed["may_be_owed"]) == (
        "0.00",
        "100.00",
        "100.00",
    )
    assert a.run("check").code == 0
    assert bean_check(a.root).returncode == 0


def test_trade_sync_and_check_agree(pair: tuple[Coop, Coop]) -> None:
    a, b = pair
    traded = a.run("trade", "alice", "sel-b/zoe", "40", "-m", "cours de guitare", "--as", "alice")
    assert traded.code == 0, traded.text
    assert "80.00 in sel-b's units" in traded.out
    assert a.log()[0] == "trade: alice → sel-b/zoe 40.00 GRAIN — cours de guitare"
    assert position(a, "sel-b") == "-40.00"  # sel-a owes sel-b 40 GRAIN
    assert balance(a, "alice") == "-40.00"

    synced = b.run("partner", "sync", "sel-a")
    assert synced.code == 0, synced.text
    assert "1 recorded, 0 refused" in synced.out
    a_head = a.git("rev-parse", "HEAD").strip()
    assert b.log()[0].startswith(f"partner sync: 1 trade(s) from sel-a at {a_head[:12]}")
    mirror = b.read("journal/2026/11/_partners.beancount")
    assert f'partner_commit: "{a_head}"' in mirror and "Assets:Members:Zoe" in mirror
    assert balance(b, "zoe") == "80.00" and position(b, "sel-a") == "80.00"

    for here, other in ((a, "sel-b"), (b, "sel-a")):
        checked = here.run("partner", "check", other)
        assert checked.code == 0, checked.text
        assert "the books agree" in checked.out
        assert here.run("check").code == 0
        assert bean_check(here.root).returncode == 0


def test_a_sync_run_twice_doubles_nothing(pair: tuple[Coop, Coop]) -> None:
    a, b = pair
    assert a.run("trade", "alice", "sel-b/zoe", "10", "--as", "alice").code == 0
    assert b.run("partner", "sync", "sel-a").code == 0
    commits = b.log()
    again = b.run("partner", "sync", "sel-a")
    assert again.code == 0 and "0 recorded, 0 refused, 1 already recorded" in again.out
    assert b.log() == commits and b.status() == ""
    assert balance(b, "zoe") == "20.00"
    # a trade the other way, then both sync: each new trade once
    assert b.run("trade", "bea", "sel-a/arno", "30", "--as", "bea").code == 0
    assert a.run("partner", "sync", "sel-b").code == 0
    assert a.run("partner", "sync", "sel-b").code == 0
    assert balance(a, "arno") == "15.00"
    assert a.run("partner", "check", "sel-b").code == 0
    assert b.run("partner", "check", "sel-a").code == 0


def test_a_trade_beyond_the_trust_line_is_refused(pair: tuple[Coop, Coop]) -> None:
    a, _ = pair
    before = a.log()
    refused = a.run("trade", "alice", "sel-b/zoe", "150", "--as", "alice")
    assert refused.code == 1
    assert "the trust line with sel-b would be broken" in refused.err
    assert "below the floor -100.00" in refused.err
    assert a.log() == before and a.status() == ""


def test_a_line_broken_on_one_side_only_is_refused_by_the_sync(
    pair: tuple[Coop, Coop],
) -> None:
    """sel-a lets alice pay 90 GRAIN (its floor is -100); sel-b accepts at most
    100 PIGNE owed by sel-a (its ceiling): 180 PIGNE is refused there."""
    a, b = pair
    b.run("partner", "list")  # read before
    text = b.read("partners.yaml").replace("ceiling: 200.00", "ceiling: 100.00")
    b.write("partners.yaml", text)
    b.commit_all("partners: a narrower line with sel-a", email="tresa@sel-b.example.org")
    assert a.run("trade", "alice", "sel-b/zoe", "90", "--as", "alice").code == 0
    assert a.run("trade", "arno", "sel-b/bea", "5", "--as", "arno").code == 0
    before = b.log()
    synced = b.run("partner", "sync", "sel-a")
    assert synced.code == 1
    assert "1 recorded, 1 refused" in synced.out
    assert "refused" in synced.out and "above the ceiling 100.00" in synced.out
    assert len(b.log()) == len(before) + 1 and b.status() == ""
    assert balance(b, "zoe") == "0.00" and balance(b, "bea") == "10.00"
    # the books disagree until the origin is reversed: both sides say so
    checked = a.run("partner", "check", "sel-b")
    assert checked.code == 1
    assert "has no mirror entry in the partner's book" in checked.out


def test_a_mirror_edited_by_hand_is_caught(pair: tuple[Coop, Coop]) -> None:
    a, b = pair
    assert a.run("trade", "alice", "sel-b/zoe", "40", "--as", "alice").code == 0
    assert b.run("partner", "sync", "sel-a").code == 0
    path = "journal/2026/11/_partners.beancount"
    b.write(path, b.read(path).replace("80.00", "90.00"))
    b.commit_all("a slip of the finger", email="tresa@sel-b.example.org")
    assert b.run("check").code == 0  # the book itself still balances
    checked = b.run("partner", "check", "sel-a")
    assert checked.code == 1
    assert "the mirror says 90.00, the origin after the rate gives 80.00" in checked.out
    assert a.run("partner", "check", "sel-b").code == 1
    # a mirror with no origin at all
    b.write(path, b.read(path).replace('trade: "2026', 'trade: "2025'))
    b.commit_all("another slip", email="tresa@sel-b.example.org")
    checked = b.run("partner", "check", "sel-a")
    assert "has no origin in sel-a's book" in checked.out
    assert "has no mirror entry in this book" in checked.out


def test_a_sync_refuses_an_unknown_member_and_a_rate_that_differs(
    pair: tuple[Coop, Coop],
) -> None:
    a, b = pair
    assert a.run("trade", "alice", "sel-b/nobody", "10", "--as", "alice").code == 0
    synced = b.run("partner", "sync", "sel-a")
    assert synced.code == 1 and "addressed to 'nobody', who is not a member here" in synced.out
    text = b.read("partners.yaml").replace("rate: 0.5", "rate: 0.4")
    b.write("partners.yaml", text)
    b.commit_all("partners: another rate", email="tresa@sel-b.example.org")
    assert a.run("trade", "alice", "sel-b/zoe", "10", "--as", "alice").code == 0
    synced = b.run("partner", "sync", "sel-a")
    assert synced.code == 1 and "not the inverse of ours (0.4)" in synced.out
    assert balance(b, "zoe") == "0.00"


def test_only_a_treasurer_adds_a_partner_or_syncs(pair: tuple[Coop, Coop]) -> None:
    _, b = pair
    b.git("config", "user.email", "zoe@sel-b.example.org")
    before = b.log()
    for args in (("partner", "sync", "sel-a"), ("partner", "add", "sel-c", "--repo", "x")):
        refused = b.run(*args)
        assert refused.code == 1 and "is for a treasurer" in refused.err
    assert b.log() == before and b.status() == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--rate", "0"), "'0' is not a rate"),
        (("--rate", "abc"), "'abc' is not a rate"),
        (("--floor", "50"), "--floor 50 is not a trust line"),
        (("--ceiling", "-5"), "--ceiling -5 is not a trust line"),
        (("--repo", "--upload-pack=touch pwned"), "is not a repository"),
    ],
)
def test_partner_add_refusals(pair: tuple[Coop, Coop], args: tuple[str, ...], words: str) -> None:
    a, _ = pair
    before = a.log()
    refused = a.run("partner", "add", "sel-c", "--repo", "../sel-c", *args)
    assert refused.code == 1 and words in refused.err
    assert a.log() == before and a.status() == ""


def test_trade_with_an_unknown_partner_or_a_remote_payer(pair: tuple[Coop, Coop]) -> None:
    a, _ = pair
    before = a.log()
    refused = a.run("trade", "alice", "sel-x/zoe", "10", "--as", "alice")
    assert refused.code == 1 and "no partner group 'sel-x' (known: sel-b)" in refused.err
    refused = a.run("trade", "sel-b/zoe", "alice", "10", "--as", "alice")
    assert refused.code == 1 and "its own cooperative records what it pays" in refused.err
    assert a.log() == before and a.status() == ""


def test_a_partners_file_with_mistakes_names_file_and_line(pair: tuple[Coop, Coop]) -> None:
    a, _ = pair
    a.write(
        "partners.yaml", a.read("partners.yaml") + "  - id: sel-z\n    repo: x\n    colour: red\n"
    )
    listed = a.run("partner", "list")
    assert listed.code == 1
    assert "partners.yaml:13" in listed.text and "colour" in listed.text
    assert "has no account Assets:Partners:Sel-z in rules.yaml" in listed.text
    checked = a.run("check")
    assert checked.code == 1 and "partners.yaml:" in checked.out


def test_a_trust_line_broken_by_hand_is_reported_by_check(pair: tuple[Coop, Coop]) -> None:
    a, _ = pair
    assert a.run("trade", "alice", "sel-b/zoe", "60", "--as", "alice").code == 0
    assert a.run("check").code == 0
    a.write("partners.yaml", a.read("partners.yaml").replace("floor: -100.00", "floor: -50.00"))
    checked = a.run("check")
    assert checked.code == 1 and "below the floor -50.00" in checked.out


def test_partners_file_as_a_link_is_refused(pair: tuple[Coop, Coop], tmp_path: Path) -> None:
    a, _ = pair
    secret = tmp_path / "secret.yaml"
    secret.write_text("partners:\n  - id: leaked-secret-text\n", encoding="utf-8")
    (a.root / "partners.yaml").unlink()
    (a.root / "partners.yaml").symlink_to(secret)
    listed = a.run("partner", "list")
    assert listed.code == 1 and "not a plain UTF-8 text file" in listed.err
    checked = a.run("check")
    assert checked.code == 1 and "leaked-secret-text" not in checked.text


def test_a_hostile_repo_runs_nothing(pair: tuple[Coop, Coop], tmp_path: Path) -> None:
    """partners.yaml is a file of the repository: its repo: must not make git run a command."""
    _, b = pair
    marker = tmp_path / "pwned"
    for hostile in (f"--upload-pack=touch {marker}", f"ext::sh -c touch% {marker}"):
        text = b.read("partners.yaml")
        start = text.index("    repo: ")
        end = text.index("\n", start)
        b.write("partners.yaml", text[:start] + f"    repo: '{hostile}'" + text[end:])
        synced = b.run("partner", "sync", "sel-a")
        assert synced.code == 1 and "cannot fetch the partner's repository" in synced.err
        assert not marker.exists()


def test_a_member_cannot_change_the_trust_lines_in_a_pull_request(
    pair: tuple[Coop, Coop],
) -> None:
    a, _ = pair
    base = a.git("rev-parse", "HEAD").strip()
    a.write("partners.yaml", a.read("partners.yaml").replace("-100.00", "-100000.00"))
    a.commit_all("wider line", email="alice@sel-a.example.org")
    judged = a.run("check", "--since", base)
    assert judged.code == 1 and "partners.yaml" in judged.out


THREE = ("sel-a", "sel-b", "sel-c")


def make_three(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Coop, Coop, Coop]:
    """sel-a (GRAIN), sel-b (PIGNE: 2 for a GRAIN), sel-c (HEURE: 1 for a GRAIN)."""
    a, b, c = (make_group(folder, capsys, name) for name in THREE)
    rates = {("sel-a", "sel-b"): "2", ("sel-b", "sel-a"): "0.5", ("sel-b", "sel-c"): "0.5"}
    rates |= {("sel-c", "sel-b"): "2", ("sel-a", "sel-c"): "1", ("sel-c", "sel-a"): "1"}
    for x in (a, b, c):
        for y in (a, b, c):
            if x is not y:
                rate = rates[(x.root.name, y.root.name)]
                link(x, y, floor="-500", ceiling="500", rate=rate)
    return a, b, c


@pytest.fixture
def three(builds: Builds, capsys: pytest.CaptureFixture[str]) -> tuple[Coop, Coop, Coop]:
    """The three groups of `make_three`, each trusting the others for 500 GRAIN (made
    once, then each test has them as made, in the same place: `Builds.placed`)."""
    folder = builds.placed("federation-three", lambda made: make_three(made, capsys))
    a, b, c = (Coop(folder / name, capsys) for name in THREE)
    return a, b, c


def test_clearing_among_three_groups(three: tuple[Coop, Coop, Coop]) -> None:
    a, b, c = three
    # a cycle: sel-a owes sel-b 40 GRAIN, sel-b owes sel-c 60 PIGNE (30 GRAIN),
    # sel-c owes sel-a 50 HEURE (50 GRAIN)
    assert a.run("trade", "alice", "sel-b/zoe", "40", "--as", "alice").code == 0
    assert b.run("trade", "zoe", "sel-c/carl", "60", "--as", "zoe").code == 0
    assert c.run("trade", "carl", "sel-a/arno", "50", "--as", "carl").code == 0
    for here, partner in ((b, "sel-a"), (c, "sel-b"), (a, "sel-c")):
        assert here.run("partner", "sync", partner).code == 0
    balances = {x.root.name: json.loads(x.run("balances", "--json").out) for x in three}
    roots = [str(x.root) for x in three]
    planned = a.run("federation", "clear", *roots, "--json")
    assert planned.code == 0, planned.text
    plan = json.loads(planned.out)
    assert sorted(plan["cleared"]) == [
        ["sel-a", "sel-b", "30.00"],
        ["sel-b", "sel-c", "30.00"],
        ["sel-c", "sel-a", "30.00"],
    ]
    assert a.log()[0].startswith("partner sync: ")  # a plan only: nothing written
    written = a.run("federation", "clear", *roots, "--write")
    assert written.code == 0, written.text
    assert position(a, "sel-b") == "-10.00" and position(a, "sel-c") == "20.00"
    assert position(b, "sel-a") == "20.00" and position(b, "sel-c") == "0.00"
    assert position(c, "sel-b") == "0.00" and position(c, "sel-a") == "-20.00"
    for x in three:
        after = json.loads(x.run("balances", "--json").out)
        assert after["balances"] == balances[x.root.name]["balances"]  # no member moved
        assert x.run("check").code == 0
        assert bean_check(x.root).returncode == 0
        assert x.log()[0].startswith("federation clear: federation-2026-11-25")
    # the clearing leaves nothing more to clear, and the trades still agree pairwise
    again = json.loads(a.run("federation", "clear", *roots, "--json").out)
    assert again["cleared"] == []
    assert a.run("partner", "check", "sel-b").code == 0


def test_clearing_refuses_books_that_disagree(three: tuple[Coop, Coop, Coop]) -> None:
    a, b, _ = three
    assert a.run("trade", "alice", "sel-b/zoe", "40", "--as", "alice").code == 0
    refused = a.run("federation", "clear", *(str(x.root) for x in three))
    assert refused.code == 1
    assert "the books of sel-a and sel-b do not agree" in refused.err
    assert Decimal(position(b, "sel-a")) == 0


def test_the_gate_compares_a_new_mirror_with_the_partners_commit(
    pair: tuple[Coop, Coop], tmp_path: Path
) -> None:
    a, b = pair
    assert a.run("trade", "alice", "sel-b/zoe", "40", "--as", "alice").code == 0
    base = b.git("rev-parse", "HEAD").strip()
    assert b.run("partner", "sync", "sel-a").code == 0
    judged = b.run("check", "--since", base)
    assert judged.code == 0, judged.text
    assert "unverified" not in judged.text and "could not be compared" not in judged.text
    # the same change, edited by hand before it is merged
    path = "journal/2026/11/_partners.beancount"
    b.write(path, b.read(path).replace("80.00", "90.00"))
    judged = b.run("check", "--since", base)
    assert judged.code == 1
    assert "differs from the entry of sel-a's commit" in judged.out
    # where the partner's repository was never fetched (a CI job's fresh clone): a warning
    b.git("checkout", "--", path)
    clone = tmp_path / "ci-clone"
    subprocess.run(["git", "clone", "-q", str(b.root), str(clone)], check=True)
    subprocess.run(["git", "config", "user.email", "ci@example.org"], cwd=clone, check=True)
    capsys = b.capsys
    judged = Coop(clone, capsys).run("check", "--since", base)
    assert judged.code == 0, judged.text
    assert "which is not here: it could not be compared" in judged.out


def test_a_clearing_writes_every_group_or_none(three: tuple[Coop, Coop, Coop]) -> None:
    a, b, c = three
    assert a.run("trade", "alice", "sel-b/zoe", "40", "--as", "alice").code == 0
    assert b.run("trade", "zoe", "sel-c/carl", "80", "--as", "zoe").code == 0
    assert c.run("trade", "carl", "sel-a/arno", "40", "--as", "carl").code == 0
    for here, partner in ((b, "sel-a"), (c, "sel-b"), (a, "sel-c")):
        assert here.run("partner", "sync", partner).code == 0
    logs = [x.log() for x in three]
    c.git("config", "user.email", "carl@sel-c.example.org")  # not sel-c's treasurer
    refused = a.run("federation", "clear", *(str(x.root) for x in three), "--write")
    assert refused.code == 1 and "federation clear is for a treasurer" in refused.err
    assert [x.log() for x in three] == logs
    c.git("config", "user.email", "tresa@sel-c.example.org")
    c.append("journal/main.beancount", "; a change not committed\n")
    refused = a.run("federation", "clear", *(str(x.root) for x in three), "--write")
    assert refused.code == 3 and "uncommitted changes in journal/main.beancount" in refused.err
    assert [x.log() for x in three] == logs


def test_a_sync_refuses_a_mirror_beyond_a_members_ceiling(pair: tuple[Coop, Coop]) -> None:
    a, b = pair
    for coop, old, new in (
        (a, "floor: -100.00", "floor: -5000.00"),
        (b, "ceiling: 200.00", "ceiling: 5000.00"),
    ):
        coop.write("partners.yaml", coop.read("partners.yaml").replace(old, new))
        coop.commit_all("a wider line", email=f"tresa@{coop.root.name}.example.org")
    assert (
        a.run("trade", "alice", "sel-b/bea", "300", "--date", "2026-11-02", "--as", "alice").code
        == 0
    )
    assert (
        a.run("trade", "arno", "sel-b/bea", "300", "--date", "2026-11-03", "--as", "arno").code == 0
    )
    assert (
        a.run("trade", "arno", "sel-b/zoe", "10", "--date", "2026-11-04", "--as", "arno").code == 0
    )
    synced = b.run("partner", "sync", "sel-a")
    assert synced.code == 1, synced.text
    assert "2 recorded, 1 refused" in synced.out
    assert balance(b, "bea") == "600.00" and balance(b, "zoe") == "20.00"
    assert b.run("check").code == 0
