"""The validated-state snapshot: fast when nothing changed, never stale.

- a trade checked incrementally against the snapshot is accepted or refused
  exactly as the full check decides, with the same new problems (hypothesis);
- any change to the files — an edit, a new hand-written file (even one that
  breaks a limit), a rename, a deletion, a switch of git branch, members.yaml
  or rules.yaml — makes the snapshot invalid, so `check` sees the change;
- `--no-cache` bypasses it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopledger.cache import snapshot
from coopledger.git import gitrepo
from coopledger.model.problems import CoopError
from coopledger.plans.changes import plan_trade, plan_trade_fast
from coopledger.storage import store
from tests.conftest import Coop, cache_folder
from tests.test_properties import AUTHOR, Attempt, attempts, cooperative_on_disk

BREACH = """
2026-11-21 * "gros achat, écrit à la main"
  Assets:Members:Alice   -900.00 SEL
  Assets:Members:Bob      900.00 SEL
"""


def outcome(plan: object) -> tuple[str, frozenset[tuple[object, ...]]]:
    """What a plan decided: accepted with its warnings, or refused with its problems."""
    try:
        planned = plan()  # type: ignore[operator]
    except CoopError as error:
        return error.code, frozenset(p.key() for p in error.problems)
    return "accepted", frozenset(p.key() for p in planned.change.warnings)


LEVY_RULES = """
accounts:
  treasury: Assets:Coop:Treasury
