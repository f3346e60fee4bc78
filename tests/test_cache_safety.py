"""Caches are no way in: nothing a change commits is unpickled, trusted, or written through.

A pull request may hold any file. These are the attacks on the caches and the
folder coopledger keeps in the working tree, each on a fresh clone where one
matters (CI, a member after `git pull`):

- a pickle committed under `.coopledger/` (where the snapshot used to live) or
  as beancount's `journal/.main.beancount.picklecache` would run its code;
- a forged, data-only snapshot committed there would hide a limit error;
- `.coopledger/swap` (or `.coopledger`, or the lock) committed as a link to a
  folder elsewhere would let `close` empty that folder;
- beancount's own load cache, kept by bean-check and fava, would pass a
  journal whose members.yaml changed, or that holds a new file.

The snapshot lives in a per-user folder outside the repository
(`coopledger.cache.cachefiles`), as JSON checked value by value.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Coop, bean_check

PAYLOAD_PATHS = (
    ".coopledger/cache/meta.pickle",
    ".coopledger/cache/setup.pickle",
    ".coopledger/cache/stamps.pickle",
    ".coopledger/cache/latest.pickle",
    ".coopledger/cache/buckets/0000.pickle",
    ".coopledger/cache/months/2026-11.pickle",
    ".coopledger/cache/closed/2026-10.pickle",
    ".coopledger/cache/meta.json",
)
TRADE = ("trade", "alice", "bob", "1", "--date", "2026-11-21", "--as", "tresa")


class _Payload:
    """Unpickling this creates `path`: the marker that code from the repository ran."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[object, ...]:
        return (open, (self.path, "w"))


def payload(marker: Path) -> bytes:
    return pickle.dumps(_Payload(marker))


def commit_forced(coop: Coop, *paths: str, message: str = "a change") -> None:
    """Commit `paths` even where .gitignore would keep them out, as a pull request can."""
    coop.git("add", "-f", "--", *paths)
    coop.git("-c", "user.name=Mallory", "-c", "user.email=m@example.org", "commit", "-qm", message)


def fresh_clone(coop: Coop, tmp_path: Path, name: str = "clone") -> Coop:
    target = tmp_path / name
    subprocess.run(
        ["git", "clone", "-q", str(coop.root), str(target)], check=True, capture_output=True
    )
    return Coop(target, coop.capsys)


def the_users_cache(root: Path) -> Path | None:
    """This user's snapshot folder for `root`, where this version keeps one."""
    try:
        from coopledger.cache.snapshot import cache_of  # type: ignore[attr-defined]
    except ImportError:
        return None
    return cache_of(root)  # type: ignore[no-any-return]


# ---------------------------------------------------------------- pickles


