#pragma once
// Image filters applied before feature extraction, defined as PyRadiomics defines them so that
// filtered features stay comparable across tools:
//   log-sigma-<s>-mm-3D   Laplacian of Gaussian (ITK recursive Gaussian, normalised across scale),
//                         <s> the sigma as typed (LogSigma)
//   wavelet-<XYZ>         one-level stationary wavelet transform (haar or coif1; periodic
//                         extension; odd sizes padded by wrapping and cropped back; X, Y, Z = L/H
//                         for low/high pass along x, y, z), 8 images
//   square, squareroot, logarithm, exponential   rescaled point operations
//   gradient              gradient magnitude in mm
//   lbp-2D                local binary patterns in each axial plane (lbp.h)
//   lbp-3D-m<n>, lbp-3D-k spherical-harmonic local binary patterns and kurtosis (lbp_3d.h)
#include <functional>
#include <string>
#include <vector>

#include "core/image.h"
#include "encoders/radiomics/convolution/response_map.h"
#include "encoders/radiomics/lbp_3d.h"

namespace vbiopsy::encoders::radiomics {

// A LoG scale as the user typed it, printed as Python prints the number it reads (1 -> "1",
// 1.0 -> "1.0", 2.50 -> "2.5"): PyRadiomics names the image after that text, "." written "-".
struct LogSigma {
  double mm = 0;
  std::string text;
  std::string name() const;  // "1", "1-0", "2-5"
};
// The LogSigma of a typed number (throws for one that is not a positive finite number).
LogSigma log_sigma_typed(const std::string& text);

struct FilterSettings {
  bool original = true;
  std::vector<LogSigma> log_sigma;
  std::string wavelet;  // "", "haar" or "coif1"
  bool square = false, square_root = false, logarithm = false, exponential = false, gradient = false;
  bool lbp_2d = false;  // lbp-2D: local binary patterns per axial plane (lbp.h), PyRadiomics' defaults
  double lbp_2d_radius = 1;
  int lbp_2d_samples = 8;
  std::string lbp_2d_method = "uniform";
  bool lbp_3d = false;  // lbp-3D-m1 ... and lbp-3D-k (lbp_3d.h); its sample type is the image's, which
                        // the PyRadiomics convention sets from the file's pixel type
  Lbp3dSettings lbp_3d_settings;
  // IBSI 2 filters by name ([filter.<name>] sections), in the order given; the extractor computes
  // them (IBSI convention only), so any_filter() leaves them out.
  std::vector<std::pair<std::string, convolution::FilterSpec>> convolution;
  bool any_filter() const {
    return !log_sigma.empty() || !wavelet.empty() || square || square_root || logarithm || exponential || gradient ||
           lbp_2d || lbp_3d;
  }
};

// Calls visit(name, image) for the original (name "original") and each filtered image in turn, so
// that only one filtered image is held at a time. Filters that cannot apply (a LoG wider than the
// image, as PyRadiomics requires size >= sigma/spacing + 1 and >= 4 voxels) are skipped and named
// in `skipped`.
void for_each_image_type(const core::Image& image, const FilterSettings& settings,
                         const std::function<void(const std::string&, const core::Image&)>& visit,
                         std::vector<std::string>* skipped = nullptr);

// The same for the voxels of a region (nonzero) only: visit(order, name, image, region) gets the
// original image with the whole region, and each filtered image on the region's bounding box with
// the region cropped alike; `order` numbers the images 0, 1, ... in the order above. A filter reads
// around the box only as far as its values inside depend on: the wavelet's support (exact) or 16
// sigma for the LoG's recursive filter (whose boundary start-up decays as exp(-d / sigma), so
// within 1e-7 relative); point filters still scale by the whole image's largest magnitude. With
// threads > 1 the filters, then the visits, run concurrently (visit must be safe to call so; keep
// results by `order` and they do not depend on the thread count).
void for_each_image_type(
    const core::Image& image, const core::Mask& region, const FilterSettings& settings,
    const std::function<void(size_t, const std::string&, const core::Image&, const core::Mask&)>& visit,
    std::vector<std::string>* skipped = nullptr, unsigned threads = 1);

// The single filters, exposed for tests.
core::Image laplacian_of_gaussian(const core::Image& image, double sigma_mm);
std::vector<std::pair<std::string, core::Image>> stationary_wavelet(const core::Image& image,
                                                                    const std::string& wavelet);
core::Image gradient_magnitude(const core::Image& image);

}  // namespace vbiopsy::encoders::radiomics
