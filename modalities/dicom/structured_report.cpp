#include "modalities/dicom/structured_report.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmsr/dsrdoc.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "core/error.h"
#include "core/files.h"

namespace vbiopsy::modalities::dicom {
namespace fs = std::filesystem;
using core::fail;

namespace {

// Concepts without a DICOM (DCM) code come from our private coding scheme, identified in the
// document's Coding Scheme Identification Sequence.
constexpr const char* kScheme = "99VBIOPSY";

DSRCodedEntryValue own(const std::string& value, const std::string& meaning) {
  return DSRCodedEntryValue(value.c_str(), kScheme, meaning.c_str());
}
DSRCodedEntryValue dcm(const char* value, const char* meaning) { return DSRCodedEntryValue(value, "DCM", meaning); }

void check(const OFCondition& status, const std::string& what) {
  if (status.bad()) fail("DICOM SR: cannot set ", what, " (", status.text(), ")");
}

// DICOM ST/UT text: no backslash restriction, but keep it to one line per item.
std::string one_line(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

class Builder {
 public:
  explicit Builder(DSRDocument& document) : tree_(document.getTree()) {}

  void root(const DSRCodedEntryValue& title) {
    if (tree_.addContentItem(DSRTypes::RT_isRoot, DSRTypes::VT_Container) == 0)
      fail("DICOM SR: cannot add the root container");
    check(tree_.getCurrentContentItem().setConceptName(title), "the document title");
  }
  void text(const DSRCodedEntryValue& name, const std::string& value) {
    add(DSRTypes::VT_Text, name);
    check(tree_.getCurrentContentItem().setStringValue(one_line(value).c_str()), name.getCodeMeaning().c_str());
  }
  void code(const DSRCodedEntryValue& name, const DSRCodedEntryValue& value) {
    add(DSRTypes::VT_Code, name);
    check(tree_.getCurrentContentItem().setCodeValue(value), name.getCodeMeaning().c_str());
  }
  void percent(const DSRCodedEntryValue& name, double probability) {
    add(DSRTypes::VT_Num, name);
    char number[32];
    std::snprintf(number, sizeof number, "%.2f", 100 * probability);
    check(tree_.getCurrentContentItem().setNumericValue(
              DSRNumericMeasurementValue(number, DSRCodedEntryValue("%", "UCUM", "percent"))),
          name.getCodeMeaning().c_str());
  }

 private:
  void add(DSRTypes::E_ValueType type, const DSRCodedEntryValue& name) {
    const auto mode = first_ ? DSRTypes::AM_belowCurrent : DSRTypes::AM_afterCurrent;
    first_ = false;
    if (tree_.addContentItem(DSRTypes::RT_contains, type, mode) == 0)
      fail("DICOM SR: cannot add the item '", name.getCodeMeaning().c_str(), "'");
    check(tree_.getCurrentContentItem().setConceptName(name), name.getCodeMeaning().c_str());
  }

  DSRDocumentTree& tree_;
  bool first_ = true;
};

// A code per class name: "HER2-low" -> VB-HER2-LOW.
DSRCodedEntryValue class_code(const std::string& name) {
  std::string value = "VB-";
  for (char c : name) value += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return own(value, name);
}

// Texts in plain ASCII need no Specific Character Set (and then every reader takes them).
bool ascii(const PredictionReport& r) {
  std::string all = r.algorithm_name + r.algorithm_version + r.observation_subject + r.predicted_class +
                    r.prediction_set + r.statement;
  for (const auto& w : r.warnings) all += w;
  for (const auto& [name, p] : r.probabilities) all += name;
  return std::all_of(all.begin(), all.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace

InstanceReference instance_reference_of(const fs::path& file) {
  DcmFileFormat format;
  // Long values (pixel data) are read only when asked for; the header is all we use.
  if (format.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect).bad())
    fail(file.string(), ": not a readable DICOM file");
  auto* ds = format.getDataset();
  InstanceReference reference;
  const std::pair<DcmTagKey, std::string*> fields[] = {{DCM_StudyInstanceUID, &reference.study_uid},
                                                       {DCM_SeriesInstanceUID, &reference.series_uid},
                                                       {DCM_SOPClassUID, &reference.sop_class_uid},
                                                       {DCM_SOPInstanceUID, &reference.sop_instance_uid}};
  for (const auto& [tag, value] : fields) {
    OFString text;
    if (ds->findAndGetOFString(tag, text).bad() || text.empty())
      fail(file.string(), ": no ", DcmTag(tag).getTagName(), " (", tag.toString().c_str(), ")");
    *value = text.c_str();
  }
  return reference;
}

void write_prediction_sr(const PredictionReport& report, const fs::path& file) {
  DSRDocument document(DSRTypes::DT_ComprehensiveSR);
  if (!ascii(report)) check(document.setSpecificCharacterSetType(DSRTypes::CS_UTF8), "the character set");
  std::set<std::string> studies;
  for (const auto& r : report.evidence) studies.insert(r.study_uid);
  if (studies.size() == 1) check(document.createNewSeriesInStudy(studies.begin()->c_str()), "the study of the inputs");
  check(document.setManufacturer("vbiopsy"), "the manufacturer");
  check(document.setSoftwareVersions(report.algorithm_version.c_str()), "the software version");
  check(document.setSeriesDescription("HER2 virtual biopsy (research use only)"), "the series description");
  auto& schemes = document.getCodingSchemeIdentification();
  check(schemes.addItem(kScheme, "", "vbiopsy concepts", "vbiopsy"), "the coding scheme");

  Builder b(document);
  b.root(own("VB-REPORT", "HER2 status virtual biopsy"));
  b.text(dcm("121106", "Comment"), report.statement);
  b.text(dcm("111001", "Algorithm Name"), report.algorithm_name);
  b.text(dcm("111003", "Algorithm Version"), report.algorithm_version);
  b.text(own("VB-MODEL-SHA256", "Model bundle SHA-256"), report.model_sha256);
  b.text(own("VB-CASE", "Case identifier"), report.observation_subject);
  b.code(dcm("121071", "Finding"), class_code(report.predicted_class));
  for (size_t k = 0; k < report.probabilities.size(); ++k)
    b.percent(own("VB-P" + std::to_string(k + 1), "Probability of " + report.probabilities[k].first),
              report.probabilities[k].second);
  if (!report.prediction_set.empty()) b.text(own("VB-SET", "Prediction set"), report.prediction_set);
  for (const auto& warning : report.warnings) b.text(own("VB-WARNING", "Warning"), warning);

  auto& evidence = document.getCurrentRequestedProcedureEvidence();
  for (const auto& r : report.evidence)
    if (evidence.addItem(r.study_uid.c_str(), r.series_uid.c_str(), r.sop_class_uid.c_str(), r.sop_instance_uid.c_str())
            .bad())
      fail("DICOM SR: the input instance ", r.sop_instance_uid, " has invalid UIDs");

  check(document.completeDocument(), "the completion flag");
  DcmFileFormat format;
  check(document.write(*format.getDataset()), "the document");
  const fs::path temporary = core::temporary_sibling(file);
  const OFCondition status = format.saveFile(temporary.c_str(), EXS_LittleEndianExplicit);
  if (status.bad()) {
    fs::remove(temporary);
    fail(file.string(), ": cannot write the DICOM SR (", status.text(), ")");
  }
  core::commit_temporary(temporary, file);
}

}  // namespace vbiopsy::modalities::dicom
