"""files.atomic_write: a save never destroys anything, whatever kind of file the path names.

The special files (FIFOs, device nodes, sockets) are made by each test in its own temporary folder;
the tests never touch the real /dev. Making a device node needs root, as in CI.
"""

import errno
import os
import socket
import stat
import sys
import threading
from pathlib import Path

import pytest

from tinygrad_scalar import MLP, Value, save_graph
from tinygrad_scalar.core.files import SaveError, atomic_write


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


class FifoReader:
    """The read end of a FIFO, opened before the save (so the save finds a reader) and drained by a thread.

    The reader holds a write end of its own until ``received()``, so that it does not see the end of
    the stream before the save has even opened the FIFO.
    """

    def __init__(self, fifo: Path) -> None:
        self.fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # opening the read end never waits
        os.set_blocking(self.fd, True)
        self.keep_open = os.open(fifo, os.O_WRONLY)
        self.chunks: list[bytes] = []
        self.thread = threading.Thread(target=self._drain)
        self.thread.start()

    def _drain(self) -> None:
        while chunk := os.read(self.fd, 65536):
            self.chunks.append(chunk)

    def received(self) -> bytes:
        os.close(self.keep_open)  # the save has closed its end: now the reader sees the end of the stream
        self.thread.join()
        os.close(self.fd)
        return b"".join(self.chunks)


def test_save_replaces_a_regular_file_and_leaves_no_temporary_file(tmp_path: Path):
    """Saving over a regular file gives the new bytes and no stray temporary file."""
    path = tmp_path / "out.txt"
    path.write_bytes(b"old")
    assert atomic_write(path, b"new") == path
    assert path.read_bytes() == b"new"
    assert _names(tmp_path) == ["out.txt"]


def test_save_keeps_file_mode(tmp_path: Path):
    """A file with mode 600 is still 600 after a save (it was 644 before the fix)."""
    path = tmp_path / "model.json"
    path.write_bytes(b"old")
    path.chmod(0o600)
    atomic_write(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_new_file_gets_the_umask_mode(tmp_path: Path):
    """A new file gets 0666 less the umask, like any other file the user writes."""
    old_umask = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.txt", b"x")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


def test_save_keeps_owner_and_group(tmp_path: Path):
    """A file of another user keeps its owner and group when root saves over it."""
    path = tmp_path / "theirs.txt"
    path.write_bytes(b"old")
    os.chown(path, 12345, 23456)
    atomic_write(path, b"new")
    assert (path.stat().st_uid, path.stat().st_gid) == (12345, 23456)


def test_save_follows_a_symbolic_link(tmp_path: Path):
    """Saving through a link updates the file it points to, and the link stays a link."""
    real = tmp_path / "real.json"
    real.write_bytes(b"old")
    real.chmod(0o600)
    link = tmp_path / "link.json"
    link.symlink_to("real.json")
    atomic_write(link, b"new")
    assert link.is_symlink() and os.readlink(link) == "real.json"
    assert real.read_bytes() == b"new" and stat.S_IMODE(real.stat().st_mode) == 0o600
    assert _names(tmp_path) == ["link.json", "real.json"]


def test_save_follows_a_chain_of_relative_links_across_folders(tmp_path: Path):
    """A link to a link in another folder is followed to the end, each relative to its own folder."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "real.txt").write_bytes(b"old")
    (tmp_path / "b" / "inner").symlink_to("real.txt")
    (tmp_path / "a" / "outer").symlink_to("../b/inner")
    atomic_write(tmp_path / "a" / "outer", b"new")
    assert (tmp_path / "b" / "real.txt").read_bytes() == b"new"
    assert (tmp_path / "a" / "outer").is_symlink() and (tmp_path / "b" / "inner").is_symlink()


def test_save_through_a_dangling_link_creates_its_target(tmp_path: Path):
    """A link to a file that does not exist yet: the file is created and the link stays."""
    link = tmp_path / "link.txt"
    link.symlink_to("made.txt")
    atomic_write(link, b"hello")
    assert link.is_symlink() and (tmp_path / "made.txt").read_bytes() == b"hello"


def test_loop_of_symbolic_links_is_refused(tmp_path: Path):
    """Two links that point at each other raise SaveError naming the loop, and stay links."""
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(SaveError, match="loop of symbolic links") as info:
        atomic_write(tmp_path / "a", b"x")
    assert info.value.errno == errno.ELOOP
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


def test_save_into_a_fifo_writes_to_its_reader(tmp_path: Path):
    """A FIFO is written into (all of a large save reaches the reader) and stays a FIFO."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    data = bytes(range(256)) * 1000  # larger than a pipe's buffer: the save waits for the reader
    atomic_write(fifo, data)
    assert reader.received() == data
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert _names(tmp_path) == ["pipe"]


def test_save_into_a_fifo_with_no_reader_is_refused_at_once(tmp_path: Path):
    """A FIFO nobody reads gives a SaveError saying to start the reader, instead of hanging."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(SaveError, match="no program is reading; start the reader first"):
        atomic_write(fifo, b"x")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_save_into_a_character_device_keeps_the_device(tmp_path: Path):
    """A character device (a null device, 1,3, made in the test's folder) is written into, not replaced."""
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    atomic_write(null, b"discarded")
    assert stat.S_ISCHR(null.lstat().st_mode) and null.lstat().st_rdev == os.makedev(1, 3)
    assert _names(tmp_path) == ["null"]


def test_save_through_a_link_to_a_character_device_keeps_both(tmp_path: Path):
    """A link to a device (as /dev/stdout is a link) writes into the device; link and device stay."""
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    (tmp_path / "out").symlink_to("null")
    atomic_write(tmp_path / "out", b"discarded")
    assert (tmp_path / "out").is_symlink() and stat.S_ISCHR(null.lstat().st_mode)


def test_save_to_own_stdout_through_proc_keeps_the_order_of_output(tmp_path: Path, monkeypatch):
    """/proc/self/fd/N (where /dev/stdout leads) writes through that very descriptor: the file keeps
    its inode, and what was printed before and after the save lands before and after it."""
    path = tmp_path / "log.txt"
    with open(path, "w") as log:
        monkeypatch.setattr(sys, "stdout", log)
        print("before")  # still in the stream's buffer: the save flushes it first
        inode = os.fstat(log.fileno()).st_ino
        atomic_write(f"/proc/self/fd/{log.fileno()}", b"saved\n")
        print("after")
        monkeypatch.undo()
        assert os.stat(path).st_ino == inode
    assert path.read_bytes() == b"before\nsaved\nafter\n"


def test_block_device_and_socket_are_refused(tmp_path: Path):
    """Saving over a block device or a socket raises SaveError naming what it is, and leaves it."""
    block = tmp_path / "disk"
    os.mknod(block, 0o600 | stat.S_IFBLK, os.makedev(7, 0))
    with pytest.raises(SaveError, match="it is a block device"):
        atomic_write(block, b"x")
    assert stat.S_ISBLK(block.lstat().st_mode)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "sock"))
        with pytest.raises(SaveError, match="it is a socket"):
            atomic_write(tmp_path / "sock", b"x")
        assert stat.S_ISSOCK((tmp_path / "sock").lstat().st_mode)


