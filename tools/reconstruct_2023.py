#!/usr/bin/env python3
"""Reconstruct the 2023 appraisal points from what the report publishes.

The report (seed 002) publishes each unit's appraisal score (Tables 1 and 2)
but not how it splits over the components and criteria; sections 3.1-3.8
publish many statements about that split (fixtures/2023/published-components.toml).
This tool finds points for every criterion of every unit that

  * keep every published number of Tables 1 and 2 exactly as shown: the
    appraisal score of each unit is kept to the thousandth it has now, the
    survey score may move inside its printed rounding (a third decimal) only
    while the total, the truncated index, the ranks and the averages stay,
  * keep the portal-scored leaves (3.4.1, 7.3.2-7.3.6) as their rules score
    them, unless a published statement needs more (then the leaf is awarded
    and the fixture says which statement and what the rule gives),
  * satisfy as many statements as can be satisfied together (each statement
    is a set of linear constraints, relaxed by its own 0/1 variable; the
    solver minimises the statements relaxed first, then the overrides of the
    portal rules, then the distance from an even split in proportion to the
    maxima),

with a mixed-integer program (PuLP, solved by HiGHS when `highspy` is
installed, else by PuLP's bundled CBC). Points are
hundredths; a unit whose appraisal score carries a third decimal puts it on
one criterion; so does a component whose published index needs one (98.99% of
9 is 8.909), balanced by another component of the unit.

Run once from the repository root, after `cargo build`:

    pip install pulp highspy
    python3 tools/reconstruct_2023.py            # solve and report
    python3 tools/reconstruct_2023.py --write    # also rewrite the fixtures

--write rewrites fixtures/2023/scores.toml (its comments say how each line
was derived) and the [provenance] tables of
fixtures/2023/published-components.toml.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from decimal import Decimal
from pathlib import Path

import pulp

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures" / "2023"
BIN = Path(os.environ.get("PARINDEX", ROOT / "target" / "debug" / "parindex"))
OVERRIDE = "the portal rule gives "

W_STATEMENT = 100.0
W_OVERRIDE = 40.0
W_THIRD = 1.0  # a component whose points carry a third decimal
W_PART = 10.0  # a part of a relaxed statement (its value, or its order) relaxed too
W_EVEN = 0.01  # per point away from the even split
W_SURVEY = 1.0  # per point the survey score moves


def dec(x):
    return Decimal(str(x))


def load_toml(path):
    with open(path, "rb") as f:
        return tomllib.load(f, parse_float=Decimal)


def tree():
    nodes = []
    for f in sorted((ROOT / "criteria" / "2023" / "tree").glob("*.toml")):
        for n in load_toml(f)["node"]:
            nodes.append({"id": n["id"], "name": n["name"], "rule": "rule" in n})
    ids = [n["id"] for n in nodes]
    for n in nodes:
        parent = n["id"].rsplit(".", 1)[0] if "." in n["id"] else None
        n["parent"] = parent
        n["children"] = [m for m in ids if m.rsplit(".", 1)[0] == n["id"] and "." in m]
    return {n["id"]: n for n in nodes}, ids


def explain_all(units):
    """Every unit's explain JSON, scored with the overrides of portal rules taken out."""
    text = (FIX / "scores.toml").read_text(encoding="utf-8")
    lines = [l for l in text.split("\n") if OVERRIDE not in l]
    portal_given = {}
    unit = None
    for l in text.split("\n"):
        m = re.match(r"^\[(.+)\]$", l)
        if m:
            unit = m.group(1)
        m = re.match(r'^"([\d.]+)" = [\d.]+ .*' + OVERRIDE + r"([\d.]+)", l)
        if m:
            portal_given[(unit, m.group(1))] = dec(m.group(2))
    tmp = Path(tempfile.mkdtemp())
    try:
        for sub in ["criteria", "rules", "fixtures"]:
            shutil.copytree(ROOT / sub, tmp / sub)
        (tmp / "fixtures" / "2023" / "scores.toml").write_text("\n".join(lines), encoding="utf-8")
        out = {}
        for u in units:
            r = subprocess.run(
                [str(BIN), "--root", str(tmp), "explain", "--year", "2023", "--unit", u, "--format", "json"],
                capture_output=True, text=True, check=True,
            )
            out[u] = json.loads(r.stdout)
        return out
    finally:
        shutil.rmtree(tmp)


