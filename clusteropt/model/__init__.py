"""The MILP: index sets, variables, constraints and objective (PuLP). See ``build``."""

from clusteropt.model.build import COST_TERMS, BuiltModel, Switches, build
from clusteropt.model.extract import extract

__all__ = ["COST_TERMS", "BuiltModel", "Switches", "build", "extract"]
