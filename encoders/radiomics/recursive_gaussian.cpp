#include "encoders/radiomics/recursive_gaussian.h"

#include <itkImage.h>
#include <itkRecursiveGaussianImageFilter.h>

#include <algorithm>
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
    return {m_N0, m_N1, m_N2,  m_N3,  m_D1,  m_D2,  m_D3,  m_D4,  m_M1,  m_M2,
            m_M3, m_M4, m_BN1, m_BN2, m_BN3, m_BN4, m_BM1, m_BM2, m_BM3, m_BM4};
  }
};

constexpr size_t kLanes = 8;  // lines filtered together: independent recursions fill the pipeline

// RecursiveSeparableImageFilter::FilterDataArray, operation for operation (the border value is
// assumed to extend to infinity on both sides), on kLanes lines at once: element i of lane l is at
// [i * kLanes + l]. Each lane's arithmetic is exactly the scalar filter's.
[[gnu::always_inline]] inline void filter_lines(const Coefficients& c, const double* data, double* out, double* anti,
                                                size_t n) {
  constexpr size_t L = kLanes;
  for (size_t l = 0; l < L; ++l) {
    const double first = data[l];
    const double d1 = data[L + l], d2 = data[2 * L + l], d3 = data[3 * L + l];
    double* o = out + l;
    o[0] = first * c.n0 + first * c.n1 + first * c.n2 + first * c.n3;
    o[L] = d1 * c.n0 + first * c.n1 + first * c.n2 + first * c.n3;
    o[2 * L] = d2 * c.n0 + d1 * c.n1 + first * c.n2 + first * c.n3;
    o[3 * L] = d3 * c.n0 + d2 * c.n1 + d1 * c.n2 + first * c.n3;
    o[0] -= first * c.bn1 + first * c.bn2 + first * c.bn3 + first * c.bn4;
    o[L] -= o[0] * c.d1 + first * c.bn2 + first * c.bn3 + first * c.bn4;
    o[2 * L] -= o[L] * c.d1 + o[0] * c.d2 + first * c.bn3 + first * c.bn4;
    o[3 * L] -= o[2 * L] * c.d1 + o[L] * c.d2 + o[0] * c.d3 + first * c.bn4;
  }
  for (size_t i = 4; i < n; ++i) {
    const double* x = data + i * L;
    double* y = out + i * L;
    for (size_t l = 0; l < L; ++l) {
      y[l] = x[l] * c.n0 + x[l - L] * c.n1 + x[l - 2 * L] * c.n2 + x[l - 3 * L] * c.n3;
      y[l] -= y[l - L] * c.d1 + y[l - 2 * L] * c.d2 + y[l - 3 * L] * c.d3 + y[l - 4 * L] * c.d4;
    }
  }
  for (size_t l = 0; l < L; ++l) {
    const double last = data[(n - 1) * L + l];
    const double e1 = data[(n - 1) * L + l], e2 = data[(n - 2) * L + l], e3 = data[(n - 3) * L + l];
    double* a = anti + l;
    a[(n - 1) * L] = last * c.m1 + last * c.m2 + last * c.m3 + last * c.m4;
    a[(n - 2) * L] = e1 * c.m1 + last * c.m2 + last * c.m3 + last * c.m4;
    a[(n - 3) * L] = e2 * c.m1 + e1 * c.m2 + last * c.m3 + last * c.m4;
    a[(n - 4) * L] = e3 * c.m1 + e2 * c.m2 + e1 * c.m3 + last * c.m4;
    a[(n - 1) * L] -= last * c.bm1 + last * c.bm2 + last * c.bm3 + last * c.bm4;
    a[(n - 2) * L] -= a[(n - 1) * L] * c.d1 + last * c.bm2 + last * c.bm3 + last * c.bm4;
    a[(n - 3) * L] -= a[(n - 2) * L] * c.d1 + a[(n - 1) * L] * c.d2 + last * c.bm3 + last * c.bm4;
    a[(n - 4) * L] -= a[(n - 3) * L] * c.d1 + a[(n - 2) * L] * c.d2 + a[(n - 1) * L] * c.d3 + last * c.bm4;
  }
  for (size_t i = n - 4; i > 0; --i) {
    const double* x = data + i * L;
    double* y = anti + (i - 1) * L;
    for (size_t l = 0; l < L; ++l) {
      y[l] = x[l] * c.m1 + x[l + L] * c.m2 + x[l + 2 * L] * c.m3 + x[l + 3 * L] * c.m4;
      y[l] -= y[l + L] * c.d1 + y[l + 2 * L] * c.d2 + y[l + 3 * L] * c.d3 + y[l + 4 * L] * c.d4;
    }
  }
  for (size_t i = 0; i < n * L; ++i) out[i] += anti[i];
}

