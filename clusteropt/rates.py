"""Per-leg rates: what one trip, one empty trip or one tonne costs (euro) and emits (kg of each
quantity, ``clusteropt.emissions``) on a leg of ``km`` kilometres and ``h`` hours driving, for a
vehicle type.

    loaded trip   c_km · d + c_h · (t + handling)
    empty trip    c_km · d + c_h · t
    toll          (toll_km + σ · toll_rate) · d per trip, loaded or empty (its own cost term):
                  ``toll_eur_per_km`` on every km, ``toll_rate_eur_per_km`` on the lane's
                  share σ of km on tolled roads (``Lanes.toll_share``)
    tariff        (tariff_tkm · d + tariff_t) per tonne, or the lane's explicit €/t
    load unit     tariff_unit + tariff_unit_km · d per unit of a tariff type with a load unit
    emissions     ef_empty · d per trip (loaded or empty)
                  + (ef_full − ef_empty) · d · tonnes / payload     (load-dependent part)
                  tariff modes: ef_tkm · d per tonne
                  with ef the kg per km (per tkm) of each quantity, TTW and WTW CO2 alike,
                  from ``clusteropt.emissions`` (carrier × energy, or the given factors)
    carbon        price · CO2 on the scenario's basis (TTW or WTW)
    air pollution NOx price · kg NOx + PM10 price · kg PM10 (options, € per kg)

Market closure (model.md §4): a loaded trip closed by the market brings ``ρ`` empty trips on
its own leg: ρ = e / (1 − e) with e the empty share of km (rule ``share``, and at gateways
always), ρ = 1 (rule ``dedicated``).

Annual costs of what opens (euro/yr): a site or hub annuity(dev) + opex + fixed; a shared
facility module annuity(cost) + opex. Hub legs: tariff costs × the role's factor (collection
χ, transfer α, distribution δ; direct 1).

The builder and the KPIs use these; the independent checker (``clusteropt.check``) has its
own copy by design.
"""

from __future__ import annotations

from clusteropt import emissions
from clusteropt.scenario import Facility, HubRules, Scenario, VehicleType


def annual_site_cost(sc: Scenario, n: str) -> float:
    """Euro per year of an open site or hub: annuity(dev_cost_eur) + opex + fixed cost."""
    node = sc.nodes[n]
    return sc.annuity(node.dev_cost_eur) + node.opex_eur_per_yr + node.fixed_cost_eur_per_yr


def annual_facility_cost(sc: Scenario, fac: Facility) -> float:
    """Euro per year of one shared facility (or module): annuity(cost_eur) + opex."""
    return sc.annuity(fac.cost_eur) + fac.opex_eur_per_yr


def role_factors(hubs: HubRules) -> dict[str, float]:
    """Tariff cost factor per leg role on hub routes."""
    return {"direct": 1.0, "collection": hubs.collection_factor,
            "transfer": hubs.transfer_factor, "distribution": hubs.distribution_factor}


def trip_cost(v: VehicleType, km: float, h: float) -> float:
    """Euro per loaded trip, toll apart."""
    return v.cost_eur_per_km * km + v.cost_eur_per_h * (h + v.handling_h_per_trip)


def empty_cost(v: VehicleType, km: float, h: float) -> float:
    """Euro per empty trip, toll apart."""
    return v.cost_eur_per_km * km + v.cost_eur_per_h * h


def trip_toll(v: VehicleType, km: float, toll_share: float) -> float:
    """Euro of toll per trip (loaded or empty) on a leg with ``toll_share`` of its km tolled."""
    return (v.toll_eur_per_km + toll_share * v.toll_rate_eur_per_km) * km


def trip_emissions(v: VehicleType, km: float, f: emissions.Factors | None = None
                   ) -> dict[str, float]:
    """kg per trip of every emitted quantity, the load-independent part (= an empty trip);
    ``f``: the type's ``emissions.factors`` if already known (each function here takes it)."""
    f = emissions.factors(v) if f is None else f
    return {q: f.empty[q] * km for q in emissions.QUANTITIES}


def load_emissions_per_t(v: VehicleType, km: float, f: emissions.Factors | None = None
                         ) -> dict[str, float]:
    """kg per tonne carried by a trip-priced vehicle (the load-dependent part)."""
    f = emissions.factors(v) if f is None else f
    return {q: (f.full[q] - f.empty[q]) * km / v.payload_t for q in emissions.QUANTITIES}


def tariff_cost_per_t(v: VehicleType, km: float, lane_cost: float | None = None) -> float:
    """Euro per tonne by a tariff vehicle: the lane's explicit €/t, else €/tkm · d + €/t."""
    if lane_cost is not None:
        return lane_cost
    return v.tariff_eur_per_tkm * km + v.tariff_eur_per_t


def unit_cost(v: VehicleType, km: float) -> float:
    """Euro per load unit (container, wagon) of a tariff type on a leg of ``km``."""
    return v.tariff_eur_per_unit + v.tariff_eur_per_unit_km * km


def tariff_emissions_per_t(v: VehicleType, km: float, f: emissions.Factors | None = None
                           ) -> dict[str, float]:
    """kg per tonne by a tariff vehicle."""
    f = emissions.factors(v) if f is None else f
    return {q: f.per_tkm[q] * km for q in emissions.QUANTITIES}


def priced_emissions(sc: Scenario, kg: dict[str, float]) -> dict[str, float]:
    """The cost terms (euro) of emitted kg: carbon = price × CO2 on the scenario's basis;
    air_pollution = NOx price × kg NOx + PM10 price × kg PM10."""
    o = sc.options
    return {"carbon": o.co2_price_eur_per_t / 1000.0 * kg[f"co2_{o.co2_basis}_kg"],
            "air_pollution": o.nox_price_eur_per_kg * kg["nox_kg"]
            + o.pm10_price_eur_per_kg * kg["pm10_kg"]}


def empty_factor(rule: str, empty_share: float) -> float:
    """ρ, empty trips implied per loaded trip: 'share' → e/(1−e), 'dedicated' → 1."""
    if rule == "dedicated":
        return 1.0
    if rule == "share":
        return empty_share / (1.0 - empty_share)
    return 0.0