def interval(value):
    """The full-precision index interval [lo, hi) shown (half-up, 2 decimals) as
    `value`; the report drops trailing zeros ("96,3" is 96.30)."""
    v = float(dec(value))
    return v - 0.005, v + 0.005


EPS = 1e-6

# The component indices tests/published_2023.rs holds the engine to: their
# values are never relaxed (their order among other units may be).
HARD = {
    ("so-khcn", "1"), ("so-vhttdl", "1"), ("than-uyen", "1"), ("so-ngv", "2"), ("thanh-tra", "3"),
    ("so-ngv", "3"), ("so-gddt", "4"), ("so-yt", "4"), ("thanh-tra", "5"), ("sin-ho", "5"),
    ("so-xd", "6"), ("ban-dt", "6"), ("bql-kkt", "7"), ("thanh-tra", "7"), ("so-nv", "8"),
    ("so-tttt", "8"), ("so-khcn", "8"),
}


class Model:
    def __init__(self, nodes, order):
        self.nodes, self.order = nodes, order
        self.units = load_toml(FIX / "units.toml")["unit"]
        self.kind = {u["id"]: u["kind"] for u in self.units}
        self.name = {u["id"]: u["name"] for u in self.units}
        self.scores = load_toml(FIX / "scores.toml")
        self.expected = {e["unit"]: e for e in load_toml(FIX / "expected.toml")["expect"]}
        self.averages = {a["kind"]: a["index"] for a in load_toml(FIX / "expected.toml")["average"]}
        self.statements = load_toml(FIX / "published-components.toml")["statement"]
        self.explain = explain_all([u["id"] for u in self.units])
        self.prob = pulp.LpProblem("reconstruct_2023", pulp.LpMinimize)
        self.objective = []
        self.vars = {}  # (unit, node) -> (expr in thousandths, max)
        self.fixed = {}  # (unit, node) -> portal points
        self.override = {}
        self.even = {}
        self.survey = {}
        self.phase = 1
        self.build_points()

    # -- the points ---------------------------------------------------------
    def leaves_under(self, u, n):
        """Award nodes and portal leaves of unit u under node n (n included)."""
        return [k for k in self.award[u] if k == n or k.startswith(n + ".")]

    def mx(self, u, n):
        return dec(self.by_id[u][n]["max"] or 0)

    def build_points(self):
        """Phase 1: each unit's points per component, summing to its appraisal score."""
        self.by_id = {u: {n["id"]: n for n in self.explain[u]["nodes"]} for u in self.explain}
        self.award, self.comp, self.residual, self.place, self.over = {}, {}, {}, {}, {}
        for u in self.by_id:
            awards = []

            def collect(n):
                if self.mx(u, n) == 0:
                    return
                below = [k for k in self.order if k.startswith(n + ".") and self.nodes[k]["rule"]]
                if not below or self.nodes[n]["rule"]:
                    awards.append(n)
                    return
                for c in self.nodes[n]["children"]:
                    collect(c)

            comps = [c for c in "1234567" if self.mx(u, c) > 0]
            for comp in comps:
                for c in self.nodes[comp]["children"]:
                    collect(c)
            self.award[u] = awards
            for n in awards:
                if self.by_id[u][n]["status"] == "scored":
                    self.fixed[(u, n)] = dec(self.by_id[u][n]["points"])
            awarded = {k: dec(v) for k, v in self.scores[u].items() if k[0] in "1234567"}
            scored = [n for n in self.by_id[u].values() if n["status"] == "scored" and n["id"] not in awarded]
            appraisal_th = int((sum(awarded.values()) + sum(dec(n["points"]) for n in scored)) * 1000)
            residual = appraisal_th % 10
            self.residual[u] = residual
            portal = {c: sum(int(self.fixed[(u, n)] * 1000) for n in self.leaves_under(u, c) if (u, n) in self.fixed) for c in comps}
            free = {c: sum(self.mx(u, n) for n in self.leaves_under(u, c) if (u, n) not in self.fixed) for c in comps}
            ratio = float((Decimal(appraisal_th - sum(portal.values())) / 1000) / sum(free.values()))
            total, places = [], []
            for c in comps:
                m = self.mx(u, c)
                room = int(m * 1000) - portal[c] - int(free[c] * 1000)
                y = pulp.LpVariable(f"y_{u}_{c}", 0, int(m * 100), cat="Integer")
                # a third decimal, where a published number needs one
                r = pulp.LpVariable(f"r_{u}_{c}", 0, 9, cat="Integer")
                q = pulp.LpVariable(f"q_{u}_{c}", cat="Binary")
                self.prob += r <= 9 * q
                self.objective.append(W_THIRD * q)
                expr = 10 * y + r
                self.prob += expr >= portal[c]
                if room > 0:
                    o = pulp.LpVariable(f"o_{u}_{c}", cat="Binary")
                    self.over[(u, c)] = o
                    self.objective.append(W_OVERRIDE * o)
                    self.prob += expr <= portal[c] + int(free[c] * 1000) + room * o
                else:
                    self.prob += expr <= int(m * 1000)
                self.comp[(u, c)] = expr
                total.append(expr)
                dev = pulp.LpVariable(f"e_{u}_{c}", 0)
                target = portal[c] + ratio * float(free[c]) * 1000
                self.prob += dev >= expr - target
                self.prob += dev >= target - expr
                self.objective.append(W_EVEN / 1000 * dev)
            self.prob += pulp.lpSum(total) == appraisal_th, f"appraisal_{u}"
            self.build_survey(u, appraisal_th)
        self.build_tables()

    def split(self, seconds):
        """Phase 2: each component's points over its criteria, given phase 1."""
        self.prob = pulp.LpProblem("reconstruct_2023_criteria", pulp.LpMinimize)
        self.objective = []
        self.phase = 2
        self.z = {}
        comp = {k: round(pulp.value(e)) for k, e in self.comp.items()}
        over = {k: pulp.value(o) > 0.5 for k, o in self.over.items()}
        self.comp_value = comp
        self.vars = {}
        self.override = {}
        for (u, c), total_th in comp.items():
            leaves = self.leaves_under(u, c)
            parts = []
            portal = sum(int(self.fixed[(u, n)] * 1000) for n in leaves if (u, n) in self.fixed)
            free = sum(self.mx(u, n) for n in leaves if (u, n) not in self.fixed)
            ratio = float(Decimal(total_th - portal) / 1000 / free) if free else 0
            residual = total_th % 10
            places = []
            for n in leaves:
                m = self.mx(u, n)
                if (u, n) in self.fixed:
                    f = int(self.fixed[(u, n)] * 1000)
                    if over.get((u, c)) and m * 1000 > f:
                        o = pulp.LpVariable(f"o_{u}_{n}", cat="Binary")
                        d = pulp.LpVariable(f"d_{u}_{n}", 0, int(m * 100) - f // 10, cat="Integer")
                        self.prob += d <= int(m * 100) * o
                        self.override[(u, n)] = (o, d)
                        self.objective.append(W_OVERRIDE * o + 0.1 * d)
                        expr = f + 10 * d
                    else:
                        expr = pulp.lpSum([f])
                else:
                    x = pulp.LpVariable(f"x_{u}_{n}", 0, int(m * 100), cat="Integer")
                    expr = 10 * x
                    if residual:
                        p = pulp.LpVariable(f"p_{u}_{n}", cat="Binary")
                        places.append(p)
                        expr = expr + residual * p
                        self.prob += expr <= int(m * 1000)
                    dev = pulp.LpVariable(f"e_{u}_{n}", 0)
                    target = ratio * float(m) * 1000
                    self.prob += dev >= expr - target
                    self.prob += dev >= target - expr
                    self.objective.append(W_EVEN / 1000 * dev)
                self.vars[(u, n)] = (expr, m)
                parts.append(expr)
            if places:
                self.prob += pulp.lpSum(places) == 1
            self.prob += pulp.lpSum(parts) == total_th
        return self.solve(seconds, phase=2)

    def build_survey(self, u, appraisal_th):
        sc = self.scores[u]
        cur = int(dec(sc["8.1"]) * 1000)
        pub = int(dec(self.expected[u]["parts"]["survey"]) * 1000)
        s = pulp.LpVariable(f"s_{u}", pub - 5, pub + 4, cat="Integer")
        dev = pulp.LpVariable(f"es_{u}", 0)
        self.prob += dev >= s - cur
        self.prob += dev >= cur - s
        self.objective.append(W_SURVEY / 1000 * dev)
        rest = int(sum(dec(v) for k, v in sc.items() if k[0] == "8" and k != "8.1") * 1000)
        self.survey[u] = (s, cur, rest)
        total = appraisal_th + s + rest
        e = self.expected[u]
        t = int(dec(e["total"]) * 1000)
        self.prob += total >= t - 5
        self.prob += total <= t + 4
        scale = float(dec(self.explain[u]["scale"]["exact"]))
        idx = float(dec(e["index"]))
        self.prob += total >= 10 * scale * idx
        self.prob += total <= 10 * scale * (idx + 0.01) - EPS
        self.index_expr = getattr(self, "index_expr", {})
        self.index_expr[u] = (total, scale)

    def build_tables(self):
        for kind, avg in self.averages.items():
            us = [u for u in self.index_expr if self.kind[u] == kind]
            mean = pulp.lpSum(t / (10 * s) for t, s in (self.index_expr[u] for u in us)) / len(us)
            self.prob += mean >= float(avg)
            self.prob += mean <= float(avg) + 0.01 - EPS
        groups = {}
        for u, e in self.expected.items():
            groups.setdefault(self.explain[u]["unit"]["group"], []).append((e["rank"], u))
        for g, members in groups.items():
            members.sort()
            for (ra, a), (rb, b) in zip(members, members[1:]):
                ta, sa = self.index_expr[a]
                tb, sb = self.index_expr[b]
                if ra < rb:
                    self.prob += ta / (10 * sa) >= tb / (10 * sb) + EPS

    # -- indices --------------------------------------------------------------
    def evaluated(self, u, n):
        info = self.by_id[u].get(n)
        return info is not None and dec(info["max"] or 0) > 0

    def index(self, u, n):
        """The full-precision index % of unit u at node n, a linear expression."""
        m = float(dec(self.by_id[u][n]["max"]))
        if n == "8":
            s, _, rest = self.survey[u]
            return (s + rest) / (10 * m)
        if n in "1234567":
            return (self.comp_value[(u, n)] if self.phase == 2 else self.comp[(u, n)]) / (10 * m)
        return pulp.lpSum(self.vars[(u, k)][0] for k in self.leaves_under(u, n)) / (10 * m)

    def members(self, group, n):
        us = [u["id"] for u in self.units]
        if group != "all":
            us = [u for u in us if self.kind[u] == group]
        return [u for u in us if self.evaluated(u, n)]

    def mean(self, group, n):
        us = self.members(group, n)
        return pulp.lpSum(self.index(u, n) for u in us) / len(us)

    # -- statements -----------------------------------------------------------
    def statement(self, i, s):
        kind = s["kind"]
        if kind == "change" and s.get("units") and "component" in s and s.get("status") != "contradiction":
            return self.change_bounds(i, s) if self.phase == 1 else None
        if kind.startswith("change") or kind in ("scale", "not_evaluated") or s.get("status") == "contradiction":
            return None
        n = s.get("criterion") or s.get("component")
        criteria = "criterion" in s or kind == "count_of_criteria"
        if criteria != (self.phase == 2):
            return None
        # v: the statement is relaxed; vv: its value is; vr: the rest of it (order, counts)
        v = pulp.LpVariable(f"v_{i}", cat="Binary")
        vv = pulp.LpVariable(f"vv_{i}", cat="Binary")
        vr = pulp.LpVariable(f"vr_{i}", cat="Binary")
        self.prob += v >= vv
        self.prob += v >= vr
        if kind in ("unit_index", "highest", "lowest", "next") and any((u, s.get("component")) in HARD for u in s.get("units", [])):
            self.prob += vv == 0
        M = 300
        cons = []

        def within(expr, value):
            lo, hi = interval(value)
            cons.append(expr >= lo - M * vv)
            cons.append(expr <= hi - EPS + M * vv)

        units = s.get("units", [])
        group = s["group"]
        if kind == "unit_index":
            for u in units:
                within(self.index(u, n), s["value"])
        elif kind == "score":
            for u in units:
                if n == "8.3":
                    return None  # the impact part is published in Table 2
                lo, hi = interval(s["value"])
                within(self.index(u, n) * float(dec(self.by_id[u][n]["max"])) / 100, s["value"])
        elif kind in ("highest", "lowest", "next"):
            top = kind == "highest" or (kind == "next" and s["from"] == "top")
            better = set()
            if kind == "next":
                for t in self.statements:
                    if (t.get("component"), t.get("criterion"), t["group"]) != (s.get("component"), s.get("criterion"), group):
                        continue
                    tk = t["kind"]
                    ttop = tk == "highest" or (tk == "next" and t.get("from") == "top")
                    tpos = 1 if tk in ("highest", "lowest") else t.get("position", 0)
                    if tk in ("highest", "lowest", "next") and ttop == top and tpos < s["position"]:
                        better.update(t["units"])
            for u in units:
                within(self.index(u, n), s["value"])
                for w in self.members(group, n):
                    if w in units:
                        continue
                    if w in better:
                        if top:
                            cons.append(self.index(w, n) >= self.index(u, n) + 0.01 - M * vr)
                        else:
                            cons.append(self.index(w, n) <= self.index(u, n) - 0.01 + M * vr)
                    elif top:
                        cons.append(self.index(w, n) <= self.index(u, n) + M * vr)
                    else:
                        cons.append(self.index(w, n) >= self.index(u, n) - M * vr)
        elif kind == "count_at_100":
            ms = self.members(group, n)
            if units:
                for w in ms:
                    if w in units:
                        cons.append(self.index(w, n) >= 100 - M * vr)
                    else:
                        cons.append(self.index(w, n) <= 99.99 + M * vr)
            else:
                z = self.at_100(n, group)
                k = int(dec(s["value"]))
                cons.append(pulp.lpSum(z.values()) - k <= 30 * vr)
                cons.append(k - pulp.lpSum(z.values()) <= 30 * vr)
        elif kind == "range_of_others":
            lo_v, hi_v = s["value"].split("-")
            lo, lo_hi = interval(lo_v)
            hi_lo, hi = interval(hi_v)
            others = [w for w in self.members(group, n) if w not in s.get("except", [])]
            z = self.at_100(n, group) if s.get("besides_100") else {}
            a, b = [], []
            for w in others:
                free = M * z[w] if w in z else 0
                cons.append(self.index(w, n) >= lo - M * vv - free)
                cons.append(self.index(w, n) <= hi - EPS + M * vv + free)
                aw = pulp.LpVariable(f"a_{i}_{w}", cat="Binary")
                bw = pulp.LpVariable(f"b_{i}_{w}", cat="Binary")
                cons.append(self.index(w, n) <= lo_hi - EPS + M * (1 - aw))
                cons.append(self.index(w, n) >= hi_lo - M * (1 - bw))
                if w in z:
                    cons.append(aw <= 1 - z[w])
                    cons.append(bw <= 1 - z[w])
                a.append(aw)
                b.append(bw)
            cons.append(pulp.lpSum(a) >= 1 - vr)
            cons.append(pulp.lpSum(b) >= 1 - vr)
        elif kind == "group_mean":
            within(self.mean(group, n), s["value"])
        elif kind == "difference":
            within(self.mean("department", n) - self.mean("district", n), s["value"])
        elif kind == "count_of_criteria":
            k, _ = (int(x) for x in s["value"].split("/"))
            bs = []
            for c in self.nodes[n]["children"]:
                bc = pulp.LpVariable(f"c_{i}_{c}", cat="Binary")
                d, k_ = self.mean("department", c), self.mean("district", c)
                cons.append(d <= k_ - 0.01 + M * (1 - bc))
                cons.append(d >= k_ - M * bc)
                bs.append(bc)
            cons.append(pulp.lpSum(bs) - k <= 10 * vr)
            cons.append(k - pulp.lpSum(bs) <= 10 * vr)
        else:
            return None
        for j, c in enumerate(cons):
            self.prob += c, f"st{i}_{j}"
        self.objective.append(W_STATEMENT * v + W_PART * (vv + vr))
        return v

    def change_bounds(self, i, s):
        """A unit's change against 2022 bounds its 2023 index: last year's lay in 0-100."""
        d = float(dec(s["value"]))
        v = pulp.LpVariable(f"v_{i}", cat="Binary")
        for u in s["units"]:
            if not self.evaluated(u, s["component"]):
                continue
            x = self.index(u, s["component"])
            if d > 0:
                self.prob += x >= d - 0.005 - 300 * v
            elif d < 0:
                self.prob += x <= 100 + d + 0.005 - EPS + 300 * v
        self.objective.append(W_STATEMENT * v)
        return v

    def at_100(self, n, group):
        key = (n, group)
        self.z = getattr(self, "z", {})
        if key not in self.z:
            z = {}
            for w in self.members(group, n):
                zw = pulp.LpVariable(f"z_{n}_{group}_{w}", cat="Binary")
                self.prob += self.index(w, n) >= 100 - 300 * (1 - zw)
                self.prob += self.index(w, n) <= 99.99 + 300 * zw
                z[w] = zw
            self.z[key] = z
        return self.z[key]

    def solve(self, seconds, phase=1):
        relax = {}
        for i, s in enumerate(self.statements):
            v = self.statement(i, s)
            if v is not None:
                relax[i] = v
        self.relax = getattr(self, "relax", {})
        self.prob += pulp.lpSum(self.objective)
        if "HiGHS" in pulp.listSolvers(onlyAvailable=True):
            solver = pulp.HiGHS(msg=False, timeLimit=seconds, threads=1)
        else:
            solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=seconds, threads=1)
        status = self.prob.solve(solver)
        self.relaxed_ids = getattr(self, "relaxed_ids", []) + [i for i, v in relax.items() if pulp.value(v) > 0.5]
        self.relax.update(relax)
        return f"phase {phase}: {pulp.LpStatus[status]}, {len(relax)} statements, {sum(pulp.value(v) > 0.5 for v in relax.values())} relaxed"

    # -- results --------------------------------------------------------------
    def value(self, u, n):
        expr, _ = self.vars[(u, n)]
        return Decimal(round(pulp.value(expr))) / 1000

    def relaxed(self):
        return self.relaxed_ids


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="rewrite the fixtures")
    ap.add_argument("--seconds", type=int, default=300, help="solver time limit")
    args = ap.parse_args()
    nodes, order = tree()
    m = Model(nodes, order)
    print(m.solve(args.seconds))
    print(m.split(args.seconds))
    relaxed = m.relaxed()
    for i in relaxed:
        s = m.statements[i]
        print(f"  relaxed: line {s['line']} {s['kind']} {s.get('component') or s.get('criterion')}: {s['text']}")
    for (u, n), (o, d) in m.override.items():
        if pulp.value(o) > 0.5:
            print(f"  override: {u} {n} {m.fixed[(u, n)]} -> {m.value(u, n)}")
    if args.write:
        import write_2023

        write_2023.write(m, relaxed)
        write_2023.mark_open(relaxed, m.statements)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
