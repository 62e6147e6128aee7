"""Writes the illustrative questionnaires of the 2023 survey:
fixtures/2023/survey.toml (questions, weights, answer options, questionnaires
sent per unit) and fixtures/2023/survey/answers.csv (one row per
questionnaire returned, the option chosen for each question).

Published (report 2023): 1,396 questionnaires sent and 1,321 returned
(94.62%), and each unit's survey score (the "8.1" points of
fixtures/2023/scores.toml). Not published: how many each unit sent and
returned, and the answers. Those are made up here, deterministically, so that
the aggregation parindex declares (survey points = Σ weight × Σ coefficient
of the option chosen / questionnaires returned, rounded half-up to 3
decimals) gives every unit's published score exactly.

Run from the repository root: python3 tools/survey_2023.py
"""

import hashlib
import tomllib
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures" / "2023"

SENT, RETURNED = 1396, 1321

# (id, weight, options, text): the sub-criteria of 8.1, their maxima, and the
# coefficient of each answer option (option 1 first).
FIVE = ["1", "0.75", "0.5", "0.25", "0"]  # Rất tốt, Tốt, Khá, Trung bình, Kém
SIX = ["1", "0.8", "0.6", "0.4", "0.2", "0"]  # six levels, from Rất tốt to Không đạt
QUESTIONS = [
    ("8.1.1", "3", FIVE, "Tác động đến chất lượng văn bản quy phạm pháp luật"),
    ("8.1.2", "3", FIVE, "Tác động đến tổ chức bộ máy hành chính"),
    ("8.1.3", "3", FIVE, "Tác động đến quản lý cán bộ, công chức"),
    ("8.1.4", "3", FIVE, "Tác động đến chất lượng đội ngũ công chức, viên chức"),
    ("8.1.5", "3", FIVE, "Tác động đến quản lý tài chính công"),
    ("8.1.6", "3", FIVE, "Tác động đến xây dựng và phát triển Chính quyền điện tử, Chính quyền số"),
    ("8.1.7.1", "1", FIVE, "Công khai, minh bạch TTHC"),
    ("8.1.7.2", "0.5", FIVE, "Thời gian giải quyết TTHC"),
    ("8.1.7.3", "0.5", SIX, "Giải quyết TTHC liên thông"),
]
# A respondent's value on question q is 0..LEVELS[q] (option = LEVELS[q] + 1 - value,
# coefficient = value / LEVELS[q]) and counts UNITS[q] fortieths of a point.
LEVELS = [len(o) - 1 for _, _, o, _ in QUESTIONS]
UNITS = [int(Decimal(w) * 40 / lv) for (_, w, _, _), lv in zip(QUESTIONS, LEVELS)]
TOP = sum(u * lv for u, lv in zip(UNITS, LEVELS))  # fortieths of a point for all first options


def h(*parts):
    return int(hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:8], 16)



def half_up3(fr):
    """Fraction → Decimal rounded half-up to 3 decimals, exactly."""
    scaled = fr * 1000
    q, r = divmod(scaled.numerator, scaled.denominator)
    if 2 * r >= scaled.denominator:
        q += 1
    return Decimal(q) / 1000


