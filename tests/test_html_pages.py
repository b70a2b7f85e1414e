"""`evaluate --format html --pages -o FOLDER`: the HTML report as a folder a browser opens at any size. The index
lists every area, linked to its own page, which holds what the one-page report says of that area; file names are
safe and unique for any area name; the bytes are the same every run; the folder is written atomically, and only
where nothing but a previous output of lsprules would be replaced."""

from __future__ import annotations

import csv
import gc
import io
import os
import re
import socket
import weakref
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chromium_helpers import dump_dom, sort_and_filter
from lsprules.cli.app import app
from lsprules.core.files import FOLDER_MARK
from lsprules.engine import interpreter
from lsprules.render.pages import FileNames, slug
from test_reports_formats import planted_files

ROOT = Path(__file__).resolve().parents[1]
DISTRICTS = ("rules/districts.rules", "datasets/districts-2006-07.csv")
AREAS = ["Northby", "Southby", "Eastmoor", "Westvale"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["evaluate", *args])
    return result.exit_code, result.output


def pages(folder: Path, *extra: str, example: tuple[str, str] = DISTRICTS) -> Path:
    code, output = run(*example, "-f", "html", "--pages", "-o", str(folder), *extra)
    assert code == 0, output
    return folder


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")
            self.links.append((self._href or "", ""))

    def handle_endtag(self, tag: str) -> None:
        self._href = None if tag == "a" else self._href

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self.links[-1] = (self.links[-1][0], self.links[-1][1] + data)


def links(html: str) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(html)
    return parser.links


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_the_index_links_a_page_per_area_holding_what_the_one_page_report_says_of_it(tmp_path):
    folder = pages(tmp_path / "report")
    index = (folder / "index.html").read_text(encoding="utf-8")
    found = links(index)
    assert [name for _, name in found] == AREAS
    code, single = run(*DISTRICTS, "-f", "html")
    assert code == 0
    for href, name in found:
        page = (folder / href).read_text(encoding="utf-8")
        section = re.search(r'<section class="area">\n<h2>' + re.escape(name) + r"</h2>.*?\n</section>(?=\n<)",
                            single, re.S)
        assert section is not None and section.group(0) in page  # the same tables, ratings and notes
        assert links(page)[0] == ("../index.html", "← All areas")
        assert page.count('<section class="area">') == 1
    assert sorted(p.name for p in folder.iterdir()) == sorted([FOLDER_MARK, "areas", "index.html"])


def test_the_index_counts_each_area_s_bands_and_arrows(tmp_path):
    folder = pages(tmp_path / "report")
    code, csv_text = run(*DISTRICTS, "-f", "csv", "--engine", "interpreter")
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    index = (folder / "index.html").read_text(encoding="utf-8")
    heads = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r'<th[^>]*scope="col"[^>]*>(.*?)</th>', index)]
    assert heads == ["Area", "Community safety rating", "● GREEN", "◆ AMBER", "■ RED", "n/a", "▲ improved",
                     "◀▶ static", "▼ worse", "★ at its maximum", "n/a no arrow"]
    for area in AREAS:
        line = re.search(r'<tr><th scope="row"><a [^>]*>' + area + r"</a></th>(.*?)</tr>", index).group(1)
        shown = dict(zip(heads[2:], (int(n) for n in re.findall(r'<td class="num">(\d+)</td>', line)), strict=True))
        mine = [r for r in rows if r["area"] == area]
        assert shown == {"● GREEN": sum(r["rag"] == "green" for r in mine),
                         "◆ AMBER": sum(r["rag"] == "amber" for r in mine),
                         "■ RED": sum(r["rag"] == "red" for r in mine), "n/a": sum(r["rag"] == "na" for r in mine),
                         "▲ improved": sum(r["arrow"] == "up" for r in mine),
                         "◀▶ static": sum(r["arrow"] == "static" for r in mine),
                         "▼ worse": sum(r["arrow"] == "down" for r in mine),
                         "★ at its maximum": sum(r["arrow"] == "peak" for r in mine),
                         "n/a no arrow": sum(r["arrow"] == "na" for r in mine)}


