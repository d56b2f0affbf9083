#include "core/runtime.h"

#include <cstdlib>  // getenv, setenv; defines __GLIBC__ on glibc

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace vbiopsy::core {

void retain_freed_memory() {
#ifdef __GLIBC__
  // Blocks up to 32 MiB (glibc's upper bound for the threshold) come from the heap, and the heap
  // is never trimmed (-1 disables trimming, per mallopt(3)). Setting either also stops glibc's
  // dynamic threshold adjustment, so the behaviour does not depend on what was freed first.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, -1);
#endif
}

bool select_blas_kernels() {
  if (std::getenv("OPENBLAS_CORETYPE")) return false;  // the user's choice stands
#if defined(__x86_64__)
  __builtin_cpu_init();
  const char* kernels = nullptr;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl"))
    kernels = "SkylakeX";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    kernels = "Haswell";
  return kernels && setenv("OPENBLAS_CORETYPE", kernels, 0) == 0;
#else
  return false;
#endif
}

bool select_huge_pages_for_large_blocks() {
  if (std::getenv("GLIBC_TUNABLES")) return false;  // the user's choice stands
  return setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 0) == 0;
}

}  // namespace vbiopsy::core