def test_pickles_committed_in_the_repository_never_run(
    coop: Coop, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-11-20").code == 0
    marker = tmp_path / "code-from-the-repository-ran"
    for path in PAYLOAD_PATHS:
        (coop.root / path).parent.mkdir(parents=True, exist_ok=True)
        (coop.root / path).write_bytes(payload(marker))
    commit_forced(coop, *PAYLOAD_PATHS, message="a cache, to be quick")
    clone = fresh_clone(coop, tmp_path)

    for args in (("check",), TRADE, ("balances",), ("report", "2026-11"), ("check",)):
        result = clone.run(*args)
        assert result.code == 0, (args, result.text)
        assert not marker.exists(), f"coopledger {' '.join(args)} ran code from the repository"
    assert "alice" in clone.run("balances").out
    assert clone.run("report", "2026-11", "--format", "json").code == 0


def test_coopledger_never_loads_beancounts_load_cache_from_the_repository(
    coop: Coop, tmp_path: Path
) -> None:
    """(beancount's `bean-check` would: the gate refuses such a file in a change.)"""
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-11-20").code == 0
    marker = tmp_path / "code-from-the-repository-ran"
    (coop.root / "journal/.main.beancount.picklecache").write_bytes(payload(marker))
    commit_forced(coop, "journal/.main.beancount.picklecache", message="a cache, to be quick")
    clone = fresh_clone(coop, tmp_path)

    for args in (("check",), ("balances",), ("report", "2026-11")):
        result = clone.run(*args)
        assert result.code == 0, (args, result.text)
        assert not marker.exists(), f"coopledger {' '.join(args)} ran code from the repository"


def test_pickles_and_junk_in_the_users_cache_folder_are_only_ignored(
    coop: Coop, tmp_path: Path
) -> None:
    assert coop.run("check").code == 0
    cache = the_users_cache(coop.root)
    assert cache is not None and (cache / "meta.json").is_file()
    marker = tmp_path / "code-from-the-cache-ran"
    for path in [p for p in cache.rglob("*") if p.is_file()]:
        path.write_bytes(payload(marker))

    for args in (TRADE, ("check",), ("balances",), ("report", "2026-11")):
        result = coop.run(*args)
        assert result.code == 0, (args, result.text)
    assert not marker.exists()
    assert b"pickle" not in (cache / "meta.json").read_bytes(), "written again, as JSON"


# ---------------------------------------------------------------- forged data


def _overspend(coop: Coop) -> None:
    """Alice goes to -550.00 with a hand-written entry: below her floor of -500."""
    assert coop.run("trade", "alice", "bob", "300", "--date", "2026-11-10").code == 0
    coop.write(
        "journal/2026/11/alice-by-hand.beancount",
        '2026-11-12 * "encore"\n'
        "  Assets:Members:Alice  -250.00 SEL\n  Assets:Members:Bob  250.00 SEL\n",
    )
    coop.commit_all("by hand")


def _forge_no_problems(coop: Coop) -> list[str]:
    """Save the snapshot (it finds the problem), rewrite it to say there is none, and
    put it in .coopledger/cache/ in the working tree; return the files to commit."""
    assert coop.run("check").code == 1
    old = coop.root / ".coopledger/cache"
    if (old / "meta.pickle").is_file():  # where and how an older version kept it
        meta = pickle.loads((old / "meta.pickle").read_bytes())
        meta["problems"] = []
        (old / "meta.pickle").write_bytes(pickle.dumps(meta))
    else:
        from coopledger.cache import cachefiles

        cache = the_users_cache(coop.root)
        assert cache is not None
        meta = cachefiles.loads((cache / "meta.json").read_bytes())
        meta["problems"] = []
        (cache / "meta.json").write_bytes(cachefiles.dumps(meta))
        shutil.copytree(cache, old)
    return [str(p.relative_to(coop.root)) for p in old.rglob("*") if p.is_file()]


def test_a_forged_snapshot_committed_in_the_repository_does_not_hide_a_limit_error(
    coop: Coop, tmp_path: Path
) -> None:
    _overspend(coop)
    commit_forced(coop, *_forge_no_problems(coop), message="a cache, to be quick")
    clone = fresh_clone(coop, tmp_path)

    result = clone.run("check")

    assert result.code == 1, result.text
    assert "below its floor of -500.00 SEL" in result.out
    assert "alice-by-hand.beancount:1" in result.out
    assert clone.run("check", "--since", "HEAD~2").code == 1


def test_a_forged_snapshot_in_a_cache_folder_others_may_write_is_not_used(
    coop: Coop,
) -> None:
    _overspend(coop)
    _forge_no_problems(coop)
    cache = the_users_cache(coop.root)
    assert cache is not None
    assert coop.run("check").code == 0, "the user's own folder is trusted like the user"
    cache.chmod(0o770)

    result = coop.run("check")

    assert result.code == 1, result.text
    assert "below its floor of -500.00 SEL" in result.out


@pytest.mark.parametrize(
    "field, value",
    [
        ("problems", [{"$o": "Problem", "f": [["code", 7]]}]),
        ("trade_count", True),
        ("last_date", {"$o": "Member", "f": []}),
        ("key", {"$o": "os.system", "f": []}),
        ("coop_days", {"x": {"$dm": {"a": "NaN"}}}),
    ],
)
def test_a_snapshot_with_a_value_of_another_type_is_not_used(
    coop: Coop, field: str, value: object
) -> None:
    import json

    from coopledger.cache import snapshot

    assert coop.run("check").code == 0
    cache = the_users_cache(coop.root)
    assert cache is not None
    meta = json.loads((cache / "meta.json").read_text(encoding="utf-8"))
    meta[field] = value
    (cache / "meta.json").write_text(json.dumps(meta), encoding="utf-8")

    assert snapshot.load_saved(coop.root) is None
    assert coop.run("check").code == 0
    assert snapshot.load_saved(coop.root) is not None, "saved again"


# ---------------------------------------------------------------- links


def trades_through_october(coop: Coop) -> None:
    for args in (
        ("alice", "bob", "300", "--date", "2026-08-05"),
        ("alice", "fournil", "150", "--date", "2026-09-10"),
        ("bob", "fournil", "20", "--date", "2026-10-02"),
    ):
        assert coop.run("trade", *args).code == 0


def _outside(tmp_path: Path) -> Path:
    folder = tmp_path / "home-of-someone"
    folder.mkdir()
    (folder / "thesis.txt").write_text("years of work\n", encoding="utf-8")
    return folder


def test_close_never_empties_a_folder_that_swap_links_to(coop: Coop, tmp_path: Path) -> None:
    trades_through_october(coop)
    outside = _outside(tmp_path)
    (coop.root / ".coopledger").mkdir(exist_ok=True)
    os.symlink(outside, coop.root / ".coopledger/swap")
    commit_forced(coop, ".coopledger/swap", message="a link")
    clone = fresh_clone(coop, tmp_path)
    log = clone.log()

    result = clone.run("close", "2026-09", "--with-earlier", "--as", "tresa")

    assert result.code == 1, result.text
    assert (outside / "thesis.txt").read_text(encoding="utf-8") == "years of work\n"
    assert f".coopledger/swap is a symbolic link (to {outside})" in result.err
    assert "git rm --cached .coopledger/swap" in result.err
    assert clone.log() == log and clone.status() == ""


def test_no_command_writes_through_coopledger_folder_as_a_link(coop: Coop, tmp_path: Path) -> None:
    trades_through_october(coop)
    assert coop.run("close", "2026-09", "--with-earlier").code == 0  # reads of the open months
    outside = _outside(tmp_path)
    shutil.rmtree(coop.root / ".coopledger", ignore_errors=True)
    os.symlink(outside, coop.root / ".coopledger")
    commit_forced(coop, ".coopledger", message="a link")
    clone = fresh_clone(coop, tmp_path)
    log = clone.log()

    for args in (TRADE, ("check",), ("close", "2026-10", "--as", "tresa")):
        result = clone.run(*args)
        assert result.code == 1, (args, result.text)
        assert "is a symbolic link" in result.err
    assert sorted(p.name for p in outside.iterdir()) == ["thesis.txt"]
    assert clone.log() == log


def test_coopledger_folder_committed_as_a_file_is_refused(coop: Coop, tmp_path: Path) -> None:
    trades_through_october(coop)
    (coop.root / ".coopledger").write_text("not a folder\n", encoding="utf-8")
    commit_forced(coop, ".coopledger", message="a file")
    clone = fresh_clone(coop, tmp_path)
    log = clone.log()

    result = clone.run("close", "2026-09", "--with-earlier", "--as", "tresa")

    assert result.code == 1, result.text
    assert ".coopledger is not a folder" in result.err
    assert "git rm --cached .coopledger" in result.err
    assert clone.log() == log and clone.status() == ""
    assert clone.read(".coopledger") == "not a folder\n"


def test_the_lock_of_a_worktree_is_not_written_through_a_link(coop: Coop, tmp_path: Path) -> None:
    target = tmp_path / "not-to-be-created"
    (coop.root / ".coopledger").mkdir(exist_ok=True)
    os.symlink(target, coop.root / ".coopledger/coopledger.lock")
    commit_forced(coop, ".coopledger/coopledger.lock", message="a link")
    worktree = tmp_path / "worktree"
    coop.git("worktree", "add", "-q", str(worktree))  # its .git is a file
    other = Coop(worktree, coop.capsys)

    result = other.run(*TRADE)

    # the lock lives in the worktree's own git folder: the committed link is never used
    assert result.code == 0, result.text
    assert not target.exists()


# ---------------------------------------------------------------- beancount's own cache

PRIME = (
    "from beancount import loader\n"
    "loader.PICKLE_CACHE_THRESHOLD = 0  # keep a cache however quick the load\n"
    "loader.initialize(True)\n"
    "entries, errors, options = loader.load_file('journal/main.beancount')\n"
    "assert not errors, errors\n"
)


@pytest.fixture
def load_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Where beancount keeps its load cache in these tests (BEANCOUNT_LOAD_CACHE_FILENAME)."""
    path = tmp_path / "beancount-load-cache"
    monkeypatch.setenv("BEANCOUNT_LOAD_CACHE_FILENAME", str(path))
    return path


def prime(coop: Coop, load_cache: Path) -> None:
    """bean-check, once, as on a journal slow enough to load for beancount to keep a cache."""
    subprocess.run([sys.executable, "-c", PRIME], cwd=coop.root, check=True)
    assert load_cache.is_file()
    result = bean_check(coop.root)
    assert result.returncode == 0, result.stderr


def test_bean_check_with_a_load_cache_sees_a_tighter_floor(coop: Coop, load_cache: Path) -> None:
    assert coop.run("trade", "alice", "bob", "300", "--date", "2026-11-10").code == 0
    prime(coop, load_cache)
    members = coop.read("members.yaml")
    assert "  - id: alice\n" in members
    coop.write(
        "members.yaml", members.replace("  - id: alice\n", "  - id: alice\n    floor: -200\n")
    )

    result = bean_check(coop.root)

    assert result.returncode != 0
    assert "below its floor of -200.00 SEL" in result.stderr


def test_bean_check_with_a_load_cache_sees_a_tighter_rule(coop: Coop, load_cache: Path) -> None:
    assert coop.run("trade", "alice", "bob", "300", "--date", "2026-11-10").code == 0
    prime(coop, load_cache)
    rules = coop.read("rules.yaml")
    assert "floor: -500" in rules
    coop.write("rules.yaml", rules.replace("floor: -500", "floor: -100", 1))

    result = bean_check(coop.root)

    assert result.returncode != 0
    assert "below its floor of -100.00 SEL" in result.stderr


@pytest.mark.parametrize("folder", ["journal/2026/11", "journal/2027/01"])
def test_bean_check_with_a_load_cache_sees_a_new_file(
    coop: Coop, load_cache: Path, folder: str
) -> None:
    assert coop.run("trade", "alice", "bob", "300", "--date", "2026-11-10").code == 0
    prime(coop, load_cache)
    coop.write(
        f"{folder}/mallory.beancount",
        f'{folder[8:12]}-{folder[13:15]}-20 * "trop"\n'
        "  Assets:Members:Alice  -250.00 SEL\n  Assets:Members:Bob  250.00 SEL\n",
    )

    result = bean_check(coop.root)

    assert result.returncode != 0
    assert "below its floor of -500.00 SEL" in result.stderr


# ---------------------------------------------------------------- the format


def test_the_cache_format_gives_back_what_the_snapshot_keeps() -> None:
    import datetime
    from decimal import Decimal

    from coopledger.cache import cachefiles
    from coopledger.cache.aggregates import MonthFigures
    from coopledger.model.months import Month
    from coopledger.model.problems import Problem, Severity

    figures = MonthFigures(
        trades=2,
        volume=Decimal("52.50"),
        traders={"alice", "bob"},
        net={"alice": Decimal("-52.50"), "bob": Decimal("52.50")},
        last_trade={"alice": datetime.date(2026, 11, 2)},
        category_trades={None: 1, "pain": 1},
    )
    value = {
        Month(2026, 11): figures,
        "problems": [Problem("below-floor", "a.beancount", 3, {"x": "y"}, Severity.WARNING)],
        "where": ("journal/2026/11", 7),
    }

    assert cachefiles.loads(cachefiles.dumps(value)) == value


@pytest.mark.parametrize(
    "payload",
    [
        b'{"$o": "PosixPath", "f": [["x", "/"]]}',
        b'{"$o": "Member", "f": [["id", 1]]}',
        b'{"$e": ["Signals", 9]}',
        b'{"$d": "NaN"}',
        b'{"$dm": {"a": "Infinity"}}',
        b'{"$unknown": []}',
        b"1.5",
        b"\x80\x04\x95",  # a pickle
    ],
)
def test_a_cache_file_holds_only_plain_values_and_allowed_classes(payload: bytes) -> None:
    from coopledger.cache import cachefiles

    with pytest.raises(cachefiles.CacheInvalid):
        cachefiles.loads(payload)


def test_a_member_read_in_one_pass_is_the_member_the_general_reader_reads() -> None:
    # `balances` reads every member of the snapshot: the common member (no limits
    # or status of its own) is read without the general reader's tags, the same
    import datetime
    from decimal import Decimal

    from coopledger.cache import cachefiles, snapshot
    from coopledger.model.members import Member
    from coopledger.model.timeline import Timeline

    plain = Member("alice", "Alice", "person", datetime.date(2026, 1, 2), ("a@x.org",), ("t",))
    limited = Member(
        "bob",
        "Bob",
        "person",
        datetime.date(2026, 1, 2),
        floor=Timeline(((plain.joined, Decimal("-5")),)),
    )
    for member in (plain, limited):
        blob = cachefiles.dumps(member)
        assert snapshot._member_of(blob) == cachefiles.loads(blob) == member
    assert snapshot._plain_member(cachefiles.loads(b"1")) is None
    for bad in (
        b'{"$o":"Member","f":[["id","a"],["name","A"],["kind","p"],["joined",{"$date":"2026-13-01"}]]}',
        b'{"$o":"Member","f":[["id","a"],["name","A"],["kind","p"],["joined",{"$date":"2026-01-01"}],["line",true]]}',
        b'{"$o":"Member","f":[["id","a"],["name","A"],["kind","p"],["joined",{"$date":"2026-01-01"}],["emails",{"$t":[1]}]]}',
        b'{"$o":"Member","f":[["id","a"],["name","A"],["kind","p"],["joined",{"$date":"2026-01-01"}],["line",1.5]]}',
        b'{"$o":"Member","f":[["id","a"],["name","A"],["kind","p"]]}',
        b'{"$o":"Member","f":[["id","a"],["name","A"],["kind","p"],["joined",{"$date":"2026-01-01"}],["evil",1]]}',
    ):
        with pytest.raises(cachefiles.CacheInvalid):
            snapshot._member_of(bad)
