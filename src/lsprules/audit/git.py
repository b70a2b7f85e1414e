"""Git, read only: a file's contents at a revision, and where a working-tree file stands in git.

Git is run as a subprocess without a shell, with optional locks off so that asking never writes to the
repository. When git is missing or a file is outside any repository, state is simply unknown (None).

A repository's own configuration (`.git/config`) is not trusted: whoever wrote the files we are asked about
may have written it too, and some settings make git run programs (core.fsmonitor on `git status`, clean
filters when comparing a file with the index, gpg on `log.showSignature`, pagers, textconv, external diffs).
So only plumbing that runs none of those is used (ls-files, hash-object --no-filters, rev-parse, log with a
fixed format, cat-file, ls-tree), and every setting that could start a program is overridden on the command
line, which takes precedence over every configuration file. See docs/reliability.md.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal, TypeGuard, TypeVar, overload

from lsprules.core.diagnostics import InputError, error

GIT_TIMEOUT_SECONDS = 60
# Read-only: no optional locks, so asking never refreshes (writes) the index. No pager, no prompt. A file
# name is a name, never a pattern (a file called `*.rules` or `:(exclude)x` names only itself).
_ENV = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", "GIT_PAGER": "cat", "PAGER": "cat",
        "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": "", "GIT_LITERAL_PATHSPECS": "1"}
for _name in ("GIT_EXTERNAL_DIFF", "GIT_DIFF_OPTS", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"):
    _ENV.pop(_name, None)
# Settings that could make git start a program, overridden for every call (`-c` beats every config file).
SAFE_CONFIG = (
    "core.fsmonitor=", "core.hooksPath=/dev/null", "core.pager=cat", "core.untrackedCache=false",
    "core.sshCommand=false", "core.askPass=", "core.editor=false", "sequence.editor=false", "diff.external=",
    "log.showSignature=false", "gpg.program=false", "gpg.ssh.program=false", "gpg.x509.program=false",
    "credential.helper=", "protocol.allow=never", "uploadpack.packObjectsHook=", "core.alternateRefsCommand=",
    "color.ui=false",
)
_SAFE_ARGS = [part for setting in SAFE_CONFIG for part in ("-c", setting)]

_Out = TypeVar("_Out", str, bytes)


@dataclass(frozen=True)
class GitState:
    """Where a file stands in git: the commit that last changed it, and whether it is clean.

    status is 'clean' (as committed), 'modified' (changed or staged since), 'untracked', or 'revision' (read
    from a commit, so clean by definition).
    """

    commit: str | None
    status: str

    @property
    def clean(self) -> bool:
        """Whether the bytes read are exactly those of `commit`."""
        return self.status in ("clean", "revision")

    def to_dict(self) -> dict[str, str | bool | None]:
        """A JSON-ready form."""
        return {"commit": self.commit, "clean": self.clean, "status": self.status}


@dataclass(frozen=True)
class RevisionFile:
    """A file read from a commit: how it was named, the commit, its repository path and its bytes."""

    spec: str
    commit: str
    path: str
    data: bytes


@overload
def _git(args: list[str], cwd: Path, text: Literal[True] = True) -> subprocess.CompletedProcess[str] | None: ...


@overload
def _git(args: list[str], cwd: Path, text: Literal[False]) -> subprocess.CompletedProcess[bytes] | None: ...


def _git(args: list[str], cwd: Path, text: bool = True) -> subprocess.CompletedProcess[str] | \
        subprocess.CompletedProcess[bytes] | None:
    """Run git; None when git cannot be run at all."""
    try:
        return subprocess.run(["git", *_SAFE_ARGS, *args], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                              text=text, env=_ENV, timeout=GIT_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.SubprocessError):
        return None


def _ok(result: subprocess.CompletedProcess[_Out] | None) -> TypeGuard[subprocess.CompletedProcess[_Out]]:
    return result is not None and result.returncode == 0


def _folder(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


# --- the state of a working-tree file ---------------------------------------------------------


def file_state(path: str | Path) -> GitState | None:
    """The git state of a file on disk; None outside a repository or without git.

    Clean means the bytes on disk are those of the index and of HEAD, compared by blob id of the raw bytes
    (`hash-object --no-filters`): no filter configured by the repository runs, and the claim is about the
    very bytes that were read."""
    file = Path(path)
    if not file.is_file():
        return None
    folder, name = _folder(file), file.name
    staged = _git(["ls-files", "--stage", "--", name], folder)
    if not _ok(staged):
        return None  # not in a repository (or git unavailable, or the repository is not trusted)
    if not staged.stdout.strip():
        return GitState(None, "untracked")
    index_blob = staged.stdout.split()[1]
    log = _git(["log", "-1", "--no-show-signature", "--format=%H", "--", name], folder)
    commit = (log.stdout.strip() or None) if _ok(log) else None
    disk = _git(["hash-object", "--no-filters", "--", name], folder)
    head = _git(["rev-parse", "--verify", "--quiet", f"HEAD:./{name}"], folder)
    disk_blob = disk.stdout.strip() if _ok(disk) else None
    head_blob = head.stdout.strip() if _ok(head) else None
    clean = commit is not None and disk_blob == index_blob == head_blob
    return GitState(commit, "clean" if clean else "modified")


# --- files at a revision ----------------------------------------------------------------------


def looks_like_revision(text: str) -> bool:
    """Whether a command-line name is `REV:PATH` rather than a file on disk."""
    if Path(text).exists():
        return False
    rev, sep, path = text.partition(":")
    return bool(sep and rev and path)


def read_revision(spec: str, cwd: str | Path = ".") -> RevisionFile:
    """The bytes of `REV:PATH` (PATH from the repository root, or `./PATH` from `cwd`); InputError if absent."""
    rev, _, path = spec.partition(":")
    where = Path(cwd)
    commit = resolve_commit(rev, where, spec)
    # The verified commit id, not the text given, reaches `git show`: nothing given can pose as an option.
    shown = _git(["cat-file", "blob", f"{commit}:{path}"], where, text=False)
    if not _ok(shown):
        reason = _first_line(shown.stderr.decode("utf-8", "replace")) if shown else "git cannot be run"
        reason = reason.replace(commit, rev)
        raise InputError([error("E001", f"cannot read '{spec}': {reason}",
                                hint=f"check the path at that revision: git ls-tree -r --name-only {rev}")])
    return RevisionFile(spec, commit, path, shown.stdout)


def resolve_commit(rev: str, cwd: Path, named: str | None = None) -> str:
    """The full commit id a revision names; InputError when it names none."""
    _require_repository(cwd, named or rev)
    found = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], cwd)
    if not _ok(found):
        raise InputError([error("E001", f"cannot read '{named or rev}': '{rev}' is not a revision of this "
                                "repository", hint="name a commit, branch or tag, e.g. HEAD~1 or main")])
    return found.stdout.strip()


def repository_path(path: str | Path, cwd: str | Path = ".") -> str:
    """A working-tree path as git names it from the repository root (forward slashes)."""
    where = Path(cwd)
    top = _toplevel(where, str(path))
    absolute = (where / path).resolve()
    try:
        return PurePosixPath(absolute.relative_to(top).as_posix()).as_posix()
    except ValueError:
        raise InputError([error("E001", f"'{path}' is outside the git repository at {top}",
                                hint="name a file inside the repository")]) from None


def files_at(rev: str, cwd: str | Path = ".") -> list[str]:
    """Every file at a revision, named from the repository root."""
    where = Path(cwd)
    commit = resolve_commit(rev, where)
    listed = _git(["ls-tree", "-r", "--name-only", "--full-tree", commit], _toplevel(where, rev))
    return listed.stdout.splitlines() if _ok(listed) else []


def working_files(cwd: str | Path = ".") -> list[str]:
    """Every file in the working tree that git tracks or would track (not ignored), from the repository root."""
    where = Path(cwd)
    listed = _git(["ls-files", "--cached", "--others", "--exclude-standard", "--full-name"],
                  _toplevel(where, str(cwd)))
    return listed.stdout.splitlines() if _ok(listed) else []


def toplevel(cwd: str | Path = ".", purpose: str = "the working tree") -> Path:
    """The root folder of the repository holding `cwd`; InputError (naming `purpose`) outside one."""
    return _toplevel(Path(cwd), purpose)


def _toplevel(cwd: Path, named: str) -> Path:
    _require_repository(cwd, named)
    shown = _git(["rev-parse", "--show-toplevel"], cwd)
    assert shown is not None  # git ran a moment ago in _require_repository
    return Path(shown.stdout.strip()).resolve()


def _require_repository(cwd: Path, named: str) -> None:
    inside = _git(["rev-parse", "--is-inside-work-tree"], cwd)
    if inside is None:
        raise InputError([error("E001", f"cannot read '{named}': git is not installed or cannot be run",
                                hint="install git, or compare two files on disk")])
    if not _ok(inside):
        raise InputError([error("E001", f"cannot read '{named}': {Path(cwd).resolve()} is not inside a git "
                                "repository", hint="run lsprules from inside the repository's working tree")])


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "git failed"
    return line.removeprefix("fatal: ")
