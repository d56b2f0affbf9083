#pragma once
// The memory one step may take, checked before allocating: a header or a setting that asks for more
// (a 1 KB NRRD claiming a billion voxels, resampling to 0.001 mm) is an error that names what asked
// and how much it would need, never a bare std::bad_alloc or a machine brought to swapping.
#include <cstddef>
#include <string>

namespace vbiopsy::core {

// VBIOPSY_MEMORY_BUDGET_MB when set, else half of the physical memory.
size_t memory_budget_bytes();

// Throws core::Error when bytes exceed the budget: "<what> would need N MB, more than the memory
// budget of M MB (VBIOPSY_MEMORY_BUDGET_MB)".
void require_within_memory_budget(double bytes, const std::string& what);

}  // namespace vbiopsy::core
