#include "encoders/radiomics/convolution/wavelet_filters.h"

#include "core/error.h"

namespace vbiopsy::encoders::radiomics::convolution {

std::vector<double> wavelet_low_pass(const std::string& wavelet) {
  if (wavelet == "haar" || wavelet == "db1") return {0.7071067811865476, 0.7071067811865476};
  if (wavelet == "db2") return {-0.12940952255126037, 0.2241438680420134, 0.8365163037378079, 0.48296291314453416};
  if (wavelet == "db3")
    return {0.03522629188570953, -0.08544127388202666, -0.13501102001025458,
            0.45987750211849154, 0.8068915093110925,   0.33267055295008263};
  if (wavelet == "db4")
    return {-0.010597401785069032, 0.0328830116668852, 0.030841381835560764, -0.18703481171909309,
            -0.027983769416859854, 0.6308807679298589, 0.7148465705529157,   0.2303778133088965};
  if (wavelet == "coif1")
    return {-0.01565572813546454, -0.0727326195128539, 0.38486484686420286,
            0.8525720202122554,   0.3378976624578092,  -0.0727326195128539};
  core::fail("wavelet '", wavelet, "' is not supported; use haar, db1, db2, db3, db4 or coif1");
}

std::vector<double> wavelet_high_pass(const std::vector<double>& low) {
  std::vector<double> high(low.size());
  const size_t f = low.size();
  for (size_t k = 0; k < f; ++k) high[k] = ((k % 2) ? 1.0 : -1.0) * low[f - 1 - k];
  return high;
}

}  // namespace vbiopsy::encoders::radiomics::convolution
