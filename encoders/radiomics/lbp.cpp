#include "encoders/radiomics/lbp.h"

#include <cmath>
#include <numbers>
#include <vector>

#include "core/error.h"

namespace vbiopsy::encoders::radiomics {

core::Image local_binary_pattern_2d(const core::Image& image, double radius, int samples, const std::string& method) {
  if (!(radius > 0) || !std::isfinite(radius))
    core::fail("lbp2DRadius ", radius, " must be a positive number of pixels");
  if (samples < 1 || samples > 31) core::fail("lbp2DSamples ", samples, " must be from 1 to 31");
  if (method != "default" && method != "ror" && method != "uniform")
    core::fail("lbp2DMethod '", method, "' is not default, ror or uniform");
  const auto& g = image.geometry;
  const long rows = long(g.size[1]), cols = long(g.size[0]);
  // Neighbour offsets (row, column), rounded as scikit-image rounds them.
  const size_t n = size_t(samples);
  std::vector<double> dr(n), dc(n);
  for (int p = 0; p < samples; ++p) {
    const double angle = 2 * std::numbers::pi * p / samples;
    dr[size_t(p)] = std::round(-radius * std::sin(angle) * 1e5) / 1e5;
    dc[size_t(p)] = std::round(radius * std::cos(angle) * 1e5) / 1e5;
  }
  core::Image out(g);
  std::vector<int> bits(n);
  for (size_t z = 0; z < g.size[2]; ++z) {
    auto pixel = [&](long r, long c) -> double {
      return r < 0 || c < 0 || r >= rows || c >= cols ? 0.0 : double(image.at(size_t(c), size_t(r), z));
    };
    for (long r = 0; r < rows; ++r)
      for (long c = 0; c < cols; ++c) {
        const double centre = pixel(r, c);
        for (int p = 0; p < samples; ++p) {
          const double y = double(r) + dr[size_t(p)], x = double(c) + dc[size_t(p)];
          const double y0 = std::floor(y), x0 = std::floor(x), ty = y - y0, tx = x - x0;
          const long ry = long(y0), cx = long(x0), ry1 = long(std::ceil(y)), cx1 = long(std::ceil(x));
          const double top = (1 - tx) * pixel(ry, cx) + tx * pixel(ry, cx1);
          const double bottom = (1 - tx) * pixel(ry1, cx) + tx * pixel(ry1, cx1);
          bits[size_t(p)] = (1 - ty) * top + ty * bottom - centre >= 0;
        }
        double value = 0;
        if (method == "uniform") {
          int changes = 0, set = 0;
          for (int p = 0; p + 1 < samples; ++p) changes += bits[size_t(p)] != bits[size_t(p + 1)];
          for (int b : bits) set += b;
          value = changes <= 2 ? set : samples + 1;
        } else {
          long code = 0;
          for (int p = 0; p < samples; ++p) code |= long(bits[size_t(p)]) << p;
          long best = code;
          if (method == "ror")
            for (int shift = 1; shift < samples; ++shift) {
              const long rotated = ((code >> shift) | (code << (samples - shift))) & ((1L << samples) - 1);
              best = std::min(best, rotated);
            }
          value = double(best);
        }
        out.at(size_t(c), size_t(r), z) = float(value);
      }
  }
  return out;
}

}  // namespace vbiopsy::encoders::radiomics
