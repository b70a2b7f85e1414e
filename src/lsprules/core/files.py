"""Files in and out: an unreadable input is a clear E001, text that is not UTF-8 an E002 at the right byte, and
an output is written atomically, so that a failed run never leaves a partial file."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import IO

from lsprules.core.diagnostics import Diagnostic, InputError, at_span, error
from lsprules.core.source import BOM, Source, Span, display_name, normalise_newlines

# `-` names standard input wherever a file is read; messages call it by this name (`--stdin-filename`).
STDIN = "-"
_stdin = {"name": "<stdin>"}
_stdin_read: list[tuple[object, bytes]] = []  # what was read, and from which stream: it can be read only once


def set_stdin_name(name: str) -> None:
    """Call standard input by this name in messages, and read a dataset there by its extension."""
    _stdin["name"] = display_name(name)


def stdin_name() -> str:
    """The name standard input goes by in messages: `<stdin>`, or the one given with `--stdin-filename`."""
    return _stdin["name"]


def read_stdin() -> bytes:
    """Every byte of standard input, read once however often it is asked for (a command may read `-` twice)."""
    stream = sys.stdin
    if not _stdin_read or _stdin_read[-1][0] is not stream:
        _stdin_read[:] = [(stream, stream.buffer.read() if stream is not None else b"")]
    return _stdin_read[-1][1]


def read_input(path: str | Path, what: str) -> tuple[str, bytes]:
    """The display name and bytes of an input file (`-`: standard input); InputError E001 (naming `what` it
    is) when unreadable."""
    if str(path) == STDIN:
        return stdin_name(), read_stdin()
    name = display_name(path)
    try:
        return name, Path(path).read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: e.g. a NUL byte in the path
        raise unreadable(name, what, exc) from None


def open_input(path: str | Path, what: str) -> tuple[str, io.BufferedIOBase]:
    """The display name of an input file and a binary stream of it, to read in pieces (`-`: standard input,
    read once and kept, as read_input keeps it); InputError E001 (naming `what` it is) when it cannot be opened."""
    if str(path) == STDIN:
        return stdin_name(), io.BytesIO(read_stdin())
    name = display_name(path)
    try:
        return name, open(path, "rb")  # the caller closes it
    except (OSError, ValueError) as exc:  # ValueError: e.g. a NUL byte in the path
        raise unreadable(name, what, exc) from None


def file_size(path: Path) -> int:
    """A file's size in bytes, 0 when it cannot be read (its reader reports that): for choosing how to read it."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as the readers record it, read a piece at a time (for a file a columnar
    engine reads itself)."""
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def unreadable(name: str, what: str, exc: Exception) -> InputError:
    """E001: the input file `name` (of the kind `what`) cannot be read, and the system's reason why."""
    reason = getattr(exc, "strerror", None) or str(exc)
    return InputError([error("E001", f"cannot read {what} '{name}': {reason}",
                             hint="check the path and that the file is readable")])


def read_rule_file(path: str | Path) -> tuple[str, bytes]:
    """read_input for a rule file; one far beyond the limit `rules_size` is E711, having read only its start
    (parsing costs seconds a megabyte: a 50 MB file took 210 s and 2.5 GB)."""
    from lsprules.core.limits import current, rules_size_problem

    most = 4 * current().rules_size + 16  # bytes: a character takes at most four (and a BOM three more)
    name, stream = open_input(path, "rule file")
    with stream:
        try:
            data = stream.read(most + 1)
            if len(data) <= most:
                return name, data
            size = max(_size(stream), most + 1)
        except (OSError, ValueError) as exc:
            raise unreadable(name, "rule file", exc) from None
    problem = rules_size_problem(decode_source(name, data[:char_start(data, most)]), size)
    assert problem is not None  # at least (most - 7) / 4 > rules_size characters were decoded
    raise InputError([problem])


def _size(stream: io.BufferedIOBase) -> int:
    """The size in bytes of what a stream reads, where it can seek (not a pipe: 0)."""
    try:
        return stream.seek(0, io.SEEK_END)
    except OSError:
        return 0


def char_start(data: bytes, cut: int) -> int:
    """`cut`, or the start of the UTF-8 character it would split (`data` holds the byte after the cut)."""
    for _ in range(3):  # a UTF-8 character is at most four bytes: back to the byte that starts it
        if cut >= len(data) or data[cut] & 0xC0 != 0x80:
            break
        cut -= 1
    return cut