def feasible(t, n):
    """The fortieths k with round_half_up(k / 40 / n, 3) == t, if any."""
    lo = Fraction(t) * 40 * n - Fraction(40 * n, 2000)
    k = -(-lo.numerator // lo.denominator)
    if half_up3(Fraction(k, 40 * n)) == t and 0 <= k <= TOP * n:
        return k
    return None


def split(k, n, seed):
    """Per question, s_q in 0..LEVELS[q] × n with Σ UNITS[q] × s_q == k."""
    f = Fraction(k, TOP * n)
    s = []
    for q in range(len(QUESTIONS)):
        wobble = Fraction((h(seed, q) % 21) - 10, 100)
        v = int(min(1, max(0, f + wobble * (1 - f) * f * 4)) * LEVELS[q] * n)
        s.append(v)
    # Fix the remainder with the questions of the smallest weights.
    for _ in range(10000):
        diff = k - sum(u * v for u, v in zip(UNITS, s))
        if diff == 0:
            return s
        step = 1 if diff > 0 else -1
        # Large differences with the heavy questions, the rest with 4 and 5 fortieths (any number from 12 on).
        order = sorted(range(len(s)), key=lambda q: (-UNITS[q], h(seed, q, diff)))
        if abs(diff) < 40:
            small = [q for q in range(len(s)) if UNITS[q] in (4, 5)]
            a, b = small
            # diff = x·UNITS[a] + y·UNITS[b] with small x, y.
            for x in range(-8, 9):
                rest = diff - x * UNITS[a]
                if rest % UNITS[b] == 0:
                    y = rest // UNITS[b]
                    if 0 <= s[a] + x <= LEVELS[a] * n and 0 <= s[b] + y <= LEVELS[b] * n:
                        s[a] += x
                        s[b] += y
                        break
            else:
                # No room: move a heavy question by one and try again.
                q = order[h(seed, diff) % 6]
                if 0 <= s[q] + step <= LEVELS[q] * n:
                    s[q] += step
            continue
        for q in order:
            if UNITS[q] <= abs(diff) and 0 <= s[q] + step <= LEVELS[q] * n:
                s[q] += step
                break
    raise SystemExit(f"cannot split {k} over {n} questionnaires")


def answers(s, n, seed):
    """n rows of options whose values (LEVELS[q] + 1 - option) sum to s per question."""
    rows = [[0] * len(s) for _ in range(n)]
    for q, total in enumerate(s):
        base, extra = divmod(total, n)
        vals = [base + (1 if i < extra else 0) for i in range(n)]
        # Vary the answers without changing the sum: move a point between respondents.
        for i in range(n // 2):
            a, b = h(seed, q, i, "a") % n, h(seed, q, i, "b") % n
            if vals[a] < LEVELS[q] and vals[b] > 0 and a != b:
                vals[a] += 1
                vals[b] -= 1
        rot = h(seed, q) % n
        vals = vals[rot:] + vals[:rot]
        for i in range(n):
            rows[i][q] = LEVELS[q] + 1 - vals[i]
    return rows


def main():
    with open(FIX / "scores.toml", "rb") as f:
        scores = tomllib.load(f, parse_float=Decimal)
    targets = {u: Decimal(p["8.1"]) for u, p in scores.items()}
    units = list(targets)
    # Questionnaires returned per unit: feasible counts near the average, summing to 1,321.
    cands = {u: [n for n in range(36, 60) if feasible(targets[u], n) is not None] for u in units}
    cands = {u: sorted(c, key=lambda n: (abs(n - 47), h(u, n))) for u, c in cands.items()}
    best = {0: []}
    for u in units:
        nxt = {}
        for total, picks in best.items():
            for n in cands[u][:8]:
                t = total + n
                if t <= RETURNED and t not in nxt:
                    nxt[t] = picks + [n]
        best = nxt
    returned = dict(zip(units, best[RETURNED]))
    # Questionnaires not returned: 75 in all, spread over the units.
    missing = {u: 2 for u in units}
    left = SENT - RETURNED - 2 * len(units)
    for u in sorted(units, key=lambda u: h(u, "missing"))[:left]:
        missing[u] += 1
    assert sum(missing.values()) == SENT - RETURNED

    rows = []
    for u in units:
        n = returned[u]
        k = feasible(targets[u], n)
        s = split(k, n, u)
        for i, r in enumerate(answers(s, n, u)):
            rows.append([u, f"{u}-{i + 1:03d}"] + [str(o) for o in r])
        # Check the aggregation as parindex declares it.
        cols = zip(*answers(s, n, u))
        total = sum(Fraction(Decimal(w)) * sum(Fraction(Decimal(opts[o - 1])) for o in col) for (_, w, opts, _), col in zip(QUESTIONS, cols))
        assert half_up3(total / n) == targets[u], (u, total / n, targets[u])

    (FIX / "survey").mkdir(exist_ok=True)
    csv = [
        "# Phiếu điều tra xã hội học 2023: one row per questionnaire returned, the option chosen per question",
        "# (option 1 the best; coefficients in survey.toml). ILLUSTRATIVE answers, written by tools/survey_2023.py;",
        "# the totals are published: 1,321 returned of 1,396 sent, and each unit's survey score.",
        ",".join(["unit", "respondent"] + [q for q, _, _, _ in QUESTIONS]),
    ] + [",".join(r) for r in rows]
    (FIX / "survey" / "answers.csv").write_text("\n".join(csv) + "\n", encoding="utf-8")

    t = [
        "#:schema ../../schema/survey.json",
        "# Điều tra xã hội học năm 2023: electronic questionnaires sent by e-mail through",
        "# the scoring software, 19/01-29/01/2024 (report 2023, section I.2).",
        "#",
        "# Published: 1,396 questionnaires sent, 1,321 returned (94.62%, truncated), and",
        "# each unit's survey score (\"8.1\" in fixtures/2023/scores.toml). ILLUSTRATIVE:",
        "# the questionnaires per unit and the answers (survey/answers.csv), written by",
        "# tools/survey_2023.py so that they give every published score exactly.",
        "#",
        "# A unit's survey points: Σ over the questions of weight × Σ coefficient of the",
        "# option chosen / questionnaires returned, rounded as `points` declares.",
        "",
        "[survey]",
        'criterion = "8.1"',
        'from = "2024-01-19"',
        'to = "2024-01-29"',
        'answers = "survey/answers.csv"',
        "# A unit that returned fewer questionnaires is reported (SURVEY_FEW_RESPONSES).",
        "min_responses = 30",
        'points = { decimals = 3, mode = "half_up" }',
        "# Response rates are truncated, as the report prints them.",
        'rate = { decimals = 2, mode = "down" }',
    ]
    for q, w, opts, text in QUESTIONS:
        t += ["", "[[question]]", f'id = "{q}"', f'text = "{text}"', f"weight = {w}", f"options = [{', '.join(opts)}]"]
    t += ["", "# Questionnaires sent per unit.", "[sent]"]
    for u in units:
        t.append(f"{u} = {returned[u] + missing[u]}")
    (FIX / "survey.toml").write_text("\n".join(t) + "\n", encoding="utf-8")
    print(f"{len(rows)} questionnaires returned of {sum(returned[u] + missing[u] for u in units)} sent")


if __name__ == "__main__":
    main()
