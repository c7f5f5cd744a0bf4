"""Every bad input of the fuzzing campaign, as it was reported, now exits 2 with the place
named (or, for markup in a value, is shown as written), never a traceback and never a
silent "valid". One test per reproduction; the random campaign itself is test_fuzz.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import ROOT

from cli import main

STUDY = ROOT / "data" / "westland-mini"
TABLES_LINE = ("tables:                        # vehicles: not given, so the shipped defaults "
               "are used\n")


@pytest.fixture
def study(tmp_path) -> Path:
    shutil.copytree(STUDY, tmp_path / "data")
    text = (ROOT / "scenarios" / "westland-mini.yaml").read_text(encoding="utf-8")
    path = tmp_path / "scenario.yaml"
    path.write_text(text.replace("../data/westland-mini/", "data/"), encoding="utf-8")
    return path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _cli(*args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert "internal error" not in res.output and "Traceback" not in res.output, res.output
    return res


def _refused(res, *fragments):
    assert res.exit_code == 2, res.output
    for f in fragments:
        assert f in res.output, (f, res.output)


# ---- item 4: tracebacks on bad input ---------------------------------------------------------


def test_markup_in_a_value_is_shown_as_written(study):
    _edit(study, "name: westland-mini", "name: '[red]westland[/bold]'")
    res = _cli("run", study, "--no-baseline")
    assert res.exit_code == 0 and "[red]westland[/bold]" in res.output


def test_a_yaml_file_that_is_not_utf8(study):
    study.write_bytes(study.read_bytes().replace(b"westland-mini\n", b"caf\xe9\n", 1))
    _refused(_cli("validate", study), "not valid UTF-8", "line 3")


def test_an_unknown_solver_is_refused_by_validate(study):
    _edit(study, "options:\n", "options:\n  solver: NOSUCH\n")
    _refused(_cli("validate", study), "key 'options.solver'", "NOSUCH")


@pytest.mark.parametrize("key, value", [("budget_eur_per_yr", ".nan"),
                                        ("budget_eur_per_yr", ".inf")])
def test_nan_or_inf_in_site_rules(study, key, value):
    _edit(study, "site_rules:\n", f"site_rules:\n  {key}: {value}\n")
    _refused(_cli("validate", study), f"key 'site_rules.{key}'", "finite")


def test_nan_carbon_price(study):
    _edit(study, "co2_price_eur_per_t: 100", "co2_price_eur_per_t: .nan")
    _refused(_cli("validate", study), "key 'options.co2_price_eur_per_t'", "finite")


def test_a_self_referencing_anchor(study):
    _edit(study, "options:\n", "extra: &loop [*loop]\noptions:\n")
    _refused(_cli("validate", study), "refers to itself")


# ---- item 5: bad values accepted ---------------------------------------------------------------


@pytest.mark.parametrize("key, value", [("time_limit_s", ".nan"), ("gap_rel", ".nan"),
                                        ("check_tolerance", ".nan")])
def test_nan_options(study, key, value):
    _edit(study, "options:\n", f"options:\n  {key}: {value}\n") if key != "gap_rel" else \
        _edit(study, "gap_rel: 0.0001", f"gap_rel: {value}")
    if key == "time_limit_s":
        _edit(study, "  time_limit_s: 60\n", "")
    _refused(_cli("validate", study), f"key 'options.{key}'")


def test_nan_hub_factor(study):
    _edit(study, "options:\n", "hubs:\n  transfer_factor: .nan\noptions:\n")
    _refused(_cli("validate", study), "key 'hubs.transfer_factor'", "finite")


def test_a_list_as_the_name(study):
    _edit(study, "name: westland-mini", "name: [a, b]")
    _refused(_cli("validate", study), "key 'name'", "expected text")


def test_a_number_as_the_crs(study):
    _edit(study, "crs: EPSG:28992", "crs: 28992")
    _refused(_cli("validate", study), "key 'crs'", "EPSG:28992")


def test_a_duplicate_top_level_key(study):
    _edit(study, "options:\n", "name: other\noptions:\n")
    _refused(_cli("validate", study), "'name' is given twice")


def test_a_variant_named_base(study):
    _edit(study, "variants:\n", "variants:\n  base:\n    description: x\n")
    _refused(_cli("validate", study), "key 'variants.base'")


@pytest.mark.parametrize("opt, value, said", [("--time-limit", "-5", "> 0"),
                                              ("--time-limit", "nan", "finite"),
                                              ("--gap", "nan", "finite")])
def test_bad_numbers_on_the_command_line(study, opt, value, said):
    _refused(_cli("run", study, opt, value, "--no-baseline"), opt, said)


def test_open_and_close_the_same_site(study):
    _refused(_cli("run", study, "--open", "agriport-a7", "--close", "agriport-a7"),
             "both open and closed")


def test_an_unknown_mode(study):
    nodes = study.parent / "data" / "nodes.csv"
    text = nodes.read_text().replace("id,name,kind,", "id,name,kind,modes,", 1)
    lines = text.splitlines()
    lines = [lines[0]] + [ln.replace(",", ",hovercraft,", 3).replace(",hovercraft,", ",", 2)
                          if i == 0 else ln.replace(",", ",road,", 3).replace(",road,", ",", 2)
                          for i, ln in enumerate(lines[1:])]
    nodes.write_text("\n".join(lines) + "\n")
    _refused(_cli("validate", study), "nodes.csv, row 2, column 'modes'", "hovercraft")


def test_negative_max_modules(study):
    _edit(study, TABLES_LINE, TABLES_LINE + "  facilities:\n    - {id: wtp, sites: agriport-a7, "
                              "capacity: 10, max_modules: -1}\n")
    _refused(_cli("validate", study), "column 'max_modules'")


@pytest.mark.parametrize("table, column, value", [("nodes", "cap_ha", "1e300"),
                                                  ("demands", "tonnes_per_period", "1e300")])
def test_absurd_sizes(study, table, column, value):
    path = study.parent / "data" / f"{table}.csv"
    head, *rows = path.read_text().splitlines()
    cols = head.split(",")
    cells = rows[-1].split(",")
    cells[cols.index(column)] = value
    rows[-1] = ",".join(cells)
    path.write_text("\n".join([head, *rows]) + "\n")
    _refused(_cli("validate", study), f"{table}.csv, row {len(rows) + 1}, column '{column}'")


def test_a_payload_of_1e_minus_300(study):
    _edit(study, TABLES_LINE, TABLES_LINE + "  vehicles:\n    - {id: t, payload_t: 1e-300}\n")
    _refused(_cli("validate", study), "column 'payload_t'", "≥ 0.001")


# ---- item 6: validate passes what run rejects ------------------------------------------------


def test_fixed_at_a_site_the_scenario_closes(study):
    _edit(study, "site_rules:\n", "fix:\n  placement: {grower-tomato: agriport-a7}\n"
                                  "  sites: {agriport-a7: closed}\nsite_rules:\n")
    _refused(_cli("validate", study), "key 'fix.placement.grower-tomato'", "closes")


def test_fixed_at_a_site_a_variant_closes(study):
    _edit(study, "variants:\n", "variants:\n  conflict:\n    fix:\n      placement: "
                                "{grower-tomato: agriport-a7}\n      sites: {agriport-a7: "
                                "closed}\n")
    _refused(_cli("validate", study), "fix.placement.grower-tomato", "closes")


def test_a_header_only_matrix(study):
    (study.parent / "m.csv").write_text("from,to,distance_km\n")
    _edit(study, "method: straight_line", "method: matrix\n  file: m.csv")
    _refused(_cli("validate", study), "m.csv", "no rows")


def test_a_negative_budget(study):
    _edit(study, "site_rules:\n", "site_rules:\n  budget_eur_per_yr: -5\n")
    _refused(_cli("validate", study), "key 'site_rules.budget_eur_per_yr'")


def test_an_infeasible_budget_is_explained(study):
    _edit(study, "site_rules:\n", "site_rules:\n  budget_eur_per_yr: 1\n")
    res = _cli("run", study, "--no-baseline", "--fix", "grower-tomato=agriport-a7")
    _refused(res, "what must give", "budget_eur_per_yr", "(rule budget)")


# ---- item 7: messages that point at the wrong place ------------------------------------------


def test_an_unknown_crs_is_one_error_on_the_crs(study):
    _edit(study, "crs: EPSG:28992", "crs: EPSG:99999")
    res = _cli("validate", study)
    _refused(res, "key 'crs'", "1 problem(s)")


@pytest.mark.parametrize("table", ["nodes", "commodities"])
def test_an_empty_table_is_named(study, table):
    path = study.parent / "data" / f"{table}.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    _refused(_cli("validate", study), f"the {table} table has no rows", "1 problem(s)")


def test_a_header_only_vehicles_table(study):
    (study.parent / "v.csv").write_text("id,payload_t\n")
    _edit(study, TABLES_LINE, TABLES_LINE + "  vehicles: v.csv\n")
    _refused(_cli("validate", study), "the vehicles table has no rows")


def test_a_variant_that_drops_a_row_in_use_is_named(study):
    _edit(study, "variants:\n", "variants:\n  dropper:\n    tables:\n      nodes:\n"
                                "        - {id: naaldwijk-1, drop: true}\n")
    _refused(_cli("validate", study), "with variant 'dropper'")


def test_a_csv_that_is_not_utf8_names_the_line(study):
    path = study.parent / "data" / "nodes.csv"
    path.write_bytes(path.read_bytes().replace(b"Grower site Naaldwijk", b"Grower caf\xe9", 1))
    _refused(_cli("validate", study), "nodes.csv, row 2", "line 2")


def test_a_folder_given_as_the_scenario(study):
    _refused(_cli("validate", study.parent), "is a folder")
