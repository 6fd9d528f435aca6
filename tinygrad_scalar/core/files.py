"""Writing files safely: every file the package writes goes through ``atomic_write``.

What a save guarantees, whatever the path names:

* **A regular file, or a new path**: all at once or not at all. The bytes go to a temporary file
  beside the target, which is flushed and ``fsync``-ed, then renamed over the target, and the folder
  is ``fsync``-ed too, so even a power cut leaves either the old file or the new one, never an empty
  or half-written one. A failed save leaves the old file byte-identical and no temporary file.
* **The mode is kept**: a file with mode 600 stays 600 (so do its owner and group, where the system
  lets the saving user give a file away: root can, others cannot). A new file gets the usual mode,
  0666 less the umask. (A file with other hard links gets a new inode: the other names keep the old
  content, as with any editor that saves by renaming.)
* **A symbolic link is followed**: the file it points to is updated and the link stays. A dangling
  link creates the file it points to.
* **A FIFO or a character device** (``/dev/null``, a terminal) is written into directly: such a file
  cannot be replaced, only written to. A FIFO with no reader is refused at once rather than waiting
  for one forever. A name that leads through ``/proc`` (``/dev/stdout``, ``/dev/fd/3``) names a file
  some process has open, not a place in a folder: it is written into too, through the process's own
  descriptor when it is ours (so ``-o /dev/stdout > out.txt`` works as a shell user expects), else
  appended. These writes are not atomic: a device or a stream has no old content to keep.
* **Anything else is refused** with ``SaveError``: a folder, an empty path, a block device, a socket.

``SaveError`` is an ``OSError``, so ``except OSError`` catches every failure of a save: the ones the
system reports (no such folder, permission denied, disk full) and the ones this module refuses.

A whole folder at once: ``write_folder``
----------------------------------------
A command that writes a set of files that belong together (a class's worksheets and their key) writes
them with ``write_folder``, which guarantees:

* **All or nothing.** The files are written into a new hidden folder beside the target
  (``.NAME.new-...``), each flushed and ``fsync``-ed, and only then is that folder renamed into place,
  atomically: exchanged with the old folder (Linux's ``renameat2(RENAME_EXCHANGE)``), or, where the system
  has no exchange, the old folder renamed aside and the new one renamed in (a window of two renames).
  An interrupted run (Ctrl-C, a failure, a full disk) leaves the earlier folder exactly as it was.
* **Nothing outside the folder is touched**, and nothing inside it is written through: a symbolic link
  as the folder, or anywhere in it, is refused, never followed; so are subfolders and special files.
* **An old folder is replaced only when the caller says it may be**: its ``replaceable`` check reads the
  old folder and gives the reason to refuse (files it did not write, files changed since). The old
  folder's permissions are kept.
* **One run at a time.** Runs into folders of the same parent take an exclusive lock on the parent
  (``flock``) while they check and swap, so two overlapping runs are serialised: each leaves a complete
  folder, the later one's. A lock held for more than ``LOCK_WAIT`` seconds is reported, not waited on.
* An empty name, ``.`` or ``..`` is refused: the command makes the folder, so it must have a name.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
import shutil
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

__all__ = ["LOCK_WAIT", "SaveError", "atomic_write", "write_folder"]


class SaveError(OSError):
    """A save refused before anything was written: ``strerror`` says why and what to do instead."""


_MAX_LINKS = 40  # as Linux: more symbolic links than this in a row is a loop


def atomic_write(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path``, all at once or not at all; returns the path as given.

    See the module docstring for what that means for links, FIFOs and devices. Raises ``SaveError``
    for a target it refuses (a folder that does not exist among them), and the system's ``OSError`` for any
    other failure; either names ``path`` as given, never the temporary file beside it.
    """
    name = os.fspath(path)
    if not name:
        raise SaveError(errno.ENOENT, "the file name is empty; give the name of the file to write")
    try:
        _save(name, data)
    except SaveError:
        raise
    except OSError as error:  # the system's, perhaps about the temporary file: told about the user's path
        raise OSError(error.errno, error.strerror, name) from error
    return Path(name)