// A box of voxels in a float array indexed x fastest: the image itself or a work buffer.
struct View {
  float* data;
  std::array<size_t, 3> stride;
  size_t at(size_t x, size_t y, size_t z) const { return x * stride[0] + y * stride[1] + z * stride[2]; }
};

// Filters `in` along `axis` into `out` (stored as float, as ITK's internal images), on the lines whose
// other two coordinates lie in `cross` (the axis's own range in `cross` is ignored); `n` is the line
// length. Lines are taken kLanes at a time along the faster of the other two axes. Compiled for AVX2
// as well where the processor has it (the same IEEE operations, no fused ones: the same values).
__attribute__((target_clones("avx2", "default"))) void pass(const Coefficients& c, const View& in, const View& out,
                                                            size_t n, int axis, const VoxelBox& cross) {
  const size_t a1 = axis == 0 ? 1 : 0, a2 = axis == 2 ? 1 : 2;
  std::vector<double> data(n * kLanes), result(n * kLanes), scratch(n * kLanes);
  std::array<size_t, kLanes> in_start, out_start;
  for (size_t j2 = cross.lo[a2]; j2 <= cross.hi[a2]; ++j2)
    for (size_t j1 = cross.lo[a1]; j1 <= cross.hi[a1]; j1 += kLanes) {
      const size_t lanes = std::min(kLanes, cross.hi[a1] + 1 - j1);
      // A short last block repeats its last line in the spare lanes (computed, not stored).
      for (size_t l = 0; l < kLanes; ++l) {
        const size_t k = j1 + std::min(l, lanes - 1);
        in_start[l] = k * in.stride[a1] + j2 * in.stride[a2];
        out_start[l] = k * out.stride[a1] + j2 * out.stride[a2];
      }
      const size_t in_step = in.stride[size_t(axis)], out_step = out.stride[size_t(axis)];
      if (in.stride[a1] == 1 && lanes == kLanes) {  // side by side in memory: eight floats per step
        for (size_t i = 0; i < n; ++i) {
          const float* from = in.data + in_start[0] + i * in_step;
          for (size_t l = 0; l < kLanes; ++l) data[i * kLanes + l] = from[l];
        }
      } else {  // one line after another (along x): read each line in order
        for (size_t l = 0; l < kLanes; ++l)
          for (size_t i = 0; i < n; ++i) data[i * kLanes + l] = in.data[in_start[l] + i * in_step];
      }
      filter_lines(c, data.data(), result.data(), scratch.data(), n);
      if (out.stride[a1] == 1 && lanes == kLanes) {
        for (size_t i = 0; i < n; ++i) {
          float* to = out.data + out_start[0] + i * out_step;
          for (size_t l = 0; l < kLanes; ++l) to[l] = static_cast<float>(result[i * kLanes + l]);
        }
      } else {
        for (size_t l = 0; l < lanes; ++l)
          for (size_t i = 0; i < n; ++i)
            out.data[out_start[l] + i * out_step] = static_cast<float>(result[i * kLanes + l]);
      }
    }
}

}  // namespace