@pytest.mark.parametrize("name", ["", ".", "folder", "folder/", "new/"])
def test_folder_or_empty_path_is_refused_with_save_error(tmp_path: Path, monkeypatch, name: str):
    """An empty path, a folder or a name ending in / raises SaveError (an OSError) saying what to give."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    with pytest.raises(SaveError, match="give the name of") as info:
        atomic_write(name, b"x")
    assert isinstance(info.value, OSError) and info.value.strerror.startswith(("the file name", "it is a folder"))
    assert _names(tmp_path) == ["folder"] and _names(tmp_path / "folder") == []


def test_failed_save_leaves_the_old_file_byte_identical(tmp_path: Path, monkeypatch):
    """If the disk fails while the new bytes are being made durable, the old file and its mode are untouched."""
    path = tmp_path / "model.json"
    path.write_bytes(b"the old content")
    path.chmod(0o640)

    def failing_fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        atomic_write(path, b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"the old content" and stat.S_IMODE(path.stat().st_mode) == 0o640
    assert _names(tmp_path) == ["model.json"]


def test_save_fsyncs_the_file_then_renames_then_fsyncs_the_folder(tmp_path: Path, monkeypatch):
    """The durable order: fsync the new file, rename it over the target, fsync the folder."""
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def recording_fsync(fd: int) -> None:
        events.append(("fsync", "folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"))
        real_fsync(fd)

    def recording_replace(src, dst) -> None:
        events.append(("rename", os.fspath(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "replace", recording_replace)
    atomic_write(tmp_path / "m.json", b"data")
    assert events == [("fsync", "file"), ("rename", str(tmp_path / "m.json")), ("fsync", "folder")]


@pytest.mark.parametrize(
    "save",
    [
        pytest.param(lambda path: MLP(2, [3, 1], seed=0).save(path), id="MLP.save"),
        pytest.param(lambda path: save_graph(Value(2.0) * Value(3.0), path, format="dot"), id="save_graph"),
    ],
)
def test_package_saves_write_into_special_files_and_keep_modes(tmp_path: Path, save):
    """The package's own saves keep a device a device, feed a FIFO and keep a file's mode."""
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    save(null)
    assert stat.S_ISCHR(null.lstat().st_mode)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    save(fifo)
    assert len(reader.received()) > 0
    private = tmp_path / "private"
    private.write_bytes(b"old")
    private.chmod(0o600)
    save(private)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and private.read_bytes() != b"old"


def test_device_with_no_driver_gives_the_systems_error_not_a_fifo_hint(tmp_path: Path):
    """A device node whose driver is missing fails with the system's 'No such device' error, not the FIFO hint."""
    ghost = tmp_path / "ghost"
    os.mknod(ghost, 0o666 | stat.S_IFCHR, os.makedev(4000, 0))  # no driver has this major number
    with pytest.raises(OSError, match="No such device") as info:
        atomic_write(ghost, b"x")
    assert not isinstance(info.value, SaveError) and stat.S_ISCHR(ghost.lstat().st_mode)
