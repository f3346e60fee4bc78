"""Shared fixtures: a real cooperative in a temporary git repository.

Tests run the real command in-process (`coopledger.cli.main`) on a cooperative
created by `coopledger init`, with the global and system git configuration
hidden from every test; the cooperative's own repository is set up as its
treasurer, tresa (`no_identity` undoes that).

    def test_alice_pays(coop):
        result = coop.run("trade", "alice", "fournil", "40")
        assert result.code == 0
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from coopledger import i18n

# rich fixes a console's width for good when COLUMNS is set as the console is made
# (coopledger.cli.common.out, on the first import of coopledger.cli), and
# pytest-xdist's workers start with COLUMNS set: unset before any test module
# imports the command line, the width is read at each print (COLUMNS per test, below)
os.environ.pop("COLUMNS", None)

from coopledger.cli import main

# Time is an input: every test runs on this date unless it sets another one
# (`--today` or COOPLEDGER_TODAY), so that no result depends on the day the
# suite runs. tests/test_any_date.py runs the everyday commands on other dates.
TEST_TODAY = "2026-11-25"

# Property tests are reproducible: CI runs the same examples every time.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, print_blob=True)  # HYPOTHESIS_PROFILE=explore
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

UNFILLED_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")  # a message whose parameter was not given


def bean_check(root: Path) -> subprocess.CompletedProcess[str]:
    """Run beancount's own bean-check on the cooperative's top file, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "beancount.scripts.check", "journal/main.beancount"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def cache_folder(where: Coop | Path) -> Path:
    """The snapshot's cache folder of a cooperative (per test: COOPLEDGER_CACHE_DIR)."""
    from coopledger.cache.snapshot import cache_of

    folder = cache_of(where if isinstance(where, Path) else where.root)
    assert folder is not None
    return folder


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@dataclass
class Coop:
    """A cooperative on disk, with the helpers a test needs to use it like a person."""

    root: Path
    capsys: pytest.CaptureFixture[str]

    def run(self, *args: str) -> Result:
        self.capsys.readouterr()
        # --traceback: a bug surfaces in the test as the exception it is
        code = main(["--traceback", "--dir", str(self.root), *args])
        captured = self.capsys.readouterr()
        unfilled = UNFILLED_PLACEHOLDER.search(captured.out + captured.err)
        assert unfilled is None, f"a message kept its placeholder {unfilled.group()}"
        return Result(code, captured.out, captured.err)

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=self.root, check=True, capture_output=True, text=True
        ).stdout

    def log(self) -> list[str]:
        """Commit subjects, newest first."""
        return self.git("log", "--format=%s").splitlines()

    def status(self) -> str:
        return self.git("status", "--porcelain")

    def read(self, name: str) -> str:
        return (self.root / name).read_text(encoding="utf-8")

    def write(self, name: str, text: str) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def append(self, name: str, text: str) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)

    def last_written(self) -> str:
        """The journal file the last commit wrote (a trade's own file,
        journal/YYYY/MM/DD/<payer>.<id>.beancount: docs/journal-format.md)."""
        changed = self.git("show", "--name-only", "--format=", "HEAD", "--", "journal")
        (path,) = changed.split()
        return path

    def commit_all(self, message: str = "by hand", email: str = "tresa@example.org") -> None:
        self.git("add", "-A")
        self.git("-c", "user.name=Test", "-c", f"user.email={email}", "commit", "-qm", message)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Generator[None, object, object]:
    """pytest keeps the test modules it rewrites (its assert messages) as byte code
    in tests/__pycache__, except where byte code may not be written: this machine's
    environment sets PYTHONDONTWRITEBYTECODE, and then every worker of every run
    rewrote and compiled the 70 test modules again (3 s a worker). Allowed while the
    tests are collected only (docs/performance.md, "The quick suite")."""
    forbidden = sys.dont_write_bytecode
    sys.dont_write_bytecode = False
    try:
        return (yield)
    finally:
        sys.dont_write_bytecode = forbidden


@pytest.fixture(autouse=True)
def no_git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test runs as on a fresh machine: no global or system git config."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("COOPLEDGER_DIR", raising=False)
    monkeypatch.setenv("COOPLEDGER_TODAY", TEST_TODAY)
    # English unless a test asks for French (coopledger.i18n reads the locale)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    i18n.set_language("en")  # a test that ran a command in French leaves nothing behind
    # the snapshot cache is per user, outside the repository: never the real home's
    monkeypatch.setenv("COOPLEDGER_CACHE_DIR", str(tmp_path / "user-cache"))
    monkeypatch.setenv("COLUMNS", "120")


