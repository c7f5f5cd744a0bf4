"""Published reference problems (model.md §10) mapped onto clusteropt scenarios, so that the
same builder, solver and independent checker reproduce their optimal values.

* :mod:`clusteropt.benchmarks.orlib` — OR-Library capacitated warehouse location (Beasley 1988).
* :mod:`clusteropt.benchmarks.hub` — uncapacitated multiple-allocation p-hub median
  (Australia Post: Ernst & Krishnamoorthy; CAB: O'Kelly).
* :mod:`clusteropt.benchmarks.optima` — the ``optima.csv`` tables and variant matching.
* :mod:`clusteropt.benchmarks.command` — the ``clusteropt benchmark`` command group.
"""
