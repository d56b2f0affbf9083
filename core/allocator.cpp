#include "core/allocator.h"

#include <cstdlib>  // defines __GLIBC__ on glibc
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

}  // namespace vbiopsy::core