def _save(name: str, data: bytes) -> None:
    target, through_proc = _follow_links(name)
    try:
        mode = os.stat(target).st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None  # a new file (or the target of a dangling link), or a path through a file: see below
    if (mode is not None and stat.S_ISDIR(mode)) or os.path.basename(target) == "":
        raise SaveError(errno.EISDIR, "it is a folder; give the name of a file inside it", name)
    folder = os.path.dirname(target) or "."
    if not through_proc and not os.path.isdir(folder):
        if os.path.exists(folder):
            raise SaveError(errno.ENOTDIR, f"{folder!r} is a file, not a folder; give a path through folders", name)
        raise SaveError(errno.ENOENT, f"the folder {folder!r} does not exist; create it first or write elsewhere", name)
    if through_proc or (mode is not None and (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode))):
        _write_into(target, data)
    elif mode is None or stat.S_ISREG(mode):
        _replace(target, data)
    else:
        kind = "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "a special file"
        raise SaveError(errno.EINVAL, f"it is {kind}; saves write regular files, FIFOs and character devices", name)


def _follow_links(name: str) -> tuple[str, bool]:
    """The path that ``name``'s chain of symbolic links ends at, and whether it is in ``/proc``, whose
    links (``/proc/self/fd/1``, where ``/dev/stdout`` leads) name open files rather than paths."""
    for _ in range(_MAX_LINKS + 1):
        folder = os.path.realpath(os.path.dirname(os.path.abspath(name)))
        if folder.startswith("/proc/"):
            return os.path.join(folder, os.path.basename(name)), True
        if not os.path.islink(name):
            return name, False
        name = os.path.join(os.path.dirname(name), os.readlink(name))
    raise SaveError(errno.ELOOP, "it is a loop of symbolic links; point the link at a file", name)


