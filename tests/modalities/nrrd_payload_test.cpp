// Single-file NRRDs read by our payload reader (modalities/nrrd_payload.h) against ITK's own
// reader: the real NRRDs of the test data, and files in every encoding and byte order it takes.
#include "modalities/nrrd_payload.h"

#include <gtest/gtest.h>
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/warnings.h"
#include "modalities/image_io.h"
#include "tests/test_support.h"

namespace vbiopsy::modalities {
namespace {
namespace fs = std::filesystem;
const fs::path kData = VBIOPSY_TEST_DATA;

// ITK's reading of the file, converted to float by ITK.
std::vector<float> itk_voxels(const fs::path& path) {
  using Image = itk::Image<float, 3>;
  auto reader = itk::ImageFileReader<Image>::New();
  reader->SetFileName(path.string());
  reader->Update();
  const Image* image = reader->GetOutput();
  const size_t n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  return std::vector<float>(image->GetBufferPointer(), image->GetBufferPointer() + n);
}

std::string gzip(const std::string& bytes) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, bytes.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// 5 x 4 x 3 int16 voxels -300 + 7 i, in the given byte order.
std::string shorts(bool big_endian) {
  std::string bytes;
  for (int i = 0; i < 60; ++i) {
    const auto v = static_cast<uint16_t>(static_cast<int16_t>(-300 + 7 * i));
    const char hi = static_cast<char>(v >> 8), lo = static_cast<char>(v & 0xff);
    bytes += big_endian ? std::string{hi, lo} : std::string{lo, hi};
  }
  return bytes;
}

void write_nrrd(const fs::path& path, const std::string& encoding, const std::string& endian,
                const std::string& payload, const std::string& extra_fields = "") {
  std::ofstream out(path, std::ios::binary);
  out << "NRRD0004\n# written by a test\ntype: short\ndimension: 3\nspace: left-posterior-superior\n"
         "sizes: 5 4 3\nspace directions: (0.5,0,0) (0,0.5,0) (0,0,2)\nkinds: domain domain domain\n"
      << "endian: " << endian << "\nencoding: " << encoding << "\n"
      << extra_fields << "space origin: (1,2,3)\n\n"
      << payload;
}

class NrrdPayloadTest : public testing_support::TempFolderTest {};

TEST(NrrdPayload, EveryRealNrrdReadsVoxelForVoxelAsItkReadsIt) {
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kData)) {
    if (entry.path().extension() != ".nrrd") continue;
    ASSERT_TRUE(attached_nrrd_payload(entry.path())) << entry.path();
    const auto ours = read_image(entry.path());
    EXPECT_EQ(ours.voxels, itk_voxels(entry.path())) << entry.path();
    if (entry.path().filename().string().find("label") != std::string::npos) {
      const auto mask = read_mask(entry.path());
      ASSERT_EQ(mask.voxels.size(), ours.voxels.size());
      for (size_t i = 0; i < ours.voxels.size(); ++i) ASSERT_EQ(float(mask.voxels[i]), ours.voxels[i]) << i;
    }
    ++files;
  }
  EXPECT_GE(files, 5u);  // brain1 and brain2 images and labels, the dcmqi label map
}

TEST_F(NrrdPayloadTest, RawGzipBigAndLittleEndianAndSeveralGzipMembersReadAlike) {
  std::vector<float> expected;
  for (int i = 0; i < 60; ++i) expected.push_back(float(-300 + 7 * i));
  const std::string little = shorts(false), big = shorts(true);
  const std::vector<std::pair<std::string, std::string>> files = {
      {"raw_little", "raw|little|" + little},
      {"raw_big", "raw|big|" + big},
      {"gzip_little", "gzip|little|" + gzip(little)},
      {"gzip_big", "gzip|big|" + gzip(big)},
      {"two_members", "gzip|little|" + gzip(little.substr(0, 50)) + gzip(little.substr(50))}};
  for (const auto& [name, spec] : files) {
    const auto first = spec.find('|'), second = spec.find('|', first + 1);
    const fs::path path = dir_ / (name + ".nrrd");
    write_nrrd(path, spec.substr(0, first), spec.substr(first + 1, second - first - 1), spec.substr(second + 1));
    ASSERT_TRUE(attached_nrrd_payload(path)) << name;
    const auto image = read_image(path);
    EXPECT_EQ(image.voxels, expected) << name;
    EXPECT_EQ(image.voxels, itk_voxels(path)) << name;
    EXPECT_DOUBLE_EQ(image.geometry.spacing[2], 2.0) << name;
  }
}

