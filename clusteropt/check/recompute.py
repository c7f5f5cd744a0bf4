"""The checker's own KPIs and objective, recomputed from the records of a solution.

Annual figures (€/yr, km/yr, t/yr): each period's amount × its weight w_p. Costs by term:
development (open sites and hubs: annuity + opex + fixed), relocation (annuity of the
relocation cost at the chosen node), facilities (modules · (annuity + opex) + connect cost per
connection + own cost of every user not connected), transport (trip-priced: loaded trips ×
(€/km·km + €/h·(h + handling)) + (explicit empties + ρ · market trips) × (€/km·km + €/h·h);
toll: every one of those trips × km × (toll €/km + tolled share × toll rate €/km);
tariff: t · (tariff per tkm · km + per t, or the lane's cost) × the role's factor; load units:
units · (€ per unit + € per unit-km · km)), internal
(co-located t × internal_cost_eur_per_t), handling (t × handling_eur_per_t per hub passed),
disposal (disposal or shortage t × the commodity's price) and carbon (price × CO2 on the
scenario's basis). Emissions of each quantity (CO2 TTW, CO2 WTW): trips × km × ef_empty +
loaded t·km × (ef_full − ef_empty) / payload; tariff t·km × ef_tkm, with ef from ``_factors``
(given CO2 columns, WTW = TTW × ratio; else the carrier's factors × the consumption per km or
tkm; NOx and PM10 from their g per vehicle-km or tkm; priced by the options' € per kg as
``air_pollution_cost_eur``). Road tariff vehicles with
``load_t_per_vkm`` L and ``empty_share`` e add t·km/L truck-km, e of them empty.
"""

from __future__ import annotations

from clusteropt.check.facts import POOLED, Facts, processor_of
from clusteropt.check.rules import facility_users, rho_of

COST_KEYS = ("development_cost_eur", "relocation_cost_eur", "facilities_cost_eur",
             "transport_cost_eur", "toll_cost_eur", "internal_cost_eur", "handling_cost_eur",
             "disposal_cost_eur", "carbon_cost_eur", "air_pollution_cost_eur")
KPI_KEYS = (*COST_KEYS, "total_cost_eur", "truck_km_loaded", "truck_km_empty", "truck_km",
            "vehicle_trips", "tonne_km", "tonnes", "co2_ttw_t", "co2_wtw_t", "nox_kg", "pm10_kg",
            "disposal_t",
            "shortage_t", "hub_throughput_t")