TREASURER = (
    *("--name", "SEL du Canal", "--currency", "SEL", "--treasurer", "tresa"),
    *("--treasurer-name", "Trésorière", "--email", "tresa@example.org", "--joined", "2024-01-01"),
)
MEMBERS = (
    ("alice", "--name", "Alice Martin", "--email", "alice@example.org"),
    ("bob", "--name", "Bob Durand", "--email", "bob@example.org"),
    (
        *("fournil", "--name", "Le Fournil", "--kind", "business"),
        *("--floor", "-2000", "--ceiling", "5000", "--email", "fournil@example.org"),
    ),
)


def _built(root: Path, with_members: bool) -> None:
    """Build a cooperative at `root` with the real commands, as a test would."""
    assert main(["init", str(root), *TREASURER]) == 0
    # the treasurer's machine: git is set up as tresa in this repository (tests of
    # other identities change it, or hide it with `no_identity`)
    for key, value in (("user.name", "Trésorière"), ("user.email", "tresa@example.org")):
        subprocess.run(["git", "config", key, value], cwd=root, check=True)
    for args in MEMBERS if with_members else ():
        assert main(["--dir", str(root), "member", "add", *args, "--joined", "2024-01-01"]) == 0


@contextlib.contextmanager
def in_french() -> Iterator[None]:
    """The words of the block in French; the language before it again after it,
    even when an assertion fails inside."""
    before = i18n.language()
    i18n.set_language("fr")
    try:
        yield
    finally:
        i18n.set_language(before)


@pytest.fixture
def french() -> Iterator[None]:
    """The test's words in French (`in_french`)."""
    with in_french():
        yield


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The two cooperatives most tests start from, built once per session with the
    real commands (on a fresh machine's git and the tests' today) and copied into
    each test's own folder: the same files and commits, without rebuilding them."""
    folder = tmp_path_factory.mktemp("templates")
    built = {}
    with pytest.MonkeyPatch.context() as patched:
        patched.setenv("GIT_CONFIG_GLOBAL", str(folder / "no-global-gitconfig"))
        patched.setenv("GIT_CONFIG_NOSYSTEM", "1")
        patched.delenv("COOPLEDGER_DIR", raising=False)
        patched.setenv("COOPLEDGER_TODAY", TEST_TODAY)
        patched.setenv("LANG", "C.UTF-8")
        patched.delenv("LC_ALL", raising=False)
        patched.delenv("LC_MESSAGES", raising=False)
        patched.setenv("COOPLEDGER_CACHE_DIR", str(folder / "cache"))
        for name, with_members in (("empty", False), ("members", True)):
            _built(folder / name, with_members)
            built[name] = folder / name
    return built


def copy_tree(source: Path, target: Path, leave_out: tuple[str, ...] = ()) -> None:
    """`source` copied to `target` like `shutil.copytree(symlinks=True)`, except that
    the files of git's object store are hard-linked, as `git clone --local` does:
    git never changes an object file (it writes a new one and renames it into
    place, read-only), so copies can share them. The sample hooks `git init`
    writes (never run) and the names in `leave_out` are not copied."""
    for folder, subfolders, files in os.walk(source):
        here = Path(folder)
        relative = here.relative_to(source)
        shared = relative.parts[:2] == (".git", "objects")
        samples = relative.parts == (".git", "hooks")
        there = target / relative
        there.mkdir(parents=not relative.parts)
        shutil.copystat(here, there)
        linked = [name for name in subfolders if (here / name).is_symlink()]
        subfolders[:] = [n for n in subfolders if n not in leave_out and n not in linked]
        for name in [*files, *linked]:
            path = here / name
            if name in leave_out or (samples and name.endswith(".sample")):
                continue
            if path.is_symlink():
                os.symlink(os.readlink(path), there / name)
            elif shared:
                os.link(path, there / name)
            else:
                shutil.copy2(path, there / name)


def _copy(template: Path, root: Path, capsys: pytest.CaptureFixture[str]) -> Coop:
    copy_tree(template, root, leave_out=(".coopledger",))
    capsys.readouterr()
    return Coop(root, capsys)