levy: {percent: 2.5, fixed: 0.10, paid_by: both, into: treasury}
"""


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(
    history=st.lists(attempts, max_size=10),
    attempt=attempts,
    with_levy=st.booleans(),
)
def test_the_incremental_check_decides_exactly_as_the_full_check(
    history: list[Attempt], attempt: Attempt, with_levy: bool
) -> None:
    with cooperative_on_disk() as root:
        if with_levy:  # a levy adds postings to the cooperative's account in every trade
            with (root / "rules.yaml").open("a", encoding="utf-8") as rules:
                rules.write(LEVY_RULES)
        coop = store.load(root)
        for earlier in history:  # build a ledger of accepted trades
            try:
                planned = plan_trade(
                    coop,
                    payer=earlier.payer,
                    payee=earlier.payee,
                    amount=earlier.amount,
                    day=earlier.day,
                    author=AUTHOR,
                )
            except CoopError:
                continue
            for name, text in planned.change.files.items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_text(text, encoding="utf-8")
            coop = store.load(root)
        state = snapshot.from_cooperative(coop, snapshot.input_stamps(root))
        assert state is not None
        request = {
            "payer": attempt.payer,
            "payee": attempt.payee,
            "amount": attempt.amount,
            "day": attempt.day,
            "author": AUTHOR,
        }
        full = outcome(lambda: plan_trade(coop, **request))  # type: ignore[arg-type]
        try:
            fast = outcome(lambda: plan_trade_fast(state, **request))  # type: ignore[arg-type]
        except snapshot.NeedsFullCheck:
            return  # the fast path declined: the full check decides, nothing to compare
        assert fast == full
        if fast[0] == "accepted":  # and the snapshot then holds what a full read finds
            planned = plan_trade_fast(state, **request)  # type: ignore[arg-type]
            snapshot.add_entry(state, planned.entry)
            for name, text in planned.change.files.items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_text(text, encoding="utf-8")
            after = store.load(root)
            assert {p.key() for p in state.problems} == {p.key() for p in after.problems}
            assert (
                state.coop_days
                == snapshot.from_cooperative(after, snapshot.input_stamps(root)).coop_days
            )  # type: ignore[union-attr]
            for member, series in after.history.items():
                assert state.balance(member) == series[-1].closing


def test_the_snapshot_is_used_after_a_check_and_updated_by_a_trade(coop: Coop) -> None:
    assert coop.run("check").code == 0
    assert snapshot.load_valid(coop.root) is not None

    result = coop.run("trade", "alice", "bob", "40", "--date", "2026-11-20")

    assert result.code == 0, result.text
    key = gitrepo.committed_content_key(coop.root, store.WRITTEN_PATHS)
    state = snapshot.load_valid(coop.root, key)
    assert state is not None, "the trade keeps the snapshot valid for the committed content"
    assert state.balance("alice") == Decimal("-40.00")
    assert state.trade_count == 1
    full = store.load(coop.root)
    assert {p.key() for p in state.problems} == {p.key() for p in full.problems}


def test_a_trade_refused_by_the_snapshot_is_refused_like_the_full_check(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "450", "--date", "2026-11-20").code == 0
    assert snapshot.load_valid(coop.root) is not None

    fast = coop.run("trade", "alice", "bob", "60", "--date", "2026-11-10")
    slow = coop.run("trade", "alice", "bob", "60", "--date", "2026-11-10", "--no-cache")

    assert fast.code == slow.code == 1
    assert "below its floor of -500.00 SEL" in fast.err
    assert fast.err == slow.err


def test_a_new_hand_written_file_that_breaks_a_limit_is_seen(coop: Coop) -> None:
    assert coop.run("check").code == 0
    coop.write("journal/2026/11/volunteer.beancount", BREACH)

    result = coop.run("check")

    assert result.code == 1
    assert "journal/2026/11/volunteer.beancount:2" in result.out
    assert "below its floor" in result.out


def test_an_edited_file_is_seen_even_with_the_same_size_and_time(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-11-20").code == 0
    assert coop.run("check").code == 0
    path = coop.root / coop.last_written()
    info = os.stat(path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("40.00 SEL", "90.00 SEL").replace("-90.00", "-40.00"), "utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # same size, same mtime

    result = coop.run("check")

    assert result.code == 1, "the ctime and inode still change: the snapshot is not used"


def test_a_renamed_file_is_seen(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-11-20").code == 0
    assert coop.run("check").code == 0
    path = coop.root / coop.last_written()
    path.rename(path.with_name("." + path.name))  # hidden: no longer read

    result = coop.run("balances", "--json")

    assert '"alice": "0.00"' in result.out


def test_a_deleted_file_is_seen(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-11-20").code == 0
    assert coop.run("check").code == 0
    (coop.root / coop.last_written()).unlink()

    result = coop.run("balances", "--json")

    assert '"alice": "0.00"' in result.out


def test_a_switch_of_git_branch_is_seen(coop: Coop) -> None:
    coop.git("branch", "before-trade")
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-11-20").code == 0
    assert '"alice": "-40.00"' in coop.run("balances", "--json").out

    coop.git("checkout", "-q", "before-trade")

    assert '"alice": "0.00"' in coop.run("balances", "--json").out


def test_a_change_to_members_yaml_is_seen(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "400", "--date", "2026-11-20").code == 0
    assert coop.run("check").code == 0
    coop.write(
        "members.yaml",
        coop.read("members.yaml").replace(
            "    emails: [alice@example.org]",
            "    emails: [alice@example.org]\n    floor: {2024-01-01: -500, 2026-11-01: -100}",
        ),
    )

    result = coop.run("check")

    assert result.code == 1
    assert "below its floor of -100.00 SEL" in result.out


def test_no_cache_reads_everything_again(coop: Coop) -> None:
    assert coop.run("check").code == 0
    state = snapshot.load_valid(coop.root)
    assert state is not None
    state.problems.append(state.problems[0] if state.problems else _fake_problem())
    snapshot.save(coop.root, state)  # a corrupted cache, on purpose

    cached, fresh = coop.run("check"), coop.run("check", "--no-cache")

    assert cached.code == 1, "the corrupted snapshot is what the cached check reports"
    assert fresh.code == 0


def _fake_problem():  # type: ignore[no-untyped-def]
    from coopledger.model.problems import Problem

    return Problem("zero-amount", "journal/x.beancount", 1, {"account": "Assets:Members:X"})


def test_a_member_id_never_seen_still_has_an_empty_history(coop: Coop) -> None:
    assert coop.run("check").code == 0
    state = snapshot.load_valid(coop.root)
    assert state is not None
    assert state.days_of("nobody") == {}


def test_a_hand_written_file_that_git_ignores_is_still_seen(coop: Coop) -> None:
    coop.append(".gitignore", "journal/2026/11/brouillon.beancount\n")
    coop.commit_all("ignore a draft")
    assert coop.run("check").code == 0
    coop.write("journal/2026/11/brouillon.beancount", BREACH)

    result = coop.run("check")

    assert result.code == 1
    assert "journal/2026/11/brouillon.beancount:2" in result.out


def test_files_rewritten_with_the_same_bytes_keep_the_snapshot_by_git_content(
    coop: Coop,
) -> None:
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-11-20").code == 0
    shutil.rmtree(cache_folder(coop))
    assert coop.run("check").code == 0  # a full read: the snapshot has every file's stamp
    assert snapshot.load_valid(coop.root, None) is not None
    journal_file = coop.root / coop.last_written()
    journal_file.write_bytes(journal_file.read_bytes())  # new mtime and ctime, same bytes
    key = gitrepo.committed_content_key(coop.root, store.WRITTEN_PATHS)

    assert key is not None, "git sees a clean tree"
    assert snapshot.load_valid(coop.root, None) is None, "the stamps changed"
    assert snapshot.load_valid(coop.root, key) is not None, "git's ids did not"


def test_balances_from_the_snapshot_equal_a_full_read_at_any_date(coop: Coop) -> None:
    for args in (
        ("alice", "bob", "40", "--date", "2026-10-03"),
        ("bob", "fournil", "15.50", "--date", "2026-10-20"),
        ("fournil", "alice", "7", "--date", "2026-11-02"),
    ):
        assert coop.run("trade", *args).code == 0
    for day in ("2026-10-02", "2026-10-03", "2026-10-25", "2026-11-02", "2027-01-01"):
        cached = coop.run("balances", "--json", "--at", day)
        full = coop.run("balances", "--json", "--at", day, "--no-cache")
        assert cached.out == full.out, day


# ---------------------------------------------------------------- what git does not see

IGNORED_DRAFTS = "journal/**/brouillon*.beancount\n"


def test_a_trade_sees_a_file_git_ignores_added_after_the_snapshot(coop: Coop) -> None:
    coop.append(".gitignore", IGNORED_DRAFTS)
    coop.commit_all("ignore drafts")
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-11-20").code == 0
    assert coop.run("check").code == 0
    coop.write("journal/2026/11/brouillon.beancount", BREACH)  # git status stays clean

    result = coop.run("trade", "alice", "bob", "10", "--date", "2026-11-22")

    assert result.code == 1
    assert "below its floor" in result.err


def test_a_file_git_ignores_in_a_new_folder_is_seen(coop: Coop) -> None:
    coop.append(".gitignore", IGNORED_DRAFTS)
    coop.commit_all("ignore drafts")
    assert coop.run("check").code == 0
    coop.write("journal/2027/01/brouillon.beancount", BREACH.replace("2026-11-21", "2027-01-02"))

    result = coop.run("check")

    assert result.code == 1
    assert "journal/2027/01/brouillon.beancount:2" in result.out


def test_a_file_git_ignores_edited_in_place_is_seen(coop: Coop) -> None:
    coop.append(".gitignore", IGNORED_DRAFTS)
    coop.commit_all("ignore drafts")
    coop.write("journal/2026/11/brouillon.beancount", "; rien encore\n")
    assert coop.run("check").code == 0  # git's ids cannot vouch for this file: the stamps do
    with (coop.root / "journal/2026/11/brouillon.beancount").open("a", encoding="utf-8") as f:
        f.write(BREACH)  # the folder's stamp and names stay as they were

    result = coop.run("check")

    assert result.code == 1
    assert "journal/2026/11/brouillon.beancount:3" in result.out


def test_a_folder_whose_stamp_holds_is_not_read_and_a_new_name_is_seen(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-11-20").code == 0
    for folder in ("journal", "journal/2026", "journal/2026/11", "journal/2026/11/20"):
        os.utime(coop.root / folder, ns=(10**18, 10**18))  # long ago: not racy
    monkeypatch.setattr(snapshot, "RACY_NS", -(10**19))  # nor is the change of ctime
    shutil.rmtree(cache_folder(coop))
    assert coop.run("check").code == 0
    key = gitrepo.committed_content_key(coop.root, store.WRITTEN_PATHS)
    state = snapshot.load_saved(coop.root)
    assert state is not None and state.dirs is not None
    assert all(stamp is not None for stamp, _, _ in state.dirs.values())
    read: list[str] = []
    listing = snapshot._listing
    monkeypatch.setattr(snapshot, "_listing", lambda path: read.append(path) or listing(path))

    assert snapshot.vouch(state, key), "git's ids and the folder stamps vouch"
    assert read == [], "no folder was read"

    (coop.root / "journal/2026/11/.cache").mkdir()  # a hidden name: beancount never reads it
    assert snapshot.vouch(state, key), "the folder is read again, and holds the same names"
    coop.write("journal/2026/11/brouillon.beancount", BREACH)
    coop.git("update-index", "--assume-unchanged", coop.last_written())
    assert state.content_key == key
    assert not snapshot.dirs_hold(coop.root, state.dirs), "a new name in a folder"


def test_folders_racy_when_the_snapshot_was_built_get_their_stamps_at_the_next_trade(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "RACY_NS", 10**19)  # every folder racy: none stamped
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-11-20").code == 0
    state = snapshot.load_saved(coop.root)
    assert state is not None and state.dirs is not None
    assert all(stamp is None for stamp, _, _ in state.dirs.values())
    monkeypatch.setattr(snapshot, "RACY_NS", -(10**19))  # then none is racy any more
    read: list[str] = []
    listing = snapshot._listing
    monkeypatch.setattr(snapshot, "_listing", lambda path: read.append(path) or listing(path))

    assert coop.run("trade", "bob", "alice", "5", "--date", "2026-11-20").code == 0
    assert len(read) == len(state.dirs)  # each folder read once, and found as recorded
    state = snapshot.load_saved(coop.root)
    assert state is not None and state.dirs is not None
    unstamped = [folder for folder, (stamp, _, _) in state.dirs.items() if stamp is None]
    assert unstamped == ["journal/2026/11/20"]  # only the folder just written in
    read.clear()
    assert coop.run("check").code == 0
    assert read == [str(coop.root / "journal/2026/11/20")]
    # a stamp taken is a stamp that holds: a name added later is seen
    coop.write("journal/2026/11/brouillon.beancount", BREACH)
    assert not snapshot.dirs_hold(coop.root, state.dirs), "a new name in a stamped folder"
    result = coop.run("check")
    assert result.code == 1
    assert "journal/2026/11/brouillon.beancount" in result.out


def test_the_folder_records_follow_the_files_a_trade_writes(coop: Coop) -> None:
    assert coop.run("check").code == 0
    for args in (("alice", "bob", "40", "--date", "2026-11-20"), ("bob", "alice", "5")):
        assert coop.run("trade", *args).code == 0  # new folders, then a new month's
        key = gitrepo.committed_content_key(coop.root, store.WRITTEN_PATHS)
        state = snapshot.load_saved(coop.root)
        assert state is not None and state.content_key == key
        assert snapshot.dirs_hold(coop.root, state.dirs)
        assert state.dirs == snapshot.input_stamps(coop.root).dirs | {  # type: ignore[union-attr]
            folder: (None, names, digest) for folder, (_, names, digest) in state.dirs.items()
        }


@contextlib.contextmanager
def tiny_journal() -> Iterator[Path]:
    """A folder holding empty rules.yaml, members.yaml and November's alice.beancount."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "journal/2026/11").mkdir(parents=True)
        for name in ("rules.yaml", "members.yaml", "journal/2026/11/alice.beancount"):
            (root / name).write_text("", encoding="utf-8")
        yield root