def _replace(target: str, data: bytes) -> None:
    """Write a temporary file beside ``target``, fsync it, rename it over ``target``, fsync the folder."""
    folder = os.path.dirname(target) or "."
    tmp = os.path.join(folder, f".{os.path.basename(target)}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0666 less the umask, as any new file
    try:
        with os.fdopen(fd, "wb") as f:
            try:
                old = os.stat(target)
            except FileNotFoundError:
                pass
            else:
                _keep_mode_and_owner(f.fileno(), old)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(folder)


def _keep_mode_and_owner(fd: int, old: os.stat_result) -> None:
    new = os.fstat(fd)
    if (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
        # Only root may give a file away; for anyone else it becomes theirs, as in any editor (documented).
        with contextlib.suppress(PermissionError):
            os.fchown(fd, old.st_uid, old.st_gid)
    os.fchmod(fd, stat.S_IMODE(old.st_mode))  # after fchown, which may clear the set-id bits


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable: fsync the folder that holds the new name."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_into(name: str, data: bytes) -> None:
    """Write into a FIFO, a device or an open file directly; refuse a FIFO nobody reads."""
    folder, entry = os.path.split(name)
    if folder == f"/proc/{os.getpid()}/fd" and entry.isdigit():
        # One of this process's own open files (/dev/stdout): write through that very descriptor, so
        # that its position moves on and what the process prints next comes after, not over, the save.
        fd = int(entry)
        for stream in (sys.stdout, sys.stderr):  # what was printed before the save comes before it
            with contextlib.suppress(AttributeError, OSError, ValueError):  # a stream with no descriptor
                if stream.fileno() == fd:
                    stream.flush()
        _write_all(fd, data)
        return
    try:
        # O_NONBLOCK: opening a FIFO with no reader fails at once (ENXIO) instead of waiting forever.
        fd = os.open(name, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ENXIO and stat.S_ISFIFO(os.stat(name).st_mode):  # ENXIO: also a missing device
            raise SaveError(
                errno.ENXIO, "it is a FIFO that no program is reading; start the reader first, then save", name
            ) from None
        raise
    try:
        os.set_blocking(fd, True)  # now that it is open, write everything, waiting for the reader as needed
        _write_all(fd, data)
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# ---- a whole folder at once ------------------------------------------------------------------------------

LOCK_WAIT = 30.0
"""Seconds ``write_folder`` waits for another run writing into the same parent folder before it gives up."""


def write_folder(
    folder: str | os.PathLike[str],
    files: Mapping[str, bytes],
    replaceable: Callable[[Path], str | None] = lambda old: "it is not empty",
) -> Path:
    """Write ``files`` (name -> bytes) as the folder ``folder``, all at once or not at all (see the module
    docstring). An existing folder is replaced only if ``replaceable(folder)`` returns None; otherwise that
    reason is raised as ``SaveError``. The parent folders are made when missing. Returns the folder."""
    name = os.fspath(folder)
    target = Path(name)
    if not name or target.name in ("", ".", ".."):
        raise SaveError(errno.EINVAL, "the folder needs a name of its own (the command makes it), like class7", name)
    for entry in files:
        if entry in ("", ".", "..") or "/" in entry or os.sep in entry or "\0" in entry:
            raise ValueError(f"{entry!r} is not a plain file name")
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise SaveError(errno.ENOTDIR, "a folder on its way is a file; give a path through folders", name) from None
    lock = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        _lock(lock, parent)  # Ctrl-C works while it waits
        with _signals_held() as arrived:  # and, until the swap, undoes the run; nothing is left behind
            _write_staged(target, parent, files, replaceable, lambda: bool(arrived))
    finally:
        os.close(lock)  # releases the lock
    return target


@contextlib.contextmanager
def _signals_held() -> Iterator[list[int]]:
    """Hold Ctrl-C, a hang-up and a termination (SIGINT, SIGHUP, SIGTERM) while the block runs, which sees the
    list of those that arrived; each is raised again when the block ends, to the handler that was there. The
    files are built before, so the block is short. Python runs signal handlers in the main thread only:
    elsewhere nothing is held, and nothing needs to be (a KeyboardInterrupt never lands in another thread)."""
    arrived: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield arrived
        return
    held = {}
    for number in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        if signal.getsignal(number) is not None:  # None: a handler set outside Python, left alone
            held[number] = signal.signal(number, lambda n, _: arrived.append(n))
    try:
        yield arrived
    finally:
        for number, handler in held.items():
            signal.signal(number, handler)
        for arrival in dict.fromkeys(arrived):
            signal.raise_signal(arrival)


def _write_staged(
    target: Path,
    parent: Path,
    files: Mapping[str, bytes],
    replaceable: Callable[[Path], str | None],
    interrupted: Callable[[], bool],
) -> None:
    """Write ``files`` into a hidden folder beside ``target``, then put it in place (see ``write_folder``),
    unless the run was ``interrupted`` before the swap: then the earlier folder stays as it was."""
    staged = parent / f".{target.name}.new-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        os.mkdir(staged)
        for entry, data in files.items():
            fd = os.open(staged / entry, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        _fsync_folder(str(staged))
        old = _old_folder(target, replaceable)
        if interrupted():  # Ctrl-C before the swap: the earlier class stays
            return
        if old is None:
            os.rename(staged, target)  # a new name: atomic
        else:
            os.chmod(staged, stat.S_IMODE(old.st_mode))
            _swap(staged, target)  # the old folder is now at ``staged``
        _fsync_folder(str(parent))
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(staged)


def _lock(fd: int, parent: Path) -> None:
    import fcntl  # POSIX only, as the rest of this module's guarantees

    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise SaveError(
                    errno.EBUSY,
                    f"another run has been writing into this folder for more than {LOCK_WAIT:g} s; "
                    "wait for it to finish, or stop it",
                    str(parent),
                ) from None
            time.sleep(0.05)


def _old_folder(target: Path, replaceable: Callable[[Path], str | None]) -> os.stat_result | None:
    """The folder ``target`` now, if it may be replaced; None if there is none; SaveError if it may not be."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        raise SaveError(errno.EINVAL, "it is a symbolic link; give the folder itself, or a new folder", str(target))
    if not stat.S_ISDIR(info.st_mode):
        raise SaveError(errno.ENOTDIR, "it is a file, not a folder; give a new folder", str(target))
    with os.scandir(target) as entries:
        found = sorted(entries, key=lambda e: e.name)
    for entry in found:
        if entry.is_symlink():
            raise SaveError(
                errno.EINVAL,
                f"{entry.name} in it is a symbolic link, which a replaced folder never has; "
                "remove it, or write into a new folder",
                str(target),
            )
        if not entry.is_file(follow_symlinks=False):
            raise SaveError(
                errno.EINVAL,
                f"{entry.name} in it is not a regular file; move it away, or write into a new folder",
                str(target),
            )
    reason = replaceable(target) if found else None
    if reason is not None:
        raise SaveError(errno.EEXIST, reason, str(target))
    return info


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _swap(new: Path, target: Path) -> None:
    """Exchange the folders ``new`` and ``target`` atomically where the system can, else in two renames."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(target), _RENAME_EXCHANGE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # no exchange here: fall back below
            raise OSError(code, os.strerror(code), str(target))
    aside = new.with_name(new.name.replace(".new-", ".old-"))
    os.rename(target, aside)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(aside, target)  # the old folder back in its place
        raise
    os.rename(aside, new)  # where the caller removes it
