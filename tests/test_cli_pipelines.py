"""lsprules in pipelines: `-` for standard input, settings files, --select/--ignore and suppression comments,
SARIF, workflow annotations, the options every command shares (-h, --color, --quiet, --verbose, --debug), Ctrl-C
and a reader that goes away."""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lsprules.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
DATASET = ROOT / "datasets" / "redcar-cleveland-2007.yaml"
CSV_DATASET = ROOT / "datasets" / "districts-2006-07.csv"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
SARIF_SCHEMA = ROOT / "tests" / "node" / "node_modules" / "@microsoft" / "jest-sarif" / "lib" / "schemas" / \
    "sarif-2.1.0-rtm.5.json"
GAP = "indicator k {\n  polarity higher_is_better\n  unit percent\n  rag {\n    green when value >= 90\n" \
      "    red when value < 85\n  }\n}\n"


def lsprules(*args: str, stdin: str | None = None, cwd: Path = ROOT, env: dict[str, str] | None = None):
    """Run the command as a user does: a fresh process, real pipes."""
    return subprocess.run([sys.executable, "-m", "lsprules", *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, env=env or ENV, timeout=120)


def invoke(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


# --- standard input ---------------------------------------------------------------------------------------


def test_check_reads_standard_input_and_reports_as_for_the_file():
    piped = lsprules("check", "-", stdin=(RULES / "crime.rules").read_text(encoding="utf-8"))
    named = lsprules("check", "rules/crime.rules")
    assert piped.returncode == named.returncode == 0
    assert piped.stdout == named.stdout.replace("rules/crime.rules", "<stdin>")


def test_stdin_filename_names_standard_input_in_messages():
    broken = (RULES / "crime.rules").read_text(encoding="utf-8").replace("polarity lower", "polarty lower", 1)
    piped = lsprules("check", "-", "--stdin-filename", "rules/crime.rules", "-f", "json", stdin=broken)
    [finding] = [f for f in json.loads(piped.stdout) if f["severity"] == "error"]
    assert piped.returncode == 1 and finding["file"] == "rules/crime.rules" and finding["code"] == "E101"


@pytest.mark.parametrize("dataset", [DATASET, CSV_DATASET])
def test_evaluate_reads_a_dataset_from_standard_input_by_the_name_given(dataset):
    rules = RULES / ("crime.rules" if dataset == DATASET else "districts.rules")
    named = lsprules("evaluate", str(rules), str(dataset), "-f", "csv")
    piped = lsprules("evaluate", str(rules), "-", "-f", "csv", "--stdin-filename", dataset.name,
                     stdin=dataset.read_text(encoding="utf-8"))
    assert named.returncode == piped.returncode == 0, piped.stderr
    assert piped.stdout == named.stdout and len(named.stdout.splitlines()) > 5


def test_evaluate_reads_rules_from_standard_input():
    named = lsprules("evaluate", "rules/crime.rules", str(DATASET), "-f", "json")
    piped = lsprules("evaluate", "-", str(DATASET), "-f", "json", "--stdin-filename", "rules/crime.rules",
                     stdin=(RULES / "crime.rules").read_text(encoding="utf-8"))
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout) == json.loads(named.stdout)


def test_explain_and_diff_read_standard_input():
    text = (RULES / "crime.rules").read_text(encoding="utf-8")
    explained = lsprules("explain", "-", str(DATASET), "-i", "robbery", "--stdin-filename", str(RULES / "crime.rules"),
                         stdin=text)
    assert explained.returncode == 0 and explained.stdout == lsprules("explain", str(RULES / "crime.rules"),
                                                                      str(DATASET), "-i", "robbery").stdout
    changed = text.replace("reduce by 17.5 %", "reduce by 20 %", 1)
    diffed = lsprules("diff", "rules/crime.rules", "-", "--exit-code", stdin=changed)
    assert diffed.returncode == 1 and "20" in diffed.stdout and "17.5" in diffed.stdout


def without_suppression(text: str) -> str:
    """The bundled crime rules without the comment that silences their one warning (E206)."""
    kept = [line for line in text.splitlines(keepends=True) if "lsprules: ignore[E206]" not in line]
    assert len(kept) == len(text.splitlines(keepends=True)) - 1
    return "".join(kept)


# --- settings files ---------------------------------------------------------------------------------------


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A project with its rules and tests in policy/ (not rules/), found only through lsprules.toml."""
    shutil.copytree(RULES, tmp_path / "policy")
    crime = tmp_path / "policy" / "crime.rules"  # without its suppression comment: the settings must do the work
    crime.write_text(without_suppression(crime.read_text(encoding="utf-8")), encoding="utf-8")
    shutil.copytree(ROOT / "datasets", tmp_path / "datasets")
    (tmp_path / "lsprules.toml").write_text('rules = ["policy"]\ntests = ["policy"]\n\n[check]\n'
                                            'ignore = ["E206"]\n', encoding="utf-8")
    (tmp_path / "work").mkdir()
    return tmp_path


def test_a_settings_file_changes_what_check_and_test_do_by_default(project: Path):
    checked = lsprules("check", cwd=project / "work")  # found upward from a subfolder
    count = len(list(RULES.glob("*.rules")))
    assert checked.returncode == 0 and checked.stdout == f"no problems found in {count} files\n"
    (project / "lsprules.toml").write_text('rules = ["policy"]\ntests = ["policy"]\n', encoding="utf-8")
    assert "E206" in lsprules("check", cwd=project / "work").stdout  # it was the settings that ignored it
    tested = lsprules("test", cwd=project)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "policy/crime.tests.yaml" in tested.stdout
    (project / "lsprules.toml").unlink()
    assert lsprules("test", cwd=project).returncode == 2  # the default, rules/, does not exist here


def test_tool_lsprules_in_pyproject_is_found(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.lsprules.check]\nselect = ["E1"]\n',
                                             encoding="utf-8")
    (tmp_path / "gap.rules").write_text(GAP, encoding="utf-8")
    assert lsprules("check", "gap.rules", cwd=tmp_path).stdout == "no problems found in 1 file\n"
    assert "E201" in lsprules("check", "gap.rules", "--select", "E2", cwd=tmp_path).stdout


def test_an_unknown_setting_is_an_error_at_its_line(tmp_path: Path):
    (tmp_path / "lsprules.toml").write_text('rules = ["rules"]\n\n[check]\nselect = ["E2"]\nignroe = ["E206"]\n',
                                            encoding="utf-8")
    result = lsprules("check", str(RULES), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("lsprules.toml:5:1: error[E601]: unknown setting `check.ignroe`")
    assert "did you mean 'ignore'?" in result.stderr


def test_the_limits_table_sets_the_limits_before_the_environment_and_the_options(tmp_path: Path):
    rules = tmp_path / "big.rules"
    rules.write_text('indicator robbery "Robbery" {\n  polarity lower_is_better\n  target 123456789012\n}\n',
                     encoding="utf-8")
    (tmp_path / "lsprules.toml").write_text("[limits]\nnumber_digits = 10\n", encoding="utf-8")
    assert "E700" in lsprules("check", "big.rules", cwd=tmp_path).stdout  # 12 digits, beyond the table's 10
    assert lsprules("--limit", "number_digits=12", "check", "big.rules", cwd=tmp_path).returncode == 0
    (tmp_path / "lsprules.toml").write_text("[limits]\nnumber_digitz = 10\n", encoding="utf-8")
    result = lsprules("check", "big.rules", cwd=tmp_path)
    assert result.returncode == 2 and "E705" in result.stderr and "number_digitz" in result.stderr
    (tmp_path / "lsprules.toml").write_text('limits = "high"\n', encoding="utf-8")
    result = lsprules("check", "big.rules", cwd=tmp_path)
    assert result.returncode == 2 and "lsprules.toml:1:1: error[E602]: `limits` must be a table" in result.stderr


# --- select, ignore, suppression comments -----------------------------------------------------------------


def test_select_and_ignore_choose_codes_by_prefix(tmp_path: Path):
    path = tmp_path / "gap.rules"
    path.write_text(GAP, encoding="utf-8")
    assert invoke("check", str(path)).exit_code == 1
    assert invoke("check", str(path), "--ignore", "E201").exit_code == 0
    assert invoke("check", str(path), "--select", "E1").exit_code == 0
    assert invoke("check", str(path), "--select", "E2", "--ignore", "E202").exit_code == 1


def test_a_suppression_comment_with_a_reason_silences_its_line_only(tmp_path: Path):
    path = tmp_path / "crime.rules"
    text = (RULES / "crime.rules").read_text(encoding="utf-8")
    comment = "      # lsprules: ignore[E206] the report gives no target, so this rating is n/a until one is added\n"
    assert text.count(comment) == 1  # the bundled rules silence the one warning they mean to keep
    assert invoke("check", str(RULES / "crime.rules")).stdout == "no problems found in 1 file\n"
    path.write_text(text.replace(comment, ""), encoding="utf-8")
    assert "E206" in invoke("check", str(path)).stdout  # it was the comment that silenced it
    path.write_text(text.replace("ignore[E206] the report gives no target, so this rating is n/a until one is added",
                                 "ignore[E206]"), encoding="utf-8")
    found = json.loads(invoke("check", str(path), "-f", "json").stdout)
    assert [f["code"] for f in found] == ["E230", "E206"]  # in order of place


# --- machine-readable output ------------------------------------------------------------------------------


def test_github_annotations_carry_the_end_of_the_span(tmp_path: Path):
    path = tmp_path / "gap.rules"
    path.write_text(GAP, encoding="utf-8")
    [line] = invoke("check", str(path), "-f", "github").stdout.splitlines()
    [finding] = json.loads(invoke("check", str(path), "-f", "json").stdout)
    assert f",line={finding['line']},col={finding['column']},endLine={finding['end_line']}," \
           f"endColumn={finding['end_column']},title=E201::" in line


def test_sarif_output_validates_against_the_sarif_2_1_0_schema(tmp_path: Path):
    if not SARIF_SCHEMA.exists():
        reason = "the SARIF 2.1.0 schema comes from npm: run `npm ci --prefix tests/node` (.ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    import jsonschema

    path = tmp_path / "gap.rules"
    path.write_text(GAP, encoding="utf-8")
    (tmp_path / "bad.rules").write_text("indicator k {\n  polarty higher_is_better\n}\n", encoding="utf-8")
    log = json.loads(invoke("check", str(tmp_path), "-f", "sarif", "-d", str(DATASET)).stdout)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    results = log["runs"][0]["results"]
    findings = json.loads(invoke("check", str(tmp_path), "-f", "json", "-d", str(DATASET)).stdout)
    assert [r["ruleId"] for r in results] == [f["code"] for f in findings] and len(results) >= 2
    first = results[0]["locations"][0]["physicalLocation"]["region"]
    assert (first["startLine"], first["startColumn"]) == (findings[0]["line"], findings[0]["column"])
    assert invalid_sarif_is_caught(schema, log)


def invalid_sarif_is_caught(schema: dict[str, object], log: dict[str, object]) -> bool:
    """The schema check can fail: a result without a message is rejected."""
    import copy

    import jsonschema

    broken = copy.deepcopy(log)
    del broken["runs"][0]["results"][0]["message"]  # type: ignore[index]
    try:
        jsonschema.validators.validator_for(schema)(schema).validate(broken)
    except jsonschema.ValidationError:
        return True
    return False


# --- options every command shares -------------------------------------------------------------------------


def test_h_is_help():
    assert invoke("-h").stdout == invoke("--help").stdout
    assert "Usage" in invoke("check", "-h").stdout


def test_shell_completion_is_offered():
    assert "--show-completion" in invoke("--help").stdout


@pytest.mark.parametrize("args, env, coloured", [
    (["--color", "always"], {}, True), (["--color", "never"], {"FORCE_COLOR": "1"}, False),
    ([], {"FORCE_COLOR": "1"}, True), ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False), ([], {}, False)])
def test_color_follows_the_option_then_no_color_and_force_color(args, env, coloured):
    clean = {k: v for k, v in ENV.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    result = lsprules(*args, "evaluate", "rules/crime.rules", str(DATASET), env={**clean, **env})
    assert result.returncode == 0 and ("\x1b[" in result.stdout) == coloured


def test_quiet_prints_nothing_for_a_clean_check_and_verbose_names_the_settings(project: Path):
    assert lsprules("--quiet", "check", cwd=project).stdout == ""
    verbose = lsprules("--verbose", "check", cwd=project)
    assert f"settings from {project / 'lsprules.toml'}" in verbose.stderr


def test_debug_shows_the_traceback_of_an_internal_error(monkeypatch, capsys):
    import lsprules.jobs.check
    from lsprules.cli.app import main

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr(lsprules.jobs.check, "run_check", broken)
    for argv, env, traceback in ((["check", "rules"], None, False), (["--debug", "check", "rules"], None, True),
                                 (["check", "rules"], "1", True)):
        monkeypatch.setattr(sys, "argv", ["lsprules", *argv])
        if env:
            monkeypatch.setenv("LSPRULES_DEBUG", env)
        with pytest.raises(SystemExit) as exit_:
            main()
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and "internal error: RuntimeError: a bug" in err
        assert ("Traceback (most recent call last)" in err) == traceback


def test_a_panic_inside_polars_while_writing_is_an_internal_error_without_a_traceback(monkeypatch, capsys):
    import polars as pl

    import lsprules.jobs.check
    from lsprules.cli.app import main

    def panicking(*args: object, **kwargs: object) -> object:  # as a later batch's run can, mid-report
        raise pl.exceptions.PanicException("index out of bounds")

    monkeypatch.setattr(lsprules.jobs.check, "run_check", panicking)
    monkeypatch.setattr(sys, "argv", ["lsprules", "check", "rules"])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "internal error: PanicException: index out of bounds" in err
    assert "Traceback" not in err


def test_help_loads_neither_pydantic_nor_the_language_server():
    probe = "import sys; sys.argv = ['lsprules', '--help']\nfrom lsprules.cli.app import main\ntry:\n    main()\n" \
            "except SystemExit:\n    pass\nprint(sorted(m for m in sys.modules if m.split('.')[0] in " \
            "('pydantic', 'pygls', 'lsprotocol')), file=sys.stderr)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=ENV, timeout=60)
    assert result.stderr.strip().splitlines()[-1] == "[]"


def _long_duckdb_query(*args: object, **kwargs: object) -> object:
    """Run a DuckDB query that only an interrupt ends, and send this process Ctrl-C (SIGINT) while it runs."""
    import duckdb

    from lsprules.engine.columnar.duck import shut

    connection = duckdb.connect()
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
    try:
        return connection.execute("SELECT count(*) FROM range(10000000000000) t(x) WHERE x % 7 = 3").fetchall()
    finally:  # shut: closed alone (or by its destructor), DuckDB would run the interrupted query on to its end
        shut(connection)


def test_ctrl_c_during_a_duckdb_query_says_interrupted_and_exits_130(monkeypatch, capsys):
    import lsprules.jobs.check
    from lsprules.cli.app import main

    monkeypatch.setattr(lsprules.jobs.check, "run_check", _long_duckdb_query)
    monkeypatch.setattr(sys, "argv", ["lsprules", "check", "rules"])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    assert exit_.value.code == 130 and err == "interrupted\n"


def test_duckdb_interrupt_is_an_interruption_and_other_runtime_errors_are_bugs():
    import duckdb

    from lsprules.core.interrupts import interrupted_query

    with duckdb.connect() as connection, pytest.raises(duckdb.InterruptException) as stopped:
        threading.Timer(0.3, connection.interrupt).start()
        connection.execute("SELECT count(*) FROM range(10000000000000) t(x) WHERE x % 7 = 3").fetchall()
    assert interrupted_query(stopped.value)
    assert not interrupted_query(RuntimeError("a bug")) and not interrupted_query(ValueError("Query interrupted"))


def test_an_error_python_raised_because_of_ctrl_c_is_an_interruption(monkeypatch, capsys):
    # Ctrl-C as a class is made (a dataclass's field, here) comes out as RuntimeError("Error calling
    # __set_name__ ...") from the KeyboardInterrupt; once, in CI, a command said it was a bug in lsprules.
    import lsprules.jobs.check
    from lsprules.cli.app import main

    def ctrl_c_as_a_class_is_made(*args: object, **kwargs: object) -> None:
        class Field:
            def __set_name__(self, owner: type, name: str) -> None:
                raise KeyboardInterrupt

        type("Report", (), {"out": Field()})

    monkeypatch.setattr(lsprules.jobs.check, "run_check", ctrl_c_as_a_class_is_made)
    monkeypatch.setattr(sys, "argv", ["lsprules", "check", "rules"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert (exit_.value.code, capsys.readouterr().err) == (130, "interrupted\n")


# --- Ctrl-C: `interrupted` on standard error, exit 130, whatever the command is doing -----------------------

LINUX_ONLY = pytest.mark.skipif(sys.platform != "linux", reason="reads the processes' family from /proc")


def _with_ctrl_c_as_in_a_terminal() -> None:
    """In the child before it runs: SIGINT as a shell leaves it for a command (a test run in the background may
    have it ignored or blocked, which the child would inherit)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _started(argv: list[str], cwd: Path, errors: Path, **streams: object) -> subprocess.Popen[bytes]:
    """`python ARGV` as a terminal's foreground job: its own process group, standard error to the file `errors`."""
    return subprocess.Popen([sys.executable, *argv], cwd=cwd, env=ENV, stdin=streams.get("stdin", subprocess.PIPE),
                            stdout=streams.get("stdout", subprocess.DEVNULL), stderr=errors.open("wb"),
                            start_new_session=True, preexec_fn=_with_ctrl_c_as_in_a_terminal)


def _ctrl_c_once(process: subprocess.Popen[bytes], ready: Callable[[], bool], errors: Path) -> tuple[int, str]:
    """Once `ready()` (polled, so a loaded machine only makes it later), press Ctrl-C: SIGINT to every process
    of the job, as a terminal sends it. The exit code and standard error; the job's processes have all ended."""
    deadline = time.monotonic() + 60
    try:
        while not ready():
            assert process.poll() is None, f"ended before it was ready: {errors.read_text(encoding='utf-8')}"
            assert time.monotonic() < deadline, "never ready"
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGINT)
        code = process.wait(timeout=60)
        while time.monotonic() < deadline:  # its worker processes, and the standard library's resource tracker
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("processes of the job are still running")
    finally:  # a failed test leaves nothing running
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return code, errors.read_text(encoding="utf-8")


