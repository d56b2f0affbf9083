#!/usr/bin/env bash
# IBSI 2 phase 2: the 18 configurations of tools/ibsi2/phase2 (tests 1-9, A = 2D and B = 3D:
# resampling to 1 mm, rounding, re-segmentation to [-1000, 400] HU, one filter, the 18 intensity
# statistics) applied to IMAGE and MASK, each value compared with the IBSI 2 consensus value and
# its tolerance (tests/data/ibsi2/reference_feature_values/reference_values.csv).
#   bash tools/ibsi2_phase2.sh IMAGE MASK     # e.g. the IBSI CT phantom's image.nii.gz and mask.nii.gz
# The consensus values belong to the IBSI CT phantom (PAT1, 0.977 x 0.977 x 3 mm; not distributed
# here: non-commercial licence), for which the A configurations' 1, 1, 3 mm spacing keeps the
# slices; on any other image the script runs but few values can agree. Prints one line per value
# and the total within tolerance. VBIOPSY (default build/bin/vbiopsy) names the program.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: bash tools/ibsi2_phase2.sh IMAGE MASK" >&2; exit 64; }
image=$1 mask=$2
root=$(cd "$(dirname "$0")/.." && pwd)
vbiopsy=${VBIOPSY:-$root/build/bin/vbiopsy}
reference=$root/tests/data/ibsi2/reference_feature_values/reference_values.csv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for config in "$root"/tools/ibsi2/phase2/*.ini; do
  id=$(basename "$config" .ini)
  "$vbiopsy" radiomics --image "$image" --mask "$mask" --params "$config" --threads 1 --out "$work/$id.csv" > /dev/null 2> "$work/$id.log" ||
    { echo "test $id failed:" >&2; cat "$work/$id.log" >&2; exit 1; }
  tail -n +2 "$work/$id.csv" | sed "s/^/$id,/" >> "$work/ours.csv"
done

# The reference names features by tag; the program's output by IBSI identifier.
awk -F'[;,]' '
  BEGIN {
    split("stat_mean Q4LE stat_var ECT3 stat_skew KE2A stat_kurt IPH6 stat_median Y12H stat_min 1GSF " \
          "stat_p10 QG58 stat_p90 8DWT stat_max 84IY stat_iqr SALO stat_range 2OJQ stat_mad 4FUA " \
          "stat_rmad 1128 stat_medad N72L stat_cov 7TET stat_qcod 9S40 stat_energy N8CA stat_rms 5ZWQ", pairs, " ")
    for (i = 1; i in pairs; i += 2) id_of[pairs[i]] = pairs[i + 1]
  }
  FNR == NR { ours[$1 "," $3] = $4; next }   # test,name,ibsi_id,value
  FNR == 1 { next }                          # filter_id;feature;feature_tag;consensus_value;tolerance
  {
    key = $1 "," id_of[$3]; total++
    if (!(key in ours)) { printf "%-4s %-12s %14s %12s %10s  missing\n", $1, $3, "-", $4, $5; next }
    ok = (ours[key] != "nan") && (ours[key] - $4 <= $5 + 0) && ($4 - ours[key] <= $5 + 0)
    within += ok
    printf "%-4s %-12s %14.6g %12s %10s  %s\n", $1, $3, ours[key], $4, $5, ok ? "ok" : "OUTSIDE"
  }
  END { printf "IBSI 2 phase 2: %d of %d reference values within tolerance\n", within, total }
' "$work/ours.csv" "$reference"
