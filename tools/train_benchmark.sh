#!/usr/bin/env bash
# Training throughput of vbiopsy (LibTorch) against the same architectures in Python PyTorch 1.13
# (Debian's python3-torch), on the same tensor shapes and thread count, in one run:
#   bash tools/train_benchmark.sh [threads] [steps] [rounds]
# Prints samples/s of each and the ratio vbiopsy / Python (goal: >= 1.2).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-1}
steps=${2:-10}
python=/usr/bin/python3  # Debian's interpreter, where python3-torch is installed
if ! "$python" -c "import torch" 2>/dev/null; then
  echo "python3-torch is missing: apt-get install python3-torch" >&2
  exit 1
fi
[ -x build/bin/train_benchmark ] || cmake --build build --target train_benchmark
# The machine is shared and noisy: alternate the two programs `rounds` times and keep each one's
# best round (the least disturbed), as Google Benchmark's min-time reporting does.
rounds=${3:-3}
cpp=""; py=""
for ((r = 0; r < rounds; ++r)); do
  cpp+=$(build/bin/train_benchmark "$threads" "$steps")$'\n'
  py+=$("$python" tools/train_benchmark.py "$threads" "$steps")$'\n'
done
best() { echo "$1" | awk -v m="$2" '$1 == m && $2 > b {b = $2} END {print b}'; }
echo "threads $threads, steps $steps (attention: 20x steps), best of $rounds alternating rounds"
printf "%-10s %14s %14s %8s\n" model "vbiopsy/s" "python/s" ratio
for model in cnn2d attention; do
  a=$(best "$cpp" "$model")
  b=$(best "$py" "$model")
  printf "%-10s %14s %14s %8.2f\n" "$model" "$a" "$b" "$(echo "$a / $b" | bc -l)"
done
