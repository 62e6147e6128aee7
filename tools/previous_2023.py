#!/usr/bin/env python3
"""Derive the 2022 component indices that the 2023 report's change statements imply.

The report gives, for named units, the change of a component's index against
2022 ("Sở Lao động - Thương binh và Xã hội tăng 26,96%"): the 2022 index is
the 2023 index shown by the engine less that change. A unit the report counts
among those "không thay đổi" is derived too, when the paragraph names every
other unit of its group. Nothing else is derived: a range ("các đơn vị còn lại
tăng từ 1,41% - 14,89%") or a mean does not fix any one unit.

A derived value is kept only where it is consistent: between 0 and 100, and
the same from every statement that implies it; the others are reported.

Run once from the repository root, after `cargo build` and after
tools/reconstruct_2023.py:

    python3 tools/previous_2023.py            # report
    python3 tools/previous_2023.py --write    # write the [previous] tables

--write rewrites the [previous] tables at the end of
fixtures/2023/published-components.toml.
"""

import argparse
import json
import subprocess
import sys
import tomllib
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures" / "2023"
BIN = ROOT / "target" / "debug" / "parindex"
MARKER = "# Last year's component indices"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    with open(FIX / "published-components.toml", "rb") as f:
        statements = tomllib.load(f)["statement"]
    with open(FIX / "units.toml", "rb") as f:
        kinds = {u["id"]: u["kind"] for u in tomllib.load(f)["unit"]}
    out = subprocess.run([str(BIN), "score", "--year", "2023", "--format", "json"], capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    now = {}
    for u in report["units"]:
        for c in u["components"]:
            if c.get("index") is not None:
                now[(u["id"], c["id"])] = Decimal(c["index"])
    derived, problems = {}, []

    def put(u, c, change, line):
        if (u, c) not in now:
            problems.append(f"line {line}: `{u}` is not evaluated on component {c}")
            return
        prev = now[(u, c)] - change
        if not Decimal(0) <= prev <= Decimal(100):
            problems.append(f"line {line}: `{u}` component {c}: 2023 {now[(u, c)]} less {change} is {prev}, outside 0-100")
            return
        if (u, c) in derived and derived[(u, c)][0] != prev:
            problems.append(f"line {line}: `{u}` component {c}: {prev} against {derived[(u, c)][0]} (line {derived[(u, c)][1]})")
            return
        derived[(u, c)] = (prev, line)

    for s in statements:
        if s["kind"] == "change" and s.get("units") and "component" in s and s.get("status") != "contradiction":
            for u in s["units"]:
                put(u, s["component"], Decimal(s["value"]), s["line"])
    for s in statements:
        if s["kind"] != "change_count" or s.get("direction") != "same" or s.get("of") == "criteria":
            continue
        if s.get("status") == "contradiction":
            continue
        c, g = s["component"], s["group"]
        members = [u for (u, k) in now if k == c and (g == "all" or kinds[u] == g)]
        unnamed = [u for u in members if (u, c) not in derived]
        n, _ = (int(x) for x in s["value"].split("/"))
        if len(unnamed) == n:
            for u in unnamed:
                put(u, c, Decimal(0), s["line"])
    for p in problems:
        print("not derived:", p)
    print(f"{len(derived)} component indices of 2022 derived")
    if args.write:
        path = FIX / "published-components.toml"
        text = path.read_text(encoding="utf-8")
        if MARKER in text:
            a = text.index(MARKER)
            b = text.find("\n# Provenance", a)
            text = text[:a].rstrip("\n") + "\n" + (text[b:] if b >= 0 else "")
        block = [
            "",
            MARKER,
            "# (written by tools/previous_2023.py): the 2023 index shown less the change",
            "# the report states for the unit, by unit then component.",
        ]
        by_unit = {}
        for (u, c), (v, line) in sorted(derived.items()):
            by_unit.setdefault(u, []).append(f'"{c}" = "{v}"  # report line {line}')
        for u, lines in by_unit.items():
            block.append(f"[previous.{u}]")
            block.extend(lines)
        marker_p = "\n# Provenance"
        if marker_p in text:
            i = text.index(marker_p)
            text = text[:i].rstrip("\n") + "\n" + "\n".join(block) + "\n" + text[i:]
        else:
            text = text.rstrip("\n") + "\n" + "\n".join(block) + "\n"
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
