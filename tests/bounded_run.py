"""Run the lsprules CLI in a child process and measure it: exit code, output, wall time and peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEBIBYTE = 1024 * 1024
# The child reports its own peak resident memory (VmHWM, KiB, which unlike ru_maxrss starts afresh at exec
# rather than counting the parent it was forked from) on its last line of stderr.
_CHILD = ("import atexit, sys\n"
          "def peak():\n"
          "    for line in open('/proc/self/status'):\n"
          "        if line.startswith('VmHWM:'):\n"
          "            sys.stderr.write('\\nMAXRSS ' + line.split()[1] + '\\n')\n"
          "atexit.register(peak)\n"
          "sys.argv[0] = 'lsprules'\n"
          "from lsprules.cli.app import main\n"
          "main()\n")


@dataclass(frozen=True)
class Measured:
    """What one run did and cost."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    mebibytes: float


def measured(args: list[str], cwd: Path, timeout: float = 60) -> Measured:
    """Run `lsprules ARGS` in `cwd` with this checkout's source."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", _CHILD, *args], cwd=cwd, capture_output=True, text=True,
                            timeout=timeout, env=env)
    seconds = time.perf_counter() - start
    stderr, _, rss = result.stderr.rpartition("\nMAXRSS ")
    return Measured(result.returncode, result.stdout, stderr, seconds, int(rss.strip() or 0) * 1024 / MEBIBYTE)
