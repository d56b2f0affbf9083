#pragma once
// Process settings for the programs vbiopsy starts: memory reuse, huge pages and BLAS kernels.

namespace vbiopsy::core {

// Keeps memory that a program frees for its own later allocations instead of returning it to the
// kernel. glibc serves blocks above its mmap threshold (128 KiB, raised only as such blocks are
// freed) by fresh mappings and trims the heap top past 128 KiB; a training step frees and
// reallocates its activations and gradients (megabytes each) every step, so each step faulted
// all of them in again, page by page: about 320 000 page faults and a third of `cnn2d`'s step
// time in tools/train_benchmark on a 2-core VM. The price is that the process keeps its peak
// heap until it exits. Call once, first thing in main; a no-op outside glibc.
void retain_freed_memory();

// Sets OPENBLAS_CORETYPE (when unset) to the kernels this CPU supports: SkylakeX with AVX-512,
// Haswell with AVX2 and FMA. OpenBLAS picks its kernels from the CPU's family and model, which
// virtual machines often hide ("Intel(R) Xeon(R) Processor"); it then falls back to its SSE3
// (Prescott) kernels, which made attention fusion's training 1.6x slower here. OpenBLAS reads the
// variable when it is loaded, so this must run before a program linking it starts (vbiopsy sets
// it for vbiopsy-learn). Returns whether it set the variable.
bool select_blas_kernels();

// Sets GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (when GLIBC_TUNABLES is unset) for a program about to
// be started: glibc then asks the kernel for transparent huge pages (2 MiB) on the large blocks it
// maps, so a 6 MB image buffer faults in a few times instead of 1,600 times (4 KiB pages). Reading
// brain1's two NRRDs took 5,800 page faults and a quarter of a whole `vbiopsy radiomics` run on
// this VM, where each fault costs microseconds; with it, about 2,700. glibc reads the variable at
// start, hence set by vbiopsy for vbiopsy-radiomics. Returns whether it set the variable.
bool select_huge_pages_for_large_blocks();

}  // namespace vbiopsy::core
