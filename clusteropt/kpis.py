"""The KPIs, defined once: name → (unit, meaning, printed in the run summary). Results compute
them (``clusteropt.results``), savings take differences of them (``clusteropt.savings``),
tables, reports and JSON outputs carry their units from here; the independent checker
recomputes the same names its own way."""

from __future__ import annotations

KPIS: dict[str, tuple[str, str, bool]] = {
    "total_cost_eur": ("EUR/yr", "logistics + investment", True),
    "logistics_cost_eur": ("EUR/yr", "transport + toll + handling + internal + disposal + "
                           "carbon + air pollution", True),
    "investment_cost_eur": ("EUR/yr", "development + relocation + facilities annuities", True),
    "development_cost_eur": ("EUR/yr", "open sites and hubs: annuity + opex + fixed", True),
    "relocation_cost_eur": ("EUR/yr", "annuities of the moves", True),
    "facilities_cost_eur": ("EUR/yr", "shared facilities, connections, own installations",
                            False),
    "transport_cost_eur": ("EUR/yr", "trips, empties, market closure, tariffs (toll apart)",
                           True),
    "toll_cost_eur": ("EUR/yr", "road toll of trip-priced trucks: per km, and per km on tolled "
                      "roads (lane's share)", True),
    "internal_cost_eur": ("EUR/yr", "co-located flows", True),
    "handling_cost_eur": ("EUR/yr", "hub handling", False),
    "disposal_cost_eur": ("EUR/yr", "pooled flows to disposal or short", False),
    "carbon_cost_eur": ("EUR/yr", "CO2 × its price, on the scenario's basis", True),
    "air_pollution_cost_eur": ("EUR/yr", "NOx and PM10 × their prices (options)", False),
    "disposal_t": ("t/yr", "pooled supply nobody accepts", False),
    "shortage_t": ("t/yr", "pooled demand nobody supplies", False),
    "hub_throughput_t": ("t/yr", "tonnes through hubs (once per hub passed)", False),
    "truck_km": ("km/yr", "road vehicle-km, loaded + empty (groupage's trucks included)", True),
    "truck_km_loaded": ("km/yr", "road vehicle-km loaded", True),
    "truck_km_empty": ("km/yr", "road vehicle-km empty", True),
    "vehicle_km_barge": ("km/yr", "barge vessel-km (behind the tariff)", False),
    "vehicle_km_rail": ("km/yr", "train-km (behind the tariff)", False),
    "vehicle_trips": ("trips/yr", "loaded trips of trip-priced and road tariff vehicles", True),
    "tonnes": ("t/yr", "tonnes carried (co-located included)", False),
    "tonne_km": ("tkm/yr", "tonne-km", True),
    "load_factor": ("share", "tonne-km ÷ loaded capacity-km of trip-priced vehicles", True),
    "empty_share": ("share", "empty ÷ all road vehicle-km", True),
    "co2_ttw_t": ("t CO2e/yr (TTW)", "tank-to-wheel", True),
    "co2_wtw_t": ("t CO2e/yr (WTW)", "well-to-wheel", True),
    "nox_kg": ("kg NOx/yr", "nitrogen oxides, exhaust (where vehicle types give them)", True),
    "pm10_kg": ("kg PM10/yr", "particulate matter, exhaust (where vehicle types give it)",
                True),
    "mean_lead_time_h": ("h (door to door, tonne-weighted)",
                         "driving + loading/unloading + hub handling + carriers' transit", True),
}
KPI_UNITS = {k: unit for k, (unit, _, _) in KPIS.items()}
SUMMARY = tuple(k for k, (_, _, shown) in KPIS.items() if shown)  # the printed run summary
LOGISTICS = ("transport_cost_eur", "toll_cost_eur", "handling_cost_eur", "internal_cost_eur",
             "disposal_cost_eur", "carbon_cost_eur", "air_pollution_cost_eur")
INVESTMENT = ("development_cost_eur", "relocation_cost_eur", "facilities_cost_eur")

LABELS = {  # the KPIs in words, for people who do not read code
    "total_cost_eur": "annual cost", "logistics_cost_eur": "logistics cost",
    "investment_cost_eur": "investment (annuities)", "development_cost_eur": "site development",
    "relocation_cost_eur": "relocation", "facilities_cost_eur": "shared facilities",
    "transport_cost_eur": "transport cost", "toll_cost_eur": "truck toll",
    "internal_cost_eur": "on-site transfer",
    "handling_cost_eur": "hub handling", "disposal_cost_eur": "disposal and shortage",
    "carbon_cost_eur": "carbon cost", "air_pollution_cost_eur": "NOx and PM10 cost",
    "nox_kg": "NOx", "pm10_kg": "PM10", "disposal_t": "tonnes disposed of",
    "shortage_t": "tonnes short", "hub_throughput_t": "tonnes through hubs",
    "truck_km": "truck-km", "truck_km_loaded": "truck-km loaded",
    "truck_km_empty": "truck-km empty", "vehicle_km_barge": "barge vessel-km",
    "vehicle_km_rail": "train-km", "vehicle_trips": "truck trips (loaded)",
    "tonnes": "tonnes carried", "tonne_km": "tonne-km", "load_factor": "load factor",
    "empty_share": "empty share of truck-km", "co2_ttw_t": "CO2 tank-to-wheel",
    "co2_wtw_t": "CO2 well-to-wheel", "mean_lead_time_h": "lead time, door to door",
}
