#!/usr/bin/env bash
# Peer benchmark: OpenFisca and parindex on the shared synthetic workload.
#
# Run by hand (not part of CI):   bash benches/peers/openfisca/run.sh
# Works from any directory.  Everything it creates lives under target/peers/.
#
# Environment overrides: UNITS (10000), CRITERIA (100), YEAR (2023),
# REPS (5), PYTHON (python3, used only to create the venv).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"

UNITS="${UNITS:-10000}"
CRITERIA="${CRITERIA:-100}"
YEAR="${YEAR:-2023}"
REPS="${REPS:-5}"
PYTHON="${PYTHON:-python3}"
OPENFISCA_VERSION="46.0.1"

PEERS="$ROOT/target/peers"
VENV="$PEERS/openfisca-venv"
PY="$VENV/bin/python"
WORKLOAD="$PEERS/workload"
# Built for the host's own target (`.cargo/config.toml`), then in that
# target's folder; a build for no named target is in `target/release`.
BIN="$ROOT/target/$(rustc --print host-tuple 2>/dev/null)/release/parindex"
[[ -x "$BIN" ]] || BIN="$ROOT/target/release/parindex"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

mkdir -p "$PEERS"

# --- (a) + (b): the venv with a pinned openfisca-core ----------------------
if [[ ! -x "$PY" ]]; then
  echo "== creating venv $VENV"
  "$PYTHON" -m venv "$VENV"
fi
if ! "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('openfisca-core') != '$OPENFISCA_VERSION')" 2>/dev/null; then
  echo "== installing openfisca-core==$OPENFISCA_VERSION"
  "$PY" -m pip install --quiet --disable-pip-version-check "openfisca-core==$OPENFISCA_VERSION"
fi
INSTALLED="$("$PY" -c "import importlib.metadata as m; print(m.version('openfisca-core'))")"
echo "== openfisca-core $INSTALLED ($("$PY" -c 'import sys; print(sys.version.split()[0])'))"

# --- timing helper -----------------------------------------------------------
# measure LABEL CMD...: runs CMD (stdout to /dev/null) REPS times; sets
# BEST_WALL (seconds, best of REPS) and PEAK_RSS_KB (largest peak RSS seen).
# Uses /usr/bin/time -v when present, else Python's resource module.
BEST_WALL=""
PEAK_RSS_KB=""
measure() {
  local label="$1"; shift
  local best="" peak=0 wall rss rep
  for ((rep = 1; rep <= REPS; rep++)); do
    if [[ -x /usr/bin/time ]]; then
      local start="$EPOCHREALTIME"
      if ! /usr/bin/time -v -o "$TMP/time" "$@" >/dev/null 2>"$TMP/stderr"; then
        echo "   $label failed:"; sed 's/^/   | /' "$TMP/stderr" | tail -20
        return 1
      fi
      wall="$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", b - a }')"
      rss="$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TMP/time")"
    else
      local out
      if ! out="$("$PY" - "$@" 2>"$TMP/stderr" <<'EOF'
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
wall = time.perf_counter() - start
if code:
    sys.exit(code)
print(f"{wall:.6f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
EOF
      )"; then
        echo "   $label failed:"; sed 's/^/   | /' "$TMP/stderr" | tail -20
        return 1
      fi
      read -r wall rss <<<"$out"
    fi
    echo "   $label run $rep: ${wall} s, peak RSS ${rss} KiB"
    if [[ -z "$best" ]] || awk -v w="$wall" -v b="$best" 'BEGIN { exit !(w < b) }'; then
      best="$wall"
    fi
    ((rss > peak)) && peak="$rss"
  done
  BEST_WALL="$best"
  PEAK_RSS_KB="$peak"
}

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
sec() { awk -v s="$1" 'BEGIN { printf "%.3f", s }'; }

# --- (c) OpenFisca --------------------------------------------------------------
echo
echo "== OpenFisca: $UNITS units x $CRITERIA criteria, year $YEAR"
"$PY" "$HERE/model.py" --units "$UNITS" --criteria "$CRITERIA" --year "$YEAR" \
  --reps "$REPS" --json-out "$TMP/openfisca.json"

OF_ONCE=("$PY" "$HERE/model.py" --once --units "$UNITS" --criteria "$CRITERIA" --year "$YEAR")
echo
if [[ -x "$BIN" ]]; then
  echo "== whole processes: measured below, OpenFisca and parindex alternating"
else
  echo "== OpenFisca whole process (model.py --once: import, build, calculate, JSON out), best of $REPS"
  measure openfisca "${OF_ONCE[@]}"
  OF_WALL="$BEST_WALL"
  OF_RSS="$PEAK_RSS_KB"
fi
OF_WALL="${OF_WALL:-}" OF_RSS="${OF_RSS:-0}"

