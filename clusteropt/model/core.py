"""The pieces every constraint family is made of: linear terms with a constant part (a fixed
decision is a constant, not a branch), variables created in batches, rows added by family
name, and penalised slack for the elastic copy that explains infeasibility."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pulp
from pulp import LpAffineExpression, lpSum_vars_coefs

Terms = list[tuple[Any, float]]  # [(pulp variable, coefficient)]


class ModelInputError(ValueError):
    """The scenario cannot be turned into a model (an input problem the user can fix, such as
    an activity fixed at a closed site); every other exception of the builder is a bug."""


@dataclass
class LinearTerm:
    """A linear expression kept as (variable, coefficient) pairs plus a constant, so that its
    value after the solve is a dot product. A decision fixed by a switch or a lock is a
    LinearTerm with no variable (``constant``)."""

    terms: Terms = field(default_factory=list)
    const: float = 0.0

    @classmethod
    def of(cls, var, coef: float = 1.0) -> LinearTerm:
        return cls([(var, coef)])

    @classmethod
    def constant(cls, value: float) -> LinearTerm:
        return cls([], float(value))

    @property
    def is_constant(self) -> bool:
        return not self.terms

    def add(self, terms: Terms, scale: float = 1.0, const: float = 0.0) -> None:
        if scale != 0.0:
            self.terms += [(v, c * scale) for v, c in terms]
        self.const += const * scale

    def add_term(self, other: LinearTerm, scale: float = 1.0) -> None:
        """self += scale · other."""
        self.add(other.terms, scale, other.const)

    def scaled(self, scale: float) -> LinearTerm:
        return LinearTerm([(v, c * scale) for v, c in self.terms], self.const * scale)

    def expr(self) -> LpAffineExpression:
        e = lpSum_vars_coefs(self.terms) if self.terms else LpAffineExpression.empty()
        return e + self.const if self.const else e

    def value(self) -> float:
        return self.const + sum(c * (v.varValue or 0.0) for v, c in self.terms)


def lin_sum(*parts: tuple[LinearTerm, float]) -> LinearTerm:
    """Σ scale · term."""
    out = LinearTerm()
    for term, scale in parts:
        out.add_term(term, scale)
    return out


class Vars:
    """Creates variables in batches with short unique names (ids can hold any character);
    the model keeps them in dicts by index tuple."""

    def __init__(self, prob: pulp.LpProblem):
        self.prob = prob
        self.counts: dict[str, int] = defaultdict(int)

    def make(self, prefix: str, keys: list, cat: str = "Continuous", lb: float = 0.0,
             ub: float | None = None) -> dict:
        if not keys:
            return {}
        start = self.counts[prefix]
        self.counts[prefix] += len(keys)
        made = self.prob.add_variable_dict(prefix, list(range(start, start + len(keys))),
                                           lowBound=lb, upBound=ub, cat=cat)
        return {k: made[start + n] for n, k in enumerate(keys)}


class Rows:
    """Adds constraints by family name and keeps, per family, the row numbers (the order in
    which they reach the solver) and their index keys; counts rows and non-zeros.

    ``names``: also name every row ``family:key`` in PuLP (for an LP file or debugging; it
    doubles the time to add rows, so it is off by default)."""

    def __init__(self, prob: pulp.LpProblem, names: bool = False):
        self.prob = prob
        self.names = names
        self.rows = 0
        self.nonzeros = 0
        self.family: dict[str, list[int]] = defaultdict(list)
        self.keys: dict[str, list[Any]] = defaultdict(list)

    def add(self, family: str, key: Any, terms: Terms, sense: str, rhs: float,
            infeasible: str | None = None) -> None:
        """Add ``Σ terms sense rhs`` to ``family``. A row without variables is checked
        instead: it must hold, else ModelInputError(``infeasible`` or a generic message)."""
        terms = [(v, c) for v, c in terms if c != 0.0]
        if not terms:
            if (sense == "<=" and rhs < -1e-9) or (sense == ">=" and rhs > 1e-9) or (
                    sense == "==" and abs(rhs) > 1e-9):
                raise ModelInputError(infeasible or f"the rule '{family}' at {key!r} cannot "
                                                    f"hold: 0 {sense} {rhs:g}")
            return
        e = lpSum_vars_coefs(terms)
        c = e <= rhs if sense == "<=" else e >= rhs if sense == ">=" else e == rhs
        if self.names:
            c.name = f"{family}:{key}"
        self.prob.addConstraint(c)
        self.family[family].append(self.rows)
        self.keys[family].append(key)
        self.rows += 1
        self.nonzeros += len(terms)

    def add_lin(self, family: str, key: Any, lhs: LinearTerm, sense: str, rhs: float = 0.0,
                infeasible: str | None = None) -> None:
        """``lhs sense rhs`` with lhs's constant moved to the right-hand side."""
        self.add(family, key, lhs.terms, sense, rhs - lhs.const, infeasible)

    def counts(self) -> dict[str, int]:
        return {f: len(r) for f, r in self.family.items()}


class Elastic:
    """Penalised slack for an elastic copy of the model: ``slack(what, unit)`` returns the
    terms to add to a ≤ row's left side (−slack), or nothing when the model is not elastic."""

    PENALTY = 1e7  # euro per unit of slack: far above any real cost

    def __init__(self, var: Vars, penalty: LinearTerm, enabled: bool):
        self.var, self.penalty, self.enabled = var, penalty, enabled
        self.slacks: dict[Any, tuple[str, str]] = {}
        self.family: dict[Any, str] = {}  # slack var → the constraint family it relaxes

    def slack(self, what: str, unit: str, weight: float = 1.0, family: str = "") -> Terms:
        """``weight`` ranks what gives first: structural rules (site counts) weigh more than
        capacities and outlets, so the explanation names the capacity that is short."""
        if not self.enabled:
            return []
        v = self.var.make("slack", [len(self.slacks)])[len(self.slacks)]
        self.slacks[v] = (what, unit)
        self.family[v] = family
        self.penalty.add([(v, self.PENALTY * weight)])
        return [(v, -1.0)]
