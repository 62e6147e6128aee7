"""OpenFisca model of the shared peer-benchmark workload.

The workload (shared by every engine compared) scores N government units on
C criteria, each with maximum 1, of kind "abc"[i % 3]:

  (a) ratio tiers   total = 1 + (7n + 13i) mod 500,
                    on_time = (31n + 17i) mod (total + 1);
                    score 1 if on_time/total >= 1, 0.75 if >= 0.95,
                    0.5 if >= 0.9, else 0.
  (b) proportional  value = (11n + 5i) mod 121, target = 100;
                    score = min(value / target, 1).
  (c) checklist     item k (k = 0..4) is done iff (n + 3i + 5k) mod 7 < 3;
                    score = 0.2 per item done.

A unit's total is the sum of its C scores, on a scale of C.

The model is written the way an OpenFisca country package is: a person entity
`unit`, a TaxBenefitSystem, input variables, one vectorised formula per
criterion score, a `total` variable, and the thresholds kept as parameters.
OpenFisca's natural types are kept on purpose (int32 inputs, float32 scores):
that is part of what is being compared.  Separately, the script recomputes
every score and total exactly, with plain Python integers counted in
hundredths (every score here is a multiple of 0.01), and reports how far the
OpenFisca figures are from them.

Usage:
  python model.py [--units N] [--criteria C] [--year Y] [--reps R]
                  [--json-out FILE]
      Benchmark: setup time, calculation time (best of R), exactness report.
  python model.py --once [--units N] [--criteria C] [--year Y]
      One end-to-end run, as a user would do it: build, calculate, print the
      totals as JSON on stdout.  Used to time the whole process.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from decimal import Decimal
from fractions import Fraction
from importlib.metadata import version

import numpy

from openfisca_core.entities import build_entity
from openfisca_core.model_api import YEAR, ParameterNode, Variable, min_
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

KINDS = "abc"
CHECKLIST_ITEMS = 5

# ---------------------------------------------------------------------------
# Entity
# ---------------------------------------------------------------------------

Unit = build_entity(
    key="unit",
    plural="units",
    label="Government unit",
    doc="A unit scored on the Public Administration Reform index.",
    is_person=True,
)

# ---------------------------------------------------------------------------
# Parameters (what a country package would keep in YAML files)
# ---------------------------------------------------------------------------

SINCE = "2000-01-01"


def _value(v):
    return {"values": {SINCE: {"value": v}}}


PARAMETERS = {
    # (a) a single-amount scale: the ratio's bracket gives the score.
    "ratio_tiers": {
        "metadata": {"type": "single_amount"},
        "brackets": [
            {"threshold": _value(0.0), "amount": _value(0.0)},
            {"threshold": _value(0.9), "amount": _value(0.5)},
            {"threshold": _value(0.95), "amount": _value(0.75)},
            {"threshold": _value(1.0), "amount": _value(1.0)},
        ],
    },
    # (b) the proportional target.
    "proportional": {"target": _value(100)},
    # (c) the weight of one checklist item.
    "checklist": {"item_weight": _value(0.2)},
}


# ---------------------------------------------------------------------------
# Variables
# ---------------------------------------------------------------------------


def criterion_id(i: int) -> str:
    return f"c{i:03d}"


def _variable(name: str, value_type, label: str, formula=None) -> type[Variable]:
    """Declare an OpenFisca variable class named `name` on the unit entity.

    With C criteria the classes are generated in a loop; written out by hand,
    each would be the usual `class name(Variable): ...` block.
    """
    body = {
        "value_type": value_type,
        "entity": Unit,
        "definition_period": YEAR,
        "label": label,
    }
    if formula is not None:
        body["formula"] = formula  # a plain function, as in a class body
    return type(name, (Variable,), body)


def _ratio_score(cid: str):
    def formula(unit, period, parameters):
        total = unit(f"{cid}_total", period)
        on_time = unit(f"{cid}_on_time", period)
        ratio = on_time / total  # total >= 1 by construction
        return parameters(period).ratio_tiers.calc(ratio)

    return formula


def _proportional_score(cid: str):
    def formula(unit, period, parameters):
        target = parameters(period).proportional.target
        return min_(unit(f"{cid}_value", period) / target, 1)

    return formula


def _checklist_score(cid: str):
    def formula(unit, period, parameters):
        weight = parameters(period).checklist.item_weight
        done = sum(
            unit(f"{cid}_item_{k}", period) for k in range(CHECKLIST_ITEMS)
        )
        return weight * done

    return formula


def _total(criteria: int):
    score_names = [f"{criterion_id(i)}_score" for i in range(criteria)]

    def formula(unit, period, parameters):
        # float32 + float32 + ...: OpenFisca's natural accumulation.
        return sum(unit(name, period) for name in score_names)

    return formula


def input_variable_names(i: int) -> list[str]:
    cid = criterion_id(i)
    kind = KINDS[i % 3]
    if kind == "a":
        return [f"{cid}_total", f"{cid}_on_time"]
    if kind == "b":
        return [f"{cid}_value"]
    return [f"{cid}_item_{k}" for k in range(CHECKLIST_ITEMS)]


def build_system(criteria: int) -> TaxBenefitSystem:
    """The TaxBenefitSystem: entity, parameters and all variables."""
    system = TaxBenefitSystem([Unit])
    system.parameters = ParameterNode("", data=PARAMETERS)

    for i in range(criteria):
        cid = criterion_id(i)
        kind = KINDS[i % 3]
        if kind == "a":
            system.add_variable(_variable(f"{cid}_total", int, f"{cid}: cases"))
            system.add_variable(
                _variable(f"{cid}_on_time", int, f"{cid}: cases on time")
            )
            score = _ratio_score(cid)
        elif kind == "b":
            system.add_variable(_variable(f"{cid}_value", int, f"{cid}: value"))
            score = _proportional_score(cid)
        else:
            for k in range(CHECKLIST_ITEMS):
                system.add_variable(
                    _variable(f"{cid}_item_{k}", bool, f"{cid}: item {k} done")
                )
            score = _checklist_score(cid)
        system.add_variable(_variable(f"{cid}_score", float, f"{cid}: score", score))

    system.add_variable(_variable("total", float, "PAR index total", _total(criteria)))
    return system


# ---------------------------------------------------------------------------
# Inputs (vectorised; the same formulas as the workload definition)
# ---------------------------------------------------------------------------


def generate_inputs(units: int, criteria: int) -> dict[str, numpy.ndarray]:
    n = numpy.arange(units, dtype=numpy.int64)
    inputs: dict[str, numpy.ndarray] = {}
    for i in range(criteria):
        cid = criterion_id(i)
        kind = KINDS[i % 3]
        if kind == "a":
            total = 1 + (7 * n + 13 * i) % 500
            inputs[f"{cid}_total"] = total
            inputs[f"{cid}_on_time"] = (31 * n + 17 * i) % (total + 1)
        elif kind == "b":
            inputs[f"{cid}_value"] = (11 * n + 5 * i) % 121
        else:
            for k in range(CHECKLIST_ITEMS):
                inputs[f"{cid}_item_{k}"] = (n + 3 * i + 5 * k) % 7 < 3
    return inputs


def build_simulation(system, units: int, inputs, year: int):
    """A simulation of `units` units `u0`, `u1`, ... with every input set."""
    builder = SimulationBuilder()
    builder.create_entities(system)
    builder.declare_person_entity("unit", [f"u{n}" for n in range(units)])
    simulation = builder.build(system)
    for name, values in inputs.items():
        simulation.set_input(name, year, values)
    return simulation


# ---------------------------------------------------------------------------
# Exact reference: plain Python integers, in hundredths (0.01)
# ---------------------------------------------------------------------------


def exact_score_hundredths(n: int, i: int) -> int:
    kind = KINDS[i % 3]
    if kind == "a":
        total = 1 + (7 * n + 13 * i) % 500
        on_time = (31 * n + 17 * i) % (total + 1)
        # on_time/total >= p/q  <=>  q*on_time >= p*total (both positive)
        if on_time >= total:
            return 100
        if 100 * on_time >= 95 * total:
            return 75
        if 10 * on_time >= 9 * total:
            return 50
        return 0
    if kind == "b":
        value = (11 * n + 5 * i) % 121
        return min(value, 100)  # value/100 in hundredths, capped at 1
    done = sum(1 for k in range(CHECKLIST_ITEMS) if (n + 3 * i + 5 * k) % 7 < 3)
    return 20 * done


def exactness_report(simulation, units: int, criteria: int, year: int) -> dict:
    """Compare OpenFisca's float32 scores and totals with the exact values."""
    exact_scores = [
        [exact_score_hundredths(n, i) for n in range(units)] for i in range(criteria)
    ]
    exact_totals = [sum(col[n] for col in exact_scores) for n in range(units)]

    # Per-criterion scores: does every float32 score round to the right
    # hundredth?  (Shows whether any tier or cap was decided wrongly, as
    # opposed to merely stored inexactly.)
    wrong_scores = 0
    inexact_scores = 0
    for i in range(criteria):
        got = simulation.calculate(f"{criterion_id(i)}_score", year).astype(numpy.float64)
        want = numpy.array(exact_scores[i], dtype=numpy.int64)
        wrong_scores += int((numpy.rint(got * 100).astype(numpy.int64) != want).sum())
        # A float32 converts exactly to a Fraction: is it exactly want/100?
        inexact_scores += sum(
            1 for g, w in zip(got.tolist(), want.tolist()) if Fraction(g) != Fraction(w, 100)
        )

    totals = simulation.calculate("total", year)  # float32
    differ = 0
    differ_at_cent = 0
    max_err = Fraction(0)
    for got, want in zip(totals.tolist(), exact_totals):
        err = abs(Fraction(got) - Fraction(want, 100))
        if err:
            differ += 1
        if round(Decimal(got), 2) * 100 != want:
            differ_at_cent += 1
        max_err = max(max_err, err)

    exact_sum = Fraction(sum(exact_totals), 100)
    sum_f32 = totals.sum()  # what `numpy` gives a user: float32
    sum_f64 = totals.sum(dtype=numpy.float64)

    def dec(x: Fraction) -> str:
        return f"{float(x):.9g}"

    def wrong_at_cent(x) -> bool:
        return round(Decimal(float(x)), 2) * 100 != sum(exact_totals)

    return {
        "criterion_scores": units * criteria,
        "criterion_scores_not_exact": inexact_scores,
        "criterion_scores_wrong_at_0.01": wrong_scores,
        "units": units,
        "units_total_not_exact": differ,
        "units_total_wrong_at_0.01": differ_at_cent,
        "max_abs_error_unit_total": dec(max_err),
        "national_sum_exact": str(Decimal(sum(exact_totals)) / 100),
        "national_sum_float32": f"{float(sum_f32):.9g}",
        "national_sum_float32_error": dec(abs(Fraction(float(sum_f32)) - exact_sum)),
        "national_sum_float32_wrong_at_0.01": wrong_at_cent(sum_f32),
        "national_sum_float64_of_float32": repr(float(sum_f64)),
        "national_sum_float64_of_float32_error": dec(
            abs(Fraction(float(sum_f64)) - exact_sum)
        ),
        "national_sum_float64_of_float32_wrong_at_0.01": wrong_at_cent(sum_f64),
    }


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def run_once(units: int, criteria: int, year: int) -> None:
    """Build, calculate, print totals as JSON: one run as a user would do it."""
    system = build_system(criteria)
    simulation = build_simulation(system, units, generate_inputs(units, criteria), year)
    totals = simulation.calculate("total", year)
    ids = simulation.populations["unit"].ids
    json.dump(
        {"year": year, "units": [{"id": u, "total": float(t)} for u, t in zip(ids, totals.tolist())]},
        sys.stdout,
    )
    sys.stdout.write("\n")


