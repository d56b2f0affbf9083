#pragma once
// OpenCV's picture codecs (imgcodecs), loaded on first use. The library pulls in GDAL, poppler,
// HDF5 and about 140 other shared libraries; linked normally, every start of the program would
// load them, even for a command that never reads a PNG. Same signatures as cv::imread, cv::imwrite
// and cv::imencode; a library that cannot be loaded is an error naming it.
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace vbiopsy::modalities::codecs {

cv::Mat imread(const std::string& path, int flags);
bool imwrite(const std::string& path, const cv::Mat& picture);
bool imencode(const std::string& extension, const cv::Mat& picture, std::vector<uchar>& bytes);

}  // namespace vbiopsy::modalities::codecs
