#include "fusion/learners/classifier.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "core/error.h"
#include "fusion/learners/builtin.h"

namespace vbiopsy::fusion {

void register_builtin_classifiers(ClassifierRegistry& registry) {
  add_classifier<LogisticRegression>(registry);
  add_classifier<SupportVectorMachine>(registry);
  add_classifier<RandomForest>(registry);
  add_classifier<ExtraTrees>(registry);
  add_classifier<XGBoostClassifier>(registry);
}

const ClassifierRegistry& builtin_classifiers() {
  static const ClassifierRegistry registry("classifier", register_builtin_classifiers);
  return registry;
}

std::unique_ptr<Classifier> make_classifier(const std::string& name, const std::map<std::string, std::string>& options,
                                            uint64_t seed, int threads) {
  return builtin_classifiers().create(name, options, seed, threads);
}

std::unique_ptr<Classifier> load_classifier(const std::string& name, const nlohmann::json& state,
                                            const StateShape& shape) {
  auto out = make_classifier(name, {});
  try {
    if (!state.is_object()) core::fail("expected an object, found ", state.type_name());
    out->load(state, shape);
  } catch (const nlohmann::json::exception& e) {
    core::fail("classifier '", name, "' state: ", e.what());
  } catch (const cv::Exception& e) {
    core::fail("classifier '", name, "' state: OpenCV cannot read it: ", e.what());
  } catch (const core::Error& e) {
    core::fail("classifier '", name, "' state: ", e.what());
  }
  return out;
}

void require_state_shape(Eigen::Index features, long long classes, const StateShape& expected) {
  if (features != expected.features || classes != expected.classes)
    core::fail("fitted on ", features, " features and ", classes, " classes, but it is given ", expected.features,
               " features and ", expected.classes, " classes");
}

void require_finite(const char* field, const std::vector<double>& values, bool positive) {
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]) || (positive && !(values[i] > 0)))
      core::fail("'", field, "' value ", i, " is ", values[i], ", expected a finite number", positive ? " > 0" : "");
}

int check_training_data(const char* learner, const Eigen::MatrixXd& x, const std::vector<int>& y) {
  if (x.rows() != static_cast<Eigen::Index>(y.size()))
    core::fail(learner, ": ", x.rows(), " cases in x but ", y.size(), " labels");
  if (x.rows() < 2 || x.cols() < 1)
    core::fail(learner, ": needs at least 2 cases and 1 feature, got ", x.rows(), "x", x.cols());
  if (!x.allFinite()) core::fail(learner, ": the feature matrix holds NaN or infinite values (impute before fitting)");
  int classes = 0;
  for (int label : y) {
    if (label < 0) core::fail(learner, ": label ", label, " is negative");
    classes = std::max(classes, label + 1);
  }
  std::vector<int> counts(classes, 0);
  for (int label : y) ++counts[label];
  for (int k = 0; k < classes; ++k)
    if (counts[k] == 0) core::fail(learner, ": class ", k, " has no training case");
  if (classes < 2) core::fail(learner, ": needs at least two classes, got ", classes);
  return classes;
}

void PlattScaling::fit(const std::vector<double>& decision, const std::vector<bool>& positive) {
  double prior1 = 0, prior0 = 0;
  for (bool p : positive) (p ? prior1 : prior0) += 1;
  const double hi = (prior1 + 1) / (prior1 + 2), lo = 1 / (prior0 + 2);
  const size_t n = decision.size();
  std::vector<double> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = positive[i] ? hi : lo;
  a = 0;
  b = std::log((prior0 + 1) / (prior1 + 1));
  auto objective = [&](double aa, double bb) {
    double f = 0;
    for (size_t i = 0; i < n; ++i) {
      const double z = decision[i] * aa + bb;
      f += z >= 0 ? t[i] * z + std::log1p(std::exp(-z)) : (t[i] - 1) * z + std::log1p(std::exp(z));
    }
    return f;
  };
  double f = objective(a, b);
  for (int iteration = 0; iteration < 100; ++iteration) {
    double h11 = 1e-12, h22 = 1e-12, h21 = 0, g1 = 0, g2 = 0;
    for (size_t i = 0; i < n; ++i) {
      const double z = decision[i] * a + b;
      const double p = z >= 0 ? std::exp(-z) / (1 + std::exp(-z)) : 1 / (1 + std::exp(z));
      const double q = 1 - p, d2 = p * q, d1 = t[i] - p;
      h11 += decision[i] * decision[i] * d2;
      h22 += d2;
      h21 += decision[i] * d2;
      g1 += decision[i] * d1;
      g2 += d1;
    }
    if (std::abs(g1) < 1e-5 && std::abs(g2) < 1e-5) break;
    const double det = h11 * h22 - h21 * h21;
    const double da = -(h22 * g1 - h21 * g2) / det, db = -(-h21 * g1 + h11 * g2) / det;
    const double gd = g1 * da + g2 * db;
    double step = 1;
    while (step >= 1e-10) {
      const double fa = objective(a + step * da, b + step * db);
      if (fa < f + 1e-4 * step * gd) {
        a += step * da;
        b += step * db;
        f = fa;
        break;
      }
      step /= 2;
    }
    if (step < 1e-10) break;
  }
}

double PlattScaling::operator()(double decision) const {
  const double z = decision * a + b;
  return z >= 0 ? std::exp(-z) / (1 + std::exp(-z)) : 1 / (1 + std::exp(z));
}

}  // namespace vbiopsy::fusion

namespace vbiopsy::fusion {

cv::Mat to_cv_matrix(const Eigen::MatrixXd& x) {
  cv::Mat out(static_cast<int>(x.rows()), static_cast<int>(x.cols()), CV_32F);
  for (int i = 0; i < out.rows; ++i)
    for (int j = 0; j < out.cols; ++j) out.at<float>(i, j) = static_cast<float>(x(i, j));
  return out;
}

std::string opencv_model_text(const cv::Ptr<cv::ml::StatModel>& model) {
  cv::FileStorage storage(".xml", cv::FileStorage::WRITE | cv::FileStorage::MEMORY);
  storage << model->getDefaultName() << "{";
  model->write(storage);
  storage << "}";
  return storage.releaseAndGetString();
}

}  // namespace vbiopsy::fusion
