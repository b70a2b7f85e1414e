"""Ctrl-C: as the embedded engines report it (DuckDB turns a KeyboardInterrupt during a query into an exception),
as typer reports it (a silent exit 130), and how every command stops for it: `interrupted` on standard error, exit
130."""

from __future__ import annotations

import os
import sys

from lsprules.core.exits import EXIT_INTERRUPTED

# typing.TYPE_CHECKING without importing typing (and re and enum with it, some 10 ms): the entry point
# (__main__.py) imports this module before anything else, and Ctrl-C in those milliseconds would show a traceback.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from sys import UnraisableHookArgs
    from typing import NoReturn, TextIO

INTERRUPTED = "interrupted"  # the one line a command stopped by Ctrl-C prints, on standard error


# Ctrl-C came (notice_ctrl_c): a library that swallowed the KeyboardInterrupt cannot hide it (raise_if_pressed).
_pressed = False


def notice_ctrl_c() -> None:
    """From now on Ctrl-C raises KeyboardInterrupt, as Python's own handler does, and is remembered; unless the
    process was started with it ignored (a shell's background job), which it stays."""
    import signal

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _ctrl_c)
        sys.unraisablehook = _unless_ctrl_c(sys.unraisablehook)


def _ctrl_c(signum: int, frame: object) -> None:
    global _pressed
    _pressed = True
    raise KeyboardInterrupt


def _unless_ctrl_c(hook: Callable[[UnraisableHookArgs], object]) -> Callable[[UnraisableHookArgs], object]:
    """`hook`, except for a KeyboardInterrupt that Python could not raise, which is pressed again instead."""

    def unless_ctrl_c(unraisable: UnraisableHookArgs) -> object:
        # Ctrl-C that comes while a weak reference's callback or a __del__ runs (importlib runs one as it loads a
        # module) raises there, and Python prints "Exception ignored" and goes on: a command then waited for
        # standard input for ever. A thread presses it again once the main thread has left the callback; a real
        # signal, so a read waiting for input ends too.
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            return hook(unraisable)
        import _thread  # both built in and loaded already: no import runs inside the import that failed
        import signal

        # Python runs signal handlers in the main thread alone: this is it.
        _thread.start_new_thread(signal.pthread_kill, (_thread.get_ident(), signal.SIGINT))
        return None

    return unless_ctrl_c


def raise_if_pressed() -> None:
    """Raise KeyboardInterrupt if Ctrl-C came and was swallowed: DuckDB (1.5) swallows about half of those that
    arrive while it reads a large file, and the run then went on to its end as if nothing had been pressed."""
    if _pressed:
        raise KeyboardInterrupt


def interrupted_query(exc: BaseException) -> bool:
    """Whether `exc` stands for Ctrl-C rather than a failure: DuckDB's answer to one (or to an interrupt) during a
    query, or an error Python raised because one came (a KeyboardInterrupt among its causes)."""
    # DuckDB turns a KeyboardInterrupt that arrives while it runs a query into RuntimeError("Query interrupted"),
    # and Connection.interrupt() into InterruptException; neither is a KeyboardInterrupt any more. Python turns
    # one raised as a class is made into RuntimeError("Error calling __set_name__ ...") from it.
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None and isinstance(exc, duckdb.InterruptException):
        return True
    return (type(exc) is RuntimeError and str(exc) == "Query interrupted") or _caused_by_ctrl_c(exc)


def unless_interrupted(exc: BaseException) -> None:
    """Raise KeyboardInterrupt for an interrupted query, which a caller stepping aside on any failure must not
    take for a file the engine cannot read (the run would go on in the interpreter)."""
    if interrupted_query(exc):
        raise KeyboardInterrupt from exc


def interrupted_exit(stopped: SystemExit) -> bool:
    """Whether an exit is typer's for Ctrl-C: it turns a KeyboardInterrupt in a command into a silent exit 130
    (`raise Exit(130) from` it), which leaves the user no word of why the command stopped."""
    return stopped.code == EXIT_INTERRUPTED and _caused_by_ctrl_c(stopped)


def _caused_by_ctrl_c(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt is among the causes (or the contexts) of `exc`."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def stop_interrupted(*, at_once: bool = False) -> NoReturn:
    """Stop as Ctrl-C stops every command: `interrupted` on standard error, exit 130; `at_once` without Python's
    clean-up, which would wait for every thread (and one blocked reading standard input never ends)."""
    _written(sys.stderr, f"{INTERRUPTED}\n")
    if at_once:
        _written(sys.stdout, "")
        os._exit(EXIT_INTERRUPTED)
    # Under `python -m lsprules`, CPython notes a KeyboardInterrupt that left any exec() of a string (each
    # dataclass and namedtuple is made by one) and, after exit 130, kills itself with SIGINT instead (-2 to a
    # parent process, not 130). Each exec() of a string forgets the previous one's note: this one ends cleanly.
    exec("")
    sys.exit(EXIT_INTERRUPTED)


def _written(stream: TextIO | None, text: str) -> None:
    """`text` written to a stream and flushed, if it is there (None: the command started with it closed) and
    still open: the exit code tells of the interruption anyway."""
    if stream is None:
        return
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):
        pass