class Builds:
    """Cooperatives a module's tests share: built once per session (per worker
    under pytest-xdist: each has its own session and base folder) with the real
    commands, in the first test that asks, then copied into each test's folder.

    Every test gets a copy, the first one too, so that none depends on the order
    they run in: the same files and commits, no cache (like the templates).

        @pytest.fixture
        def known(builds, coop):
            return builds.copy("known", coop, build_known)
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.built: dict[str, Path] = {}

    def copy(self, name: str, start: Coop, build: Callable[[Coop], object]) -> Coop:
        """`build` run once on a copy of `start` (a fresh fixture cooperative),
        then a copy of what it made, in place of `start`."""
        if name not in self.built:
            staging = Coop(self.folder / name / "sel", start.capsys)
            copy_tree(start.root, staging.root)
            build(staging)
            self.built[name] = staging.root
        shutil.rmtree(start.root)
        return _copy(self.built[name], start.root, start.capsys)

    def made(self, name: str, start: Coop, make: Callable[[Coop, Path], object]) -> Coop:
        """`make(start, folder)` run once, making a cooperative of its own at
        `folder` (a demo, say), then a copy of it at `name` beside `start`, with
        a copy of its cache folder (what `close` kept there: the snapshot is
        vouched for by git's ids of the same content, the rest is keyed by month)."""
        if name not in self.built:
            made = self.folder / name / name
            made.parent.mkdir(parents=True)
            make(start, made)
            shutil.copytree(cache_folder(made), self.folder / name / "cache", symlinks=True)
            self.built[name] = made
        target = start.root.parent / name
        copy_tree(self.built[name], target)
        shutil.copytree(self.folder / name / "cache", cache_folder(target), symlinks=True)
        return Coop(target, start.capsys)

    def after(self, name: str, start: Coop, step: Callable[[Coop], object]) -> Coop:
        """`start` after `step` (trades, a close...), made once from a copy of
        `start`, then copied with its cache folder for each test (`made`)."""

        def make(first: Coop, folder: Path) -> None:
            copy_tree(first.root, folder)
            step(Coop(folder, first.capsys))

        return self.made(name, start, make)

    def placed(self, name: str, make: Callable[[Path], object]) -> Path:
        """`make(folder)` run once, making cooperatives in `folder` that name each
        other by absolute path (partner groups: partners.yaml's `repo:`), so that a
        copy elsewhere would still name the first ones; then, for each test, the
        folder as made at that same place (what the last test left there removed
        first), with copies of the cache folders of the cooperatives in it. A
        worker runs its tests one at a time, so each test has the folder to itself."""
        folder = self.folder / name / "here"
        kept = self.folder / name / "kept"
        caches = self.folder / name / "caches"
        if name not in self.built:
            folder.mkdir(parents=True)
            make(folder)
            copy_tree(folder, kept)
            caches.mkdir()
            for root in sorted(kept.iterdir()):
                if cache_folder(folder / root.name).is_dir():
                    shutil.copytree(cache_folder(folder / root.name), caches / root.name)
            self.built[name] = kept
        shutil.rmtree(folder)
        copy_tree(kept, folder)
        for cache in sorted(caches.iterdir()):
            target = cache_folder(folder / cache.name)
            if target.exists():  # the first test's own, as `make` left it
                shutil.rmtree(target)
            shutil.copytree(cache, target, symlinks=True)
        return folder


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    """Cooperatives built once and copied (see `Builds`)."""
    return Builds(tmp_path_factory.mktemp("builds"))


@pytest.fixture
def empty_coop(
    templates: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Coop:
    """A new cooperative with only its treasurer, tresa."""
    return _copy(templates["empty"], tmp_path / "sel", capsys)


def no_identity(coop: Coop) -> None:
    """Make the cooperative's repository one where git has no identity at all."""
    coop.git("config", "--unset", "user.name")
    coop.git("config", "--unset", "user.email")


@pytest.fixture
def coop(templates: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Coop:
    """tresa (treasurer), alice and bob (persons: floor -500, ceiling 1000) and
    fournil (a business with its own floor -2000 and ceiling 5000), all joined 2024-01-01."""
    return _copy(templates["members"], tmp_path / "sel", capsys)


# ---------------------------------------------------------------- golden files

TRADE_ID = re.compile(r"\b(\d{4}-\d{2}-\d{2})-[0-9a-f]{8}\b")  # its random part varies


def blurred(text: str) -> str:
    """`text` with the random part of each trade id left out (a refused trade names
    the file of its own it would have had, journal/YYYY/MM/DD/<payer>.<id>)."""
    return TRADE_ID.sub(r"\1-<id>", text)


def assert_golden(path: Path, text: str) -> None:
    """`text` (trade ids blurred) equals the golden file at `path`; with
    UPDATE_GOLDEN=1 it is written there first (goldens change with the flag, never
    by hand)."""
    text = blurred(text)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")