def run_bench(units: int, criteria: int, year: int, reps: int, json_out: str | None) -> None:
    t0 = time.perf_counter()
    system = build_system(criteria)
    t1 = time.perf_counter()
    inputs = generate_inputs(units, criteria)
    t2 = time.perf_counter()
    simulation = build_simulation(system, units, inputs, year)
    t3 = time.perf_counter()

    # OpenFisca caches every computed variable in the simulation, so each
    # repetition gets a fresh simulation (untimed) and only `calculate` is
    # timed.
    calc_times = []
    for rep in range(reps):
        if rep > 0:
            simulation = build_simulation(system, units, inputs, year)
        start = time.perf_counter()
        simulation.calculate("total", year)
        calc_times.append(time.perf_counter() - start)

    t4 = time.perf_counter()
    exact = exactness_report(simulation, units, criteria, year)
    t5 = time.perf_counter()

    result = {
        "openfisca_core": version("openfisca-core"),
        "numpy": numpy.__version__,
        "python": sys.version.split()[0],
        "units": units,
        "criteria": criteria,
        "variables": len(system.variables),
        "setup_s": {
            "tax_benefit_system": t1 - t0,
            "inputs_generated": t2 - t1,
            "simulation_and_set_input": t3 - t2,
            "total": (t1 - t0) + (t3 - t2),
        },
        "calculate_s": {"best": min(calc_times), "all": calc_times},
        "exactness_check_s": t5 - t4,
        "exactness": exact,
    }

    s = result["setup_s"]
    print(f"openfisca-core {result['openfisca_core']}, numpy {result['numpy']}, "
          f"python {result['python']}")
    print(f"workload: {units} units x {criteria} criteria, {result['variables']} variables")
    print(f"setup: {s['total']:.3f} s  (TaxBenefitSystem {s['tax_benefit_system']:.3f} s, "
          f"simulation + set_input {s['simulation_and_set_input']:.3f} s; "
          f"input generation {s['inputs_generated']:.3f} s not counted)")
    print(f"calculate('total'): best of {reps} {min(calc_times):.3f} s  "
          f"(all: {', '.join(f'{t:.3f}' for t in calc_times)})")
    print("exactness against exact decimal totals:")
    for key, value in exact.items():
        print(f"  {key}: {value}")

    if json_out:
        with open(json_out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
            f.write("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--criteria", type=int, default=100)
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--json-out", help="also write the figures as JSON here")
    parser.add_argument("--once", action="store_true",
                        help="one end-to-end run; print totals as JSON")
    args = parser.parse_args()
    if args.once:
        run_once(args.units, args.criteria, args.year)
    else:
        run_bench(args.units, args.criteria, args.year, args.reps, args.json_out)


if __name__ == "__main__":
    main()
