"""Validation that catches silent mistakes (issue 23 item 4): a misspelt column, a duplicate
YAML key, tonnes per year typed as tonnes per week, a library message; each asserted by its
text, on a copy of the shipped westland-mini study."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from factories import ROOT

from cli import main
from clusteropt.errors import Issue, grouped

STUDY = ROOT / "data" / "westland-mini"


@pytest.fixture
def study(tmp_path) -> Path:
    shutil.copytree(STUDY, tmp_path / "data")
    text = (ROOT / "scenarios" / "westland-mini.yaml").read_text(encoding="utf-8")
    path = tmp_path / "scenario.yaml"
    path.write_text(text.replace("../data/westland-mini/", "data/"), encoding="utf-8")
    return path


def _cli(*args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert "internal error" not in res.output and "Traceback" not in res.output, res.output
    return res


def _rename(csv: Path, old: str, new: str) -> int:
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    frame = frame.rename(columns={old: new})
    frame.to_csv(csv, index=False)
    return len(frame)


def test_a_misspelt_optional_column_is_an_error_with_a_suggestion(study):
    rows = _rename(study.parent / "data" / "activities.csv", "candidates", "candiates")
    res = _cli("validate", study)
    assert res.exit_code == 2, res.output
    # every activity row has the column; the ones with candidates fill it (2 movable of 7)
    filled = (pd.read_csv(study.parent / "data" / "activities.csv").candiates.notna()).sum()
    assert 0 < filled < rows
    assert (f"data/activities.csv: column 'candiates' unknown in {filled} rows; did you mean "
            f"'candidates'?") in res.output
    assert "valid" not in res.output.replace("invalid", "")


def test_a_misspelt_period_column_is_one_line_with_a_count(study):
    rows = _rename(study.parent / "data" / "demands.csv", "tonnes_per_period",
                   "tonnes_per_periode")
    res = _cli("validate", study)
    assert res.exit_code == 2, res.output
    assert (f"column 'tonnes_per_periode' unknown in {rows} rows; did you mean "
            f"'tonnes_per_period'?") in res.output
    # the consequence (no tonnes in any row) is one line for all rows, not one per row
    missing = [line for line in res.output.splitlines() if "tonnes for period" in line]
    assert len(missing) == 1 and f"{rows} rows (2, 3, 4, 5, 6 …)" in missing[0]
    assert len(res.output.strip().splitlines()) <= 4, res.output


def test_extra_columns_named_in_the_options_are_accepted(study):
    _rename(study.parent / "data" / "activities.csv", "name", "owner")
    text = study.read_text(encoding="utf-8")
    assert _cli("validate", study).exit_code == 2
    study.write_text(text.replace("options:\n", "options:\n  extra_columns: owner\n"),
                     encoding="utf-8")
    res = _cli("validate", study)
    assert res.exit_code == 0 and "warning" not in res.output, res.output
    study.write_text(text.replace("options:\n", "options:\n  extra_columns: '*'\n"),
                     encoding="utf-8")
    res = _cli("validate", study)
    assert res.exit_code == 0, res.output
    assert "warning: data/activities.csv: column 'owner' unknown in 7 rows" in res.output


def test_a_duplicate_yaml_key_is_an_error(study):
    text = study.read_text(encoding="utf-8")
    study.write_text(text.replace("      sites: {agriport-a7: closed}\n",
                                  "      sites: {agriport-a7: closed}\n"
                                  "      sites: {nieuw-prinsenland: closed}\n"), encoding="utf-8")
    res = _cli("validate", study)
    assert res.exit_code == 2, res.output
    assert "the key 'sites' is given twice (first on line" in res.output
    assert "scenario.yaml, line " in res.output


def test_an_unknown_option_key_speaks_our_words(study):
    text = study.read_text(encoding="utf-8")
    study.write_text(text.replace("  gap_rel: 0.0001", "  gap_rell: 0.0001"), encoding="utf-8")
    res = _cli("validate", study)
    assert res.exit_code == 2
    assert ("scenario.yaml, key 'options.gap_rell': unknown key; did you mean 'gap_rel'?"
            in res.output), res.output
    assert "Extra inputs" not in res.output and "column" not in res.output


def test_tonnes_per_year_typed_as_per_week_warns_with_the_figure(study):
    demands = study.parent / "data" / "demands.csv"
    frame = pd.read_csv(demands)
    tomato = frame.origin == "grower-tomato"
    frame.loc[tomato, "tonnes_per_period"] *= 52  # the annual figure in the weekly column
    frame.to_csv(demands, index=False)
    tonnes = frame.loc[tomato, "tonnes_per_period"].sum() * 52
    res = _cli("validate", study)
    assert res.exit_code == 0, res.output
    # 110 t/week x 52 = 5,720 t/yr typed per week: 297,440 t/yr from 12 ha = 24,787 t/ha/yr
    assert (f"warning: activity 'grower-tomato' ships {tonnes:,.0f} t/yr of tomato from 12 ha "
            f"= {tonnes / 12:,.0f} t/ha/yr, outside the plausible 218–874 t/ha/yr "
            f"(data/yields.csv); are tonnes per year typed where tonnes per period (week) "
            f"belong?") in " ".join(res.output.split())
    # printed as a line of its own, not inside the summary table
    line = next(x for x in res.output.splitlines() if "grower-tomato" in x)
    assert line.startswith("warning:")


def test_a_firm_with_too_many_trucks_a_day_warns(study):
    demands = study.parent / "data" / "demands.csv"
    frame = pd.read_csv(demands)
    frame.loc[frame.destination == "trader", "tonnes_per_period"] *= 1000  # kg typed as t
    frame.to_csv(demands, index=False)
    res = _cli("validate", study)
    assert res.exit_code == 0, res.output
    assert "activity 'trader' sends and receives" in res.output
    assert "more than the plausible 500" in " ".join(res.output.split())


def test_a_tariff_load_factor_above_one_warns(tmp_path, mini_doc):
    from clusteropt.scenario import scenario_from_dict

    mini_doc["tables"]["vehicles"].append(
        {"id": "carrier", "pricing": "tariff", "payload_t": 20, "load_t_per_vkm": 15,
         "empty_share": 0.3, "tariff_eur_per_tkm": 0.1, "load_classes": "chilled"})
    sc = scenario_from_dict(mini_doc, base_dir=tmp_path)
    # 15 t per vehicle-km / (0.7 loaded share x 20 t) = 1.07
    assert any("vehicle type 'carrier'" in w and "load factor of 1.07" in w
               for w in sc.warnings), sc.warnings


def test_the_shipped_data_gives_no_warnings():
    from clusteropt.scenario import load_scenario

    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert load_scenario(path).warnings == [], path


def test_same_problem_in_many_rows_is_grouped_but_few_are_not():
    few = [Issue("a.csv", r, "x", "bad") for r in (2, 3)]
    assert [str(i) for i in grouped(few)] == ["a.csv, row 2, column 'x': bad",
                                              "a.csv, row 3, column 'x': bad"]
    many = [Issue("a.csv", r, "x", "bad") for r in range(2, 40)] + [Issue("a.csv", 5, "y", "no")]
    out = [str(i) for i in grouped(many)]
    assert out == ["a.csv, 38 rows (2, 3, 4, 5, 6 …), column 'x': bad",
                   "a.csv, row 5, column 'y': no"]
