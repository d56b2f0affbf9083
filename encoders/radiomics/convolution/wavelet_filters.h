#pragma once
// Decomposition filters of the orthogonal wavelets, as PyWavelets defines them (dec_lo, dec_hi).
#include <string>
#include <vector>

namespace vbiopsy::encoders::radiomics::convolution {

// haar (= db1), db2, db3, db4, coif1; throws naming the supported ones otherwise.
std::vector<double> wavelet_low_pass(const std::string& wavelet);
// The quadrature mirror of the low pass: high[k] = (-1)^(k+1) low[F-1-k].
std::vector<double> wavelet_high_pass(const std::vector<double>& low);

}  // namespace vbiopsy::encoders::radiomics::convolution
