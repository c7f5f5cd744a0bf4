"""``clusteropt init --xlsx`` (issue 23 item 1): one workbook with a sheet per table, header
comments with units and meaning, drop-down lists; filled in by a script it validates and runs,
and an error in its third table sheet names that sheet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli import main
from clusteropt.workbook import BOOK, SHEETS


def _cli(*args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert "internal error" not in res.output and "Traceback" not in res.output, res.output
    return res


@pytest.fixture
def book(tmp_path) -> Path:
    res = _cli("init", tmp_path / "study", "--xlsx")
    assert res.exit_code == 0, res.output
    return tmp_path / "study"


def test_the_workbook_has_a_sheet_per_table_with_comments_and_lists(book):
    wb = load_workbook(book / BOOK)
    assert [s for s in wb.sheetnames if s in SHEETS] == list(SHEETS)
    assert wb.sheetnames[0] == "README" and wb["lists"].sheet_state == "hidden"
    demands = wb["demands"]
    heads = [c.value for c in demands[1]]
    tonnes = demands.cell(row=1, column=heads.index("tonnes_per_period") + 1)
    assert "unit: t/period" in tonnes.comment.text
    lists = {str(dv.sqref): dv.formula1 for dv in demands.data_validations.dataValidation}
    col = "ABCDEFGHIJ"[heads.index("origin")]
    assert lists[f"{col}2:{col}2000"] == "=activities!$A$2:$A$2000"
    col = "ABCDEFGHIJ"[heads.index("kind")]
    assert lists[f"{col}2:{col}2000"] == '"directed,pooled_supply,pooled_demand"'
    nodes = wb["nodes"]
    heads = [c.value for c in nodes[1]]
    col = "ABCDEFGHIJ"[heads.index("kind")]
    kinds = {str(dv.sqref): dv.formula1 for dv in nodes.data_validations.dataValidation}
    assert kinds[f"{col}2:{col}2000"] == '"location,site,gateway,hub"'
    text = (book / "scenario.yaml").read_text(encoding="utf-8")
    for sheet in SHEETS:
        assert f"  {sheet}: {{file: {BOOK}, sheet: {sheet}}}" in text


def _fill(path: Path, sheet: str, rows: list[dict]) -> None:
    """Replace a sheet's example rows by ``rows`` (column name → value), as a planner's
    script would, keeping the header, comments and lists."""
    wb = load_workbook(path)
    ws = wb[sheet]
    heads = [c.value for c in ws[1]]
    ws.delete_rows(2, ws.max_row)
    for r in rows:
        ws.append([r.get(h) for h in heads])
    wb.save(path)


def _study(book: Path) -> None:
    """Three growers near Naaldwijk, one new area; each sends 26 t a week to a trader."""
    path = book / BOOK
    _fill(path, "nodes", [
        {"id": "g1", "kind": "location", "lat": 52.00, "lon": 4.21},
        {"id": "g2", "kind": "location", "lat": 51.99, "lon": 4.17},
        {"id": "g3", "kind": "location", "lat": 52.04, "lon": 4.16},
        {"id": "area", "kind": "site", "place": "zuidplaspolder", "cap_ha": 30,
         "dev_cost_eur": 500000},
        {"id": "dc", "kind": "location", "place": "barendrecht"}])
    _fill(path, "activities", [
        *({"id": f"grower-{i}", "node": f"g{i}", "movable": "true", "candidates": "area",
           "size_ha": 5, "reloc_cost_eur": 800000} for i in (1, 2, 3)),
        {"id": "trader", "node": "dc", "movable": "false"}])
    _fill(path, "commodities", [{"id": "tomato", "load_class": "chilled",
                                 "density_t_per_m3": 0.35, "pallets_per_t": 1.7}])
    _fill(path, "demands", [{"id": f"d{i}", "kind": "directed", "origin": f"grower-{i}",
                             "destination": "trader", "commodity": "tomato",
                             "tonnes_per_period": 42} for i in (1, 2, 3)])
    text = (book / "scenario.yaml").read_text(encoding="utf-8")
    variants = text.index("\nvariants:")
    (book / "scenario.yaml").write_text(text[:variants] + "\n", encoding="utf-8")


def test_a_filled_workbook_validates_and_runs(book):
    _study(book)
    res = _cli("validate", book / "scenario.yaml", "--format", "json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["warnings"] == []  # 42 t/week x 52 / 5 ha = 437 t/ha/yr: plausible
    assert summary["activities"] == 4 and summary["movable"] == 3
    assert summary["tonnes_per_yr"] == 3 * 42 * 52  # what the demands sheet holds
    res = _cli("run", book / "scenario.yaml", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["check"]["passed"] is True
    assert doc["kpis"]["total_cost_eur"] > 0


def test_an_error_in_the_third_sheet_names_that_sheet(book):
    _study(book)
    wb = load_workbook(book / BOOK)
    ws = wb[SHEETS[2]]  # commodities, the third table sheet
    heads = [c.value for c in ws[1]]
    ws.cell(row=2, column=heads.index("density_t_per_m3") + 1, value=-0.35)
    wb.save(book / BOOK)
    res = _cli("validate", book / "scenario.yaml")
    assert res.exit_code == 2, res.output
    assert (f"{BOOK}[commodities], row 2, column 'density_t_per_m3': expected a number "
            f"between 0.001 and 30, got -0.35") in res.output


def test_init_xlsx_refuses_to_overwrite(book):
    res = _cli("init", book, "--xlsx")
    assert res.exit_code == 2 and "already holds" in res.output