def test_a_file_added_while_a_trade_writes_leaves_no_folder_record() -> None:
    with tiny_journal() as root:
        dirs = snapshot.input_stamps(root).dirs  # type: ignore[union-attr]
        (root / "journal/2026/11/bob.beancount").write_text("", encoding="utf-8")  # written
        assert snapshot._dirs_after_writing(root, dirs, ("journal/2026/11/bob.beancount",))
        (root / "journal/2026/11/zoe.beancount").write_text("", encoding="utf-8")  # not ours
        written = ("journal/2026/11/bob.beancount",)
        assert snapshot._dirs_after_writing(root, dirs, written) is None


def test_a_file_added_while_a_trade_writes_is_seen_by_the_next_command() -> None:
    """A trade that knows which file it created counts on the folder records
    instead of listing the folder again: the folder it wrote in is left without
    a stamp, so the next command lists it, and finds a file added meanwhile."""
    with tiny_journal() as root:
        dirs = snapshot.input_stamps(root).dirs  # type: ignore[union-attr]
        written = ("journal/2026/11/bob.beancount",)
        (root / written[0]).write_text("", encoding="utf-8")
        after = snapshot._dirs_after_writing(root, dirs, written, frozenset(written))
        assert after is not None and after["journal/2026/11"][0] is None
        assert snapshot.dirs_hold(root, after)
        again = snapshot._dirs_after_writing(root, after, written, frozenset())  # appended
        assert again == after
        (root / "journal/2026/11/zoe.beancount").write_text("", encoding="utf-8")  # not ours
        assert not snapshot.dirs_hold(root, after)


