#!/usr/bin/env bash
# Scale figures of the MPI paths on this machine (docs/cluster.md): the demo extraction and the demo
# ablation with `mpirun -n 1` and `-n 2` (one thread per rank), data-parallel CNN training with one
# and two ranks (samples/s of the training steps), and the model of a 10 000-case cohort built from
# the measured per-case figures.
#   bash tools/cluster_scale.sh DIR    # DIR/cohort: the demo cohort (vbiopsy synth --cases 300 --seed 2026)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(realpath "$1")
vbiopsy=$PWD/build/bin/vbiopsy
mpirun=(mpirun --oversubscribe --allow-run-as-root --bind-to none)
cases=$(($(wc -l < "$dir/cohort/manifest.csv") - 1))

# "seconds peak_MB" of a command (peak: the largest process, ranks included).
timed() { /usr/bin/time -f "%e %M" -o "$dir/time" "$@" > "$dir/last.log" 2>&1 || { tail -20 "$dir/last.log"; exit 1; }
          awk '{printf "%s %d", $1, $2 / 1024}' "$dir/time"; }
ratio() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "speed-up %.2fx, parallel efficiency %.0f%%", a / b, 100 * a / b / n }'; }

echo "== extraction: $cases cases, experiments/demo_extract.ini, one thread per rank"
for n in 1 2; do
  rm -rf "$dir/features$n"
  read -r s[$n] m[$n] <<< "$(timed "${mpirun[@]}" -n $n "$vbiopsy" extract --manifest "$dir/cohort/manifest.csv" \
    --config experiments/demo_extract.ini --out "$dir/features$n" --threads 1)"
  echo "  -n $n: ${s[$n]} s, peak ${m[$n]} MB per rank"
done
cmp "$dir/features1/features.csv" "$dir/features2/features.csv" && echo "  features.csv identical"
echo "  $(ratio "${s[1]}" "${s[2]}" 2)"
cache_mb=$(du -sm "$dir/features1/cache" | cut -f1)
per_case=$(awk -v s="${s[1]}" -v n="$cases" 'BEGIN { printf "%.3f", s / n }')
echo "  per case: $per_case s on one core; cache ${cache_mb} MB for $cases cases"

echo "== ablation: experiments/demo.ini with threads = 1 per rank"
sed -e "s|^manifest = .*|manifest = $dir/cohort/manifest.csv|" -e "s|^features = .*|features = $dir/features1/features.csv|" \
    -e "s|^threads = .*|threads = 1|" experiments/demo.ini > "$dir/ablation.ini"
for n in 1 2; do
  rm -rf "$dir/run$n"
  read -r a[$n] r[$n] <<< "$(timed "${mpirun[@]}" -n $n "$vbiopsy" run --config "$dir/ablation.ini" --out "$dir/run$n")"
  echo "  -n $n: ${a[$n]} s, peak ${r[$n]} MB per rank"
done
cmp "$dir/run1/predictions.csv" "$dir/run2/predictions.csv" && cmp "$dir/run1/metrics.json" "$dir/run2/metrics.json" &&
  echo "  predictions.csv and metrics.json identical"
echo "  $(ratio "${a[1]}" "${a[2]}" 2)"

echo "== data-parallel training of cnn2d (128x128 crops, batch 32, one thread per rank): build/bin/train_benchmark"
for n in 1 2; do
  t[$n]=$(MASTER_PORT=$((29700 + n)) "${mpirun[@]}" -n $n -x MASTER_PORT build/bin/train_benchmark 1 30 cnn2d |
    awk '$1 == "cnn2d" { print $2 }')
  echo "  -n $n: ${t[$n]} samples/s"
done
awk -v a="${t[1]}" -v b="${t[2]}" 'BEGIN { printf "  speed-up %.2fx, parallel efficiency %.0f%%\n", b / a, 50 * b / a }'

echo "== a 10 000-case cohort, from the figures above"
awk -v pc="$per_case" -v cache="$cache_mb" -v n="$cases" -v mem="${m[1]}" 'BEGIN {
  core_hours = 10000 * pc / 3600
  printf "  extraction: %.3f s x 10000 cases = %.1f core-hours; cache %.1f GB on disk; about %d MB per rank (one thread)\n",
         pc, core_hours, cache / n * 10000 / 1024, mem
  for (cores = 16; cores <= 64; cores *= 2)
    printf "  to finish in one hour at 90%% efficiency with %d-core nodes: %d node(s)\n", cores,
           int(core_hours / (cores * 0.9)) + (core_hours / (cores * 0.9) > int(core_hours / (cores * 0.9)))
}'