@pytest.mark.parametrize("args", [
    ["check", "-"],
    ["fmt", "-"],
    ["evaluate", str(RULES / "crime.rules"), "-", "--stdin-filename", "data.yaml"],
    ["explain", str(RULES / "crime.rules"), "-", "--stdin-filename", "data.yaml", "--indicator", "theft_of_vehicle"],
    ["sql", "-"],
    ["lsp"],
])
def test_ctrl_c_in_a_command_says_interrupted_and_exits_130(tmp_path: Path, args: list[str]):
    # typer turns a KeyboardInterrupt in a command into a silent exit 130. Each command here waits for standard
    # input; --verbose names the settings file once the command line is read, before the command runs.
    settings = tmp_path / "lsprules.toml"
    settings.write_text("", encoding="utf-8")
    errors = tmp_path / "stderr"
    process = _started(["-m", "lsprules", "--verbose", *args], tmp_path, errors)
    code, err = _ctrl_c_once(process, lambda: "settings from" in errors.read_text(encoding="utf-8"), errors)
    assert (code, err) == (130, f"lsprules: settings from {settings}\ninterrupted\n")


def test_ctrl_c_stops_the_language_server_as_any_command(tmp_path: Path):
    # pygls took Ctrl-C for the end of the session (exit 0), once its thread reading standard input had ended:
    # with that input still open, as here and in a terminal, never.
    errors = tmp_path / "stderr"
    process = _started(["-m", "lsprules", "lsp"], tmp_path, errors, stdout=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    request = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                          "params": {"processId": None, "rootUri": None, "capabilities": {}}}).encode()
    process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(request), request))
    process.stdin.flush()
    assert select.select([process.stdout], [], [], 60)[0], "the server never answered"
    answered = process.stdout.read1(65536)  # the server's answer: it is serving
    assert answered.startswith(b"Content-Length:"), answered
    assert _ctrl_c_once(process, lambda: True, errors) == (130, "interrupted\n")