# ---------------------------------------------------------------- parts read lazily


def test_the_saved_roster_answers_like_the_roster(coop: Coop) -> None:
    roster = store.load(coop.root).roster
    assert roster is not None
    saved = snapshot.SavedRoster.of(list(roster))
    assert store.load(coop.root).rules is not None
    setup = snapshot._setup_file("g", store.load(coop.root).rules, saved)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "setup.json").write_bytes(setup)
        read = snapshot._read_setup(Path(folder), "g")
    assert read is not None
    again = read[1]

    for copy in (saved, again):
        assert copy.members == roster.members and copy.by_id == roster.by_id
        assert len(copy) == len(roster)
        assert copy.get("alice") == roster.get("alice") and copy.get("nobody") is None
        assert copy.by_email(" Bob@Example.org ") == roster.by_email(" Bob@Example.org ")
        assert copy.by_email("x@example.org") is None
        assert copy.with_role("treasurer") == roster.with_role("treasurer")


def test_id_hashes_and_balances_added_by_trades_are_kept_and_merged(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "MERGE_IDS_AFTER", 1)
    monkeypatch.setattr(snapshot, "MERGE_LATEST_AFTER", 1)
    assert coop.run("check").code == 0
    ids = []
    for args in (
        ("alice", "bob", "40", "--date", "2026-11-20"),
        ("bob", "fournil", "15", "--date", "2026-11-21"),
        ("fournil", "alice", "7", "--date", "2026-11-22"),
    ):
        result = coop.run("trade", *args)
        assert result.code == 0, result.text
        ids.append(result.out.split()[1].rstrip(":"))
        state = snapshot.load_valid(
            coop.root, gitrepo.committed_content_key(coop.root, store.WRITTEN_PATHS)
        )
        assert state is not None
        assert all(state.has_id(trade_id) for trade_id in ids)
        assert not state.has_id("2026-11-22-00000000")
        full = store.load(coop.root)
        assert state.latest == {m: s[-1].closing for m, s in full.history.items()}
    (cache_folder(coop) / "latest.json").unlink()
    state = snapshot.load_valid(
        coop.root, gitrepo.committed_content_key(coop.root, store.WRITTEN_PATHS)
    )
    assert state is not None
    assert state.latest == {m: s[-1].closing for m, s in full.history.items()}, "from buckets"


