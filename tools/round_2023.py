"""Writes the illustrative scoring round of 2023 from the council's points:
fixtures/2023/self-assessment.toml (each unit's self-scores, evidence and
notes) and fixtures/2023/rounds.toml (the reason codes and the two appraisal
rounds of 2024: cuts, explanations and decisions).

The report publishes neither the self-scores nor the rounds, so both are
made up here, deterministically (a hash of unit and criterion decides), under
one constraint: the last round's points are exactly the council's points of
fixtures/2023/scores.toml, so the published tables do not move. The survey
(part `survey`) and SIPAS (part `sipas`) are not self-assessed.

Run from the repository root: python3 tools/round_2023.py
"""

import hashlib
import tomllib
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
YEAR = "2023"
FIX = ROOT / "fixtures" / YEAR
CRIT = ROOT / "criteria" / YEAR

REASONS = [
    ("no-evidence", "Không có tài liệu kiểm chứng"),
    ("out-of-period", "Tài liệu kiểm chứng ngoài kỳ đánh giá"),
    ("incomplete", "Tài liệu kiểm chứng chưa đầy đủ"),
    ("wrong-indicator", "Tự chấm sai chỉ số, tiêu chí"),
    ("late", "Thực hiện không đúng thời hạn"),
]

ROUNDS = [("2024-03-20", "2024-04-02"), ("2024-04-06", "2024-04-16")]


def h(*parts):
    """A stable number in 0..9999 for the given parts."""
    d = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return int(d[:8], 16) % 10000


def load(path):
    with open(path, "rb") as f:
        return tomllib.load(f, parse_float=Decimal)


def nodes():
    out = {}
    for p in sorted((CRIT / "tree").glob("*.toml")):
        for n in load(p).get("node", []):
            out[n["id"]] = n
    return out


def is_leaf(tree, cid):
    return not any(k.startswith(cid + ".") for k in tree)


def leaf_max(node, kind):
    m = node.get("max")
    if isinstance(m, dict):
        m = m.get(kind)
    return None if m is None else Decimal(m)


def part_of(tree, cid):
    """The part a criterion counts towards: its own or its nearest ancestor's."""
    parts = cid.split(".")
    while parts:
        n = tree.get(".".join(parts), {})
        if "part" in n:
            return n["part"]
        parts.pop()
    return None


def fmt(d):
    d = Decimal(d).normalize()
    s = format(d, "f")
    return s if "." in s else s


