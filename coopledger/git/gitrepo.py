"""The only module that talks to git.

coopledger commits every write itself, as the member git is set up as here
(`git_identity`: git's own rules, environment then configuration), signed when
git's configuration asks for it. Before writing
it refuses a repository on a detached HEAD or with uncommitted changes in the
files it writes.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import os
import re
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coopledger.model.problems import CoopError

if TYPE_CHECKING:
    import git

Identity = tuple[str, str]  # (name, email)

# Settings coopledger relies on for speed at a hundred thousand journal files. Set
# in the repository by `init` and `demo` (and on the first commit coopledger makes
# in an older one), and passed on every command it runs. Neither changes what git
# reports: the untracked cache skips folders whose stamp did not change since the
# last `git status`; a split index lets `update-index` write the few changed
# entries instead of the whole index.
SETTINGS = {"core.untrackedCache": "true", "core.splitIndex": "true"}
_CONFIG_ARGS = [arg for key, value in SETTINGS.items() for arg in ("-c", f"{key}={value}")]

# Settings of git's configuration a write heeds (a sparse checkout is refused; a
# commit is signed), read together in one `git config` per write (`Repo.switch`)
SWITCHES = ("core.sparseCheckout", "commit.gpgSign")
# Read in the same `git config`: whether the committer may have an identity of
# its own (else git's committer is its author, asked once: `git_identity`)
_OWN_IDENTITY_KEYS = ("author.name", "author.email", "committer.name", "committer.email")
_OWN_IDENTITY_ENV = (
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
)
# git's words for a boolean (`git config --type=bool`); any other value is asked of git
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0", "")
# what leaves HEAD where a write found it (any other git command forgets it: `Repo.start`)
_KEEPS_HEAD = frozenset(
    ("status", "rev-parse", "ls-files", "config", "var", "update-index", "write-tree",
     "commit-tree", "cat-file", "diff", "ls-tree", "hash-object")
)  # fmt: skip

# Told the id of every git process started, while a write holds the lock
# (`watch_processes`): a killed write's git may outlive it (see `wait_for`).
_started: Callable[[int], None] | None = None
# While a write holds the lock, one `Repo` per root (`open_repo`): what git said
# once in the write (its settings, its identity, HEAD) is not asked again.
_shared: dict[Path, Repo] | None = None


class Repo:
    """A git repository: git itself for the write path (fast to start), and
    GitPython, imported on first use, for history (the gate, branches, exports)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.status_seen: tuple[object, bool] | None = None  # (index stamp, staged elsewhere)
        self._switches: subprocess.Popen[bytes] | dict[str, bool] | None = None
        self._own_identity = True  # whether the committer may differ from the author
        self._identities: dict[str, Identity | None] = {}  # "AUTHOR"/"COMMITTER" -> asked
        self.head_seen: str | None = None  # HEAD as a `WriteCheck` found it (`head_commit`)
        self.tree_written: tuple[str, str] | None = None  # (commit, its tree) of `commit`

    @cached_property
    def gp(self) -> git.Repo:
        import git

        return git.Repo(self.root)

    @property
    def git(self) -> Any:
        """GitPython's command runner (`repo.git.log(...)`)."""
        return self.gp.git

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        if _subcommand(args) not in _KEEPS_HEAD:  # HEAD may move: ask git again
            self.head_seen = self.tree_written = None
        process = subprocess.Popen(
            ["git", *_CONFIG_ARGS, *args],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **env} if env else None,
        )
        if _started is not None:
            _started(process.pid)
        return process

    def run(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Run git; its output, or CoopError('git-failed')."""
        code, out, err = finish(self.start(*args, env=env))
        if code != 0:
            raise CoopError("git-failed", detail=_last_line(err) or f"git {args[0]} failed")
        return out

    def succeeds(self, *args: str) -> bool:
        return finish(self.start(*args))[0] == 0

    def read_switches(self) -> None:
        """Start reading every one of `SWITCHES` (`switch` waits for git), and
        whether the configuration names an author or committer of its own."""
        if self._switches is None:
            keys = (*SWITCHES, *_OWN_IDENTITY_KEYS)
            names = "|".join(re.escape(name.lower()) for name in keys)
            self._switches = self.start("config", "-z", "--get-regexp", f"^({names})$")

    def switch(self, name: str) -> bool:
        """Whether git's configuration sets `name` (one of `SWITCHES`) to true, as
        `git config --type=bool --get NAME` reads it (its last value); read once
        for all of them, in this `Repo`."""
        self._read_settings()
        assert isinstance(self._switches, dict)
        return self._switches.get(name.lower(), False)

    def _read_settings(self) -> None:
        self.read_switches()
        if isinstance(self._switches, dict):
            return
        assert self._switches is not None
        code, out, _ = finish(self._switches)
        values: dict[str, str | None] = {}
        if code == 0:
            for record in out.split("\0"):
                if record:
                    key, newline, value = record.partition("\n")
                    values[key.lower()] = value if newline else None  # None: `key` alone, true
        self._own_identity = code != 1 and (
            code != 0 or any(key in values for key in _OWN_IDENTITY_KEYS)
        )
        found: dict[str, bool] = {}
        for each in SWITCHES:
            setting: str | None = values.get(each.lower(), "false")
            if setting is None or setting.lower() in _TRUE:
                found[each.lower()] = True
            elif setting.lower() in _FALSE and code in (0, 1):  # 1: none of them is set
                found[each.lower()] = False
            else:  # a value git may still read as a boolean (2k), or an error: git says
                code_of, said, _ = finish(self.start("config", "--type=bool", "--get", each))
                found[each.lower()] = code_of == 0 and said.strip() == "true"
        self._switches = found

    def committer_is_author(self) -> bool:
        """Whether git's committer here is, by git's rules, its author: neither the
        environment (GIT_AUTHOR_*, GIT_COMMITTER_*) nor the configuration
        (`author.*`, `committer.*`) names one apart; both then come from `user.*`."""
        self._read_settings()
        return not self._own_identity and not any(
            os.environ.get(k) is not None for k in _OWN_IDENTITY_ENV
        )

    def forget_settings(self) -> None:
        """After a change of git's configuration: ask it again."""
        self._switches, self._own_identity, self._identities = None, True, {}


def _subcommand(args: Sequence[str]) -> str:
    """The git command of `args` (after any `-c key=value`)."""
    index = 0
    while index < len(args) and args[index] == "-c":
        index += 2
    return args[index] if index < len(args) else ""


def finish(process: subprocess.Popen[bytes]) -> tuple[int, str, str]:
    out, err = process.communicate()
    decode = lambda b: b.decode("utf-8", "surrogateescape")  # noqa: E731
    return process.returncode, decode(out), decode(err)


def _last_line(text: str) -> str:
    """What git said went wrong: its `fatal:` or `error:` line, else its last line."""
    lines = text.strip().splitlines()
    for line in lines:
        if line.startswith(("fatal: ", "error: ")):
            return line.split(": ", 1)[1]
    return lines[-1] if lines else ""


_REPOS: set[Path] = set()  # roots already seen to be repositories, in this process


def open_repo(root: Path) -> Repo:
    if root not in _REPOS or not (root / ".git").exists():
        try:
            process = subprocess.run(
                ["git", "rev-parse", "--show-toplevel"],
                cwd=root,
                capture_output=True,
                check=False,
            )
        except (FileNotFoundError, NotADirectoryError):
            raise CoopError("not-a-git-repository", path=str(root)) from None
        top = process.stdout.decode("utf-8", "surrogateescape").strip()
        if process.returncode != 0 or not top or Path(top).resolve() != root.resolve():
            raise CoopError("not-a-git-repository", path=str(root))
        _REPOS.add(root)
    if _shared is not None:  # a write holds the lock: one Repo for all of it
        return _shared.setdefault(root, Repo(root))
    return Repo(root)


def init_repo(root: Path) -> Repo:
    """Create a repository at `root`, or adopt the one there if it has no commits."""
    if not (root / ".git").exists():
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "--quiet", "--initial-branch=main"], cwd=root, check=True)
    repo = open_repo(root)
    tune(repo)
    return repo


