#pragma once
// Every command's options, bound to the fields of one struct per command. The programs that run a
// command parse them, and so does `vbiopsy` itself before it starts that program: --help and
// mistakes in the options are answered without loading ITK, DCMTK or LibTorch.
#include <string>
#include <vector>

#include "core/parallel.h"
#include "modalities/synthetic_cohort.h"
#include "tools/options.h"

namespace vbiopsy::tools {

struct SynthArgs {
  static constexpr const char* kUsage = "vbiopsy synth --out DIR [--cases N] [--seed S] [options]";
  modalities::SynthWriteOptions write;
  std::string out, prevalence = "0.2,0.5,0.3", mri_format = "nifti";
  unsigned threads = core::default_thread_count();
};
po::options_description options_of(SynthArgs& a);

struct ValidateArgs {
  static constexpr const char* kUsage = "vbiopsy validate --manifest M [--clinical C] [--config extract.ini]";
  std::string manifest, clinical, config;
  unsigned threads = core::default_thread_count();
};
po::options_description options_of(ValidateArgs& a);

struct RadiomicsArgs {
  static constexpr const char* kUsage =
      "vbiopsy radiomics --image I --mask M [--label L] [--params P.ini] [--compat ibsi|pyradiomics] [--threads N] "
      "--out F.csv";
  std::string image, mask, params, out, compat = "ibsi";
  int label = 0;
  unsigned threads = core::default_thread_count();
};
po::options_description options_of(RadiomicsArgs& a);

struct FilterArgs {
  static constexpr const char* kUsage = "vbiopsy filter --image I --params P.ini --out map.nii.gz";
  std::string image, params, out;
};
po::options_description options_of(FilterArgs& a);

struct ExtractArgs {
  static constexpr const char* kUsage = "vbiopsy extract --manifest M [--config C.ini] --out DIR";
  std::string manifest, clinical, config, out;
  unsigned threads = core::default_thread_count();
  bool skip_bad_cases = false;
};
po::options_description options_of(ExtractArgs& a);

struct RunArgs {
  static constexpr const char* kUsage = "vbiopsy run --config C.ini --out RUN_DIR [--manifest M --features F]";
  std::string config, out, manifest, features, extract_into;
  bool permute_labels = false, check = false;
};
po::options_description options_of(RunArgs& a);

struct PredictArgs {
  static constexpr const char* kUsage = "vbiopsy predict --model BUNDLE --case PATH --out DIR";
  std::string bundle, case_path, case_id, features, out;
  std::vector<std::string> embeddings;
  bool skip_bad_cases = false, card = false;
  unsigned threads = core::default_thread_count();
};
po::options_description options_of(PredictArgs& a);

struct ReportArgs {
  static constexpr const char* kUsage = "vbiopsy report --run RUN_DIR";
  std::string run;
};
po::options_description options_of(ReportArgs& a);

struct ReproduceArgs {
  static constexpr const char* kUsage = "vbiopsy reproduce --run RUN_DIR [--into DIR] [--map OLD=NEW ...]";
  std::string run, into;
  std::vector<std::string> maps;
};
po::options_description options_of(ReproduceArgs& a);

struct ListArgs {
  static constexpr const char* kUsage = "vbiopsy list";
};
po::options_description options_of(ListArgs& a);

// Parses args into a; false when --help was asked for (and printed). Mistakes throw core::Error.
template <typename Args>
bool parse_command_line(const std::vector<std::string>& args, Args& a, po::variables_map& values) {
  auto options = options_of(a);
  return parse_options(args, options, values, Args::kUsage);
}
template <typename Args>
bool parse_command_line(const std::vector<std::string>& args, Args& a) {
  po::variables_map values;
  return parse_command_line(args, a, values);
}

}  // namespace vbiopsy::tools
