#pragma once
// Checks of an image file's header made before ITK builds anything from it: ITK 5.2 aborts the
// whole process (vnl "matrix has non-finite elements") on a NIfTI whose qform or sform holds Inf or
// NaN, and reads a .gz whose CRC fails without a word. A bad header is an error naming the file and
// the field instead.
#include <array>
#include <cstddef>
#include <filesystem>

namespace vbiopsy::modalities {

// NIfTI-1 (.nii, .nii.gz): dimensions, pixdim, and the qform/sform fields in use are finite.
void check_nifti_header(const std::filesystem::path& path);

// ITK 5.2's NIfTI reader turns NaN and infinite float voxels into 0 without a word. For a float
// NIfTI this writes them back into `voxels` (ITK's buffer, in the file's voxel order, `count`
// values) and returns how many there were.
size_t restore_nonfinite_nifti_voxels(const std::filesystem::path& path, float* voxels, size_t count);

// Every gzip member of a .gz file decompresses and passes its CRC and length checks.
void check_gzip_stream(const std::filesystem::path& path);

// A picture starts with the signature of the format its suffix names: OpenCV picks its decoder by
// content, not by name, and would hand a ".png" that holds DICOM bytes to GDCM, which aborts on
// malformed files. A PNG's size from its IHDR chunk is checked against the memory budget before
// OpenCV decodes it (a few bytes can claim a gigapixel); other formats rely on OpenCV's own limits.
void check_picture_header(const std::filesystem::path& path);

// The geometry a reader found: spacing finite and positive, origin finite, direction finite and
// not singular.
void check_geometry(const std::filesystem::path& path, const std::array<double, 3>& spacing,
                    const std::array<double, 3>& origin, const std::array<double, 9>& direction);

}  // namespace vbiopsy::modalities
