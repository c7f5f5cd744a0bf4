"""Tests for clusteropt.template (``clusteropt init``): the starting scenario is valid."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import cli
from clusteropt import defaults
from clusteropt.io import read_table
from clusteropt.scenario import TOP_KEYS, load_scenario, read_yaml
from clusteropt.template import FILES, write_template


def test_template_loads_with_expected_rows(tmp_path: Path) -> None:
    write_template(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)
    sc = load_scenario(tmp_path / "scenario.yaml")
    assert list(sc.nodes) == ["farm-naaldwijk", "farm-monster", "area-zuidplas", "area-tinte",
                              "auction", "trader", "supplier", "port"]
    assert {n.kind for n in sc.nodes.values()} == {"location", "site", "gateway"}
    assert all(n.lat is not None and n.lon is not None for n in sc.nodes.values())
    auction = sc.nodes["auction"]
    assert (auction.lat, auction.lon) == defaults.place("rfh-naaldwijk")
    assert list(sc.activities) == ["grower-tomato", "grower-flowers", "auction", "trader",
                                   "supplier", "export"]
    assert [a for a, x in sc.activities.items() if x.movable] == ["grower-tomato",
                                                                   "grower-flowers"]
    assert sc.activities["grower-tomato"].candidates == ["farm-naaldwijk", "area-zuidplas",
                                                         "area-tinte"]
    assert list(sc.commodities) == ["tomato", "flowers", "substrate"]
    assert list(sc.demands) == ["tomato-trader", "tomato-export", "flowers-auction",
                                "substrate-tomato", "substrate-flowers"]
    assert sc.variants == ["zuidplas-only", "growth"]
    assert [p.id for p in sc.periods] == ["week"]


def test_every_top_level_section_is_present(tmp_path: Path) -> None:
    write_template(tmp_path)
    assert set(read_yaml(tmp_path / "scenario.yaml")) == TOP_KEYS


def test_vehicles_workbook_holds_the_shipped_types(tmp_path: Path) -> None:
    write_template(tmp_path)
    shipped = pd.read_csv(defaults.DATA_DIR / "vehicle_types.csv")
    sc = load_scenario(tmp_path / "scenario.yaml")
    assert list(sc.vehicles) == shipped["id"].tolist()
    # the same records as the scenario without a vehicles table (the shipped defaults)
    table = read_table("vehicles.xlsx#vehicles", tmp_path, "vehicles")
    assert table.source == "vehicles.xlsx[vehicles]"
    default = load_scenario(_without_vehicles(tmp_path))
    assert sc.vehicles == default.vehicles


def _without_vehicles(folder: Path) -> Path:
    text = (folder / "scenario.yaml").read_text(encoding="utf-8")
    line = "  vehicles: vehicles.xlsx#vehicles\n"
    assert line in text
    out = folder / "no-vehicles.yaml"
    out.write_text(text.replace(line, ""), encoding="utf-8")
    return out


def test_every_variant_of_the_template_loads(tmp_path: Path) -> None:
    write_template(tmp_path)
    growth = load_scenario(tmp_path / "scenario.yaml", "growth")
    assert growth.activities["grower-tomato"].size == {"ha": 24.0}
    assert growth.demands["tomato-trader"].tonnes == {"week": 140.0}
    only = load_scenario(tmp_path / "scenario.yaml", "zuidplas-only")
    assert only.fix.sites == {"area-tinte": "closed"}


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    write_template(tmp_path)
    (tmp_path / "nodes.csv").write_text("id\nmine\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match="--force"):
        write_template(tmp_path)
    assert (tmp_path / "nodes.csv").read_text(encoding="utf-8") == "id\nmine\n"
    write_template(tmp_path, force=True)
    assert (tmp_path / "nodes.csv").read_text(encoding="utf-8").startswith("id,name,kind")


def test_refuses_when_another_table_exists(tmp_path: Path) -> None:
    (tmp_path / "demands.csv").write_text("id\nmine\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match="demands.csv"):
        write_template(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demands.csv"]  # nothing written


def test_creates_missing_folders_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    write_template(folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)


def test_init_twice_exits_2_with_a_message(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "study"
    first = runner.invoke(cli.main, ["init", str(folder)])
    assert first.exit_code == 0, first.output
    assert (folder / "scenario.yaml").is_file()
    second = runner.invoke(cli.main, ["init", str(folder)])
    assert second.exit_code == 2
    assert "--force" in second.output
    assert "Traceback" not in second.output
    assert not isinstance(second.exception, FileExistsError)  # handled, not raised
    forced = runner.invoke(cli.main, ["init", str(folder), "--force"])
    assert forced.exit_code == 0, forced.output


def test_validate_accepts_the_template(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli.main, ["init", str(tmp_path)]).exit_code == 0
    result = runner.invoke(cli.main, ["validate", str(tmp_path / "scenario.yaml")])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
