"""Scenario sweeps and sensitivity analysis on Dask distributed.

A sweep solves one scenario (and its variants) at many *points*: each point sets a few
scenario values by name, for example ``circuity=1.25`` and ``co2_price_eur_per_t=150``.

Parameters (``Param``) address values of the validated :class:`~clusteropt.scenario.Scenario`:

* ``circuity`` — ``distance.circuity`` (straight-line distances only; 1–3);
* ``co2_price_eur_per_t`` — ``options.co2_price_eur_per_t`` (≥ 0);
* ``empty_share`` — ``options.empty_share`` (0 ≤ e < 1);
* ``interest_rate`` — the rate that annualises one-off costs (0–1);
* ``volume_scale`` — multiplies every demand's tonnes (≥ 0; the base is 1);
* ``relocation_scale`` — multiplies every activity's relocation costs (≥ 0; the base is 1);
* ``vehicle:<id>.<field>`` — a numeric field of a vehicle type, e.g.
  ``vehicle:tractor-semitrailer.cost_eur_per_km``;
* ``site:<id>.<field>`` — a numeric field of a development site or hub
  (``dev_cost_eur``, ``opex_eur_per_yr``, ``fixed_cost_eur_per_yr``, ``handling_eur_per_t``,
  ``handling_h``) or a capacity ``cap_<dim>``, e.g. ``site:agriport-a7.dev_cost_eur``.

Specs (``Spec``): a list ``0,50,100`` or a range ``1.2:1.4:5`` (start:stop:count, both ends
included) give values; all value specs together form a full grid. A distribution
``normal(mean,sd)``, ``triangular(low,mode,high)`` or ``uniform(low,high)`` is sampled
``samples`` times, reproducibly from ``seed`` (one numpy Generator per parameter, seeded by
the seed and the parameter's name, so the first N samples stay the same when N grows). Grid and
samples combine: every grid point with every sample. ``one_at_a_time`` instead varies each
parameter alone (the others at the scenario's own value) around a base point, for a tornado
chart; a distribution then gives its 5 %, 50 % and 95 % quantiles (or ``samples`` draws).

Each (variant × point) is one independent solve (HiGHS, one thread), submitted to a Dask
cluster. Workers receive the validated scenario itself (pickled: every table's content, and the
lane table where it came from a file), never a file path, so a worker on another machine needs
only clusteropt installed. Each point's result is stored as ``DIR/points/<key>.json`` with
``key`` = hash(scenario content hash, variant, parameter values, solve settings): a re-run
skips stored points and an extended sweep solves only the new ones.

Outputs in DIR: ``results.parquet`` and ``results.csv`` (one row per variant × point:
parameters, status, gap, every KPI, the savings split, regret), ``distribution.csv`` and
``boxplots.png`` (cost, truck-km, CO2 per variant), ``ranking.csv`` (how often each variant is
best and its regret), ``tornado.csv``/``tornado.png`` (one-at-a-time sweeps), ``summary.html``
and ``sweep.json`` (what was run).

The package: ``params`` (what a parameter is and its range), ``design`` (specs, points, the
plan), ``store`` (one file per point), ``runner`` (the worker task, the cluster, gathering),
``analysis`` (distribution, ranking, tornado); the pictures and the page are in
``clusteropt.report.sweep``.
"""

from __future__ import annotations

from clusteropt.sweep.analysis import (  # noqa: F401
    analyse_sweep,
    distribution,
    ranking,
    tornado,
    write_results,
)
from clusteropt.sweep.design import (  # noqa: F401
    Design,
    Plan,
    Spec,
    Task,
    make_design,
    parse_param_options,
    plan_sweep,
    point_key,
)
from clusteropt.sweep.params import (  # noqa: F401
    DISTRIBUTIONS,
    EFFECTS,
    GLOBAL_PARAMS,
    HEADLINE,
    OAT_QUANTILES,
    PARAM_PREFIX,
    SAVING,
    SITE_FIELDS,
    SOLVED,
    VEHICLE_FIELDS,
    Param,
    apply_params,
    resolve_params,
    valid_forms,
)
from clusteropt.sweep.runner import (  # noqa: F401
    build_table,
    dask_client,
    describe_client,
    outcome_row,
    run_sweep,
    solve_point,
    unpack,
)
from clusteropt.sweep.store import (  # noqa: F401
    Store,
    SweepResult,
)
