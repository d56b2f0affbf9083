#!/usr/bin/env bash
# Builds the readers' libFuzzer targets (clang, AddressSanitizer + UndefinedBehaviorSanitizer) in
# build-fuzz/ and runs each for SECONDS, seeded with real files from tests/data. Translation units
# that include ITK's headers are compiled by g++ without instrumentation (tools/fuzz_compile.sh):
# Debian's ITK 5.2 headers refuse clang.
#   bash tools/fuzz.sh 20                 # every target 20 s (part of `tools/setup.sh test`)
#   bash tools/fuzz.sh 3600 dicom         # a longer campaign on one target
#   VBIOPSY_FUZZ_RUNS=1000000 bash tools/fuzz.sh 0 bundle   # a campaign of a number of executions
# VBIOPSY_FUZZ_MAX_LEN caps the input size (default 1 MiB); seeds longer than it are cut to it.
# Runs are seeded (VBIOPSY_FUZZ_SEED, default 1), so the short run of the tests explores the same
# inputs every time; a campaign should set other seeds.
# A crash, sanitizer report or unexpected exception fails the script; its input is kept as
# build-fuzz/findings/<target>-crash-*; `build-fuzz/bin/fuzz_<target> FILE` replays it. The
# executions of each target are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(dicom image_header picture manifest clinical settings bundle)

if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVBIOPSY_FUZZ=ON \
    -DVBIOPSY_SANITIZE=address,undefined -DCMAKE_CXX_COMPILER_LAUNCHER="$PWD/tools/fuzz_compile.sh" > /dev/null
fi
cmake --build build-fuzz -j "$(nproc)" > build-fuzz/build.log 2>&1 || { tail -40 build-fuzz/build.log; exit 1; }

# Seeds: real files, and for image_header the first byte picks the reader (0 .nii, 1 .nii.gz, 2 .nrrd).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seed() {  # seed TARGET FILE [PREFIX-BYTE]
  mkdir -p "$work/seeds/$1"
  local out="$work/seeds/$1/$(basename "$2")${3:-}"
  if [ -n "${3:-}" ]; then { printf "\\x$3"; cat "$2"; } > "$out"; else cp "$2" "$out"; fi
}
for f in tests/data/dicom/*.dcm tests/data/dicom_seg_dcmqi/label.seg.dcm tests/data/dicom_seg_dcmqi/image/*.dcm \
         tests/data/mr_dicom_series_sts002/image/000000.dcm; do seed dicom "$f"; done
gzip -dc tests/data/ibsi_digital_phantom/image.nii.gz > "$work/phantom.nii"
seed image_header "$work/phantom.nii" 00
for f in tests/data/ibsi_digital_phantom/*.nii.gz tests/data/mr_nifti_sts002/MR_T1_mask.nii.gz; do seed image_header "$f" 01; done
for f in tests/data/pyradiomics/brain1_label.nrrd tests/data/dicom_seg_dcmqi/label.nrrd; do seed image_header "$f" 02; done
for f in tests/data/fuzz_findings/*.nii; do seed image_header "$f" 00; done  # past findings stay in every run
for f in tests/data/ultrasound_busi/*.png tests/data/fuzz_findings/*.png; do seed picture "$f"; done
seed manifest tests/fuzz/seeds/manifest.csv
seed clinical tests/fuzz/seeds/clinical.csv
seed clinical tests/data/clinical/ispy2_metadata.csv
for f in tests/fuzz/seeds/bundle_*.json; do seed bundle "$f"; done
for f in experiments/demo_extract.ini experiments/recipes/*_extract.ini tools/radiomics_all_filters.ini; do seed settings "$f"; done

# A budget well below libFuzzer's RSS limit: an input that asks for more must be refused by name.
export ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tools/sanitizers.supp VBIOPSY_MEMORY_BUDGET_MB=1024
mkdir -p build-fuzz/findings
status=0
for target in "${targets[@]}"; do
  mkdir -p "$work/corpus/$target"
  log="$work/$target.log"
  if [ -n "${VBIOPSY_FUZZ_RUNS:-}" ]; then limit=(-runs="$VBIOPSY_FUZZ_RUNS"); else limit=(-max_total_time="$seconds"); fi
  if build-fuzz/bin/fuzz_"$target" -seed="${VBIOPSY_FUZZ_SEED:-1}" "${limit[@]}" -timeout=30 -rss_limit_mb=2560 -max_len="${VBIOPSY_FUZZ_MAX_LEN:-1048576}" \
       -artifact_prefix="build-fuzz/findings/$target-" "$work/corpus/$target" "$work/seeds/$target" > "$log" 2>&1; then
    echo "fuzz $target: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log" | tail -1), no crash"
  else
    echo "fuzz $target: FAILED"; grep -v '^#' "$log" | tail -40; status=1
  fi
done
exit $status
