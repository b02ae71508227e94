"""Files that people name on the command line: regular files only, bounded.

Every path that reads a user's file goes through here, so a FIFO cannot hang
a command, ``/dev/zero`` cannot fill memory and a sparse 3 GB file is refused
before it is read. Checked on the opened descriptor (no race with a swapped path).

Every command that writes a file (``--out``) goes through :func:`write_file`:
it writes a temporary file beside the target and renames it over a regular
file only, so readers never see half a file, and a FIFO, a device, a
directory or a symbolic link named as the output is refused, never replaced
or written through.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TextIO, TypeVar, overload

from .errors import ValidationFailed

T = TypeVar("T")

MAX_IMPORT_BYTES = 2 * 1024**3  # CSV, JSON and label files: 2 GiB


def _open_checked(source: str) -> int:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(source, flags)  # non-blocking: opening a FIFO must not wait for a writer
    except OSError as exc:
        raise ValidationFailed(f"cannot read {source}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValidationFailed(f"cannot read {source}: {_kind(info.st_mode)}, not a file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_text(source: str, limit: int = MAX_IMPORT_BYTES) -> io.TextIOWrapper:
    """A regular file of at most ``limit`` bytes, opened as UTF-8 text for streaming."""
    fd = _open_checked(source)
    size = os.fstat(fd).st_size
    if size > limit:
        os.close(fd)
        raise ValidationFailed(f"{source} is larger than {limit:,} bytes")
    os.set_blocking(fd, True)
    return open(fd, encoding="utf-8", newline="\n")


def read_file(source: str, limit: int = MAX_IMPORT_BYTES) -> bytes:
    """At most ``limit`` bytes of the regular file ``source``, or :class:`ValidationFailed`.

    Checked on the opened descriptor (no race with a swapped path): FIFOs,
    devices and directories are refused before anything is read, and no more
    than ``limit`` + 1 bytes are ever read, whatever the file claims its size is.
    """
    fd = _open_checked(source)
    if os.fstat(fd).st_size > limit:
        os.close(fd)
        raise ValidationFailed(f"{source} is larger than {limit:,} bytes")
    with os.fdopen(fd, "rb", buffering=0) as f:
        chunks: list[bytes] = []
        left = limit + 1
        try:
            while left > 0 and (chunk := f.read(min(left, 1 << 20))):
                chunks.append(chunk)
                left -= len(chunk)
        except OSError as exc:
            raise ValidationFailed(f"cannot read {source}: {exc.strerror or exc}") from None
    if left <= 0:
        raise ValidationFailed(f"{source} is larger than {limit:,} bytes")
    return b"".join(chunks)


@overload
def write_file(target: Path, write: Callable[[BinaryIO], T], *, newline: None = None) -> T: ...
@overload
def write_file(target: Path, write: Callable[[TextIO], T], *, newline: str) -> T: ...
def write_file(target: Path, write: Callable[[Any], T], *, newline: str | None = None) -> T:
    """Call ``write`` with a handle on a new file that then replaces ``target`` whole.

    ``newline`` None: a binary handle; otherwise a UTF-8 text handle with that
    ``newline`` ("" for csv, "\\n" for JSON Lines). Refuses (one clear error) a
    target that exists and is not a regular file, and any error of writing.
    """
    _refuse_unless_regular(target)
    tmp = target.with_name(f".{target.name}.partial")
    try:
        tmp.unlink(missing_ok=True)
        # Created anew and never through a link someone planted at the temporary name.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(tmp, flags | getattr(os, "O_BINARY", 0), 0o666)
        if newline is None:
            with open(fd, "wb") as fh:
                result = write(fh)
        else:
            with open(fd, "w", encoding="utf-8", newline=newline) as fh:
                result = write(fh)
        _refuse_unless_regular(target)  # still a file (or nothing) when it is replaced
        os.replace(tmp, target)
    except OSError as exc:
        raise ValidationFailed(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return result


def _refuse_unless_regular(target: Path) -> None:
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ValidationFailed(f"cannot write {target}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValidationFailed(
            f"cannot write {target}: {_kind(info.st_mode)}, not a file (name a new or regular "
            "file, or --out - for standard output)"
        )


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def count_lines(source: str, limit: int = MAX_IMPORT_BYTES) -> int:
    """Line breaks in a regular file (for a progress bar), read in binary chunks."""
    fd = _open_checked(source)
    os.set_blocking(fd, True)
    with open(fd, "rb", buffering=0) as f:
        if os.fstat(f.fileno()).st_size > limit:
            raise ValidationFailed(f"{source} is larger than {limit:,} bytes")
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
