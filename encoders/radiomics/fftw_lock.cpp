#include "encoders/radiomics/fftw_lock.h"

namespace vbiopsy::encoders::radiomics {

std::mutex& fftw_lock() {
  static std::mutex lock;
  return lock;
}

}  // namespace vbiopsy::encoders::radiomics