def kpis(f: Facts) -> dict[str, float]:
    """Every KPI of ``KPI_KEYS`` recomputed from the facts (annual)."""
    sc, k = f.sc, {key: 0.0 for key in KPI_KEYS}
    co2 = [0.0, 0.0, 0.0, 0.0]  # kg CO2e TTW, kg CO2e WTW, kg NOx, kg PM10

    def emit(per_unit: tuple[float, ...], units: float) -> None:
        for n, v in enumerate(per_unit):
            co2[n] += v * units

    k["development_cost_eur"] = sum(f.site_cost(s) for s, n in sc.nodes.items()
                                    if n.kind in ("site", "hub") and f.is_open(s))
    for a, n in f.place.items():
        k["relocation_cost_eur"] += sc.annuity(sc.activities[a].reloc_cost_eur.get(n, 0.0))
    k["facilities_cost_eur"] = _facilities_cost(f)
    for r in f.flows:
        w, t = f.w[r.period], r.tonnes
        k["tonnes"] += w * t
        if r.path is None:
            continue
        for h in r.path[1:-1]:
            k["handling_cost_eur"] += w * t * sc.nodes[h].handling_eur_per_t
            k["hub_throughput_t"] += w * t
        if len(r.path) == 2 and r.path[0] == r.path[1]:
            com = sc.commodities[sc.demands[r.demand].commodity]
            k["internal_cost_eur"] += w * t * com.internal_cost_eur_per_t
    for r in f.unserved:
        if not r.valid:
            continue
        dem = sc.demands[r.demand]
        penalty = getattr(sc.commodities[dem.commodity], POOLED[dem.kind][2])
        k["disposal_cost_eur"] += f.w[r.period] * r.tonnes * (penalty or 0.0)
        k["disposal_t" if r.kind == "disposal" else "shortage_t"] += f.w[r.period] * r.tonnes
    for r in f.product_rest:
        cost = sc.commodities[processor_of(sc, r.demand)[2]].disposal_cost_eur_per_t
        k["disposal_cost_eur"] += f.w[r.period] * r.tonnes * (cost or 0.0)
        k["disposal_t"] += f.w[r.period] * r.tonnes
    for r in f.products:
        k["tonnes"] += f.w[r.period] * r.tonnes
        if r.origin == r.dest:
            com = sc.commodities[processor_of(sc, r.demand)[2]]
            k["internal_cost_eur"] += f.w[r.period] * r.tonnes * com.internal_cost_eur_per_t
    for (partner, _n, kk, p, side), t in f.intake.items():  # gate fees (negative: revenue)
        rec = sc.nodes[partner[1:]] if partner.startswith("@") else sc.activities[partner]
        if side == "accept":
            k["disposal_cost_eur"] += f.w[p] * t * rec.gate_fee.get(kk, 0.0)
    for r in f.loads:
        vt = r.vt
        if vt is None:
            continue
        w, km, t = f.w[r.period], f.lanes.distance(r.a, r.b, vt.mode), r.tonnes
        k["tonne_km"] += w * t * km
        if vt.pricing == "trip":
            ef = _factors(vt)
            emit(tuple(a - b for a, b in zip(ef["full"], ef["empty"])),
                 w * km * t / vt.payload_t)
            continue
        lane = f.lanes.lane_cost(r.a, r.b)
        per_t = lane if lane is not None else vt.tariff_eur_per_tkm * km + vt.tariff_eur_per_t
        k["transport_cost_eur"] += w * t * per_t * f.role_factor[r.role]
        emit(_factors(vt)["tkm"], w * km * t)
        if vt.load_t_per_vkm and vt.mode == "road":  # the trucks behind the tariff
            vkm = w * t * km / vt.load_t_per_vkm
            k["truck_km_loaded"] += vkm * (1.0 - vt.empty_share)
            k["truck_km_empty"] += vkm * vt.empty_share
            k["vehicle_trips"] += vkm * (1.0 - vt.empty_share) / km if km else 0.0
    for r in f.units:  # load units of tariff types: € per unit + € per unit-km
        if r.vt is not None:
            km = f.lanes.distance(r.a, r.b, r.vt.mode)
            k["transport_cost_eur"] += f.w[r.period] * r.trips * (
                r.vt.tariff_eur_per_unit + r.vt.tariff_eur_per_unit_km * km)
    for r in f.trips:
        vt = r.vt
        if vt is None or vt.pricing != "trip":
            continue
        w, n = f.w[r.period], r.trips
        km, c_loaded, c_empty, toll = f.leg_rates(vt, r.a, r.b)
        implied = rho_of(f, r) * r.market_used  # empty trips of the market closure
        k["transport_cost_eur"] += w * (n * c_loaded + implied * c_empty)
        k["toll_cost_eur"] += w * (n + implied) * toll
        emit(_factors(vt)["empty"], w * km * (n + implied))
        k["vehicle_trips"] += w * n
        if vt.mode == "road":
            k["truck_km_loaded"] += w * n * km
            k["truck_km_empty"] += w * implied * km
    for r in f.empties:
        vt = r.vt
        if vt is None or vt.pricing != "trip":
            continue
        w, n = f.w[r.period], r.trips
        km, _, c_empty, toll = f.leg_rates(vt, r.a, r.b)
        k["transport_cost_eur"] += w * n * c_empty
        k["toll_cost_eur"] += w * n * toll
        emit(_factors(vt)["empty"], w * km * n)
        if vt.mode == "road":
            k["truck_km_empty"] += w * n * km
    _tours(f, k, emit)
    k["co2_ttw_t"], k["co2_wtw_t"] = co2[0] / 1000.0, co2[1] / 1000.0
    k["nox_kg"], k["pm10_kg"] = co2[2], co2[3]
    basis = co2[1] if sc.options.co2_basis == "wtw" else co2[0]
    k["carbon_cost_eur"] = sc.options.co2_price_eur_per_t * basis / 1000.0
    k["air_pollution_cost_eur"] = (sc.options.nox_price_eur_per_kg * co2[2]
                                   + sc.options.pm10_price_eur_per_kg * co2[3])
    k["truck_km"] = k["truck_km_loaded"] + k["truck_km_empty"]
    k["total_cost_eur"] = sum(k[c] for c in COST_KEYS)
    return {key: float(v) for key, v in k.items()}


