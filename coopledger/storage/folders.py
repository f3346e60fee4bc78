"""Replacing a whole folder of the journal in one step.

`coopledger close` gathers a closed month's files into one (see
`coopledger.cache.carry.plan_gathering`). Removing a thousand files and writing one
cannot be done file by file without a moment where the journal holds an entry
twice or not at all, and a crash at that moment would leave it wrong. So the
new folder is built aside, in `.coopledger/swap/` (git ignores it, beancount
never reads it), and swapped with the old one by a single system call:
Linux's `renameat2(RENAME_EXCHANGE)`. A crash leaves either folder in place,
whole; the other stays aside until the next swap clears it.

Where the call is missing (another system, an old kernel or file system),
`can_exchange` says so and the close keeps each file as it is.

`.coopledger/` is the only folder of the working tree coopledger writes in
besides the journal (the swap area; the lock, in a worktree; the top file of a
read of the open months). A pull request could commit it, or a part of it, as
a symbolic link to a folder elsewhere, and the next `close` would empty that
folder. So `private_folder` checks each part without following links
(`os.lstat`) and refuses with `private-folder-link` a part that is a link, and
nothing in the swap area is deleted through a link either.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path

from coopledger.model.problems import CoopError

PRIVATE_DIR = ".coopledger"
SWAP_DIR = ".coopledger/swap"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _renameat2() -> object | None:
    import ctypes  # here: a trade, which never swaps, does not pay for ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the C library this Python runs on
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    path, directory = ctypes.c_char_p, ctypes.c_int
    function.argtypes = [directory, path, directory, path, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def exchange(first: Path, second: Path) -> None:
    """Swap two folders atomically, or OSError (ENOSYS when the system cannot)."""
    function = _renameat2()
    if function is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available", str(first))
    code = function(  # type: ignore[operator]
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if code != 0:
        import ctypes

        number = ctypes.get_errno()
        raise OSError(number, os.strerror(number), str(first))


def private_folder(root: Path, *parts: str) -> Path:
    """`.coopledger` (and `parts` below it) under `root`, each made if missing;
    CoopError when one is a symbolic link or not a folder: coopledger never
    writes or deletes through a link out of the repository."""
    path = root
    for name in (PRIVATE_DIR, *parts):
        path = path / name
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):
                os.mkdir(path)
            info = os.lstat(path)
        shown = path.relative_to(root).as_posix()
        if stat.S_ISLNK(info.st_mode):
            raise CoopError("private-folder-link", path=shown, target=_target(path))
        if not stat.S_ISDIR(info.st_mode):
            raise CoopError("private-folder-not-folder", path=shown)
    return path


def _target(link: Path) -> str:
    try:
        return os.readlink(link)
    except OSError:
        return "?"


def swap_area(root: Path) -> Path:
    """Where new folders are built, emptied of what an earlier crash left
    (a link found there is removed, never followed)."""
    area = swap_area_path(root)
    with os.scandir(area) as found:
        leftovers = list(found)
    for leftover in leftovers:
        if leftover.is_dir(follow_symlinks=False):
            shutil.rmtree(leftover.path, ignore_errors=True)  # does not follow links inside
        else:
            with contextlib.suppress(OSError):
                os.unlink(leftover.path)
    return area


def can_exchange(root: Path) -> bool:
    """Whether folders of the cooperative at `root` can be swapped in one step
    (tried on two empty folders of the swap area, which must be on the same disk
    as the journal)."""
    try:
        area = swap_area(root)  # CoopError (not caught) when .coopledger or the area is a link
        if os.stat(area).st_dev != os.stat(root / "journal").st_dev:
            return False
        probe = Path(tempfile.mkdtemp(dir=area, prefix="probe-"))
        try:
            (probe / "a").mkdir()
            (probe / "b").mkdir()
            (probe / "a" / "mark").touch()
            exchange(probe / "a", probe / "b")
            return (probe / "b" / "mark").exists()
        finally:
            shutil.rmtree(probe, ignore_errors=True)
    except OSError:
        return False


def build_aside(root: Path, files: dict[str, str], kept_from: Path, kept: tuple[str, ...]) -> Path:
    """A new folder in the swap area holding `files` (name -> text) and, copied
    byte for byte from `kept_from`, the files named in `kept`; flushed to disk."""
    folder = Path(tempfile.mkdtemp(dir=swap_area_path(root), prefix="new-"))
    os.chmod(folder, os.stat(kept_from).st_mode & 0o7777 if kept_from.exists() else 0o755)
    for name, text in files.items():
        with open(folder / name, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(folder / name, _plain_mode())
    for name in kept:  # a name may lie in a subfolder: `22/alice.invoice-f-1.beancount`
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(kept_from / name, folder / name)
        with open(folder / name, "rb") as handle:
            os.fsync(handle.fileno())
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return folder


def swap_area_path(root: Path) -> Path:
    """The swap area, made if missing (see `private_folder`)."""
    return private_folder(root, "swap")


def _plain_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask
