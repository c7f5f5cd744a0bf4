"""Emission factors of a vehicle type, resolved in one place from the scenario data (model.md
§7): kg CO2e tank-to-wheel (TTW) and well-to-wheel (WTW), kg NOx and kg PM10 (exhaust, as
given in g) per vehicle-km running empty and fully laden (trip pricing), or per tonne-km
(tariff pricing).

Precedence for CO2, per figure:

1. given CO2 columns (``co2_empty_kg_per_km``, ``co2_full_kg_per_km``, ``co2_ttw_kg_per_tkm``)
   are TTW as given, and WTW = TTW × ``wtw_ttw_ratio`` (when the row gives no ratio: the
   carrier's (TTW + WTT) / TTW, else 1) — the meaning older scenarios rely on;
2. otherwise a carrier and its consumption (``energy_empty_per_km``, ``energy_full_per_km``,
   ``energy_per_tkm``, in the carrier's unit): TTW = energy × the carrier's TTW factor and
   WTW = energy × (TTW + WTT factor) — so an electric leg has TTW 0 and WTW = kWh × grid factor;
3. neither: 0.

Fully laden falls back to empty when only the empty figure is given. Between empty and full
the factor is linear in the load (the load-dependent part is charged per tonne carried).
The independent checker has its own copy of these rules (``clusteropt.check.recompute``).
"""

from __future__ import annotations

from dataclasses import dataclass

from clusteropt.scenario import VehicleType

QUANTITIES = ("co2_ttw_kg", "co2_wtw_kg", "nox_kg", "pm10_kg")  # what a vehicle emits, in kg


@dataclass(frozen=True)
class Factors:
    """kg of every quantity per vehicle-km empty and full, and per tonne-km (tariff)."""

    empty: dict[str, float]
    full: dict[str, float]
    per_tkm: dict[str, float]


def wtw_ratio(vt: VehicleType) -> float:
    """WTW / TTW for the CO2 given in ``co2_*`` columns."""
    if vt.wtw_ttw_ratio is not None:
        return vt.wtw_ttw_ratio
    if vt.carrier is not None and vt.carrier_ttw_kg > 0:
        return (vt.carrier_ttw_kg + vt.carrier_wtt_kg) / vt.carrier_ttw_kg
    return 1.0


def _co2(vt: VehicleType, given: float | None, energy: float | None) -> tuple[float, float]:
    """(TTW, WTW) kg for one unit (vehicle-km or tonne-km) by the precedence above."""
    if given is not None:
        return given, given * wtw_ratio(vt)
    if energy is not None and vt.carrier is not None:
        return energy * vt.carrier_ttw_kg, energy * (vt.carrier_ttw_kg + vt.carrier_wtt_kg)
    return 0.0, 0.0


def factors(vt: VehicleType) -> Factors:
    """The vehicle type's factors (kg per vehicle-km empty/full; kg per tonne-km)."""
    e_empty = vt.energy_empty_per_km
    e_full = vt.energy_full_per_km if vt.energy_full_per_km is not None else e_empty
    c_empty = vt.co2_empty_kg_per_km
    c_full = vt.co2_full_kg_per_km if vt.co2_full_kg_per_km is not None else c_empty
    ttw_e, wtw_e = _co2(vt, c_empty, e_empty)
    ttw_f, wtw_f = _co2(vt, c_full, e_full)
    ttw_t, wtw_t = _co2(vt, vt.co2_ttw_kg_per_tkm, vt.energy_per_tkm)
    nox_e, nox_f = _pair(vt.nox_empty_g_per_km, vt.nox_full_g_per_km)
    pm_e, pm_f = _pair(vt.pm10_empty_g_per_km, vt.pm10_full_g_per_km)
    return Factors(empty={"co2_ttw_kg": ttw_e, "co2_wtw_kg": wtw_e, "nox_kg": nox_e,
                          "pm10_kg": pm_e},
                   full={"co2_ttw_kg": ttw_f, "co2_wtw_kg": wtw_f, "nox_kg": nox_f,
                         "pm10_kg": pm_f},
                   per_tkm={"co2_ttw_kg": ttw_t, "co2_wtw_kg": wtw_t,
                            "nox_kg": (vt.nox_g_per_tkm or 0.0) / 1000.0,
                            "pm10_kg": (vt.pm10_g_per_tkm or 0.0) / 1000.0})


def _pair(empty_g: float | None, full_g: float | None) -> tuple[float, float]:
    """(empty, full) kg per vehicle-km from g; full falls back to empty, empty to 0."""
    e = empty_g or 0.0
    return e / 1000.0, (full_g if full_g is not None else e) / 1000.0
