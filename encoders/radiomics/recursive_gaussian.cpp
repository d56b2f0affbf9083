#include "encoders/radiomics/recursive_gaussian.h"

#include <itkImage.h>
#include <itkRecursiveGaussianImageFilter.h>

#include <vector>

#include "core/error.h"

namespace vbiopsy::encoders::radiomics {
namespace {

using FloatImage = itk::Image<float, 3>;
using Order = itk::GaussianOrderEnum;

// The coefficients of one recursive pass, as ITK's RecursiveSeparableImageFilter names them.
struct Coefficients {
  double n0, n1, n2, n3, d1, d2, d3, d4, m1, m2, m3, m4, bn1, bn2, bn3, bn4, bm1, bm2, bm3, bm4;
};

// ITK's own SetUp computes the coefficients, so they are ITK's to the last bit.
class CoefficientSource : public itk::RecursiveGaussianImageFilter<FloatImage, FloatImage> {
 public:
  using Self = CoefficientSource;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);

  Coefficients of(double sigma, Order order, double spacing) {
    SetSigma(sigma);
    SetOrder(order);
    SetNormalizeAcrossScale(true);
    SetUp(spacing);
    return {m_N0, m_N1, m_N2, m_N3, m_D1, m_D2, m_D3, m_D4, m_M1, m_M2, m_M3, m_M4,
            m_BN1, m_BN2, m_BN3, m_BN4, m_BM1, m_BM2, m_BM3, m_BM4};
  }
};

// RecursiveSeparableImageFilter::FilterDataArray, operation for operation (the border value is
// assumed to extend to infinity on both sides).
void filter_line(const Coefficients& c, const double* data, double* out, double* anti, size_t n) {
  const double first = data[0];
  out[0] = first * c.n0 + first * c.n1 + first * c.n2 + first * c.n3;
  out[1] = data[1] * c.n0 + first * c.n1 + first * c.n2 + first * c.n3;
  out[2] = data[2] * c.n0 + data[1] * c.n1 + first * c.n2 + first * c.n3;
  out[3] = data[3] * c.n0 + data[2] * c.n1 + data[1] * c.n2 + first * c.n3;
  out[0] -= first * c.bn1 + first * c.bn2 + first * c.bn3 + first * c.bn4;
  out[1] -= out[0] * c.d1 + first * c.bn2 + first * c.bn3 + first * c.bn4;
  out[2] -= out[1] * c.d1 + out[0] * c.d2 + first * c.bn3 + first * c.bn4;
  out[3] -= out[2] * c.d1 + out[1] * c.d2 + out[0] * c.d3 + first * c.bn4;
  for (size_t i = 4; i < n; ++i) {
    out[i] = data[i] * c.n0 + data[i - 1] * c.n1 + data[i - 2] * c.n2 + data[i - 3] * c.n3;
    out[i] -= out[i - 1] * c.d1 + out[i - 2] * c.d2 + out[i - 3] * c.d3 + out[i - 4] * c.d4;
  }
  const double last = data[n - 1];
  anti[n - 1] = last * c.m1 + last * c.m2 + last * c.m3 + last * c.m4;
  anti[n - 2] = data[n - 1] * c.m1 + last * c.m2 + last * c.m3 + last * c.m4;
  anti[n - 3] = data[n - 2] * c.m1 + data[n - 1] * c.m2 + last * c.m3 + last * c.m4;
  anti[n - 4] = data[n - 3] * c.m1 + data[n - 2] * c.m2 + data[n - 1] * c.m3 + last * c.m4;
  anti[n - 1] -= last * c.bm1 + last * c.bm2 + last * c.bm3 + last * c.bm4;
  anti[n - 2] -= anti[n - 1] * c.d1 + last * c.bm2 + last * c.bm3 + last * c.bm4;
  anti[n - 3] -= anti[n - 2] * c.d1 + anti[n - 1] * c.d2 + last * c.bm3 + last * c.bm4;
  anti[n - 4] -= anti[n - 3] * c.d1 + anti[n - 2] * c.d2 + anti[n - 1] * c.d3 + last * c.bm4;
  for (size_t i = n - 4; i > 0; --i) {
    anti[i - 1] = data[i] * c.m1 + data[i + 1] * c.m2 + data[i + 2] * c.m3 + data[i + 3] * c.m4;
    anti[i - 1] -= anti[i] * c.d1 + anti[i + 1] * c.d2 + anti[i + 2] * c.d3 + anti[i + 3] * c.d4;
  }
  for (size_t i = 0; i < n; ++i) out[i] += anti[i];
}

// A float volume of the given size, indexed x fastest.
struct Volume {
  std::array<size_t, 3> size;
  std::vector<float> v;
  explicit Volume(const std::array<size_t, 3>& s) : size(s), v(s[0] * s[1] * s[2]) {}
  size_t stride(int axis) const { return axis == 0 ? 1 : (axis == 1 ? size[0] : size[0] * size[1]); }
};

// Filters `in` along `axis` into `out` (stored as float, as ITK's internal images), on the lines whose
// other two coordinates lie in `cross` (the axis's own range in `cross` is ignored).
void pass(const Coefficients& c, const Volume& in, Volume& out, int axis, const VoxelBox& cross) {
  const int a1 = axis == 0 ? 1 : 0, a2 = axis == 2 ? 1 : 2;
  const size_t n = in.size[size_t(axis)], step = in.stride(axis);
  std::vector<double> data(n), result(n), scratch(n);
  for (size_t j2 = cross.lo[size_t(a2)]; j2 <= cross.hi[size_t(a2)]; ++j2)
    for (size_t j1 = cross.lo[size_t(a1)]; j1 <= cross.hi[size_t(a1)]; ++j1) {
      const size_t start = j1 * in.stride(a1) + j2 * in.stride(a2);
      for (size_t i = 0; i < n; ++i) data[i] = in.v[start + i * step];
      filter_line(c, data.data(), result.data(), scratch.data(), n);
      for (size_t i = 0; i < n; ++i) out.v[start + i * step] = static_cast<float>(result[i]);
    }
}

}  // namespace

