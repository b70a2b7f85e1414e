"""The `diff` job as a library function: load both sides (files or git revisions), diff, replay on data, render."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from lsprules.audit.impact import DiffReport, FileDiff, Results, held, impact
from lsprules.audit.provenance import InputFile, input_file, provenance_of
from lsprules.audit.semantic_diff import diff_rule_sets
from lsprules.core.diagnostics import InputError, error
from lsprules.core.source import display_name
from lsprules.jobs.rule_files import RuleInput, absent_rules, load_rule_input

if TYPE_CHECKING:  # the replay's modules are imported when data is replayed: `diff --textconv` runs often
    from lsprules.data.model import Dataset
    from lsprules.lang.resolve import RuleSet


def pairs_for(names: list[str], git: str | None, cwd: str | Path = ".") -> list[tuple[RuleInput, RuleInput]]:
    """The (old, new) rule inputs to compare: two names, or REV:PATH against the working tree."""
    if git is None:
        if len(names) != 2:
            raise InputError([error("E003", f"diff needs two rule files (OLD NEW), got {len(names)}",
                                    hint="e.g. lsprules diff HEAD~1:rules/crime.rules rules/crime.rules, "
                                         "or lsprules diff --git HEAD~1 rules/crime.rules")])
        return [(load_rule_input(names[0], cwd), load_rule_input(names[1], cwd))]
    if names:
        return [_git_pair(git, name, cwd) for name in names]
    return _all_git_pairs(git, cwd)


def _git_pair(rev: str, name: str, cwd: str | Path) -> tuple[RuleInput, RuleInput]:
    from lsprules.audit.git import repository_path

    if not (Path(cwd) / name).is_file():
        raise InputError([error("E001", f"cannot read rule file '{name}': no such file in the working tree",
                                hint="name a rule file that exists now; compare two revisions with "
                                     "lsprules diff REV1:PATH REV2:PATH")])
    return load_rule_input(f"{rev}:{repository_path(name, cwd)}", cwd), load_rule_input(name, cwd)


def _all_git_pairs(rev: str, cwd: str | Path) -> list[tuple[RuleInput, RuleInput]]:
    """Every .rules file that differs between REV and the working tree; a file missing on one side counts as
    empty. Files with the same bytes on both sides are left alone (unchanged, and perhaps broken on purpose,
    like a test fixture)."""
    from lsprules.audit.git import files_at, read_revision, toplevel, working_files

    top = toplevel(cwd, f"--git {rev}")
    then = {p for p in files_at(rev, cwd) if p.endswith(".rules")}
    now = {p for p in working_files(cwd) if p.endswith(".rules") and (top / p).is_file()}
    same = {p for p in then & now if read_revision(f"{rev}:{p}", top).data == (top / p).read_bytes()}
    pairs = []
    for path in sorted((then | now) - same):
        old = load_rule_input(f"{rev}:{path}", cwd) if path in then else absent_rules(path)
        new = load_rule_input(os.path.relpath(top / path, cwd)) if path in now else absent_rules(path)
        pairs.append((old, new))
    if not pairs and not same:
        raise InputError([error("E001", f"no .rules files at {rev} or in the working tree",
                                hint="name the rule file: lsprules diff --git REV PATH")])
    return pairs


def run_diff(names: list[str], *, git: str | None = None, data: list[Path] | None = None,
             period: str | None = None, engine: str = "auto", cwd: str | Path = ".") -> DiffReport:
    """Compare rule files in meaning and, with datasets, in results; InputError for unusable input. `engine`
    replays the rules on each dataset as evaluate_job's reports do (auto: the columnar plan on a large plain CSV
    or Parquet file, else the reference interpreter; duckdb and polars: the plan, on a dataset of another form
    handed its observations); a columnar engine that cannot run says why in `notes`."""
    pairs = pairs_for(names, git, cwd)
    notes: list[str] = []
    replays = [Replay(Path(path), period, engine, notes) for path in data or ()]
    files = []
    for old, new in pairs:
        # The old rules' results are held before the new rules run, so that one plan runs at a time.
        impacts = tuple(impact(held(r.results(old.rules)), r.results(new.rules), r.name) for r in replays)
        files.append(FileDiff(diff_rule_sets(old.rules, new.rules), impacts))
    inputs = [f for old, new in pairs for f in (old.file, new.file)]
    inputs += [r.input_file() for r in replays]
    return DiffReport(tuple(files), provenance_of(inputs), tuple(dict.fromkeys(notes)))


class Replay:
    """A dataset the rules are replayed on: by the columnar plan where evaluate's reports take their assessments
    from it (jobs/evaluate.planned_report), else by the reference interpreter on the dataset, read once."""

    def __init__(self, path: Path, period: str | None, engine: str, notes: list[str]):
        """`period`, `engine` and `notes` as for run_diff."""
        self.path, self.period, self.engine, self.notes = path, period, engine, notes
        self.named: Dataset | None = None  # the file's name and digest, once the plan has read it
        self.loaded: Dataset | None = None

    @property
    def name(self) -> str:
        """The dataset's name in the impact, as the reader or the plan gave it (standard input is named by
        --stdin-filename)."""
        found = self.loaded or self.named
        return display_name(self.path) if found is None else found.path

    def results(self, rules: RuleSet) -> Results:
        """The rules' results on the dataset, as impact() compares them, read once."""
        from lsprules.audit.impact import Compared, Rated, results
        from lsprules.data.model import resolve_period
        from lsprules.engine.interpreter import evaluate_stream
        from lsprules.jobs.evaluate import Given, handed_file, one_file, planned_report

        def replayed(path: Path, given: Given | None = None) -> Results | None:
            planned = planned_report(rules, [path], self.period, None, self.engine, self.notes, compared_only=True,
                                     given=given)
            if planned is None:
                return None
            self.named = planned.dataset
            parts = ((map(Compared._make, rows), [Rated(t.area, t.theme, t.title, t.rating) for t in themes])
                     for rows, themes in planned.assessments.compared())
            # whole when the plan was handed a file: it is removed once the block that holds it ends
            return Results(planned.assessments.making.at, parts if given is None else [
                (list(rows), themes) for rows, themes in parts])

        single = one_file([self.path], None, self.engine)
        if self.engine != "interpreter" and single:
            found = replayed(self.path)
            if found is not None:
                return found
        dataset = self.dataset()
        if self.engine != "interpreter" and not single:  # a named engine only: auto gains nothing on what fits
            with handed_file(dataset, self.engine, self.notes, None) as handed:
                # (the diff's provenance is its own: the report's is not used)
                found = None if handed is None else replayed(handed, Given(dataset, provenance_of(())))
            if found:
                return found
        return results(evaluate_stream(rules, dataset, resolve_period(self.period, dataset)))

    def dataset(self) -> Dataset:
        """The dataset as the readers read it (once)."""
        from lsprules.data.load import load_any

        if self.loaded is None:
            self.loaded = load_any(self.path)
        return self.loaded

    def input_file(self) -> InputFile:
        """The dataset's entry in the provenance."""
        found = self.named or self.dataset()
        return input_file("dataset", found.path, found.sha256)


def run_textconv(names: list[str]) -> str:
    """The resolved meaning of one rule file, one fact per line: what `git diff` compares through textconv."""
    from lsprules.audit.aspects import describe

    if len(names) != 1:
        raise InputError([error("E003", f"--textconv takes one rule file, got {len(names)}",
                                hint="git runs it as: lsprules diff --textconv FILE")])
    return "\n".join(describe(load_rule_input(names[0]).rules)) + "\n"