core::Image laplacian_of_gaussian_in(const core::Image& image, double sigma_mm, const VoxelBox& box,
                                     const VoxelBox& reach) {
  const auto& g = image.geometry;
  std::array<size_t, 3> size;  // of the part filtered
  VoxelBox inner;              // the box in the part's coordinates
  for (size_t a = 0; a < 3; ++a) {
    if (reach.lo[a] > reach.hi[a] || reach.hi[a] >= g.size[a])
      core::fail("LoG region [", reach.lo[a], ", ", reach.hi[a], "] along axis ", a, " is outside the image of ",
                 g.size[a], " voxels");
    if (box.lo[a] > box.hi[a] || box.lo[a] < reach.lo[a] || box.hi[a] > reach.hi[a])
      core::fail("LoG box [", box.lo[a], ", ", box.hi[a], "] along axis ", a, " is outside [", reach.lo[a], ", ",
                 reach.hi[a], "]");
    size[a] = reach.extent(int(a));
    if (size[a] < 4) core::fail("a recursive Gaussian needs at least 4 voxels along axis ", a, "; found ", size[a]);
    inner.lo[a] = box.lo[a] - reach.lo[a];
    inner.hi[a] = box.hi[a] - reach.lo[a];
  }
  // Work buffers reused from call to call (a fresh one per call costs more in page faults than the
  // filtering of the small passes); each pass writes every value the next one reads. Above 64 MB a
  // buffer is the call's own, so that a thread does not keep a huge one after the case.
  constexpr size_t kKeptVoxels = size_t(1) << 24;
  thread_local std::vector<float> kept1, kept2;
  std::vector<float> own1, own2;
  const size_t voxels = size[0] * size[1] * size[2];
  std::vector<float>& work1 = voxels <= kKeptVoxels ? kept1 : own1;
  std::vector<float>& work2 = voxels <= kKeptVoxels ? kept2 : own2;
  if (work1.size() < voxels) {
    work1.resize(voxels);
    work2.resize(voxels);
  }
  const std::array<size_t, 3> packed{1, size[0], size[0] * size[1]};
  const View input{const_cast<float*>(&image.at(reach.lo[0], reach.lo[1], reach.lo[2])),
                   {1, g.size[0], g.size[0] * g.size[1]}};
  const View first{work1.data(), packed}, second{work2.data(), packed}, third{work1.data(), packed};
  VoxelBox all;
  for (size_t a = 0; a < 3; ++a) all.hi[a] = size[a] - 1;
  auto source = CoefficientSource::New();
  core::Geometry out_geometry = g;
  for (int a = 0; a < 3; ++a) out_geometry.size[size_t(a)] = box.extent(a);
  out_geometry.origin = g.index_to_physical(double(box.lo[0]), double(box.lo[1]), double(box.lo[2]));
  core::Image out(out_geometry);  // the running sum, as ITK's float accumulator (starts at 0)
  for (int d = 0; d < 3; ++d) {
    // ITK's order: the second derivative along d, then smoothing along the other axes, lower first.
    const int s1 = d == 0 ? 1 : 0, s2 = d == 2 ? 1 : 2;
    pass(source->of(sigma_mm, Order::SecondOrder, g.spacing[size_t(d)]), input, first, size[size_t(d)], d, all);
    VoxelBox lines = all;  // the second pass feeds only the third's lines: d within the box
    lines.lo[size_t(d)] = inner.lo[size_t(d)];
    lines.hi[size_t(d)] = inner.hi[size_t(d)];
    pass(source->of(sigma_mm, Order::ZeroOrder, g.spacing[size_t(s1)]), first, second, size[size_t(s1)], s1, lines);
    lines.lo[size_t(s1)] = inner.lo[size_t(s1)];  // the third's lines: d and s1 within the box
    lines.hi[size_t(s1)] = inner.hi[size_t(s1)];
    pass(source->of(sigma_mm, Order::ZeroOrder, g.spacing[size_t(s2)]), second, third, size[size_t(s2)], s2, lines);
    const double inverse_spacing2 = 1.0 / (g.spacing[size_t(d)] * g.spacing[size_t(d)]);
    for (size_t z = 0; z < out_geometry.size[2]; ++z)
      for (size_t y = 0; y < out_geometry.size[1]; ++y)
        for (size_t x = 0; x < out_geometry.size[0]; ++x) {
          const float b = third.data[third.at(x + inner.lo[0], y + inner.lo[1], z + inner.lo[2])];
          float& a = out.at(x, y, z);
          a = static_cast<float>(a + b * inverse_spacing2);
        }
  }
  return out;
}

core::Image laplacian_of_gaussian_in(const core::Image& image, double sigma_mm, const VoxelBox& box) {
  const auto& g = image.geometry;
  return laplacian_of_gaussian_in(image, sigma_mm, box, {{0, 0, 0}, {g.size[0] - 1, g.size[1] - 1, g.size[2] - 1}});
}

}  // namespace vbiopsy::encoders::radiomics