def test_id_hashes_of_another_snapshot_are_not_trusted(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-11-20").code == 0
    assert coop.run("check").code == 0
    ids = cache_folder(coop) / "ids.bin"
    ids.write_bytes(b"another".ljust(snapshot.IDS_HEADER, b"\0") + ids.read_bytes()[64:])
    state = snapshot.load_valid(coop.root)
    assert state is not None

    with pytest.raises(snapshot.NeedsFullCheck):
        state.has_id("2026-11-20-00000000")
    result = coop.run("trade", "alice", "bob", "1", "--date", "2026-11-21")
    assert result.code == 0, "the full check decides"


def test_the_saved_roster_by_id_reads_only_what_is_looked_up(coop: Coop) -> None:
    roster = store.load(coop.root).roster
    assert roster is not None
    saved = snapshot.SavedRoster.of(list(roster))

    assert saved.by_id["alice"] == roster.by_id["alice"]
    assert saved.by_id.get("bob") == roster.by_id.get("bob") and "bob" in saved.by_id
    assert saved.by_id.get("nobody") is None and "nobody" not in saved.by_id
    with pytest.raises(KeyError):
        saved.by_id["nobody"]
    assert set(saved._members) == {"alice", "bob"}
    assert saved.by_id == roster.by_id and dict(saved.by_id) == roster.by_id
    assert list(saved.by_id) == list(roster.by_id) and len(saved.by_id) == len(roster.by_id)


def test_only_the_buckets_that_hold_a_member_are_written_and_a_lost_one_is_seen(
    coop: Coop,
) -> None:
    # a cooperative of a few members writes a few bucket files, not 1024; the meta
    # file names them, and one it names that is gone means a full load again
    assert coop.run("trade", "alice", "bob", "5", "--date", "2026-11-02").code == 0
    assert coop.run("check").code == 0
    written = sorted(path.name for path in (cache_folder(coop) / "buckets").iterdir())
    state = snapshot.load_valid(coop.root)
    assert state is not None
    holding = sorted({snapshot.bucket_of(member) for member in ("alice", "bob")})
    assert (
        written
        == [f"{number:04d}.json" for number in holding]
        == [f"{number:04d}.json" for number in state.filled]
    )
    assert state.days_of("fournil") == {}  # in no bucket written: empty, nothing read
    (cache_folder(coop) / "buckets" / written[0]).unlink()
    again = snapshot.load_valid(coop.root)
    assert again is not None
    with pytest.raises(snapshot.NeedsFullCheck):
        again.all_days()
