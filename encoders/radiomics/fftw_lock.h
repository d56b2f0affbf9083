#pragma once
#include <mutex>

namespace vbiopsy::encoders::radiomics {

// FFTW guarantees only plan execution to be thread-safe; its allocator, planner and plan
// destruction share state. Cases are extracted on several threads, so every FFTW call runs under
// this one lock (the transforms are a small part of a case's work).
std::mutex& fftw_lock();

}  // namespace vbiopsy::encoders::radiomics