PROBE = """\
import os, signal, sys
class CtrlC:  # Ctrl-C as the program imports typer, some 30 ms in: before cli/app.main can catch anything
    def find_spec(self, name, path=None, target=None):
        if name == "typer":
            os.kill(os.getpid(), signal.SIGINT)
sys.meta_path.insert(0, CtrlC())
sys.argv = ["lsprules", "check", "rules"]
"""


def test_ctrl_c_while_the_program_loads_says_interrupted_too():
    import tomllib

    script = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]["lsprules"]
    module, function = script.split(":")  # what the installed `lsprules` command runs
    for run in (f"from {module} import {function}\n{function}()\n",
                "import runpy\nrunpy.run_module('lsprules', run_name='__main__', alter_sys=True)\n"):  # python -m
        loaded = subprocess.run([sys.executable, "-c", PROBE + run], cwd=ROOT, env=ENV, capture_output=True,
                                text=True, timeout=60)
        assert (loaded.returncode, loaded.stderr) == (130, "interrupted\n"), run


def test_python_m_lsprules_exits_130_though_ctrl_c_came_through_an_exec(tmp_path: Path):
    # Ctrl-C often lands while a dataclass or namedtuple is being made, in an exec() of its code: CPython then
    # notes it and, under `python -m`, ends by SIGINT (-2) after the exit 130 asked for.
    (tmp_path / "exec_probe.py").write_text(
        "import sys\nimport lsprules.jobs.check\n"
        "def interrupted(*args, **kwargs):\n    exec('raise KeyboardInterrupt')\n"
        "lsprules.jobs.check.run_check = interrupted\nsys.argv = ['lsprules', 'check', 'rules']\n"
        "from lsprules.cli.app import main\nmain()\n", encoding="utf-8")
    env = {**ENV, "PYTHONPATH": os.pathsep.join([str(tmp_path), ENV["PYTHONPATH"]])}
    ran = subprocess.run([sys.executable, "-m", "exec_probe"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert (ran.returncode, ran.stderr) == (130, "interrupted\n")


def _children(pid: int) -> list[str]:
    """The command lines of a process's children."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid:
                found.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ValueError, IndexError):  # it ended meanwhile
            continue
    return found


@pytest.fixture(scope="module")
def national_350(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fastpath_helpers import find_gen, generate  # imported here: it imports much of lsprules

    if find_gen() is None:
        pytest.skip("shared/bench/gen.py is not beside the checkout")
    return generate(tmp_path_factory.mktemp("ctrl-c") / "national.csv", 350)


@LINUX_ONLY
@pytest.mark.parametrize("output", [["-f", "markdown", "-o", "report.md"], ["-f", "html", "--pages", "-o", "pages"]])
def test_ctrl_c_while_workers_write_a_report_stops_them_all_quietly(tmp_path: Path, national_350: Path,
                                                                    output: list[str]):
    # A terminal sends SIGINT to the workers too: each printed its KeyboardInterrupt's traceback, even while it
    # was starting. Lowered thresholds (as in test_report_workers.py) give 350 areas to the workers.
    run = ("import sys\nfrom lsprules.jobs import report_workers\n"
           "report_workers.PARALLEL_AREAS, report_workers.SLICE_ROWS = 1, 100\n"
           f"sys.argv = ['lsprules', 'evaluate', {str(RULES / 'national.rules')!r}, {str(national_350)!r}, '--engine', "
           f"'polars', '--jobs', '2', *{output!r}]\nfrom lsprules.__main__ import main\nmain()\n")
    out = tmp_path / "out"
    out.mkdir()
    errors = tmp_path / "stderr"
    process = _started(["-c", run], out, errors)

    def workers_started() -> bool:  # Ctrl-C at once: the workers are still importing lsprules
        return sum("spawn_main" in line for line in _children(process.pid)) == 2

    assert _ctrl_c_once(process, workers_started, errors) == (130, "interrupted\n")
    assert list(out.iterdir()) == []  # neither the output nor its temporary file or folder


# --- a reader that goes away (`lsprules … | head`) ----------------------------------------------------------


def _into_a_pipe_read_for(args: list[str], read: int) -> subprocess.CompletedProcess[bytes]:
    """Run the command into a pipe whose reader takes `read` bytes (0: none, the pipe already closed), then goes."""
    reading, writing = os.pipe()
    if read == 0:
        os.close(reading)
    process = subprocess.Popen([sys.executable, "-m", "lsprules", *args], stdout=writing, stderr=subprocess.PIPE,
                               cwd=ROOT, env=ENV)
    os.close(writing)
    if read:
        taken = b""
        while len(taken) < read:
            taken += os.read(reading, read - len(taken))
        os.close(reading)
    _, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(args, process.returncode, b"", err)


@pytest.mark.parametrize("args", [
    ["evaluate", "rules/crime.rules", str(DATASET)],
    ["evaluate", "rules/crime.rules", str(DATASET), "--format", "json"],
    ["check", "rules"],
    ["explain", "rules/crime.rules", str(DATASET), "--indicator", "theft_from_vehicle"],
])
def test_a_reader_gone_before_the_output_stops_the_command_quietly_with_141(args: list[str]):
    gone = _into_a_pipe_read_for(args, 0)
    assert gone.returncode == 141 and gone.stderr == b"", gone.stderr


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["interpreter", "polars", "duckdb"])
def test_a_reader_that_takes_part_of_a_large_output_stops_every_engine_alike(tmp_path: Path, engine: str):
    from fastpath_helpers import NATIONAL_RULES, generate

    data = generate(tmp_path / "national.csv", 120)  # 1,440 rows of CSV output, 158 KB: beyond a pipe's buffer
    args = ["evaluate", str(NATIONAL_RULES), str(data), "--format", "csv", "--engine", engine]
    whole = subprocess.run([sys.executable, "-m", "lsprules", *args], capture_output=True, cwd=ROOT, env=ENV,
                           timeout=120)
    assert whole.returncode == 0 and len(whole.stdout) > 2 * 65536
    part = _into_a_pipe_read_for(args, 200)
    assert part.returncode == 141 and part.stderr == b"", part.stderr


def test_an_input_error_keeps_exit_2_though_the_reader_has_gone():
    gone = _into_a_pipe_read_for(["explain", "rules/crime.rules", str(DATASET)], 0)
    assert gone.returncode == 2 and b"error[E003]" in gone.stderr


def test_a_reader_gone_matters_only_when_a_write_to_it_failed(tmp_path: Path):
    written = tmp_path / "out.csv"
    to_a_file = _into_a_pipe_read_for(["evaluate", "rules/crime.rules", str(DATASET), "-o", str(written)], 0)
    assert to_a_file.returncode == 0 and written.read_text(encoding="utf-8").startswith("Redcar")
    assert _into_a_pipe_read_for(["--version"], 0).returncode == 141  # it wrote, and the write failed


@pytest.mark.parametrize("output", ["csv", "json"])
def test_a_duckdb_run_stopped_by_ctrl_c_closes_its_connection_there(monkeypatch, output):
    # Left to DuckDB's destructor, a connection whose query Ctrl-C interrupted runs that query on to its end, at
    # whatever later garbage collection finds it (DuckDB 1.5): a test run once hung for an hour there.
    import duckdb

    from lsprules.engine.columnar import duck, json_run
    from lsprules.lang.resolve import load_rules

    opened: list[duckdb.DuckDBPyConnection] = []

    def interrupted(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
        opened.append(connection)
        raise KeyboardInterrupt

    monkeypatch.setattr(duck, "load_checked", interrupted)
    rules = load_rules(RULES / "national.rules")
    with pytest.raises(KeyboardInterrupt):
        if output == "csv":
            duck.evaluate_csv(rules, ROOT / "datasets" / "national-sample.csv")
        else:
            json_run.evaluate_json(rules, ROOT / "datasets" / "national-sample.csv", engine="duckdb")
    (connection,) = opened
    with pytest.raises(duckdb.ConnectionException, match="closed"):
        connection.execute("SELECT 1")


def test_a_ctrl_c_that_a_library_swallowed_is_raised_at_the_next_check(monkeypatch):
    from lsprules.core import interrupts

    monkeypatch.setattr(interrupts, "_pressed", False)
    previous = signal.getsignal(signal.SIGINT)
    try:
        interrupts.notice_ctrl_c()
        interrupts.raise_if_pressed()  # nothing pressed yet: nothing raised
        with contextlib.suppress(KeyboardInterrupt):  # as DuckDB swallows one that comes as it finishes a read
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        with pytest.raises(KeyboardInterrupt):
            interrupts.raise_if_pressed()
    finally:
        signal.signal(signal.SIGINT, previous)


SWALLOWED_CTRL_C = """
import signal, sys
from lsprules.core.interrupts import notice_ctrl_c, stop_interrupted

class Pressed:
    def __del__(self):  # Ctrl-C while Python runs a __del__ (importlib runs a weak reference's callback as it loads)
        signal.raise_signal(signal.SIGINT)

notice_ctrl_c()
try:
    Pressed()
    sys.stdin.buffer.read()
except KeyboardInterrupt:
    stop_interrupted()
"""


def test_a_ctrl_c_python_could_not_raise_is_pressed_again(tmp_path: Path):
    # Python prints "Exception ignored" for a KeyboardInterrupt raised where it cannot propagate, and goes on: the
    # command then waited for standard input for ever (seen once in CI, in `fmt -` as it imported).
    errors = tmp_path / "stderr"
    process = _started(["-c", SWALLOWED_CTRL_C], tmp_path, errors)
    try:
        code = process.wait(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert (code, errors.read_text(encoding="utf-8")) == (130, "interrupted\n")


def test_a_ctrl_c_ignored_from_the_start_stays_ignored(monkeypatch):
    from lsprules.core import interrupts

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a shell's background job (`lsprules ... &`)
    try:
        interrupts.notice_ctrl_c()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("output", ["csv", "json"])
def test_a_duckdb_run_stops_after_a_read_that_swallowed_ctrl_c(monkeypatch, output):
    from lsprules.core import interrupts
    from lsprules.engine.columnar import duck, json_run
    from lsprules.lang.resolve import load_rules

    monkeypatch.setattr(interrupts, "_pressed", True)  # pressed, and the KeyboardInterrupt lost inside DuckDB
    rules, data = load_rules(RULES / "national.rules"), ROOT / "datasets" / "national-sample.csv"
    with pytest.raises(KeyboardInterrupt):
        duck.evaluate_csv(rules, data) if output == "csv" else json_run.evaluate_json(rules, data)


def test_an_interrupted_duckdb_read_is_not_taken_for_a_file_duckdb_cannot_read():
    import duckdb

    from lsprules.core.interrupts import unless_interrupted

    with duckdb.connect() as connection, pytest.raises(duckdb.InterruptException) as stopped:
        threading.Timer(0.3, connection.interrupt).start()
        connection.execute("SELECT count(*) FROM range(10000000000000) t(x) WHERE x % 7 = 3").fetchall()
    with pytest.raises(KeyboardInterrupt):
        unless_interrupted(stopped.value)
    unless_interrupted(duckdb.ConversionException("not a number"))  # a real failure: the caller steps aside