def test_the_same_inputs_give_the_same_bytes_and_a_rerun_replaces_its_previous_output(tmp_path):
    first = files(pages(tmp_path / "a"))
    again = files(pages(tmp_path / "a"))  # over its own previous output
    assert first == again == files(pages(tmp_path / "b"))
    only = files(pages(tmp_path / "a", "--area", "Westvale"))
    assert sorted(only) == sorted([FOLDER_MARK, "areas/westvale.html", "index.html"])  # no page left over
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no temporary or old folder left


@pytest.mark.parametrize(("name", "expected"), [
    ("Redcar & Cleveland", "redcar-cleveland"), ("Ynys Môn", "ynys-mon"), ("東京", "area"), ("", "area"),
    ("../../etc/passwd", "etc-passwd"), ("CON", "area-con"), ("com1", "area-com1"), ("Nul", "area-nul"),
    ("  --A--  ", "a"), ("x" * 200, "x" * 60), ("a" * 59 + " b", "a" * 59), ("index", "index"),
])
def test_a_file_name_is_safe_for_any_area_name(name, expected):
    stem = slug(name)
    assert stem == expected
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", stem) and len(stem) <= 64


def test_names_that_make_the_same_file_name_get_their_own():
    names = FileNames()
    given = [names.name(n) for n in ["A & B", "a-b", "A B", "a-b-2", "東京", "大阪"]]
    assert given == ["a-b.html", "a-b-2.html", "a-b-3.html", "a-b-2-2.html", "area.html", "area-2.html"]
    assert len({g.lower() for g in given}) == len(given)  # unique on a file system that ignores case, too


def test_every_text_is_escaped_and_only_the_index_runs_a_script(tmp_path):
    rules, data = planted_files(tmp_path)
    folder = pages(tmp_path / "out", example=(str(rules), str(data)))
    for path, data_bytes in files(folder).items():
        text = data_bytes.decode("utf-8")
        if not path.endswith(".html"):
            continue
        assert "<img" not in text and "<svg onload" not in text
        assert text.count("<script") == (1 if path == "index.html" else 0), path
        assert "script-src 'sha256-" in text if path == "index.html" else "script-src" not in text
        assert re.search(r"""(src|href|url)\s*[=(]\s*["']?\s*(https?:|//)""", text) is None  # nothing fetched