def _tours(f: Facts, k: dict[str, float], emit) -> None:
    """Tours: per run the lanes' km × €/km + (driving h + stop_h per stop + handling) × €/h,
    the toll of every leg, one loaded trip, the empty emission factor over the km; the leg out
    to the first stop (collect) or back from the last (deliver) is empty km. A tonne toured
    rides from its stop to the depot along the tour: its tonne-km and load-dependent emissions
    are those km, not its direct leg's, which the loads above counted."""
    for r in f.tours.values():
        vt = r.vt
        if vt is None or vt.pricing != "trip" or not r.stops:
            continue
        w, n = f.w[r.period], r.runs
        legs = list(zip(r.path, r.path[1:]))
        hours = r.stop_h * len(r.stops) + vt.handling_h_per_trip
        for m, (a, b) in enumerate(legs):
            km, _, c_empty, toll = f.leg_rates(vt, a, b)
            k["transport_cost_eur"] += w * n * c_empty
            k["toll_cost_eur"] += w * n * toll
            emit(_factors(vt)["empty"], w * km * n)
            empty = m == (0 if r.direction == "collect" else len(legs) - 1)
            if vt.mode == "road":
                k["truck_km_empty" if empty else "truck_km_loaded"] += w * n * km
        k["transport_cost_eur"] += w * n * vt.cost_eur_per_h * hours
        k["vehicle_trips"] += w * n
    for t in f.tour_loads:
        r = f.tours[t.period, t.tour]
        vt = r.vt
        if vt is None or vt.pricing != "trip" or t.stop not in r.stops:
            continue
        at = r.path.index(t.stop, 1)
        ride = r.path[at:] if r.direction == "collect" else r.path[:at + 1]
        on = sum(f.lanes.distance(a, b, vt.mode) for a, b in zip(ride, ride[1:]))
        extra = f.w[t.period] * t.tonnes * (on - f.lanes.distance(t.a, t.b, vt.mode))
        k["tonne_km"] += extra
        ef = _factors(vt)
        emit(tuple(a - b for a, b in zip(ef["full"], ef["empty"])), extra / vt.payload_t)


def _factors(vt) -> dict[str, tuple[float, float, float, float]]:
    """(kg CO2e TTW, kg CO2e WTW, kg NOx, kg PM10) per vehicle-km empty and full and per
    tonne-km, read from the vehicle row: a given co2 column is TTW and its WTW is TTW ×
    wtw_ttw_ratio (absent: the carrier's WTW/TTW, else 1); without one, the carrier's TTW and
    TTW + WTT per unit × the consumption; NOx and PM10 in g / 1000; full falls back to
    empty."""
    ttw_unit = vt.carrier_ttw_kg if vt.carrier else 0.0
    wtw_unit = ttw_unit + (vt.carrier_wtt_kg if vt.carrier else 0.0)
    ratio = vt.wtw_ttw_ratio if vt.wtw_ttw_ratio is not None else (
        wtw_unit / ttw_unit if ttw_unit > 0 else 1.0)

    def pair(given, energy) -> tuple[float, float]:
        if given is not None:
            return given, given * ratio
        if energy is None or not vt.carrier:
            return 0.0, 0.0
        return energy * ttw_unit, energy * wtw_unit

    full_given = vt.co2_full_kg_per_km if vt.co2_full_kg_per_km is not None \
        else vt.co2_empty_kg_per_km
    full_energy = vt.energy_full_per_km if vt.energy_full_per_km is not None \
        else vt.energy_empty_per_km
    def grams(v) -> float:
        return (v or 0.0) / 1000.0

    nox_full = vt.nox_full_g_per_km if vt.nox_full_g_per_km is not None \
        else vt.nox_empty_g_per_km
    pm_full = vt.pm10_full_g_per_km if vt.pm10_full_g_per_km is not None \
        else vt.pm10_empty_g_per_km
    return {"empty": (*pair(vt.co2_empty_kg_per_km, vt.energy_empty_per_km),
                      grams(vt.nox_empty_g_per_km), grams(vt.pm10_empty_g_per_km)),
            "full": (*pair(full_given, full_energy), grams(nox_full), grams(pm_full)),
            "tkm": (*pair(vt.co2_ttw_kg_per_tkm, vt.energy_per_tkm), grams(vt.nox_g_per_tkm),
                    grams(vt.pm10_g_per_tkm))}


def _facilities_cost(f: Facts) -> float:
    """Σ modules · (annuity + opex) + connect cost per connection to a placed activity + the
    own facility cost of every placed user not connected, €/yr."""
    sc = f.sc
    cost = sum(r.modules * (sc.annuity(sc.facilities[r.facility].cost_eur)
                            + sc.facilities[r.facility].opex_eur_per_yr)
               for r in f.facilities)
    users = facility_users(f)
    cost += sum(sc.facilities[u].connect_eur_per_yr for u, _, _ in users)
    connected = {(a, u) for u, _, a in users}
    for a in sorted(f.place):
        for u, q in sc.activities[a].use.items():
            if q > 0 and (a, u) not in connected:
                cost += sc.activities[a].own_eur_per_yr.get(u, 0.0)
    return cost