TEST_F(NrrdPayloadTest, OtherLayoutsAreLeftToItk) {
  const std::string little = shorts(false);
  write_nrrd(dir_ / "skip.nrrd", "raw", "little", "XXXX" + little, "byte skip: 4\n");
  EXPECT_FALSE(attached_nrrd_payload(dir_ / "skip.nrrd"));
  EXPECT_EQ(read_image(dir_ / "skip.nrrd").voxels, itk_voxels(dir_ / "skip.nrrd"));
  write_nrrd(dir_ / "ascii.nrrd", "ascii", "little", "1 2 3");
  EXPECT_FALSE(attached_nrrd_payload(dir_ / "ascii.nrrd"));
  std::ofstream(dir_ / "detached.nhdr") << "NRRD0004\ntype: short\ndimension: 1\nsizes: 2\nencoding: raw\n"
                                           "data file: detached.raw\n";
  EXPECT_FALSE(attached_nrrd_payload(dir_ / "detached.nhdr"));
}

TEST_F(NrrdPayloadTest, ShortDataAreAnErrorAndExtraDataAWarning) {
  const std::string little = shorts(false);
  const std::string compressed = gzip(little);
  const std::vector<std::pair<std::string, std::string>> short_files = {
      {"raw", little.substr(0, 100)}, {"gzip", compressed.substr(0, compressed.size() / 2)}};
  for (const auto& [encoding, payload] : short_files) {
    const fs::path path = dir_ / ("short_" + encoding + ".nrrd");
    write_nrrd(path, encoding, "little", payload);
    try {
      read_image(path);
      ADD_FAILURE() << encoding << ": no error";
    } catch (const core::Error& e) {
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("of the 60 voxels its header gives"), std::string::npos) << e.what();
    }
  }
  for (const auto& [encoding, payload] : std::vector<std::pair<std::string, std::string>>{
           {"raw", little + "tail"}, {"gzip", compressed + gzip("tail")}}) {
    const fs::path path = dir_ / ("long_" + encoding + ".nrrd");
    write_nrrd(path, encoding, "little", payload);
    core::WarningCollector warnings;
    EXPECT_EQ(read_image(path).voxels.size(), 60u);
    ASSERT_EQ(warnings.messages().size(), 1u) << encoding;
    EXPECT_NE(warnings.messages()[0].find("after its 60 voxels are ignored"), std::string::npos)
        << warnings.messages()[0];
  }
  // Corrupt compressed data are named as such.
  std::string corrupt = compressed;
  for (size_t i = 20; i < corrupt.size() - 8; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  write_nrrd(dir_ / "corrupt.nrrd", "gzip", "little", corrupt);
  try {
    read_image(dir_ / "corrupt.nrrd");
    ADD_FAILURE() << "no error";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("corrupt"), std::string::npos) << e.what();
  }
}

TEST_F(NrrdPayloadTest, MaskLabelsOutside0To255AreNamedWithTheirVoxel) {
  std::string labels;
  for (int i = 0; i < 60; ++i) {
    const int v = i == 42 ? 256 : i % 3;
    labels += std::string{static_cast<char>(v & 0xff), static_cast<char>(v >> 8)};
  }
  write_nrrd(dir_ / "labels.nrrd", "gzip", "little", gzip(labels));
  try {
    read_mask(dir_ / "labels.nrrd");
    ADD_FAILURE() << "no error";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("voxel 42 holds 256; a mask holds integer labels 0-255"), std::string::npos)
        << e.what();
  }
  labels[2 * 42 + 1] = 0;  // 256 -> 0: every label in range
  write_nrrd(dir_ / "labels.nrrd", "gzip", "little", gzip(labels));
  const auto mask = read_mask(dir_ / "labels.nrrd").voxels;
  ASSERT_EQ(mask.size(), 60u);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(mask[size_t(i)], i == 42 ? 0 : i % 3) << i;
}