def test_refuses_a_folder_holding_anything_else_and_leaves_it_alone(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me\n", encoding="utf-8")
    code, output = run(*DISTRICTS, "-f", "html", "--pages", "-o", str(folder))
    assert code == 2 and "error[E004]" in output and "notes.txt" in output
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    pages(tmp_path / "out")
    (tmp_path / "out" / "areas" / "mine.txt").write_text("added later\n", encoding="utf-8")
    code, output = run(*DISTRICTS, "-f", "html", "--pages", "-o", str(tmp_path / "out"))
    assert code == 2 and "error[E004]" in output and "areas/mine.txt" in output


def test_refuses_a_file_a_link_a_special_file_and_a_folder_holding_an_input(tmp_path):
    (tmp_path / "file.html").write_text("x", encoding="utf-8")
    code, output = run(*DISTRICTS, "-f", "html", "--pages", "-o", str(tmp_path / "file.html"))
    assert code == 2 and "error[E003]" in output and (tmp_path / "file.html").read_text() == "x"
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    code, output = run(*DISTRICTS, "-f", "html", "--pages", "-o", str(tmp_path / "link"))
    assert code == 2 and "error[E006]" in output
    os.mkfifo(tmp_path / "fifo")
    code, output = run(*DISTRICTS, "-f", "html", "--pages", "-o", str(tmp_path / "fifo"))
    assert code == 2 and "error[E005]" in output
    rules, data = planted_files(tmp_path / "real")
    code, output = run(str(rules), str(data), "-f", "html", "--pages", "-o", str(tmp_path / "real"))
    assert code == 2 and "error[E003]" in output and "holds the input" in output
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    code, output = run(*DISTRICTS, "-f", "html", "--pages", "-o", str(tmp_path / "sock"))
    sock.close()
    assert code == 2 and "error[E005]" in output


def test_pages_need_html_and_a_folder_and_a_missing_parent_is_e001(tmp_path):
    code, output = run(*DISTRICTS, "-f", "markdown", "--pages", "-o", str(tmp_path / "x"))
    assert code == 2 and "error[E003]" in output
    code, output = run(*DISTRICTS, "-f", "html", "--pages")
    assert code == 2 and "error[E003]" in output and "standard output" in output
    code, output = run(*DISTRICTS, "-f", "html", "--pages", "-o", str(tmp_path / "no" / "x"))
    assert code == 2 and "error[E001]" in output
    assert list(tmp_path.iterdir()) == []


def test_an_error_half_way_keeps_the_previous_output_and_leaves_nothing_else(tmp_path, monkeypatch):
    before = files(pages(tmp_path / "out"))
    calls = [0]
    assess_all = interpreter.AreaEvaluator.assess_all

    def failing(self, at):
        calls[0] += 1
        if calls[0] == 5:
            from lsprules.core.diagnostics import InputError, error
            raise InputError([error("E003", "stopped half-way by the test")])
        return assess_all(self, at)

    monkeypatch.setattr(interpreter.AreaEvaluator, "assess_all", failing)
    code, output = run(*DISTRICTS, "-f", "html", "--pages", "-o", str(tmp_path / "out"))
    assert code == 2 and "stopped half-way" in output
    assert files(tmp_path / "out") == before and [p.name for p in tmp_path.iterdir()] == ["out"]


def test_the_index_sorts_and_filters_and_an_area_page_renders_in_a_browser(chromium, tmp_path):
    folder = pages(tmp_path / "out")
    found = sort_and_filter(chromium, tmp_path, "out/index.html")
    assert sorted(found["down"].split(",")) == sorted(AREAS) and found["down"].split(",")[0] == "Westvale"
    assert found["filtered"] == "Westvale"
    dom = dump_dom(chromium, folder / "areas" / "westvale.html")
    assert "<h2>Westvale</h2>" in dom and "Community safety theme assessment" in dom and "<script" not in dom


def test_pages_are_written_as_the_areas_are_assessed_and_keep_none_of_them(tmp_path, monkeypatch):
    from test_streaming_outputs import NATIONAL_RULES, national_csv

    path = tmp_path / "national.csv"
    path.write_bytes(national_csv(30))
    results: list[weakref.ref[interpreter.Assessment]] = []
    most_alive, pages_seen = [0], []
    assess_all = interpreter.AreaEvaluator.assess_all

    def watched(self, at):
        gc.collect()
        most_alive[0] = max(most_alive[0], sum(r() is not None for r in results))
        temp = next(tmp_path.glob(".out.*.tmp"), None)
        pages_seen.append(len(list((temp / "areas").glob("*.html"))) if temp and (temp / "areas").exists() else 0)
        found = assess_all(self, at)
        results.extend(weakref.ref(a) for a in found.values())
        return found

    monkeypatch.setattr(interpreter.AreaEvaluator, "assess_all", watched)
    code, output = run(str(NATIONAL_RULES), str(path), "-f", "html", "--pages", "-o", str(tmp_path / "out"))
    assert code == 0, output
    assert len(results) == 30 * 12 and most_alive[0] <= 2 * 12, most_alive
    assert pages_seen[-1] >= 28  # the pages of the areas before were already on disk
    assert len(list((tmp_path / "out" / "areas").iterdir())) == 30


def test_a_columnar_engine_asked_for_says_that_the_interpreter_wrote_the_pages(tmp_path):
    significance = ("rules/public-health.rules", "datasets/public-health.yaml")  # (which the plan cannot write)
    quiet = files(pages(tmp_path / "auto", example=significance))
    code, output = run(*significance, "-f", "html", "--pages", "-o", str(tmp_path / "duck"), "--engine", "duckdb")
    # (the plan writes the pages of the rules it can write: tests/test_report_plan.py)
    assert code == 0 and output.startswith("note: the duckdb engine did not run: the plan cannot write the reasons of")
    assert files(tmp_path / "duck") == quiet
    code, output = run(*significance, "-f", "html", "--pages", "-o", str(tmp_path / "plain"))
    assert code == 0 and "note:" not in output
