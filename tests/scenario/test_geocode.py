"""Offline geocoding (issue 23 item 2): Dutch postcodes and place names resolve to the right
municipality from the shipped GeoNames points; unknown or ambiguous ones are input errors
(exit 2) with a suggestion."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from pyproj import Geod

from cli import main
from clusteropt import geocode


@pytest.mark.parametrize(("code", "municipality", "gm"), [
    ("2671", "Westland", "GM1783"),        # Naaldwijk
    ("2671 AB", "Westland", "GM1783"),     # a PC6 code, located by its PC4
    ("9401", "Assen", "GM0106"),
    ("1431", "Aalsmeer", "GM0358"),
    ("7811", "Emmen", "GM0114"),
    ("3011", "Rotterdam", "GM0599"),
])
def test_known_postcodes_resolve_to_their_municipality(code, municipality, gm):
    p = geocode.postcode(code)
    assert (p.municipality, p.gm) == (municipality, gm)


@pytest.mark.parametrize(("name", "municipality"), [
    ("Naaldwijk", "Westland"), ("naaldwijk", "Westland"), ("Venlo", "Venlo"),
    ("Alphen, Alphen-Chaam", "Alphen-Chaam"), ("Hengelo (Gld)", "Bronckhorst"),
    ("Den Haag", "'s-Gravenhage"), ("Westland", "Westland"),
])
def test_place_names_resolve_to_their_municipality(name, municipality):
    assert geocode.place_name(name).municipality == municipality


def test_the_point_lies_near_the_shipped_place():
    # data/places.csv (GeoNames gazetteer): Naaldwijk 51.9942 N, 4.2094 E (domain facts §3)
    from clusteropt import defaults

    lat, lon = defaults.place("naaldwijk")
    for p in (geocode.postcode("2671"), geocode.place_name("Naaldwijk")):
        _, _, metres = Geod(ellps="WGS84").inv(lon, lat, p.lon, p.lat)
        assert metres < 2000  # PC4 areas are a few km across


@pytest.mark.parametrize(("call", "text", "fragments"), [
    (geocode.postcode, "2670", ["unknown postcode 2670", "nearest known: 2671 (Naaldwijk"]),
    (geocode.postcode, "12", ["not a Dutch postcode", "four digits"]),
    (geocode.place_name, "Naaldwyk", ["unknown place 'Naaldwyk'", "did you mean 'Naaldwijk'?"]),
    (geocode.place_name, "Alphen", ["ambiguous place 'Alphen'", "'Alphen, Alphen-Chaam' or "
                                    "'Alphen, West Maas en Waal'"]),
    (geocode.place_name, "Baarlo, Venlo", ["'Baarlo' lies in Peel en Maas, Steenwijkerland"]),
])
def test_unknown_and_ambiguous_input_suggests(call, text, fragments):
    with pytest.raises(geocode.GeocodeError) as err:
        call(text)
    for f in fragments:
        assert f in str(err.value)


def _nodes(mini_doc, **where):
    """The mini scenario's first node located by ``where`` instead of lat/lon."""
    node = mini_doc["tables"]["nodes"][0]
    del node["lat"], node["lon"]
    node.update(where)
    return mini_doc


def test_nodes_by_postcode_and_place_validate_and_are_placed(write_scenario, mini_doc):
    from clusteropt.scenario import load_scenario

    mini_doc["tables"]["nodes"][1].update(lat=None, lon=None, place="De Lier")
    sc = load_scenario(write_scenario(_nodes(mini_doc, postcode=2671)))  # a number in the CSV
    p = geocode.postcode("2671")
    assert (sc.nodes["farm-1"].lat, sc.nodes["farm-1"].lon) == (p.lat, p.lon)
    assert geocode.place_name("De Lier").municipality == "Westland"
    assert sc.nodes["farm-2"].lat == pytest.approx(geocode.place_name("De Lier").lat)


@pytest.mark.parametrize(("where", "fragments"), [
    ({"postcode": "2670"}, ["nodes.csv, row 2, column 'postcode': unknown postcode 2670",
                            "nearest known: 2671"]),
    ({"place": "Naaldwyk"}, ["nodes.csv, row 2, column 'place': unknown place 'Naaldwyk'",
                             "did you mean 'Naaldwijk'?"]),
    ({"place": "Alphen"}, ["ambiguous place 'Alphen'", "'Alphen, Alphen-Chaam'"]),
])
def test_unknown_codes_exit_2_with_a_suggestion(write_scenario, mini_doc, where, fragments):
    res = CliRunner().invoke(main, ["validate", str(write_scenario(_nodes(mini_doc, **where)))])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    for f in fragments:
        assert f in text, text