// A raw little-endian 70 x 70 x 2 NRRD of `type` whose voxel i holds value(i).
template <typename T, typename Value>
void write_typed_nrrd(const fs::path& path, const std::string& type, Value value) {
  std::string bytes;
  for (size_t i = 0; i < 70 * 70 * 2; ++i) {
    const T v = static_cast<T>(value(i));
    bytes.append(reinterpret_cast<const char*>(&v), sizeof v);  // this machine is little-endian (x86-64)
  }
  std::ofstream(path, std::ios::binary) << "NRRD0004\ntype: " << type
                                        << "\ndimension: 3\nsizes: 70 70 2\nendian: little\nencoding: raw\n\n"
                                        << bytes;
}

// Voxels are converted in the buffer they are read into (image_io.cpp): from types wider and
// narrower than float and than 8-bit labels, over several conversion blocks of 4096 voxels, a voxel
// overwritten before it is read would show as a wrong value.
template <typename T>
void expect_read_as_stored(const fs::path& dir, const std::string& type) {
  const double low = std::is_signed_v<T> ? -100 : 0;
  const fs::path image = dir / ("image_" + type + ".nrrd"), labels = dir / ("labels_" + type + ".nrrd");
  write_typed_nrrd<T>(image, type,
                      [&](size_t i) { return low + double(i % 251) + (std::is_floating_point_v<T> ? 0.25 : 0); });
  write_typed_nrrd<T>(labels, type, [](size_t i) { return double(i % 7); });
  std::string stored_type;
  const auto voxels = read_image(image, &stored_type).voxels;
  EXPECT_EQ(stored_type, stored_pixel_type(image)) << type;  // one header read gives what a second one would
  ASSERT_EQ(voxels.size(), 9800u) << type;
  for (size_t i = 0; i < voxels.size(); ++i)
    ASSERT_EQ(voxels[i], float(static_cast<T>(low + double(i % 251) + (std::is_floating_point_v<T> ? 0.25 : 0))))
        << type << " voxel " << i;
  EXPECT_EQ(voxels, itk_voxels(image)) << type;
  const auto mask = read_mask(labels).voxels;
  ASSERT_EQ(mask.size(), 9800u) << type;
  for (size_t i = 0; i < mask.size(); ++i) ASSERT_EQ(mask[i], i % 7) << type << " voxel " << i;
}

TEST_F(NrrdPayloadTest, EveryStoredTypeReadsAsItIsStored) {
  expect_read_as_stored<uint8_t>(dir_, "uchar");
  expect_read_as_stored<int8_t>(dir_, "signed char");
  expect_read_as_stored<uint16_t>(dir_, "ushort");
  expect_read_as_stored<int16_t>(dir_, "short");
  expect_read_as_stored<uint32_t>(dir_, "uint");
  expect_read_as_stored<int32_t>(dir_, "int");
  expect_read_as_stored<uint64_t>(dir_, "ulonglong");
  expect_read_as_stored<int64_t>(dir_, "longlong");
  expect_read_as_stored<float>(dir_, "float");
  expect_read_as_stored<double>(dir_, "double");
  std::string stored_type;
  read_image(dir_ / "image_short.nrrd", &stored_type);
  EXPECT_EQ(stored_type, "short");
  read_image(dir_ / "image_uchar.nrrd", &stored_type);
  EXPECT_EQ(stored_type, "unsigned_char");
}

}  // namespace
}  // namespace vbiopsy::modalities
