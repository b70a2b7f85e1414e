"""`lsprules test --boundaries`: every threshold, and the result exactly at it and one step either side."""

import json

from audit_helpers import check_golden, run, workspace


def test_boundaries_on_the_data_the_tests_use(tmp_path):
    result = run("test", "--boundaries", "rules/crime.rules", cwd=workspace(tmp_path))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("boundaries of rules/crime.rules on datasets/redcar-cleveland-2007.yaml at 2006/07")
    block = text[text.index("theft_from_vehicle “Theft from Vehicle”"):]
    block = block[:block.index("\n\n")]
    assert "the trajectory value for 2006/07 = 1339.6125" in block
    lines = [" ".join(line.split()) for line in block.splitlines()]
    assert "1339 ▼ worse RAG green" in lines
    assert "1339.6125 ▼ worse RAG green ← at the threshold" in lines
    assert "1340 ▼ worse RAG red" in lines
    assert "1098.23 ◀▶ static RAG green ← at the threshold" in lines and "1099 ▼ worse RAG green" in lines
    check_golden("ruletests/crime-boundaries.txt", text)


def test_boundaries_of_a_percentage_step_by_the_shown_decimals(tmp_path):
    ws = workspace(tmp_path)
    result = run("test", "--boundaries", "rules/crime.rules", "--data", "datasets/redcar-cleveland-2007.yaml",
                 "-f", "json", cwd=ws)
    document = json.loads(result.stdout)
    (report,) = document["boundaries"]
    kpi = next(i for i in report["indicators"] if i["indicator"] == "dip_kpi_1")
    edges = {t["what"]: [(p["exact"], p["rag"]) for p in t["probes"]] for t in kpi["thresholds"]}
    assert edges == {"5 pp short of the target": [("54", "red"), ("55", "amber"), ("56", "amber")],
                     "the target": [("59", "amber"), ("60", "green"), ("61", "green")]}
    gap = next(i for i in report["indicators"] if i["indicator"] == "deprived_gap_theft_of_vehicle")
    closed = next(t for t in gap["thresholds"] if t["what"].startswith("a closed gap"))
    assert [(p["exact"], p["rag"]) for p in closed["probes"]] == [("−0.1", "amber"), ("0", "green"), ("0.1", "green")]


def test_boundaries_need_data_when_no_test_names_a_dataset(tmp_path):
    (tmp_path / "x.rules").write_text("indicator x {\n  polarity lower_is_better\n}\n", encoding="utf-8")
    result = run("test", "--boundaries", "x.rules", cwd=tmp_path)
    assert result.returncode == 2 and "give one with --data DATASET" in result.stderr
