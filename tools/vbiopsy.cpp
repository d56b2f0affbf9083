// vbiopsy: the command line users call, `vbiopsy <command> [options]`. It parses the command's
// options itself, so --help and mistakes are answered at once, then replaces itself (execv) by the
// program that links what the command needs, with the same arguments:
//   vbiopsy-radiomics  radiomics and filter of NIfTI, NRRD and MetaImage files (ITK, FFTW, Qhull)
//   vbiopsy-data       synth, validate, extract, and radiomics or filter of DICOM files and
//                      pictures (DCMTK and OpenCV as well)
//   vbiopsy-learn      the commands that train or apply models (LibTorch as well)
// Each library costs start-up time (the dynamic loader maps and relocates it at every start), so a
// per-case radiomics call from a script pays only for ITK's readers, not for DCMTK, OpenCV or LibTorch.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>

#include "core/error.h"
#include "core/files.h"
#include "core/runtime.h"
#include "tools/command_options.h"

namespace {
namespace fs = std::filesystem;
using namespace vbiopsy::tools;

// The program to start, or nullopt when --help was printed.
using Route = std::optional<const char*>;

struct Entry {
  const char* name;
  const char* help;
  std::function<Route(const std::vector<std::string>&)> parse;
};

// A command that always runs in one program.
template <typename Args>
Entry entry(const char* name, const char* help, const char* program) {
  return {name, help, [program](const std::vector<std::string>& args) -> Route {
            Args a;
            if (!parse_command_line(args, a)) return std::nullopt;
            return program;
          }};
}

// NIfTI, NRRD or MetaImage, which vbiopsy-radiomics reads; DICOM and pictures need vbiopsy-data.
bool volume_file(const std::string& path) {
  const auto* suffix = vbiopsy::core::image_suffix_of(fs::path(path).filename().string());
  return suffix && suffix->kind == vbiopsy::core::ImageFileKind::kVolume && !fs::is_directory(path);
}

const std::vector<Entry>& commands() {
  static const std::vector<Entry> table = {
      entry<SynthArgs>("synth",
                       "write the synthetic paired MG/US/MRI cohort (manifest, clinical table, images, truth/)",
                       "vbiopsy-data"),
      entry<ValidateArgs>("validate", "load every case of a cohort and list every problem (exit 2 if any)",
                          "vbiopsy-data"),
      {"radiomics", "IBSI radiomics features of one image and mask, as a long CSV (name,ibsi_id,value)",
       [](const std::vector<std::string>& args) -> Route {
         RadiomicsArgs a;
         if (!parse_command_line(args, a)) return std::nullopt;
         return volume_file(a.image) && volume_file(a.mask) ? "vbiopsy-radiomics" : "vbiopsy-data";
       }},
      {"filter", "an IBSI 2 convolutional filter's response map (mean, LoG, Laws, Gabor, wavelets, Simoncelli)",
       [](const std::vector<std::string>& args) -> Route {
         FilterArgs a;
         if (!parse_command_line(args, a)) return std::nullopt;
         return volume_file(a.image) && volume_file(a.out) ? "vbiopsy-radiomics" : "vbiopsy-data";
       }},
      entry<ExtractArgs>("extract", "radiomics of every case and modality into one wide CSV, cached and in parallel",
                         "vbiopsy-data"),
      entry<RunArgs>("run",
                     "an experiment or ablation grid: cross-validated models, predictions, metrics with CIs, DeLong, "
                     "Shapley",
                     "vbiopsy-learn"),
      entry<PredictArgs>(
          "predict",
          "one new case (case folder or manifest row) through a model bundle: prediction.json and a case report",
          "vbiopsy-learn"),
      entry<ReportArgs>("report", "rebuild report.html (self-contained, inline SVG) from a run's files",
                        "vbiopsy-learn"),
      entry<ReproduceArgs>("reproduce",
                           "rerun a run from its run.json and report any difference in predictions.csv or metrics.json",
                           "vbiopsy-learn"),
      entry<ListArgs>("list", "every registered encoder, fusion method and classifier with its options",
                      "vbiopsy-learn"),
  };
  return table;
}

void usage(std::ostream& out) {
  out << "vbiopsy - virtual biopsy of HER2 status (zero / low / positive) from MG, US, MRI and clinical data\n\n"
         "usage: vbiopsy <command> [options]     (vbiopsy <command> --help for its options; vbiopsy "
         "--version)\n\ncommands:\n";
  for (const auto& c : commands())
    out << "  " << c.name << std::string(12 - std::string(c.name).size(), ' ') << c.help << "\n";
}

// Replaces this process by `program` from this program's folder, with the same arguments.
// Returns only on failure.
int start(const char* program, char** argv) {
  std::error_code error;
  const auto self = fs::read_symlink("/proc/self/exe", error);
  const auto path = (error ? fs::path(argv[0]) : self).parent_path() / program;
  vbiopsy::core::select_blas_kernels();  // read by OpenBLAS as the program loads it
  if (std::strcmp(program, "vbiopsy-radiomics") == 0) vbiopsy::core::select_huge_pages_for_large_blocks();
  execv(path.c_str(), argv);
  std::cerr << "vbiopsy " << argv[1] << ": error: cannot run " << path.string() << " (" << std::strerror(errno)
            << "); it is built with vbiopsy and must stay in the same folder\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    usage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? 64 : 0;
  }
  const std::string name = argv[1];
  if (name == "--version") {
    std::cout << "vbiopsy " << VBIOPSY_VERSION << "\n";
    return 0;
  }
  for (const auto& c : commands()) {
    if (name != c.name) continue;
    Route program;
    try {
      program = c.parse(std::vector<std::string>(argv + 2, argv + argc));
    } catch (const std::exception& e) {
      std::cerr << "vbiopsy " << name << ": error: " << e.what() << "\n";
      return 1;
    }
    return program ? start(*program, argv) : 0;
  }
  std::cerr << "vbiopsy: unknown command '" << name << "'\n\n";
  usage(std::cerr);
  return 64;
}
