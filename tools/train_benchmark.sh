#!/usr/bin/env bash
# Training throughput of vbiopsy (LibTorch) against the same architectures in Python PyTorch 1.13
# (Debian's python3-torch), on the same tensor shapes and thread count, in one run:
#   bash tools/train_benchmark.sh [threads] [steps] [rounds]
# Prints samples/s of each and the ratio vbiopsy / Python (goal: >= 1.2). vbiopsy keeps freed memory
# for reuse and picks OpenBLAS's kernels for the CPU (core/runtime.h); Python is also run with the
# same settings, as a user could set them, for the ratio that remains without those differences.
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
cpp=""; py=""; py_same=""
for ((r = 0; r < rounds; ++r)); do
  cpp+=$(build/bin/train_benchmark "$threads" "$steps")$'\n'
  # The OpenBLAS kernels vbiopsy chose (core/runtime.h), and the glibc settings it makes in code.
  kernels=$(echo "$cpp" | awk '$1 == "blas_kernels" && $2 != "default" {k = $2} END {print k}')
  same_settings=(env MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1099511627776 ${kernels:+OPENBLAS_CORETYPE=$kernels})
  py+=$("$python" tools/train_benchmark.py "$threads" "$steps")$'\n'
  py_same+=$("${same_settings[@]}" "$python" tools/train_benchmark.py "$threads" "$steps")$'\n'
done
best() { echo "$1" | awk -v m="$2" '$1 == m && $2 > b {b = $2} END {print b}'; }
echo "threads $threads, steps $steps (attention: 20x steps), best of $rounds alternating rounds"
printf "%-10s %12s %12s %7s %24s %7s\n" model "vbiopsy/s" "python/s" ratio "python, same settings/s" ratio
for model in cnn2d attention; do
  a=$(best "$cpp" "$model")
  b=$(best "$py" "$model")
  c=$(best "$py_same" "$model")
  printf "%-10s %12s %12s %7.2f %24s %7.2f\n" "$model" "$a" "$b" "$(echo "$a / $b" | bc -l)" "$c" "$(echo "$a / $c" | bc -l)"
done
