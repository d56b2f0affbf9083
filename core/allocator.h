#pragma once
// Memory policy for programs that train models.

namespace vbiopsy::core {

// Keeps memory that a program frees for its own later allocations instead of returning it to the
// kernel. glibc serves blocks above its mmap threshold (128 KiB, raised only as such blocks are
// freed) by fresh mappings and trims the heap top past 128 KiB; a training step frees and
// reallocates its activations and gradients (megabytes each) every step, so each step faulted
// all of them in again, page by page: about 320 000 page faults and a third of `cnn2d`'s step
// time in tools/train_benchmark on a 2-core VM. The price is that the process keeps its peak
// heap until it exits. Call once, first thing in main; a no-op outside glibc.
void retain_freed_memory();

}  // namespace vbiopsy::core
