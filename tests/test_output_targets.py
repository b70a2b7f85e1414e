"""An output replaces only a regular file: never a folder, FIFO, device or (unless asked) a symbolic link; never
keeps a setuid bit; `-o -` is standard output; fmt formats the file a link points to; SIGTERM leaves no
temporary file behind."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lsprules.cli.app import app

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(ROOT / "rules" / "crime.rules", tmp_path / "crime.rules")
    shutil.copy(ROOT / "datasets" / "redcar-cleveland-2007.yaml", tmp_path / "crime.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def writers(output: str) -> dict[str, list[str]]:
    """Every command that writes -o, writing to `output`."""
    return {
        "evaluate": ["evaluate", "crime.rules", "crime.yaml", "-o", output],
        "explain": ["explain", "crime.rules", "crime.yaml", "--indicator", "robbery", "-o", output],
        "diff": ["diff", "crime.rules", "crime.rules", "-o", output],
        "diff --textconv": ["diff", "--textconv", "crime.rules", "-o", output],
        "test --boundaries": ["test", "--boundaries", "crime.rules", "--data", "crime.yaml", "-o", output],
    }


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output


@pytest.mark.parametrize("command", sorted(writers("x")))
def test_a_fifo_is_refused_and_left_a_fifo(folder, command):
    os.mkfifo("pipe")
    code, out = run(writers("pipe")[command])
    assert code == 2 and "error[E005]" in out and "named pipe (FIFO)" in out
    assert stat.S_ISFIFO(os.lstat("pipe").st_mode)


@pytest.mark.parametrize("command", sorted(writers("x")))
def test_a_character_device_is_refused(folder, command):
    # /dev/null is only looked at: the refusal comes before any write (as root it would otherwise be replaced)
    before = os.lstat("/dev/null")
    code, out = run(writers("/dev/null")[command])
    assert code == 2 and "error[E005]" in out and "character device" in out
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


@pytest.mark.parametrize("command", sorted(writers("x")))
def test_a_folder_is_refused(folder, command):
    (folder / "reports").mkdir()
    code, out = run(writers("reports")[command])
    assert code == 2 and "error[E004]" in out and (folder / "reports").is_dir()


@pytest.mark.parametrize("command", sorted(writers("x")))
def test_a_symbolic_link_is_refused_unless_asked(folder, command):
    (folder / "real.txt").write_text("before\n", encoding="utf-8")
    os.symlink("real.txt", "link.txt")
    code, out = run(writers("link.txt")[command])
    assert code == 2 and "error[E006]" in out and "--write-through-symlink" in out
    assert os.path.islink("link.txt") and (folder / "real.txt").read_text(encoding="utf-8") == "before\n"
    code, out = run([*writers("link.txt")[command], "--write-through-symlink"])
    assert code in (0, 1), out
    assert os.path.islink("link.txt") and (folder / "real.txt").read_text(encoding="utf-8") != "before\n"


def test_a_link_to_a_folder_stays_a_link_to_a_folder(folder):
    (folder / "reports").mkdir()
    os.symlink("reports", "out")
    assert run(writers("out")["evaluate"])[0] == 2
    code, out = run([*writers("out")["evaluate"], "--write-through-symlink"])
    assert code == 2 and "error[E004]" in out
    assert os.path.islink("out") and (folder / "reports").is_dir()


def test_a_link_to_an_input_is_refused_even_when_links_are_allowed(folder):
    os.symlink("crime.yaml", "out.yaml")
    before = (folder / "crime.yaml").read_bytes()
    code, out = run([*writers("out.yaml")["evaluate"], "--write-through-symlink"])
    assert code == 2 and "error[E003]" in out
    assert (folder / "crime.yaml").read_bytes() == before


def test_a_replaced_file_keeps_its_permissions_but_never_setuid_or_setgid(folder):
    out = folder / "report.txt"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o6750)
    assert run(writers("report.txt")["evaluate"])[0] == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o750


def test_dash_is_standard_output(folder):
    code, out = run([*writers("-")["evaluate"], "--format", "json"])
    assert code == 0 and out.startswith("{") and not (folder / "-").exists()
    code, out = run(writers("-")["diff --textconv"])
    assert code == 0 and "robbery" in out and not (folder / "-").exists()


def test_fmt_formats_the_file_a_link_points_to(folder):
    (folder / "crime.rules").write_text("indicator   robbery\n", encoding="utf-8")
    os.symlink("crime.rules", "link.rules")
    code, out = run(["fmt", "link.rules"])
    assert code == 0, out
    assert os.path.islink("link.rules")
    assert (folder / "crime.rules").read_text(encoding="utf-8") == "indicator robbery\n"


def test_fmt_refuses_to_format_a_fifo_in_place(folder):
    os.mkfifo("pipe.rules")
    code, out = run(["fmt", "pipe.rules"])
    assert code == 2 and "error[E005]" in out and stat.S_ISFIFO(os.lstat("pipe.rules").st_mode)


def test_sigterm_during_a_write_leaves_no_temporary_file(tmp_path):
    # The write stops itself with SIGTERM halfway: the temporary file must be gone, the target untouched.
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT / "src")!r})
        from lsprules.core import files
        real_fdopen = os.fdopen
        class Stopping:
            def __init__(self, handle): self.handle = handle
            def __enter__(self): return self
            def __exit__(self, *exc): self.handle.close()
            def write(self, data):
                self.handle.write(data[:10]); self.handle.flush()
                os.kill(os.getpid(), signal.SIGTERM)
                raise AssertionError("SIGTERM did not stop the write")
        files.os.fdopen = lambda fd, mode: Stopping(real_fdopen(fd, mode))
        try:
            files.write_atomic({str(tmp_path / "out.txt")!r}, "x" * 1000)
        except files.Terminated:
            sys.exit(143)
    """)
    (tmp_path / "out.txt").write_text("before\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 143, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == "before\n"
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # this process's handler untouched
