#!/usr/bin/env bash
# One entry point for a new user and for CI: install the Debian dependencies (only those missing),
# configure and build once (later runs reuse the build), then run the demo or the test suite.
#   bash tools/setup.sh demo     # synthetic cohort -> validation -> feature extraction -> ablation run -> one prediction -> every recipe
#   bash tools/setup.sh recipes  # the recipes alone, on the cohort of an earlier demo
#   bash tools/setup.sh test     # the style check, the whole GoogleTest suite through ctest, then every fuzz target for 20 s
#   bash tools/setup.sh sanitize # the whole suite built with AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build g++ ccache pkg-config
          libtorch-dev libdnnl-dev libinsighttoolkit5-dev libdcmtk-dev libopencv-dev libeigen3-dev
          libboost-program-options-dev libgtest-dev libbenchmark-dev nlohmann-json3-dev zlib1g-dev
          libqhull-dev libfftw3-dev libdeflate-dev libssl-dev libxgboost-dev libopenblas0-openmp
          libgloo-dev   # headers of the Gloo collectives LibTorch links: data-parallel training
          libopenmpi-dev openmpi-bin   # optional: extract and run as MPI jobs (mpirun, srun); tested when present
          dcmtk      # dsrdump, dcmdump: the tests read the DICOM SR predict writes with DCMTK's own tools
          chromium   # chromium: the test that renders report.html headless
          clang libclang-rt-14-dev   # libFuzzer and the sanitizers: the readers' fuzz targets (tools/fuzz.sh)
          clang-format)              # the style check of the tests (tools/format.sh --check)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc)
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
# The demo needs the two programs only; the tests build everything (test binaries, benchmarks).
case "${1:-}" in
  demo|recipes) cmake --build build -j "$jobs" --target vbiopsy vbiopsy-learn ;;
  *) cmake --build build -j "$jobs" ;;
esac

# Every published-design recipe on the demo cohort; recipes with the same extraction settings
# share one content-keyed feature cache.
run_recipes() {
  local out=$1
  mkdir -p "$out/recipes"
  for recipe in experiments/recipes/*.ini; do
    case "$recipe" in *_extract.ini) continue ;; esac
    local name
    name=$(basename "$recipe" .ini)
    [ "$name" = wong ] && { echo "recipe wong: skipped (needs your foundation-model embeddings; see the recipe)"; continue; }
    echo "== recipe $name"
    # Progress on the terminal and in the recipe's log.
    build/bin/vbiopsy run --config "$recipe" --manifest "$out/cohort/manifest.csv" --out "$out/recipes/$name" \
      --extract-into "$out/recipes/features" 2> >(tee "$out/recipes/$name.log" >&2) || { echo "recipe $name failed: see $out/recipes/$name.log"; exit 1; }
  done
}

case "${1:-}" in
  demo)
    out=${VBIOPSY_DEMO_DIR:-demo}
    build/bin/vbiopsy synth --out "$out/cohort" --cases 300 --seed 2026
    build/bin/vbiopsy validate --manifest "$out/cohort/manifest.csv"
    build/bin/vbiopsy extract --manifest "$out/cohort/manifest.csv" --config experiments/demo_extract.ini --out "$out/features"
    build/bin/vbiopsy run --config experiments/demo.ini --manifest "$out/cohort/manifest.csv" \
      --features "$out/features/features.csv" --out "$out/run"
    build/bin/vbiopsy predict --model "$out/run/models/$(ls "$out/run/models" | head -1)" \
      --case "$out/cohort/cases/SYN0001" --out "$out/prediction"
    run_recipes "$out"
    echo "demo: cohort in $out/cohort, features in $out/features/features.csv, habitat maps and overlays in $out/features/<case>/mri/,"
    echo "      the ablation (15 modality subsets x early/late/attention) in $out/run: predictions.csv, metrics.json, comparisons.csv, shapley.csv, run.json, report.html,"
    echo "      the best model exported to $out/run/models/, case SYN0001 predicted from its folder in $out/prediction,"
    echo "      and every recipe's run in $out/recipes/<recipe>/"
    ;;
  recipes)
    out=${VBIOPSY_DEMO_DIR:-demo}
    [ -f "$out/cohort/manifest.csv" ] || { echo "run 'bash tools/setup.sh demo' first" >&2; exit 1; }
    run_recipes "$out"
    ;;
  test)
    bash tools/format.sh --check
    ctest --test-dir build --output-on-failure -j "$jobs"
    bash tools/fuzz.sh "${VBIOPSY_FUZZ_SECONDS:-20}"  # every reader's fuzz target, sanitised: a new crash fails the tests
    ;;
  sanitize)
    # Every library, program and test built with AddressSanitizer and UndefinedBehaviorSanitizer in
    # build-sanitize/, then the whole suite (any report fails its test; see tools/sanitizers.supp).
    if [ ! -f build-sanitize/build.ninja ]; then
      cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
        -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DVBIOPSY_SANITIZE=address,undefined
    fi
    cmake --build build-sanitize -j "$jobs"
    ctest --test-dir build-sanitize --output-on-failure -j "$jobs" --timeout 3000
    ;;
  *)
    echo "usage: bash tools/setup.sh demo|recipes|test|sanitize" >&2
    exit 64
    ;;
esac
