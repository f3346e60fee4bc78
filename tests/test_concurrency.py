"""Two writers at once, and a writer killed mid-write: the journal stays whole and valid.

These tests start real `python -m coopledger` processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from coopledger.language.messages import error_text
from coopledger.model.problems import CoopError
from coopledger.storage import store
from tests.conftest import Coop, bean_check


def coopledger(coop: Coop, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "coopledger", "--dir", str(coop.root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_trades_started_together_both_land(coop: Coop) -> None:
    commits = len(coop.log())

    first = coopledger(coop, "trade", "alice", "bob", "10", "--date", "2025-01-05", "-m", "un")
    second = coopledger(
        coop, "trade", "alice", "fournil", "20", "--date", "2025-01-05", "-m", "deux"
    )
    results = [(p.wait(timeout=120), *p.communicate()) for p in (first, second)]

    for code, out, err in results:
        assert code == 0, out + err
    assert len(coop.log()) == commits + 2
    assert coop.status() == ""
    written = coop.git("ls-files", "journal/2025/01").split()
    assert len(written) == 2  # each in a file of its own
    journal = "".join(coop.read(name) for name in written)
    assert journal.count("Assets:Members:Alice") == 2
    assert '"un"' in journal and '"deux"' in journal
    assert coop.run("check").code == 0
    assert bean_check(coop.root).returncode == 0


def test_two_trades_that_together_break_the_floor_one_lands_one_refuses(coop: Coop) -> None:
    commits = len(coop.log())

    first = coopledger(coop, "trade", "alice", "bob", "300", "--date", "2025-01-05")
    second = coopledger(coop, "trade", "alice", "fournil", "300", "--date", "2025-01-05")
    results = [(p.wait(timeout=120), *p.communicate()) for p in (first, second)]

    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1], results
    refused = next(err for code, _, err in results if code == 1)
    assert "alice's balance would be -600.00 SEL" in refused
    assert len(coop.log()) == commits + 1
    assert coop.status() == ""
    assert coop.run("check").code == 0


def test_a_locked_cooperative_refuses_clearly_after_the_timeout(coop: Coop) -> None:
    with store.locked(coop.root), pytest.raises(CoopError) as refusal:  # noqa: SIM117
        with store.locked(coop.root, timeout=0.2):
            pass

    assert refusal.value.code == "journal-locked"
    assert "another coopledger command is writing" in error_text(refusal.value)


# ---------------------------------------------------------------- killed mid-write

SLOW_WRITER = textwrap.dedent(
    """
    import os, sys, time

    real_fdopen = os.fdopen

    class HalfThenHang:
        '''A file that writes half of what it is given, says so, then hangs.'''

        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.handle.__exit__(*exc)

        def write(self, text):
            self.handle.write(text[: len(text) // 2])
            self.handle.flush()
            print("half written", flush=True)
            time.sleep(120)

        def __getattr__(self, name):
            return getattr(self.handle, name)

    os.fdopen = lambda *args, **kwargs: HalfThenHang(real_fdopen(*args, **kwargs))

    from coopledger.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


def test_a_trade_killed_in_the_middle_of_its_write_leaves_a_valid_journal(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "10", "--date", "2025-01-05").code == 0
    first = coop.last_written()
    journal = coop.read(first)
    commits = coop.log()

    writer = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, "--dir", str(coop.root),
         "trade", "alice", "fournil", "25", "--date", "2025-01-06"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "half written"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=60)

    assert coop.read(first) == journal  # the old file, whole
    assert coop.git("ls-files", "--others", "--exclude-standard") == ""  # nothing new
    assert coop.log() == commits
    assert coop.status() == ""  # the half-written temporary file is ignored by git
    assert coop.run("check").code == 0
    assert bean_check(coop.root).returncode == 0
    # the lock died with the process: the next trade goes through
    result = coop.run("trade", "alice", "fournil", "25", "--date", "2025-01-06")
    assert result.code == 0, result.text
    assert coop.run("check").code == 0


def test_write_atomically_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    target = tmp_path / "journal" / "alice.beancount"
    store.write_atomically(target, "old\n")

    class Boom(Exception):
        pass

    real_replace = os.replace

    def failing_replace(src: str, dst: str) -> None:
        raise Boom

    os.replace = failing_replace  # type: ignore[assignment]
    try:
        store.write_atomically(target, "new\n" * 1000)
    except Boom:
        pass
    finally:
        os.replace = real_replace

    assert target.read_text() == "old\n"
    assert [p.name for p in target.parent.iterdir()] == ["alice.beancount"]  # no temporary left
    store.write_atomically(target, "new\n")
    assert target.read_text() == "new\n"