def tune(repo: Repo) -> None:
    """Write `SETTINGS` into the repository's own config, where missing."""
    for key, value in SETTINGS.items():
        if not repo.succeeds("config", "--local", "--get", key):
            repo.run("config", "--local", key, value)
            repo.forget_settings()


def _tuned(repo: Repo) -> bool:
    """Whether the repository's config names the settings (read without running git)."""
    try:
        text = (repo.root / ".git" / "config").read_text(encoding="utf-8").lower()
    except OSError:
        return True  # a worktree or an odd layout: the -c flags do the work
    return all(key.split(".")[1].lower() in text for key in SETTINGS)


def has_commits(repo: Repo) -> bool:
    return repo.succeeds("rev-parse", "--quiet", "--verify", "HEAD^{commit}")


_IDENT = re.compile(r"(?P<name>.*) <(?P<email>[^<>]*)> (?P<time>\d+) (?P<zone>[+-]\d{4})")


def git_identity(repo: Repo, who: str = "AUTHOR") -> Identity | None:
    """The author (or with `who="COMMITTER"`, the committer) git records here, by
    git's own rules (`git var GIT_AUTHOR_IDENT`): the GIT_AUTHOR_* environment
    variables, then `author.*` and `user.*` in the configuration. None when git
    was given no e-mail: an address git would guess from the user and host names
    counts as none. The name is "" when git was given none.

    Asked once per `Repo`; the committer is not asked apart when it is the
    author by git's rules (`Repo.committer_is_author`)."""
    if who not in repo._identities:
        if who == "COMMITTER" and "AUTHOR" in repo._identities and repo.committer_is_author():
            repo._identities[who] = repo._identities["AUTHOR"]
        else:
            repo._identities[who] = _ask_identity(repo, who)
    return repo._identities[who]


def _ask_identity(repo: Repo, who: str) -> Identity | None:
    for extra in ((), ("-c", "user.name=-")):  # an e-mail without a name is still one
        process = repo.start("-c", "user.useConfigOnly=true", *extra, "var", f"GIT_{who}_IDENT")
        code, out, _ = finish(process)
        found = _IDENT.fullmatch(out.strip()) if code == 0 else None
        if found is not None and found["email"].strip():
            return ("" if extra else found["name"], found["email"].strip())
    return None


def configured_email(repo: Repo) -> str | None:
    """The e-mail git would author a commit with here (`git_identity`), or None."""
    identity = git_identity(repo)
    return identity[1] if identity else None


# ---------------------------------------------------------------- before a write


class WriteCheck:
    """`ensure_writable`, started in the background: `git status` over a journal of
    a hundred thousand files takes a while, which the caller can use meanwhile.

        check = WriteCheck(repo, paths)   # git runs
        ...                               # read the snapshot, import what a trade needs
        key = check.result()              # or CoopError

    One `git status` of the whole tree (so git's untracked cache serves it) says
    both whether `paths` have uncommitted changes and whether anything else is
    staged (then a commit of only `paths` needs `git commit`, not the plumbing).
    """

    def __init__(self, repo: Repo, paths: Sequence[str]) -> None:
        self.repo = repo
        self.paths = tuple(paths)
        self._status = repo.start(
            "status", "--porcelain=v1", "-z", "--untracked-files=normal", "--no-renames"
        )
        self._head = repo.start(  # --symbolic-full-name applies to what follows it
            "rev-parse", "HEAD^{commit}", *[f"HEAD:{p}" for p in self.paths],
            "--symbolic-full-name", "HEAD",
        )  # fmt: skip

    def result(self) -> str | None:
        """The content key of `paths` (see `content_ids`); CoopError on a detached
        HEAD or uncommitted changes in `paths`."""
        head_code, head_out, _ = finish(self._head)
        code, out, err = finish(self._status)
        if code != 0:
            raise CoopError("git-failed", detail=_last_line(err) or "git status failed")
        index_stamp = _index_stamp(self.repo)
        head, *ids, ref = head_out.split() or ["", ""]
        if head_code == 0 and _object_ids([head, *ids], ["HEAD", *self.paths]) is not None:
            if ref == "HEAD":
                raise CoopError("detached-head")
            key: str | None = " ".join(ids)
        else:  # no commit yet, or a path HEAD does not have
            if has_commits(self.repo) and not self.repo.succeeds("symbolic-ref", "-q", "HEAD"):
                raise CoopError("detached-head")
            key = None
        records = [r for r in out.split("\0") if r]
        ours = [r[3:] for r in records if _within(r[3:], self.paths)]
        if ours:
            changed = self._files(ours)
            raise CoopError("dirty-tree", files=", ".join(changed[:5]), count=str(len(changed)))
        staged = any(r[0] not in " ?!" for r in records)
        self.repo.status_seen = (index_stamp, staged)
        self.repo.head_seen = head if key is not None else None
        _SEEN[self.repo.root] = self.repo.status_seen
        return key

    def close(self) -> None:
        """Wait for git (when `result` was not asked for)."""
        for process in (self._status, self._head):
            if process.returncode is None:
                process.communicate()

    def _files(self, found: list[str]) -> list[str]:
        """Untracked folders (as `git status` shows them) opened into their files."""
        folders = [path for path in found if path.endswith("/")]
        if not folders:
            return found
        listing = self.repo.run("ls-files", "-z", "--others", "--exclude-standard", "--", *folders)
        return [p for p in found if not p.endswith("/")] + [p for p in listing.split("\0") if p]