def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    tree = nodes()
    units = {u["id"]: u for u in load(FIX / "units.toml")["unit"]}
    scores = load(FIX / "scores.toml")
    order = list(scores.keys())

    self_lines = [
        "#:schema ../../schema/self-assessment.json",
        "# Tự chấm điểm năm 2023: each unit's self-assessment, per criterion as the",
        "# council scores it (points, evidence documents, note).",
        "#",
        "# ILLUSTRATIVE: the report publishes no self-scores. Written by",
        "# tools/round_2023.py from fixtures/2023/scores.toml: most self-scores equal",
        "# the council's final points; where fixtures/2023/rounds.toml cuts, the unit",
        "# scored itself higher. The evidence references are made up, and a few",
        "# self-scores name none (the council's report lists them). The survey and",
        "# SIPAS parts are not self-assessed.",
    ]
    round_cuts = [[], []]
    round_expl = [[], []]

    for u in order:
        kind = units[u]["kind"]
        self_lines.append("")
        self_lines.append(f"[{u}]")
        for cid, final in scores[u].items():
            final = Decimal(final)
            if part_of(tree, cid) in ("survey", "sipas"):
                continue
            node = tree[cid]
            mx = leaf_max(node, kind) if is_leaf(tree, cid) else None
            r = h(u, cid)
            own = final
            scenario = None
            # About one leaf in seven below its maximum was scored higher by the unit.
            if mx is not None and final < mx and r % 7 == 0:
                gap = mx - final
                own = final + max(min(gap, Decimal("0.5")), (gap / 2).quantize(Decimal("0.01")))
                own = min(own, mx)
                scenario = ["kept", "kept-late", "partly"][r % 3]
                if scenario == "partly" and final == 0:
                    # Nothing to restore in part from 0: the cut is kept.
                    scenario = "kept"
            # Some full marks were cut in round 1 and restored on explanation.
            elif mx is not None and final == mx and final > 0 and r % 23 == 0:
                scenario = "restored"
            entry = [f"points = {fmt(own)}"]
            no_evidence = own > 0 and r % 41 == 5
            if not no_evidence and own > 0:
                num = 10 + r % 190
                month = 1 + r % 12
                day = 1 + (r // 12) % 28
                entry.append(
                    "evidence = [{ number = "
                    + q(f"{num}/BC-{u.upper()}")
                    + f', date = "2023-{month:02d}-{day:02d}", title = '
                    + q(f"Báo cáo kết quả thực hiện tiêu chí {cid}")
                    + ", file = "
                    + q(f"minh-chung/{u}/{cid}.pdf")
                    + " }]"
                )
            if r % 53 == 0:
                entry.append('note = "Đơn vị bổ sung tài liệu kiểm chứng khi thẩm định"')
            self_lines.append(f'"{cid}" = {{ {", ".join(entry)} }}')

            reason = REASONS[r % len(REASONS)][0]
            if scenario == "kept":
                # Cut in round 1, explained, rejected: round 2 keeps the cut.
                round_cuts[0].append((u, cid, final, reason, "Hội đồng trừ điểm theo tài liệu kiểm chứng"))
                round_expl[0].append((u, cid, "Đơn vị giải trình và gửi bổ sung tài liệu", "rejected"))
                round_cuts[1].append((u, cid, final, reason, "Giữ kết quả vòng 1: tài liệu bổ sung không đáp ứng"))
            elif scenario == "kept-late":
                # Not cut in round 1; cut in round 2, explanation pending.
                round_cuts[1].append((u, cid, final, reason, "Phát hiện khi thẩm định vòng 2"))
                round_expl[1].append((u, cid, "Đơn vị đề nghị xem xét lại", None))
            elif scenario == "partly":
                # Cut deeper in round 1, partly restored in round 2.
                deeper = max(Decimal(0), final - Decimal("0.25"))
                round_cuts[0].append((u, cid, deeper, reason, "Hội đồng trừ điểm theo tài liệu kiểm chứng"))
                round_expl[0].append((u, cid, "Đơn vị giải trình, bổ sung một phần tài liệu", "partly"))
                round_cuts[1].append((u, cid, final, reason, "Chấp nhận một phần giải trình"))
            elif scenario == "restored":
                # Cut in round 1, the explanation accepted: round 2 gives the self-score back.
                lower = max(Decimal(0), final - Decimal("0.5"))
                round_cuts[0].append((u, cid, lower, reason, "Chưa thấy tài liệu kiểm chứng"))
                round_expl[0].append((u, cid, "Đơn vị đã gửi tài liệu kiểm chứng qua phần mềm", "accepted"))

    (FIX / "self-assessment.toml").write_text("\n".join(self_lines) + "\n", encoding="utf-8")

    lines = [
        "#:schema ../../schema/rounds.json",
        "# Thẩm định năm 2023: the appraisal council's two rounds of 2024 (report 2023,",
        "# section I.2: round 1 from 20/03 to 02/04/2024, round 2 from 06/04 to",
        "# 16/04/2024). Each round lists the council's points where they differ from",
        "# the unit's self-score (fixtures/2023/self-assessment.toml), with a reason",
        "# code and text; then the units' explanations and the next round's decision.",
        "#",
        "# ILLUSTRATIVE: the report publishes no cuts. Written by tools/round_2023.py",
        "# so that round 2, the last, gives exactly the council's points of",
        "# fixtures/2023/scores.toml (the published tables are unchanged);",
        "# `parindex score --year 2023 --round 1` scores round 1.",
        "",
        "[appraisal]",
        "# Self-scores without evidence are listed for the council, not refused:",
        "# set true to refuse them (EVIDENCE_MISSING).",
        "evidence_required = false",
        "# The council's report lists units whose self-assessed total exceeds the",
        "# final one by more than this many points.",
        "margin = 2",
    ]
    for code, title in REASONS:
        lines += ["", "[[reason]]", f"code = {q(code)}", f"title = {q(title)}"]
    for i, (start, end) in enumerate(ROUNDS):
        lines += ["", "[[round]]", f"id = {i + 1}", f'from = "{start}"', f'to = "{end}"']
        for u, cid, pts, reason, text in round_cuts[i]:
            lines += ["", "[[round.cut]]", f"unit = {q(u)}", f"criterion = {q(cid)}", f"points = {fmt(pts)}", f"reason = {q(reason)}", f"text = {q(text)}"]
        for u, cid, text, decision in round_expl[i]:
            lines += ["", "[[round.explanation]]", f"unit = {q(u)}", f"criterion = {q(cid)}", f"text = {q(text)}"]
            if decision:
                lines.append(f"decision = {q(decision)}")
    (FIX / "rounds.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"round 1: {len(round_cuts[0])} cuts, round 2: {len(round_cuts[1])} cuts")


if __name__ == "__main__":
    main()