def decode_source(name: str, data: bytes) -> Source:
    """The text of any input file (rules, YAML, JSON, CSV): UTF-8, a leading BOM dropped, CRLF and CR as LF;
    a byte that is not UTF-8 becomes E002 at its line and column, counted as the text will be shown."""
    try:
        return Source.from_bytes(name, data)
    except UnicodeDecodeError as exc:
        raise InputError([_utf8_error(name, data, exc)]) from None


def _utf8_error(name: str, data: bytes, exc: UnicodeDecodeError) -> Diagnostic:
    """E002 at the first undecodable byte (the bytes before it are valid, so they give line and column)."""
    skip = len(BOM) if data.startswith(BOM) else 0  # Source.from_bytes drops the BOM before decoding
    bad = skip + exc.start
    before = normalise_newlines(data[skip:bad].decode("utf-8"))
    line_start = before.rfind("\n") + 1
    rest = re.split(rb"[\r\n]", data[bad:], maxsplit=1)[0].decode("utf-8", "replace")
    line, column = before.count("\n") + 1, len(before) - line_start + 1
    span = Span(name, line, column, line, column + 1)
    message = f"the file is not valid UTF-8: byte 0x{data[bad]:02x} at line {line}, column {column}"
    return at_span("E002", message, span, before[line_start:] + rest, hint=_utf8_hint(name))


def _utf8_hint(name: str) -> str:
    """How to save a file as UTF-8: rule files come from editors; datasets often from Excel."""
    if name.endswith(".rules"):
        return "save the file as UTF-8 (most editors offer this under 'Save as')"
    return "save the file with UTF-8 encoding (in Excel: 'CSV UTF-8'; in editors: 'Save with Encoding')"


def _through_link(target: Path, name: str, through_symlink: bool, kind: str, how: str) -> Path:
    """`target`; for a symbolic link, with `through_symlink`, the `kind` it points to, else E006 (writing would
    replace the link)."""
    if not target.is_symlink():
        return target
    if not through_symlink:
        raise InputError([error("E006", f"{name}: that is a symbolic link (to "
                                f"{display_name(os.readlink(target))}); writing would replace the link",
                                hint=f"name the {kind} it points to, or pass --write-through-symlink to {how}")])
    return target.resolve()


def output_target(path: str | Path, *, through_symlink: bool = False, label: str | None = None) -> Path:
    """The regular file an output may replace: `path` itself, or with `through_symlink` the file a symbolic
    link points to. InputError for a folder (E004), a FIFO, device or socket (E005), or a symbolic link not
    allowed (E006): replacing any of those with a regular file would break what it was."""
    name = label or f"--output {display_name(Path(path))}"
    target = _through_link(Path(path), name, through_symlink, "file", "write into that file")
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target  # a new file
    except OSError:
        return target  # e.g. a folder we cannot search: writing will say why
    if stat.S_ISDIR(mode):
        raise InputError([error("E004", f"{name}: that is a folder, not a file",
                                hint="name a file inside it")])
    if not stat.S_ISREG(mode):
        raise InputError([error("E005", f"{name}: that is a {_file_kind(mode)}, not a regular file, "
                                "and writing would replace it", hint="name a regular file" if label else "write "
                                "to a regular file, or to standard output with --output - (and redirect that)")])
    return target


def _file_kind(mode: int) -> str:
    """Words for a kind of file that is not a regular file or a folder."""
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write the whole output to a temporary file beside `path`, then rename it into place.

    `path` must name a regular file or nothing (see output_target). The temporary file is removed if the
    write fails or the process is stopped with SIGTERM on the way."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_output(path) as handle:
        handle.write(payload)


@contextmanager
def atomic_output(path: str | Path) -> Iterator[IO[bytes]]:
    """A binary file to write an output into piece by piece: a temporary file beside `path` that replaces it
    when the block ends, and is removed instead when the block raises or SIGTERM stops the process on the way
    (so a failed run never leaves a partial file). `path` must name a regular file or nothing."""
    target = Path(path)
    with terminate_cleanly():
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or Path("."))
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
            os.chmod(temp, _mode_for(target))
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


class Terminated(BaseException):
    """SIGTERM (or SIGHUP) arrived during a write: unwinds like KeyboardInterrupt so that temporary files are
    removed; args[0] is the signal's number."""


STOPPING = (signal.SIGTERM, signal.SIGHUP)  # the signals that stop a run: a job scheduler's, a closed terminal's