core::Image laplacian_of_gaussian_in(const core::Image& image, double sigma_mm, const VoxelBox& box) {
  const auto& g = image.geometry;
  for (int a = 0; a < 3; ++a) {
    if (g.size[size_t(a)] < 4)
      core::fail("a recursive Gaussian needs at least 4 voxels along axis ", a, "; the image has ", g.size[size_t(a)]);
    if (box.lo[size_t(a)] > box.hi[size_t(a)] || box.hi[size_t(a)] >= g.size[size_t(a)])
      core::fail("LoG box [", box.lo[size_t(a)], ", ", box.hi[size_t(a)], "] along axis ", a, " is outside the image of ",
                 g.size[size_t(a)], " voxels");
  }
  Volume input(g.size), first(g.size), second(g.size), third(g.size);
  std::copy(image.voxels.begin(), image.voxels.end(), input.v.begin());
  VoxelBox all;
  for (int a = 0; a < 3; ++a) all.hi[size_t(a)] = g.size[size_t(a)] - 1;
  auto source = CoefficientSource::New();
  core::Geometry out_geometry = g;
  for (int a = 0; a < 3; ++a) out_geometry.size[size_t(a)] = box.extent(a);
  out_geometry.origin = g.index_to_physical(double(box.lo[0]), double(box.lo[1]), double(box.lo[2]));
  core::Image out(out_geometry);  // the running sum, as ITK's float accumulator (starts at 0)
  for (int d = 0; d < 3; ++d) {
    // ITK's order: the second derivative along d, then smoothing along the other axes, lower first.
    const int s1 = d == 0 ? 1 : 0, s2 = d == 2 ? 1 : 2;
    pass(source->of(sigma_mm, Order::SecondOrder, g.spacing[size_t(d)]), input, first, d, all);
    VoxelBox lines = all;  // the second pass feeds only the third's lines: d within the box
    lines.lo[size_t(d)] = box.lo[size_t(d)];
    lines.hi[size_t(d)] = box.hi[size_t(d)];
    pass(source->of(sigma_mm, Order::ZeroOrder, g.spacing[size_t(s1)]), first, second, s1, lines);
    lines.lo[size_t(s1)] = box.lo[size_t(s1)];  // the third's lines: d and s1 within the box
    lines.hi[size_t(s1)] = box.hi[size_t(s1)];
    pass(source->of(sigma_mm, Order::ZeroOrder, g.spacing[size_t(s2)]), second, third, s2, lines);
    const double inverse_spacing2 = 1.0 / (g.spacing[size_t(d)] * g.spacing[size_t(d)]);
    for (size_t z = 0; z < out_geometry.size[2]; ++z)
      for (size_t y = 0; y < out_geometry.size[1]; ++y)
        for (size_t x = 0; x < out_geometry.size[0]; ++x) {
          const float b = third.v[(x + box.lo[0]) + g.size[0] * ((y + box.lo[1]) + g.size[1] * (z + box.lo[2]))];
          float& a = out.at(x, y, z);
          a = static_cast<float>(a + b * inverse_spacing2);
        }
  }
  return out;
}

}  // namespace vbiopsy::encoders::radiomics
