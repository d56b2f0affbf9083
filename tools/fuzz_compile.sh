#!/usr/bin/env bash
# Compiler launcher of the fuzz build (tools/fuzz.sh): a translation unit that includes ITK's headers
# is compiled by g++ without instrumentation, since Debian's ITK 5.2 headers refuse clang; every
# other one by clang with libFuzzer's coverage and the sanitizers, as CMake asked.
compiler=$1
shift
for arg in "$@"; do
  case "$arg" in
    *.cpp)
      if grep -q -E '#include <itk|modalities/itk_bridge.h' "$arg"; then
        args=()
        for a in "$@"; do case "$a" in -fsanitize=*|-fno-sanitize-recover=*) ;; *) args+=("$a") ;; esac; done
        exec ccache g++ "${args[@]}"
      fi ;;
  esac
done
exec ccache "$compiler" "$@"