_SEEN: dict[Path, tuple[object, bool]] = {}  # root -> what the last WriteCheck saw


def _within(path: str, paths: Sequence[str]) -> bool:
    path = path.rstrip("/")
    return any(path == p or path.startswith(p + "/") or p.startswith(path + "/") for p in paths)


def _index_stamp(repo: Repo) -> object:
    try:
        info = os.stat(repo.root / ".git" / "index")
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def ensure_writable(repo: Repo, paths: Sequence[str]) -> str | None:
    """Refuse a detached HEAD, or uncommitted changes in `paths`.

    Returns the content key of `paths` (see `content_ids`), None when HEAD has
    none. Files git ignores are not looked at: the snapshot keeps its own record
    of the folders beancount reads (`snapshot.load_valid`)."""
    return WriteCheck(repo, paths).result()


# ---------------------------------------------------------------- files git would not see


def ensure_visible(repo: Repo, paths: Sequence[str]) -> None:
    """Refuse a write when git would not see what it writes: a sparse checkout
    (the journal on disk is not the whole journal), or files of `paths` (files,
    or folders) marked skip-worktree or assume-unchanged. Then a commit would
    hold a month file without its earlier trades, or nothing at all."""
    repo.read_switches()
    listing = repo.start("ls-files", "-v", "-z", "--", *paths) if paths else None
    if repo.switch("core.sparseCheckout"):
        if listing is not None:
            finish(listing)
        raise CoopError("sparse-checkout")
    if listing is None:
        return
    code, out, err = finish(listing)
    if code != 0:
        raise CoopError("git-failed", detail=_last_line(err) or "git ls-files failed")
    hidden = [(record[0], record[2:]) for record in out.split("\0") if len(record) > 2]
    skipped = [path for tag, path in hidden if tag in "Ss"]
    if skipped:
        raise CoopError("skip-worktree", files=", ".join(skipped[:5]), count=str(len(skipped)))
    unchanged = [path for tag, path in hidden if tag.islower()]
    if unchanged:
        raise CoopError(
            "assume-unchanged", files=", ".join(unchanged[:5]), count=str(len(unchanged))
        )


# ---------------------------------------------------------------- after a killed write


def watch_processes(started: Callable[[int], None] | None) -> None:
    """Have `started(pid)` told of every git process started from now on (None: stop).

    The write lock calls it when taken and when released: meanwhile `open_repo`
    gives one `Repo` per root, so that a write asks git once what it asks."""
    global _started, _shared
    _started = started
    _shared = {} if started is not None else None


def git_dir(root: Path) -> Path | None:
    """The repository's own folder (`.git`, or a worktree's folder inside the
    main one), read without running git; None when there is none."""
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    try:
        text = dot_git.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not text.startswith("gitdir: "):
        return None
    folder = Path(text[len("gitdir: ") :].strip())
    folder = folder if folder.is_absolute() else root / folder
    return folder if folder.is_dir() else None


def head_commit(repo: Repo) -> str | None:
    """The sha HEAD points to; None before the first commit. In a write, the one
    its `WriteCheck` found, or its own commit (no git command has moved it since:
    `Repo.start`; and `commit` moves HEAD only from the parent it is given)."""
    return repo.head_seen or _head_sha(repo)


def wait_for(pids: Sequence[int], timeout: float) -> None:
    """Wait (at most `timeout` seconds) until the git processes `pids` have ended:
    those a killed coopledger started run on, and may still take or free a lock."""
    import time

    deadline = time.monotonic() + timeout
    for pid in pids:
        while _is_running_git(pid) and time.monotonic() < deadline:
            time.sleep(0.02)


