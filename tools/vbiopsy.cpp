// The vbiopsy command line: `vbiopsy <command> [options]`; every command has --help.
#include <iostream>
#include <string>
#include <vector>

#include "core/error.h"
#include "tools/commands.h"

namespace {

struct Command {
  const char* name;
  const char* help;
  int (*run)(const std::vector<std::string>&);
};

const Command kCommands[] = {
    {"synth", "write the synthetic paired MG/US/MRI cohort (manifest, clinical table, images, truth/)",
     vbiopsy::tools::run_synth},
    {"validate", "load every case of a cohort and list every problem (exit 2 if any)",
     vbiopsy::tools::run_validate},
    {"radiomics", "IBSI radiomics features of one image and mask, as a long CSV (name,ibsi_id,value)",
     vbiopsy::tools::run_radiomics},
    {"extract", "radiomics of every case and modality into one wide CSV, cached and in parallel",
     vbiopsy::tools::run_extract},
    {"run", "an experiment or ablation grid: cross-validated models, predictions, metrics with CIs, DeLong, Shapley",
     vbiopsy::tools::run_run},
    {"predict", "one new case (case folder or manifest row) through a model bundle: prediction.json and a case report",
     vbiopsy::tools::run_predict},
    {"report", "rebuild report.html (self-contained, inline SVG) from a run's files", vbiopsy::tools::run_report},
    {"reproduce", "rerun a run from its run.json and report any difference in predictions.csv or metrics.json",
     vbiopsy::tools::run_reproduce},
    {"list", "every registered encoder, fusion method and classifier with its options",
     vbiopsy::tools::run_list},
};

void usage(std::ostream& out) {
  out << "vbiopsy - virtual biopsy of HER2 status (zero / low / positive) from MG, US, MRI and clinical data\n\n"
         "usage: vbiopsy <command> [options]     (vbiopsy <command> --help for its options)\n\ncommands:\n";
  for (const auto& c : kCommands) out << "  " << c.name << std::string(12 - std::string(c.name).size(), ' ') << c.help << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    usage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? 64 : 0;
  }
  const std::string name = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& c : kCommands) {
    if (name != c.name) continue;
    try {
      return c.run(args);
    } catch (const vbiopsy::core::Error& e) {
      std::cerr << "vbiopsy " << name << ": error: " << e.what() << "\n";
      return 1;
    } catch (const std::exception& e) {
      std::cerr << "vbiopsy " << name << ": error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "vbiopsy: unknown command '" << name << "'\n\n";
  usage(std::cerr);
  return 64;
}