# alternate CMD...: OpenFisca's whole process, then CMD, REPS times in
# turn, so that both see the same machine; sets OF_WALL and OF_RSS, and
# BEST_WALL and PEAK_RSS_KB for CMD.
alternate() {
  local reps="$REPS" rep of_best="" of_peak=0 best="" peak=0
  REPS=1
  for ((rep = 1; rep <= reps; rep++)); do
    measure openfisca "${OF_ONCE[@]}" || { REPS="$reps"; return 1; }
    if [[ -z "$of_best" ]] || awk -v w="$BEST_WALL" -v b="$of_best" 'BEGIN { exit !(w < b) }'; then of_best="$BEST_WALL"; fi
    ((PEAK_RSS_KB > of_peak)) && of_peak="$PEAK_RSS_KB"
    measure parindex "$@" || { REPS="$reps"; return 1; }
    if [[ -z "$best" ]] || awk -v w="$BEST_WALL" -v b="$best" 'BEGIN { exit !(w < b) }'; then best="$BEST_WALL"; fi
    ((PEAK_RSS_KB > peak)) && peak="$PEAK_RSS_KB"
  done
  REPS="$reps"
  OF_WALL="$of_best" OF_RSS="$of_peak" BEST_WALL="$best" PEAK_RSS_KB="$peak"
}

read -r OF_SETUP OF_CALC OF_UNITS_CENT OF_MAXERR OF_SUMERR <<<"$("$PY" - "$TMP/openfisca.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
e = r["exactness"]
print(f'{r["setup_s"]["total"]:.3f} {r["calculate_s"]["best"]:.3f} '
      f'{e["units_total_wrong_at_0.01"]}/{e["units_total_not_exact"]}/{e["units"]} '
      f'{e["max_abs_error_unit_total"]} {e["national_sum_float32_error"]}')
EOF
)"

# --- (d) parindex ----------------------------------------------------------------
echo
echo "== parindex"
PX_ROW=""
# The layout is part of the stamp: a tree written before rule scripts moved
# under rules/<year>/ is written again.
STAMP="units=$UNITS criteria=$CRITERIA year=$YEAR layout=rules-per-year"
if [[ ! -x "$BIN" ]]; then
  echo "   skipped: no binary at $BIN (build it with cargo build --release)"
else
  if [[ "$(cat "$WORKLOAD.stamp" 2>/dev/null)" != "$STAMP" ]]; then
    if [[ -f "$ROOT/examples/workload/main.rs" ]]; then
      echo "   generating workload tree ($STAMP)"
      rm -rf "$WORKLOAD" "$WORKLOAD.stamp"
      (cd "$ROOT" && cargo run --release --example workload -- \
        --units "$UNITS" --criteria "$CRITERIA" --year "$YEAR" --out target/peers/workload)
      echo "$STAMP" >"$WORKLOAD.stamp"
    elif [[ -d "$WORKLOAD" ]]; then
      echo "   note: using existing $WORKLOAD (size not recorded; examples/workload/ absent)"
    fi
  fi
  if [[ ! -d "$WORKLOAD" ]]; then
    echo "   skipped: no workload tree at target/peers/workload and no examples/workload/ to generate one"
  elif echo "== whole processes, alternating, best of $REPS" && alternate "$BIN" score --root "$WORKLOAD" --year "$YEAR" --format json; then
    # Exactness: parindex's totals (the shown `total` and the full-precision
    # `exact.total`) against the exact totals of model.py, in hundredths.
    "$BIN" score --root "$WORKLOAD" --year "$YEAR" --format json >"$TMP/parindex.json"
    PX_EXACT="$("$PY" - "$TMP/parindex.json" "$UNITS" "$CRITERIA" "$HERE" <<'EOF'
import json, sys
from decimal import Decimal
sys.path.insert(0, sys.argv[4])
from model import exact_score_hundredths
report = json.load(open(sys.argv[1]))
units, criteria = int(sys.argv[2]), int(sys.argv[3])
rows = {u["id"]: u for u in report["units"]}
shown = exact = 0
for n in range(units):
    want = sum(exact_score_hundredths(n, i) for i in range(criteria))
    row = rows.get(f"u{n}")
    shown += row is None or Decimal(row["total"]) * 100 != want
    exact += row is None or Decimal(row["exact"]["total"]) * 100 != want
print(f"{shown}/{exact}/{units}")
EOF
)"
    PX_ROW="| parindex | – | – | $(sec "$BEST_WALL") | $(mib "$PEAK_RSS_KB") | $PX_EXACT mismatches (shown / exact / units) |"
  else
    echo "   skipped: parindex score failed"
  fi
fi

# --- summary ------------------------------------------------------------------------
echo
echo "== Summary: $UNITS units x $CRITERIA criteria (openfisca-core $INSTALLED)"
echo
echo "| engine | setup (s) | calculate, best of $REPS (s) | whole process, best of $REPS (s) | peak RSS (MiB) | unit totals wrong at 0.01 / not exact / units; max abs error; national-sum error |"
echo "|---|---:|---:|---:|---:|---|"
echo "| OpenFisca | $OF_SETUP | $OF_CALC | $(sec "$OF_WALL") | $(mib "$OF_RSS") | $OF_UNITS_CENT; $OF_MAXERR; $OF_SUMERR |"
[[ -n "$PX_ROW" ]] && echo "$PX_ROW"
echo
echo "Setup and calculate are measured inside the Python process; whole process"
echo "and peak RSS are for one complete command, started from scratch."
