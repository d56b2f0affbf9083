#!/usr/bin/env bash
# vbiopsy against PyRadiomics as whole processes, as users call them per case from scripts:
# `vbiopsy radiomics --compat pyradiomics --threads 1` and PyRadiomics' extractor in a fresh python3
# (one job), on brain1 and brain2 (tests/data/pyradiomics), with default settings and with every
# filter (tools/radiomics_all_filters.ini and its YAML twin). Rounds alternate between the two
# programs; each prints median and minimum wall time (start-up included) and peak RSS, and the
# ratios. Without an importable PyRadiomics only vbiopsy's figures are printed.
#   bash tools/radiomics_vs_peer.sh [ROUNDS]     # default 7
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-7}
vbiopsy=${VBIOPSY:-build/bin/vbiopsy}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
peer=false
if python3 -c "import radiomics" > /dev/null 2>&1; then peer=true; fi

# Appends "milliseconds peak_kB" of the command to $work/<label>: the wall time of a run timed by
# bash's own clock (a `date` or `time` process around it would add its start-up), then the peak RSS
# of a second run under /usr/bin/time.
measure() {
  local label=$1
  shift
  local start=$EPOCHREALTIME
  "$@" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
  local end=$EPOCHREALTIME
  /usr/bin/time -f "%M" -o "$work/rss" "$@" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%d", (b - a) * 1000 }') $(cat "$work/rss")" >> "$work/$label"
}

# "median min peak" of a label's runs (ms, ms, MB).
summary() {
  sort -n "$work/$1" | awk '{ t[NR] = $1; if ($2 > m) m = $2 } END { printf "%d %d %.0f", t[int((NR + 1) / 2)], t[1], m / 1024 }'
}

printf '%-8s %-8s %-12s %10s %8s %9s\n' case settings program median_ms min_ms peak_MB
for case in brain1 brain2; do
  image=tests/data/pyradiomics/${case}_image.nrrd mask=tests/data/pyradiomics/${case}_label.nrrd
  for settings in default all_filters; do
    ini=() yaml=""
    [ "$settings" = all_filters ] && ini=(--params tools/radiomics_all_filters.ini) && yaml=tools/radiomics_all_filters.yaml
    for _ in $(seq "$rounds"); do
      measure "v-$case-$settings" "$vbiopsy" radiomics --compat pyradiomics --threads 1 "${ini[@]}" --image "$image" \
        --mask "$mask" --out "$work/v.csv"
      if $peer; then
        measure "p-$case-$settings" python3 -c 'import sys
from radiomics import featureextractor
extractor = featureextractor.RadiomicsFeatureExtractor(*sys.argv[3:])
print(len(extractor.execute(sys.argv[1], sys.argv[2])))' "$image" "$mask" $yaml
      fi
    done
    read -r vm vn vp <<< "$(summary "v-$case-$settings")"
    printf '%-8s %-8s %-12s %10d %8d %9d\n' "$case" "$settings" vbiopsy "$vm" "$vn" "$vp"
    if $peer; then
      read -r pm pn pp <<< "$(summary "p-$case-$settings")"
      printf '%-8s %-8s %-12s %10d %8d %9d   ratio: %.1fx median, %.1fx min\n' "$case" "$settings" pyradiomics "$pm" \
        "$pn" "$pp" "$(awk -v a="$pm" -v b="$vm" 'BEGIN { print a / b }')" \
        "$(awk -v a="$pn" -v b="$vn" 'BEGIN { print a / b }')"
    fi
  done
done
$peer || echo "PyRadiomics is not importable here (python3 -c 'import radiomics' fails): vbiopsy's figures only"