def wait_for_lock_holders(root: Path, timeout: float) -> None:
    """Wait (at most `timeout` seconds) until no live process holds one of git's
    lock files here (`lock_files`) open: a git a killed coopledger started just
    before it was killed, whose id it had no time to write down, runs on and
    will write the index (or move HEAD) when it ends."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = _files_held_open()
        if held is None or not any(os.path.realpath(p) in held for p in lock_files(root)):
            return
        time.sleep(0.02)


def _is_running_git(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, and someone else's: not ours
    proc = Path("/proc") / str(pid)
    try:
        status = (proc / "stat").read_text(encoding="utf-8", errors="replace")
        name = (proc / "comm").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return not Path("/proc/self").exists()  # no /proc: take the process for alive
    state = status.rsplit(")", 1)[-1].split()[:1]
    return name == "git" and state != ["Z"]  # a zombie has ended; another name is a reused id


def lock_files(root: Path) -> list[Path]:
    """git's lock files that a killed write may leave: the index's, HEAD's, the
    current branch's and packed-refs'. Only those that exist."""
    folder = git_dir(root)
    if folder is None:
        return []
    common = folder
    with contextlib.suppress(OSError):
        shared = (folder / "commondir").read_text(encoding="utf-8").strip()
        common = folder / shared if not Path(shared).is_absolute() else Path(shared)
    candidates = [folder / "index.lock", folder / "HEAD.lock", common / "packed-refs.lock"]
    with contextlib.suppress(OSError):
        head = (folder / "HEAD").read_text(encoding="utf-8").strip()
        if head.startswith("ref: refs/"):
            ref = head[len("ref: ") :]
            if ".." not in ref.split("/"):
                candidates.append(common / f"{ref}.lock")
    return [path for path in candidates if path.is_file()]


def remove_stale_locks(root: Path) -> list[str]:
    """Remove git's lock files (`lock_files`) that no live process holds open,
    once the coopledger that made them is known dead (the caller's business);
    returns their paths, relative to the root when inside it."""
    held = _files_held_open()
    removed = []
    for path in lock_files(root):
        if held is None or os.path.realpath(path) in held:
            continue  # cannot tell, or a live git holds it: leave it
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(os.path.relpath(path, root))
    return removed


def _files_held_open() -> set[str] | None:
    """Every file some live process has open (Linux's /proc); None when it cannot be told."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return None
    held: set[str] = set()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            descriptors = list((entry / "fd").iterdir())
        except OSError:
            continue  # gone, or another user's (who cannot write our repository anyway)
        for descriptor in descriptors:
            with contextlib.suppress(OSError):
                held.add(os.readlink(descriptor))
    return held


def content_ids(repo: Repo, paths: Sequence[str]) -> str | None:
    """The ids git gives HEAD's trees and blobs at `paths`: equal ids, equal bytes.
    Right after `commit` (HEAD still its commit), read from the tree it wrote."""
    written = repo.tree_written
    if written is not None and written[0] == repo.head_seen:
        found = _top_entries(repo, written[1])
        if found is not None:
            return _object_ids([found.get(path, "") for path in paths], paths)
    code, out, _ = finish(repo.start("rev-parse", *[f"HEAD:{p}" for p in paths]))
    return _object_ids(out.split(), paths) if code == 0 else None


_TREE_READ_LIMIT = 1 << 20  # bytes of a root tree read without git (a few dozen names)


def _top_entries(repo: Repo, tree: str) -> dict[str, str] | None:
    """The names and ids in the tree object `tree`, read from its loose object
    file (as `write-tree` just left it) and found to hash to `tree`; None when
    not there or not that (git is asked then)."""
    folder = git_dir(repo.root)
    if folder is None or not _is_object_id(tree):
        return None
    common = folder / "commondir"  # a worktree's objects are the main repository's
    if common.is_file():
        with contextlib.suppress(OSError, UnicodeDecodeError):
            folder = folder / common.read_text(encoding="utf-8").strip()
    try:
        with open(folder / "objects" / tree[:2] / tree[2:], "rb") as handle:
            unpack = zlib.decompressobj()
            raw = unpack.decompress(handle.read(_TREE_READ_LIMIT), _TREE_READ_LIMIT)
    except (OSError, zlib.error):
        return None
    if not unpack.eof:  # larger than a root tree of a cooperative: git reads it
        return None
    digest = hashlib.sha1 if len(tree) == 40 else hashlib.sha256
    if digest(raw).hexdigest() != tree or not raw.startswith(b"tree "):
        return None
    body, size = raw[raw.index(b"\0") + 1 :], len(tree) // 2
    entries: dict[str, str] = {}
    while body:
        end = body.find(b"\0")
        if end < 0 or len(body) < end + 1 + size:
            return None
        _mode, _, name = body[:end].partition(b" ")
        entries[name.decode("utf-8", "surrogateescape")] = body[end + 1 : end + 1 + size].hex()
        body = body[end + 1 + size :]
    return entries


def _object_ids(ids: Sequence[str], paths: Sequence[str]) -> str | None:
    """The ids as one key, if there is one object id for each path."""
    if len(ids) != len(paths) or not all(_is_object_id(i) for i in ids):
        return None
    return " ".join(ids)


def _is_object_id(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def committed_content_key(root: Path, paths: Sequence[str]) -> str | None:
    """The content ids of `paths` at HEAD if git sees the working tree hold exactly
    them (nothing modified, staged or untracked); else None."""
    try:
        return ensure_writable(open_repo(root), paths)
    except CoopError:
        return None


def index_blob_ids(root: Path, folder: str) -> dict[str, str]:
    """Git's blob id of every file under `folder` (relative to the root), from the
    index: the files' own ids only while git sees the working tree clean. Empty
    when a file is in conflict or git cannot tell."""
    try:
        listing = open_repo(root).run("ls-files", "-s", "-z", "--", folder)
    except CoopError:
        return {}
    ids: dict[str, str] = {}
    for record in listing.split("\0"):
        if not record:
            continue
        info, path = record.split("\t", 1)
        _mode, blob, stage = info.split()
        if stage != "0":
            return {}
        ids[path] = blob
    return ids


def tracked_files(root: Path, paths: Sequence[str]) -> set[str]:
    """Which of `paths` (files) git tracks."""
    repo = open_repo(root)
    top = sorted({path.split("/", 1)[0] for path in paths})
    listing = repo.run("ls-files", "-z", "--", *top) if top else ""
    return set(paths) & set(listing.split("\0"))


def commit(
    repo: Repo, paths: Sequence[str], message: str, author: Identity, parent: str | None = "HEAD"
) -> str:
    """Stage `paths` (files, or folders staged whole) and commit only them as
    `author`; return the new commit's sha. `parent` is the commit HEAD pointed
    to when the caller read it (`head_commit`; None: no commit yet); HEAD then
    moves only if it still points there. By default ("HEAD") it is read here.

    git itself stages and commits: gitpython's index rewrites the whole index in
    Python, which takes seconds once a journal has tens of thousands of files.
    Hooks are not run: coopledger has checked the change already. The commit is
    signed when git's configuration asks for it (`commit.gpgSign`, `gpg.format`,
    `user.signingKey`), as `git commit` would; its committer is git's own
    identity here, if any (see `_commit_env`).
    """
    env = _commit_env(repo, author)
    if not _tuned(repo):
        tune(repo)
    folders = [path for path in paths if (repo.root / path).is_dir()]
    parent = _head_sha(repo) if parent == "HEAD" else parent
    if parent is not None and not _staged(repo):
        sha = _commit_paths_only(repo, paths, folders, message, env, parent)
    else:
        repo.run("add", "--all", "--", *paths, env=env)
        repo.run(
            "commit", "--quiet", "--no-verify", "--allow-empty", "-m", message,
            "--", *paths, env=env,
        )  # fmt: skip
        sha = repo.run("rev-parse", "HEAD").strip()
    if folders:  # files gone by the thousand (a close): a new shared index without them
        repo.run("update-index", "--split-index")
    return sha


def _head_sha(repo: Repo) -> str | None:
    code, out, _ = finish(repo.start("rev-parse", "--quiet", "--verify", "HEAD^{commit}"))
    return out.strip() if code == 0 else None


def _staged(repo: Repo) -> bool:
    """Whether the index holds changes against HEAD (compared without the work tree).

    A `WriteCheck` of this process answered already if the index file has not
    been written since."""
    seen = _SEEN.get(repo.root)
    if seen is not None and seen[0] is not None and seen[0] == _index_stamp(repo):
        return seen[1]
    return not repo.succeeds("diff", "--cached", "--quiet")


def _commit_paths_only(
    repo: Repo,
    paths: Sequence[str],
    folders: Sequence[str],
    message: str,
    env: dict[str, str],
    parent: str,
) -> str:
    """Commit `paths` with git's plumbing: only these index entries are refreshed,
    where `git commit -- paths` looks at every file of the work tree (0.4 s with
    145k journal files). A folder among `paths` is staged whole, removed files
    included. HEAD moves only if it is still the parent."""
    files = [path for path in paths if path not in folders]
    if folders:
        repo.run("add", "--all", "--", *folders)
    if files:
        repo.run("update-index", "--add", "--remove", "--", *files)
    tree = repo.run("write-tree").strip()
    signing = ["-S"] if _signs_commits(repo) else ["--no-gpg-sign"]
    sha = repo.run("commit-tree", tree, "-p", parent, *signing, "-m", message, env=env)
    sha = sha.strip()
    subject = message.splitlines()[0] if message else ""
    repo.run("update-ref", "-m", f"commit: {subject}", "HEAD", sha, parent, env=env)
    repo.head_seen, repo.tree_written = sha, (sha, tree)  # HEAD moved from parent to sha
    return sha


def _signs_commits(repo: Repo) -> bool:
    """Whether git's configuration asks for signed commits (`commit.gpgSign`):
    `git commit` reads it, `git commit-tree` does not."""
    return repo.switch("commit.gpgSign")


def _commit_env(repo: Repo, author: Identity) -> dict[str, str]:
    """`author` as the commit's author; as its committer, the person git is set
    up as here (a treasurer recording a trade for a member with --as), or the
    author when git has no identity here."""
    env = {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1]}
    committer = git_identity(repo, "COMMITTER")
    if committer is None:
        env |= {"GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1]}
    elif not committer[0]:  # an e-mail and no name: git would guess one, or refuse
        same = committer[1].lower() == author[1].lower()
        env["GIT_COMMITTER_NAME"] = author[0] if same else committer[1].split("@")[0]
    return env


def _identity(author: Identity) -> dict[str, str]:
    name, email = author
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }


def current_branch(repo: Repo) -> str | None:
    code, out, _ = finish(repo.start("symbolic-ref", "--quiet", "--short", "HEAD"))
    if code != 0 or not has_commits(repo):
        return None
    return out.strip()


def unstage(repo: Repo, paths: Sequence[str]) -> None:
    """Put the index back as HEAD has it for `paths` (after a failed commit)."""
    if has_commits(repo):
        repo.run("reset", "--quiet", "HEAD", "--", *paths)
    else:
        repo.run("rm", "--cached", "--quiet", "--ignore-unmatch", "-r", "--", *paths)


def set_identity(root: Path, identity: Identity) -> None:
    """Set git up as `identity` in the repository at `root` (its own configuration)."""
    repo = open_repo(root)
    repo.run("config", "--local", "user.name", identity[0])
    repo.run("config", "--local", "user.email", identity[1])
    repo.forget_settings()


def commit_new_tree(root: Path, message: str, author: Identity, date: str | None = None) -> str:
    """Create a repository at `root` (or take the one there) and commit every
    file in it as `author`, dated `date` (ISO 8601) if given, else now.

    For `coopledger demo`: staging is left to git itself, which takes seconds
    for a hundred thousand files where gitpython's index takes minutes.
    """
    repo = init_repo(root)
    env = _identity(author)
    if date is not None:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    repo.run("add", "--all", env=env)
    repo.run("commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", message, env=env)
    return repo.run("rev-parse", "HEAD").strip()


# ---------------------------------------------------------------- history (for the gate)


@dataclass(frozen=True)
class FileVersion:
    """One file changed by a commit: its text before and after (None: absent, or
    not read), and git's mode of each side ("100644", "100755", "120000" a
    symbolic link, "160000" a submodule; None: absent). The text is decoded from
    UTF-8 with errors="surrogateescape": a byte that is not UTF-8 stays a lone
    surrogate, for the gate to name (`loader_inputs.undecodable_line`)."""

    path: str
    before: str | None
    after: str | None
    mode_before: str | None = None
    mode_after: str | None = None


@dataclass(frozen=True)
class CommitRecord:
    """A commit as the pull-request gate sees it. `sha` is "" for the working tree.

    `files` are the commit's own changes: against its parent; for a merge,
    against git's own merge of its parents (what the merge adds to it)."""

    sha: str
    author_name: str
    author_email: str
    files: tuple[FileVersion, ...]
    signed: bool | None = None  # None: not asked; True: verified (see `signature_of`)
    author_date: datetime.date | None = None  # what the commit says; None: not committed
    commit_date: datetime.date | None = None
    has_signature: bool = False  # signed at all, verified or not


def resolve(repo: Repo, rev: str) -> str:
    """The full sha of a revision, or CoopError."""
    import git

    try:
        return str(repo.git.rev_parse("--verify", "--quiet", f"{rev}^{{commit}}")).strip()
    except git.GitCommandError:
        raise CoopError("unknown-revision", rev=rev) from None


def file_at(repo: Repo, rev: str, path: str) -> str | None:
    """The text of `path` at `rev`, or None when the file does not exist there."""
    code, out, _ = finish(repo.start("cat-file", "blob", f"{rev}:{path}"))
    return out if code == 0 else None


def files_at(repo: Repo, rev: str, folder: str) -> list[str]:
    """Every file path under `folder` at `rev`."""
    listing = repo.git.ls_tree("-r", "--name-only", rev, "--", folder)
    return [line for line in str(listing).splitlines() if line]


def verify_commit(repo: Repo, sha: str) -> bool:
    """True when git verifies the commit's signature (`git verify-commit`)."""
    import git

    try:
        repo.git.verify_commit(sha)
    except git.GitCommandError:
        return False
    return True


def commit_date(repo: Repo, sha: str) -> datetime.date:
    """The day a commit says it was committed, in its own time zone."""
    out = repo.run("log", "-1", "--format=%cI", sha).strip()
    return datetime.datetime.fromisoformat(out).date()


def signature_of(repo: Repo, sha: str, email: str, allowed_signers: str) -> tuple[bool, bool]:
    """(signed at all, verified): verified when the commit carries an SSH signature
    made with a key that `allowed_signers` (git's allowed-signers format) lists
    for the principal `email`. Nothing else is trusted: not the machine's GnuPG
    keyring, not git's own `gpg.ssh.allowedSignersFile`."""
    with tempfile.TemporaryDirectory(prefix="coopledger-signers-") as folder:
        path = Path(folder) / "allowed_signers"
        path.write_text(allowed_signers, encoding="utf-8")
        code, out, _ = finish(
            repo.start(
                "-c", f"gpg.ssh.allowedSignersFile={path}",
                "-c", "gpg.openpgp.program=false",
                "-c", "gpg.x509.program=false",
                "log", "-1", "--format=%G?%x00%GS%x00%GF", sha,
            )
        )  # fmt: skip
    result, principal, fingerprint = ([*out.strip().split("\0"), "", ""])[:3]
    if code != 0 or result == "N" or not result:
        return False, False
    verified = (
        bool(allowed_signers.strip())
        and result == "G"
        and fingerprint.startswith("SHA256:")  # an SSH key: the only kind members.yaml lists
        and principal.strip().lower() == email.strip().lower()
    )
    return True, verified


_ABSENT = "0" * 40


@dataclass(frozen=True)
class _Raw:
    """One line of `git diff-tree --raw`: a path's mode and blob on each side."""

    path: str
    mode_before: str | None
    mode_after: str | None
    blob_before: str | None
    blob_after: str | None


def _raw_diff(repo: Repo, old: str, new: str) -> list[_Raw]:
    """What differs between two trees (or commits), from git's objects."""
    return _parse_raw(
        repo.run("diff-tree", "-r", "-z", "--raw", "--no-abbrev", "--no-renames", old, new)
    )


def _parse_raw(out: str) -> list[_Raw]:
    """The lines of git's `--raw -z` output (diff-tree, diff-index)."""
    fields = out.split("\0")
    changes = []
    for index in range(0, len(fields) - 1, 2):
        info, path = fields[index], fields[index + 1]
        if not info.startswith(":"):
            continue
        mode_a, mode_b, blob_a, blob_b, _status = info[1:].split(" ")
        changes.append(
            _Raw(
                path,
                None if set(mode_a) == {"0"} else mode_a,
                None if set(mode_b) == {"0"} else mode_b,
                None if set(blob_a) == {"0"} else blob_a,
                None if set(blob_b) == {"0"} else blob_b,
            )
        )
    return changes


def _empty_tree(repo: Repo) -> str:
    return repo.run("hash-object", "-t", "tree", "--stdin").strip()


def _blobs(repo: Repo, ids: Sequence[str]) -> dict[str, str]:
    """The text of each blob (UTF-8, undecodable bytes kept as surrogates), in
    one `git cat-file --batch`."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    process = subprocess.run(
        ["git", *_CONFIG_ARGS, "cat-file", "--batch"],
        cwd=repo.root,
        input="".join(f"{i}\n" for i in wanted).encode(),
        capture_output=True,
        check=False,
    )
    if process.returncode != 0:
        raise CoopError("git-failed", detail=_last_line(process.stderr.decode()) or "cat-file")
    texts, out, at = {}, process.stdout, 0
    for blob in wanted:
        header_end = out.index(b"\n", at)
        header = out[at:header_end].split()
        at = header_end + 1
        if len(header) < 3 or header[1] == b"missing":
            continue
        size = int(header[2])
        texts[blob] = out[at : at + size].decode("utf-8", "surrogateescape")
        at += size + 1
    return texts


def _versions(
    repo: Repo, raws: Sequence[_Raw], wanted: Callable[[str], bool]
) -> tuple[FileVersion, ...]:
    """The changes with their text, read for the paths `wanted` (and regular or
    link modes: a submodule has no blob)."""

    def readable(blob: str | None, mode: str | None) -> bool:
        return blob is not None and mode is not None and mode != "160000"

    needed = [
        blob
        for raw in raws
        if wanted(raw.path)
        for blob, mode in ((raw.blob_before, raw.mode_before), (raw.blob_after, raw.mode_after))
        if readable(blob, mode)
    ]
    texts = _blobs(repo, [b for b in needed if b is not None])
    return tuple(
        FileVersion(
            raw.path,
            texts.get(raw.blob_before or "") if wanted(raw.path) else None,
            texts.get(raw.blob_after or "") if wanted(raw.path) else None,
            raw.mode_before,
            raw.mode_after,
        )
        for raw in sorted(raws, key=lambda r: r.path)
    )


def _merged(repo: Repo, parents: Sequence[str]) -> str | None:
    """The tree git's own merge of two parents gives (conflicts left in the
    files, with their markers); None for more parents or an older git."""
    if len(parents) != 2:
        return None
    code, out, _ = finish(
        repo.start("merge-tree", "--write-tree", "--no-messages", parents[0], parents[1])
    )
    first = out.split("\n", 1)[0].strip()
    return first if code in (0, 1) and _is_object_id(first) else None


def own_changes(repo: Repo, sha: str, parents: Sequence[str]) -> list[_Raw]:
    """What a commit changes itself: against its parent (a root commit against
    nothing); a merge against git's own merge of its parents, so that it owns
    any file it takes from one side against the other (a roll back) and any
    line it writes itself. A merge git cannot redo (three parents or more, an
    older git) owns everything it changes from its first parent."""
    if not parents:
        return _raw_diff(repo, _empty_tree(repo), sha)
    if len(parents) == 1:
        return _raw_diff(repo, parents[0], sha)
    merged = _merged(repo, parents)
    return _raw_diff(repo, merged or parents[0], sha)


def commits_between(
    repo: Repo,
    base: str,
    head: str,
    wanted: Callable[[str], bool],
    *,
    verify: bool = False,
    signers: Callable[[str], str] | None = None,
) -> list[CommitRecord]:
    """Commits reachable from `head` but not `base`, oldest first, each with its
    own changes (`own_changes`): every path changed, with git's modes, and the
    text before and after of the paths for which `wanted(path)` is true.

    With `verify`, each commit's signature is checked: against the allowed
    signers `signers(author e-mail)` gives (`signature_of`), else by git's own
    configuration (`verify_commit`)."""
    listing = repo.run("rev-list", "--reverse", "--topo-order", "--parents", f"{base}..{head}")
    records: list[CommitRecord] = []
    for line in listing.splitlines():
        sha, *parents = line.split()
        shown = repo.run("show", "-s", "--format=%an%x00%ae%x00%aI%x00%cI", sha)
        name, email, authored, committed = shown.rstrip("\n").split("\0")
        files = _versions(repo, own_changes(repo, sha, parents), wanted)
        has_signature, signed = False, False
        if verify and signers is not None:
            has_signature, signed = signature_of(repo, sha, email, signers(email))
        elif verify:
            signed = has_signature = verify_commit(repo, sha)
        records.append(
            CommitRecord(
                sha,
                name,
                email,
                files,
                signed if verify else None,
                datetime.datetime.fromisoformat(authored).date(),
                datetime.datetime.fromisoformat(committed).date(),
                has_signature,
            )
        )
    return records


def whole_change(
    repo: Repo, base: str, head: str, wanted: Callable[[str], bool]
) -> tuple[FileVersion, ...]:
    """Every path that differs from `base` (or, when `base` is no ancestor of
    `head`, from where they part) to `head`, tree against tree."""
    code, out, _ = finish(repo.start("merge-base", base, head))
    start = out.strip() if code == 0 and out.strip() else base
    return _versions(repo, _raw_diff(repo, start, head), wanted)


def commit_files(repo: Repo, rev: str, folder: str) -> tuple[str, tuple[FileVersion, ...]]:
    """The full sha of `rev`, a commit HEAD contains, and the files under `folder`
    it changed, before (as its first parent had them) and after; CoopError when
    git knows no such commit, or HEAD does not contain it (for `import --undo`)."""
    sha = resolve(repo, rev)
    if not repo.succeeds("merge-base", "--is-ancestor", sha, "HEAD"):
        raise CoopError("unknown-revision", rev=rev)
    parents = str(repo.git.rev_list("--parents", "-n", "1", sha)).split()[1:]
    prefix = folder.rstrip("/") + "/"
    changed = _raw_diff(repo, parents[0] if parents else _empty_tree(repo), sha)
    return sha, _versions(repo, [r for r in changed if r.path.startswith(prefix)], lambda _: True)


def working_tree_record(
    repo: Repo, wanted: Callable[[str], bool], *, verify: bool = False
) -> CommitRecord | None:
    """Uncommitted changes (staged, unstaged and new files) as a pseudo-commit
    authored by the configured git identity; None when there are none. Each
    file is seen as the loader would see it (`os.lstat`: a symbolic link is
    one, whatever it points at)."""
    if not has_commits(repo):
        return None
    root = repo.root
    changed = repo.run("diff", "-z", "--no-renames", "--name-only", "HEAD").split("\0")
    untracked = repo.run("ls-files", "-z", "--others", "--exclude-standard").split("\0")
    paths = sorted({p.rstrip("/") for p in [*changed, *untracked] if p})
    if not paths:
        return None
    head = {raw.path: raw for raw in _tree_entries(repo, paths)}
    texts = _blobs(
        repo,
        [
            r.blob_after
            for p, r in head.items()
            if wanted(p) and r.blob_after and r.mode_after != "160000"
        ],
    )
    files = []
    for path in paths:
        old = head.get(path)
        mode, text = _on_disk(root / path, wanted(path))
        files.append(
            FileVersion(
                path,
                texts.get(old.blob_after or "") if old and wanted(path) else None,
                text,
                old.mode_after if old else None,
                mode,
            )
        )
    name, email = git_identity(repo) or ("", "")
    return CommitRecord("", name, email, tuple(files), False if verify else None)


def staged_record(
    repo: Repo, wanted: Callable[[str], bool], *, verify: bool = False
) -> CommitRecord | None:
    """What is staged (git's index against HEAD), and nothing else, as a pseudo-commit
    authored by whom git would name as the commit's author (`git var
    GIT_AUTHOR_IDENT`: `--author`, GIT_AUTHOR_EMAIL, or the configured identity),
    with the modes and texts git's index holds; None when nothing is staged.
    Unstaged edits and untracked files are not looked at: they are not part of
    the commit (the pre-commit hook)."""
    if not has_commits(repo):
        return None
    out = repo.run("diff-index", "--cached", "-z", "--raw", "--no-abbrev", "--no-renames", "HEAD")
    raws = _parse_raw(out)
    if not raws:
        return None
    name, email = git_identity(repo) or ("", "")
    return CommitRecord("", name, email, _versions(repo, raws, wanted), False if verify else None)


def _tree_entries(repo: Repo, paths: Sequence[str]) -> list[_Raw]:
    """HEAD's mode and blob of each of `paths` it has (as the after side)."""
    out = repo.run("ls-tree", "-z", "--full-tree", "HEAD", "--", *paths)
    entries = []
    for record in out.split("\0"):
        if not record:
            continue
        info, path = record.split("\t", 1)
        mode, _kind, blob = info.split()
        entries.append(_Raw(path, None, mode, None, blob))
    return entries


def _on_disk(path: Path, read: bool) -> tuple[str | None, str | None]:
    """(git's mode for what is at `path`, its text if `read`); (None, None) when absent."""
    import stat

    try:
        info = os.lstat(path)
    except OSError:
        return None, None
    if stat.S_ISLNK(info.st_mode):
        return "120000", None
    if stat.S_ISDIR(info.st_mode):
        return "160000", None  # a repository of its own inside this one
    if not stat.S_ISREG(info.st_mode):
        return "0", None  # a fifo, a socket, a device: no kind git knows
    mode = "100755" if info.st_mode & 0o111 else "100644"
    if not read:
        return mode, None
    return mode, path.read_bytes().decode("utf-8", "surrogateescape")


def create_branch(repo: Repo, name: str) -> None:
    """Create branch `name` at HEAD and check it out (for a change to review)."""
    import git

    try:
        repo.git.check_ref_format("--branch", name)
    except git.GitCommandError:
        raise CoopError("bad-branch-name", branch=name) from None
    if name in [head.name for head in repo.gp.heads]:
        raise CoopError("branch-exists", branch=name)
    repo.head_seen = repo.tree_written = None  # asked of git again after the switch
    try:
        repo.git.switch("-c", name)
    except git.GitCommandError as error:
        raise CoopError("git-failed", detail=str(error).strip().splitlines()[-1]) from None


# ---------------------------------------------------------------- past revisions (for reports)


def export_index(root: Path, destination: Path) -> None:
    """Write the files of git's index (what the next commit would hold) into
    `destination`, as a checkout of that commit would: `git checkout-index`. The
    working tree and the repository are not touched. CoopError when the index
    holds a conflict."""
    repo = open_repo(root)
    conflicts = repo.run("ls-files", "--unmerged", "-z")
    if conflicts:
        path = conflicts.split("\0", 1)[0].split("\t", 1)[-1]
        raise CoopError("git-failed", detail=f"{path}: needs merge")
    repo.run("checkout-index", "--all", "--force", f"--prefix={destination.resolve()}/")


def export_tree(root: Path, rev: str, destination: Path) -> str:
    """Write the files of revision `rev` into `destination` (like `git archive`).

    Returns the revision's full sha. The repository itself is not touched.
    """
    import io
    import tarfile

    import git

    repo = open_repo(root)
    try:
        sha = str(repo.git.rev_parse("--verify", "--quiet", f"{rev}^{{commit}}")).strip()
    except git.GitCommandError:
        raise CoopError("unknown-revision", rev=rev) from None
    archive = io.BytesIO()
    repo.gp.archive(archive, treeish=sha, format="tar")
    archive.seek(0)
    with tarfile.open(fileobj=archive) as tar:
        try:
            tar.extractall(destination, filter="data")
        except tarfile.FilterError as error:  # a link out of the folder, a device...
            member = getattr(error, "tarinfo", None)
            path = member.name if member is not None else "a file"
            detail = "a link out of the folder" if "link" in str(error) else "an unsafe file"
            raise CoopError("revision-unsafe-file", rev=rev, path=path, detail=detail) from None
    return sha


# ---------------------------------------------------------------- partner groups


def partner_ref(partner_id: str) -> str:
    """Where a partner's repository is kept once fetched (`fetch_partner`)."""
    return f"refs/coopledger/partners/{partner_id}"


def fetch_partner(repo: Repo, source: str, partner_id: str) -> str:
    """Fetch the partner's current branch from `source` (a path, relative to the
    cooperative, or a URL) into `partner_ref`; its commit's sha, or CoopError.

    Only the ordinary transports: no `ext::` or `fd::` command, no option
    smuggled in as the source (it comes from partners.yaml, a file of the
    repository)."""
    if not source or source.startswith("-"):
        raise CoopError("partner-fetch-failed", source=source, detail="not a repository")
    code, _, err = finish(
        repo.start(
            *("-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never"),
            *("fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--"),
            *(source, f"+HEAD:{partner_ref(partner_id)}"),
        )
    )
    if code != 0:
        raise CoopError(
            "partner-fetch-failed", source=source, detail=_last_line(err) or "git fetch failed"
        )
    return resolve_quietly(repo, partner_ref(partner_id)) or ""


def resolve_quietly(repo: Repo, rev: str) -> str | None:
    """The full sha of a commit, or None when there is none by that name."""
    code, out, _ = finish(repo.start("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"))
    return out.strip() if code == 0 and out.strip() else None


def texts_at(repo: Repo, rev: str, paths: Sequence[str]) -> dict[str, str]:
    """Every regular file at `rev` under `paths` (files or folders), path -> text,
    read in one `git cat-file --batch`; links and submodules left out."""
    code, out, _ = finish(repo.start("ls-tree", "-r", "-z", rev, "--", *paths))
    if code != 0:
        return {}
    ids: dict[str, str] = {}
    for record in out.split("\0"):
        meta, _, path = record.partition("\t")
        fields = meta.split()
        if len(fields) == 3 and fields[1] == "blob" and fields[0] in ("100644", "100755"):
            ids[path] = fields[2]
    blobs = _blobs(repo, list(ids.values()))
    return {path: blobs[blob] for path, blob in ids.items() if blob in blobs}


def is_full_sha(text: str) -> bool:
    return len(text) == 40 and all(c in "0123456789abcdef" for c in text)


def fetched_from(repo: Repo, sha: str, ref: str) -> bool:
    """Whether the commit `sha` (40 hex digits) is here and in the history of `ref`."""
    if not is_full_sha(sha) or resolve_quietly(repo, ref) is None:
        return False
    return repo.succeeds("merge-base", "--is-ancestor", sha, ref)
