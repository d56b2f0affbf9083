// Every clinical variable a user gives reaches the cohort; units a table gets wrong are named; the
// case-folder layout takes every image type the readers take; INI keys outside a section are named.
#include "datasets/clinical_summary.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/ini.h"
#include "datasets/case_folder.h"
#include "datasets/clinical.h"
#include "tests/test_support.h"

namespace vbiopsy::datasets {
namespace {
namespace fs = std::filesystem;
const fs::path kShared = fs::path(VBIOPSY_TEST_DATA);

class ClinicalTest : public testing_support::TempFolderTest {
 protected:
  fs::path write(const std::string& name, const std::string& text) {
    core::write_file_atomic(dir_ / name, text);
    return dir_ / name;
  }
};
using testing_support::message_of;

TEST_F(ClinicalTest, StatusNodesMultifocalityMenopauseAndHistologyAreRead) {
  ClinicalValues v;
  set_clinical_field(v, "er_status", "Positive");
  set_clinical_field(v, "node_status", "pN1a");
  set_clinical_field(v, "multifocal", "unifocal");
  set_clinical_field(v, "menopausal_status", "Postmenopausal");
  set_clinical_field(v, "histology", "Invasive ductal carcinoma (NST)");
  EXPECT_EQ(v.er_positive, true);
  EXPECT_EQ(v.node_positive, true);
  EXPECT_EQ(v.multifocal, false);
  EXPECT_EQ(v.menopausal_status, "post");
  EXPECT_EQ(v.histology, "ductal");
  set_clinical_field(v, "node_status", "N0");
  set_clinical_field(v, "histology", "ILC");
  EXPECT_EQ(v.node_positive, false);
  EXPECT_EQ(v.histology, "lobular");
  set_clinical_field(v, "histology", "mucinous");
  EXPECT_EQ(v.histology, "other");
  EXPECT_EQ(canonical_clinical_column("Lymph_Node_Status"), "node_status");
  EXPECT_NE(message_of([&] {
              set_clinical_field(v, "menopausal_status", "sometimes");
            }).find("'sometimes' is not pre, peri or post"),
            std::string::npos);
  EXPECT_TRUE(is_label_column("HER2pos"));
  EXPECT_TRUE(is_label_column("ihc"));
  EXPECT_FALSE(is_label_column("HR"));
}

// The real I-SPY2 table (982 patients, its own column names): columns that are not canonical are
// kept per case for configs to name; the summary counts what the models will get.
TEST_F(ClinicalTest, EveryColumnOfARealTableReachesTheCohortAndIsSummarised) {
  const auto table = core::read_csv(kShared / "clinical/ispy2_metadata.csv");
  std::string manifest = "case_id,ihc\n", clinical;
  std::ifstream in(kShared / "clinical/ispy2_metadata.csv");
  std::string header;
  std::getline(in, header);
  clinical = "case_id" + header.substr(header.find(',')) + "\n";  // pid -> case_id
  std::string line;
  for (int r = 0; r < 40 && std::getline(in, line); ++r) {
    manifest += line.substr(0, line.find(',')) + ",1+\n";
    clinical += line + "\n";
  }
  const auto reading = read_cohort(write("manifest.csv", manifest), write("clinical.csv", clinical));
  ASSERT_TRUE(reading.problems.empty()) << to_string(reading.problems.front());
  const auto& first = reading.cohort.cases.front();
  EXPECT_EQ(first.clinical.age_years, 26.0);  // "age" is canonical
  EXPECT_EQ(first.clinical.extra.at("hr"), "0");
  EXPECT_EQ(first.clinical.extra.at("mp"), "0");
  EXPECT_EQ(first.clinical.extra.count("case_id"), 0u);
  bool age = false, hr = false;
  for (const auto& v : summarise_clinical(reading.cohort)) {
    if (v.name == "age") {
      age = true;
      EXPECT_EQ(v.given + v.missing, 40u);
      EXPECT_NE(v.values.find(" to "), std::string::npos);
    }
    if (v.name == "hr") {
      hr = true;
      EXPECT_EQ(v.given, 40u);
    }
  }
  EXPECT_TRUE(age && hr);
}

TEST_F(ClinicalTest, FractionsInAPercentageColumnAndCentimetreSizesAreNamed) {
  Cohort cohort;
  for (double ki67 : {0.15, 0.4, 0.05, 0.7}) {
    Case c;
    c.clinical.ki67_percent = ki67;
    c.clinical.tumour_size_mm = ki67 * 5;
    c.clinical.er_percent = 90;
    cohort.cases.push_back(c);
  }
  const auto warnings = clinical_unit_warnings(cohort);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("column ki67_percent: all 4 values lie between 0 and 1"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[1].find("tumour_size_mm"), std::string::npos) << warnings[1];
  for (auto& c : cohort.cases) c.clinical.ki67_percent = *c.clinical.ki67_percent * 100, c.clinical.tumour_size_mm = 25;
  EXPECT_TRUE(clinical_unit_warnings(cohort).empty());
}

TEST_F(ClinicalTest, CaseFoldersTakeEveryImageTypeAndNameAMissingMask) {
  const fs::path folder = dir_ / "case7";
  for (const char* name :
       {"mg/cc.pgm", "mg/cc_mask.tif", "mg/mlo.jpeg", "mg/mlo_mask.bmp", "us/frame1.ppm", "us/mask.tiff"})
    write(std::string("case7/") + name, "x");
  write("case7/mg/pixel_mm.txt", "0.085\n");
  const auto cells = case_folder_cells(folder);
  std::map<std::string, std::string> by_column(cells.begin(), cells.end());
  EXPECT_EQ(fs::path(by_column.at("mg_cc")).filename(), "cc.pgm");
  EXPECT_EQ(fs::path(by_column.at("mg_mlo_mask")).filename(), "mlo_mask.bmp");
  EXPECT_EQ(fs::path(by_column.at("us_frames")).filename(), "frame1.ppm");
  EXPECT_EQ(by_column.at("mg_pixel_mm"), "0.085");
  fs::remove(folder / "mg/mlo_mask.bmp");
  const std::string message = message_of([&] { case_folder_cells(folder); });
  EXPECT_NE(message.find((folder / "mg/mlo.jpeg").string() + " has no mask"), std::string::npos) << message;
  EXPECT_EQ(message.find("manifest.csv"), std::string::npos) << message;
}

TEST_F(ClinicalTest, ManifestPixelSizesAreReadAndChecked) {
  auto reading = read_cohort(write("m.csv",
                                   "case_id,ihc,mg_cc,mg_cc_box,mg_pixel_mm,us_frames,us_masks,us_pixel_mm\nA,0,cc.png,"
                                   "1;1;2;2,0.07,f.png,m.png,0.2\n"));
  ASSERT_TRUE(reading.problems.empty()) << to_string(reading.problems.front());
  EXPECT_EQ(reading.cohort.cases[0].mammography->pixel_mm, 0.07);
  EXPECT_EQ(reading.cohort.cases[0].ultrasound->pixel_mm, 0.2);
  reading = read_cohort(write("m2.csv", "case_id,ihc,mg_cc,mg_cc_box,mg_pixel_mm\nA,0,cc.png,1;1;2;2,-1\n"));
  ASSERT_EQ(reading.problems.size(), 1u);
  EXPECT_NE(to_string(reading.problems[0]).find("mg_pixel_mm = '-1' is not a pixel size"), std::string::npos);
}

TEST_F(ClinicalTest, IniKeysBeforeAnySectionAreNamedWithTheirLine) {
  const std::string text = "; PyRadiomics style\n\nbinWidth = 1\n[setting]\nlabel = 1\n";
  const std::string message = message_of([&] { core::require_keys_in_sections(text, "params.ini", "[setting]"); });
  EXPECT_NE(message.find("params.ini line 3: key 'binWidth' comes before any [section]"), std::string::npos) << message;
  EXPECT_NO_THROW(
      core::require_keys_in_sections("\xEF\xBB\xBF# comment\n[setting]\nbinWidth = 1\n", "ok.ini", "[setting]"));
  // Text that ends up in JSON records must be UTF-8: a Latin-1 byte is named with its line.
  EXPECT_NO_THROW(core::require_utf8("[cohort]\nmanifest = m\xC3\xBCnchen.csv\n", "ok.ini"));
  const std::string latin1 =
      message_of([&] { core::require_utf8("[cohort]\nmanifest = m\xFCnchen.csv\n", "run.ini"); });
  EXPECT_NE(latin1.find("run.ini line 2: byte 21 (0xfc) is not valid UTF-8"), std::string::npos) << latin1;
}

}  // namespace
}  // namespace vbiopsy::datasets
