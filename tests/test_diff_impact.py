"""`lsprules diff --data`: exactly the results that change on real data, in text, Markdown and JSON."""

import json

import pytest

from audit_helpers import check_golden, edit, run, workspace

FIELDS = ("value", "arrow", "rag", "target", "trajectory")


@pytest.fixture()
def changed(tmp_path):
    """A workspace with a copy of crime.rules whose static tolerance is 2.5 % instead of 1.5 %."""
    ws = workspace(tmp_path)
    (ws / "rules" / "crime-new.rules").write_text((ws / "rules" / "crime.rules").read_text(encoding="utf-8"),
                                                  encoding="utf-8")
    edit(ws / "rules" / "crime-new.rules", "static within 1.5 %\n", "static within 2.5 %\n")
    return ws


def diff_args(*extra: str) -> tuple[str, ...]:
    return ("diff", "rules/crime.rules", "rules/crime-new.rules", "--data", "datasets/redcar-cleveland-2007.yaml",
            *extra)


def oracle(ws, period: str) -> set[tuple[str, str]]:
    """Independently of diff: evaluate each side to JSON and list every (result, field) that differs."""
    sides = []
    for rules in ("rules/crime.rules", "rules/crime-new.rules"):
        out = run("evaluate", rules, "datasets/redcar-cleveland-2007.yaml", "-f", "json", "-p", period, cwd=ws)
        sides.append(json.loads(out.stdout))
    before, after = ({a["indicator"]: a for a in s["assessments"]} for s in sides)
    found = {(name, f) for name in before for f in FIELDS if before[name][f] != after[name][f]}
    themes = zip(sides[0]["themes"], sides[1]["themes"], strict=True)
    return found | {(a["theme"], "rating") for a, b in themes if a["rating"] != b["rating"]}


@pytest.mark.parametrize("period", ["2006/07", "2005/06", "2004/05"])
def test_impact_lists_exactly_the_results_that_change(changed, period):
    result = run(*diff_args("-f", "json", "-p", period), cwd=changed)
    assert result.returncode == 0, result.stderr
    (file,) = json.loads(result.stdout)["files"]
    (impact,) = file["impact"]
    listed = {(c["subject"], f["field"]) for c in impact["changes"] for f in c["fields"]}
    assert listed == oracle(changed, period)
    assert impact["period"] == period and impact["assessed"] == 33


def test_text_names_change_affects_and_impact(changed):
    result = run(*diff_args(), cwd=changed)
    text = result.stdout
    assert "profile crime_count: static tolerance within 1.5 % → 2.5 % (affects 11 indicators: theft_of_vehicle" \
        in text
    assert "2 of 33 assessments change (2 arrows, 1 RAG); theme ratings unchanged" in text
    assert "indicator common_assault “Common Assault”: arrow ▼ worse → ◀▶ static" in text
    assert "arrow ▲ improved → ◀▶ static, RAG amber → red" in text
    check_golden("diff/tolerance-2.5.txt", text)


def test_markdown_fits_a_pull_request_comment(changed):
    result = run(*diff_args("--format", "markdown"), cwd=changed)
    assert result.stdout.startswith("### lsprules diff: `rules/crime.rules` → `rules/crime-new.rules`")
    assert "| Redcar & Cleveland | indicator `bcs_comparator_crimes` | RAG | amber | red |" in result.stdout
    check_golden("diff/tolerance-2.5.md", result.stdout)


def test_exit_code_only_when_meaning_changed(changed):
    assert run(*diff_args("--exit-code"), cwd=changed).returncode == 1
    assert run(*diff_args(), cwd=changed).returncode == 0
    edit(changed / "rules" / "crime-new.rules", "static within 2.5 %\n", "static within 1.5 %  # unchanged\n")
    same = run(*diff_args("--exit-code"), cwd=changed)
    assert same.returncode == 0
    assert "no change in meaning" in same.stdout
    assert "0 of 33 assessments change; theme ratings unchanged" in same.stdout


def test_json_is_deterministic_and_carries_provenance(changed):
    first, second = run(*diff_args("-f", "json"), cwd=changed), run(*diff_args("-f", "json"), cwd=changed)
    assert first.stdout == second.stdout
    document = json.loads(first.stdout)
    assert document["meaning_changed"] is True
    assert [f["role"] for f in document["provenance"]["inputs"]] == ["rules", "rules", "dataset"]
    assert all(f["git"] is None for f in document["provenance"]["inputs"])  # the workspace is not in git


def test_theme_rating_change_is_listed(changed):
    # 15 of the 29 members with an arrow improved (51.7 %): a 50 % bar for GREEN is met.
    edit(changed / "rules" / "crime-new.rules", "static within 2.5 %\n", "static within 1.5 %\n")
    edit(changed / "rules" / "crime-new.rules", "GREEN when share(arrow is up) >= 75 %",
         "GREEN when share(arrow is up) >= 50 %")
    result = run(*diff_args("-f", "json"), cwd=changed)
    (impact,) = json.loads(result.stdout)["files"][0]["impact"]
    assert {"area": "Redcar & Cleveland", "kind": "theme", "subject": "crime", "title": "Crime",
            "fields": [{"field": "rating", "before": "AMBER_GREEN", "after": "GREEN"}]} == impact["changes"][0]
    assert impact["summary"] == "0 of 33 assessments change; 1 of 1 theme ratings change"


@pytest.mark.parametrize("args, code", [
    (("diff", "rules/crime.rules"), "E003"),
    (("diff", "rules/crime.rules", "rules/missing.rules"), "E001"),
    (("diff", "rules/crime.rules", "rules/crime.rules", "--data", "nope.yaml"), "E001"),
    (("diff", "rules/crime.rules", "rules/crime.rules", "--data", "datasets/redcar-cleveland-2007.yaml",
      "--period", "1999/00"), "E304"),
])
def test_usage_and_input_errors_exit_2(tmp_path, args, code):
    result = run(*args, cwd=workspace(tmp_path))
    assert result.returncode == 2 and code in result.stderr and result.stdout == ""


def test_broken_rule_file_is_reported_with_its_position(changed):
    edit(changed / "rules" / "crime-new.rules", "static within 2.5 %", "static within %")
    result = run(*diff_args(), cwd=changed)
    assert result.returncode == 2 and "rules/crime-new.rules:18:" in result.stderr and "E101" in result.stderr
