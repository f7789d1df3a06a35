"""Reading and writing files named on the command line, safely.

Input files (scenarios, sweep and gates files, saved results) are read with `read_input`: only
a regular file, and only up to a size cap, so a FIFO, a device such as ``/dev/zero`` or a
directory gets a clear error instead of blocking, exhausting memory or raising. Output files are
written with `atomic_write_text`/`atomic_write_bytes`: a temporary sibling renamed into place,
so a reader never sees half a file and an interrupted write leaves the previous version intact.
`check_output` refuses a destination that cannot be written before any work is done.

Every failure is a `FileProblem` (a ValueError) whose message reads ``expected …, got …``;
callers attach the path and turn it into a `Problem` or an `OutputError`.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

MAX_INPUT_BYTES = 8 << 20
"""Largest scenario, sweep or gates file read: 8 MiB. The largest shipped scenario is 45 kB; a
generated world of 3,000 firms written compactly is ~1.7 MB, and the value cap of the YAML reader
(`MAX_VALUES`) bounds the work long before this."""


class FileProblem(ValueError):
    """A file that cannot be read or written as asked; the message says why, `path` which."""

    def __init__(self, message: str, path: str | Path | None = None):
        super().__init__(message)
        self.path = None if path is None else str(path)


def _reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, NotADirectoryError):
        return "a path under a file"
    if isinstance(exc, IsADirectoryError):
        return "a directory"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    if exc.errno == errno.EFBIG:
        return "a file larger than allowed (ulimit -f?)"
    if exc.errno == errno.EROFS:
        return "a read-only file system"
    return exc.strerror or type(exc).__name__


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_input(path: str | Path, what: str, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of the regular file at `path`, at most `max_bytes` of them.

    The file is opened without blocking (a FIFO would otherwise wait for a writer) and checked
    to be a regular file before anything is read; `what` names what was expected in messages,
    e.g. "a readable scenario file".
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileProblem(f"expected {what}, got {_reason(exc)}", path) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem(f"expected {what}, got {_kind(info.st_mode)}", path)
        if info.st_size > max_bytes:
            raise FileProblem(
                f"expected {what} of at most {max_bytes:,} bytes, got {info.st_size:,} bytes",
                path,
            )
        chunks, size = [], 0
        while size <= max_bytes:  # the size may have grown since fstat
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise FileProblem(f"expected {what}, got {_reason(exc)}", path) from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise FileProblem(f"expected {what} of at most {max_bytes:,} bytes, got more", path)
    return b"".join(chunks)


def check_output(path: str | Path, suffixes: tuple[str, ...] = ()) -> None:
    """Refuse, before any work, an output file that cannot be written: a directory or device
    in its place, a path under a file, a missing permission, a wrong suffix."""
    target = Path(path)
    if suffixes and target.suffix.lower() not in suffixes:
        wanted = (
            suffixes[0] if len(suffixes) == 1 else f"{', '.join(suffixes[:-1])} or {suffixes[-1]}"
        )
        raise FileProblem(f"expected an output file ending in {wanted}, got {str(path)!r}")
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise FileProblem(f"expected a writable output file, got {_reason(exc)}") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise FileProblem(f"expected a writable output file, got {_kind(mode)}")
    check_output_dir(target.parent)


def check_output_dir(path: str | Path) -> None:
    """Refuse a directory that cannot be created or written into: checks the nearest existing
    ancestor, and that a file can be created in the directory when it exists."""
    directory = Path(path)
    existing = directory
    while True:
        try:
            mode = existing.stat().st_mode
            break
        except FileNotFoundError:
            if existing.parent == existing:
                raise FileProblem("expected a writable directory, got no such file") from None
            existing = existing.parent
        except OSError as exc:
            raise FileProblem(f"expected a writable directory, got {_reason(exc)}") from None
    if not stat.S_ISDIR(mode):
        got = "a path under a file" if existing != directory else _kind(mode)
        raise FileProblem(f"expected a writable directory, got {got} ({existing})")
    if existing == directory:
        try:
            fd, probe = tempfile.mkstemp(dir=directory, prefix=".reesim-probe-")
        except OSError as exc:
            raise FileProblem(f"expected a writable directory, got {_reason(exc)}") from None
        os.close(fd)
        os.unlink(probe)
    elif not os.access(existing, os.W_OK | os.X_OK):
        raise FileProblem(f"expected a writable directory, got permission denied ({existing})")


def make_output_dir(path: str | Path) -> None:
    """Create the directory `path` (and its parents) for output; FileProblem saying why if it
    cannot be, e.g. on a file system that takes no new directories, which the checks of
    `check_output_dir` (permissions) cannot foresee."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise FileProblem("expected a writable directory, got a path under a file", path) from None
    except OSError as exc:
        raise FileProblem(f"expected a writable directory, got {_reason(exc)}", path) from None


def _file_mode() -> int:
    """The mode an ordinary new file gets (0666 less the umask); mkstemp's own 0600 would hide
    results from the other users of a shared machine."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` atomically; FileProblem saying why if it cannot."""
    target = Path(path)
    try:
        mode = target.stat().st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        # Renaming over a device or FIFO would replace it (as root, /dev/full itself).
        raise FileProblem(f"expected a writable output file, got {_kind(mode)}", path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except FileExistsError:
        raise FileProblem(
            "expected a writable output file, got a path under a file", path
        ) from None
    except OSError as exc:
        raise FileProblem(f"expected a writable output file, got {_reason(exc)}", path) from None
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise FileProblem(f"expected a writable output file, got {_reason(exc)}", path) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """`atomic_write_bytes` of `text` in UTF-8 (newlines as written)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def save_aside(data: bytes, name: str) -> Path | None:
    """Keep `data` in a new file in the temporary directory, named after `name`, when it could
    not be written where asked; its path, or None if even that failed."""
    stem, suffix = os.path.splitext(os.path.basename(name))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"reesim-{stem}-", suffix=suffix)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except OSError:
        Path(tmp).unlink(missing_ok=True)  # half a result is worse than none
        return None
    return Path(tmp)