@contextmanager
def terminate_cleanly() -> Iterator[None]:
    """While temporary files exist, turn SIGTERM and SIGHUP into an exception (only the main thread may set
    handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    previous = {number: signal.signal(number, stop) for number in STOPPING}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _mode_for(target: Path, fresh: int = 0o666) -> int:
    """Keep a replaced file's (or folder's) permission bits, never its setuid, setgid or sticky bits (an output
    is data, not a program); a new one gets the usual ones (`fresh` less the umask)."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return fresh & ~umask


# --- a folder as one output (evaluate --pages) -----------------------------------------------------------------

# The file lsprules leaves in a folder it wrote, so that it knows it may replace that folder next time.
FOLDER_MARK = ".lsprules-output"
FOLDER_MARK_TEXT = "This folder was written by lsprules; lsprules replaces it whole when asked to write here again.\n"


def output_folder(path: str | Path, inputs: list[Path], *, written: tuple[str, ...], through_symlink: bool = False,
                  label: str | None = None) -> Path:
    """The folder an output of several files may replace: nothing yet, an empty folder, or one lsprules wrote
    before (it holds FOLDER_MARK, and nothing but `written` names beside it). InputError for a file (E003), a
    special file (E005), a symbolic link not allowed (E006), a folder holding anything else (E004), or a
    folder that holds one of the inputs (E003)."""
    name = label or f"--output {display_name(Path(path))}"
    target = _through_link(Path(path), name, through_symlink, "folder", "write there")
    for source in inputs:
        if str(source) != STDIN and _inside(Path(source), target):
            raise InputError([error("E003", f"{name}: that folder holds the input {display_name(source)}, and "
                                    "writing the output there would replace it", hint="write to another folder")])
    try:
        mode = target.stat().st_mode
    except OSError:
        return target  # a new folder (or one we cannot search: writing will say why)
    if stat.S_ISREG(mode):
        raise InputError([error("E003", f"{name}: that is a file, and this output is a folder of pages",
                                hint="name a new folder, or one lsprules wrote before")])
    if not stat.S_ISDIR(mode):
        raise InputError([error("E005", f"{name}: that is a {_file_kind(mode)}, not a folder, and writing "
                                "would replace it", hint="name a new folder")])
    foreign = _foreign_entry(target, written)
    if foreign is not None:
        raise InputError([error("E004", f"{name}: that folder holds '{foreign}', which lsprules did not write; "
                                "writing the output would replace the whole folder",
                                hint="name a new or empty folder, or one lsprules wrote before")])
    return target


def _inside(source: Path, folder: Path) -> bool:
    """Whether a file is in a folder or below it, by any path (links resolved)."""
    try:
        return source.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def _foreign_entry(folder: Path, written: tuple[str, ...]) -> str | None:
    """Something in `folder` that a previous output did not leave there (None when it is empty or a previous
    output): without FOLDER_MARK, anything; with it, any name but `written`, and in `written` folders anything
    but regular .html files."""
    with os.scandir(folder) as entries:
        names = sorted(entry.name for entry in entries)
    if not names:
        return None
    if FOLDER_MARK not in names or not (folder / FOLDER_MARK).is_file():
        return names[0]
    for entry_name in names:
        entry = folder / entry_name
        if entry_name == FOLDER_MARK:
            continue
        if entry_name not in written or entry.is_symlink():
            return entry_name
        if entry.is_dir():
            with os.scandir(entry) as inner:
                for item in inner:
                    if not (item.name.endswith(".html") and item.is_file(follow_symlinks=False)):
                        return f"{entry_name}/{item.name}"
        elif not entry.is_file():
            return entry_name
    return None


@contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """A temporary folder beside `path` to write an output of several files into; when the block ends it takes
    the place of `path` (which output_folder has allowed), and is removed instead when the block raises or
    SIGTERM stops the process on the way. FOLDER_MARK is written into it. The old folder is moved aside before
    the new one is renamed into place and removed after, so the folder is always whole: the old or the new."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    with terminate_cleanly():
        temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
        try:
            yield temp
            (temp / FOLDER_MARK).write_text(FOLDER_MARK_TEXT, encoding="utf-8")
            os.chmod(temp, _folder_mode(target))
            _replace_folder(temp, target, parent)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise


def _replace_folder(new: Path, target: Path, parent: Path) -> None:
    """Put `new` where `target` is: renamed over nothing, or over the old folder moved aside (then removed)."""
    if not target.exists():
        os.rename(new, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=parent))
    os.rmdir(old)  # only its unique name was wanted: the old folder is renamed to it
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _folder_mode(target: Path) -> int:
    """A replaced folder's permission bits; a new one gets the usual ones (0777 less the umask)."""
    return _mode_for(target, 0o777)
