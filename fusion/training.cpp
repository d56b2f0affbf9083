#include "fusion/training.h"

#include <ATen/Parallel.h>
#include <torch/nn/functional.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/serialize.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <numbers>

#include "core/error.h"
#include "core/files.h"
#include "core/metrics.h"
#include "core/random.h"
#include "fusion/archive_file.h"
#include "fusion/data_parallel.h"
#include "fusion/json_integers.h"

namespace vbiopsy::fusion {

namespace {

namespace nnf = torch::nn::functional;

// Stream identifiers mixed into derive_seed so that each use of randomness has its own stream.
enum Stream : uint64_t { kOrder = 1, kDropout = 2, kAugment = 3, kModalityDropout = 4, kSplit = 5 };

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using StateDict = std::map<std::string, torch::Tensor>;

StateDict snapshot(const torch::nn::Module& module) {
  StateDict state;
  for (const auto& item : module.named_parameters()) state[item.key()] = item.value().detach().clone();
  for (const auto& item : module.named_buffers()) state[item.key()] = item.value().detach().clone();
  return state;
}

void restore(torch::nn::Module& module, const StateDict& state) {
  torch::NoGradGuard no_grad;
  for (auto& item : module.named_parameters()) item.value().copy_(state.at(item.key()));
  for (auto& item : module.named_buffers()) item.value().copy_(state.at(item.key()));
}

double learning_rate_at(int64_t step, int64_t total, int64_t warmup, double base) {
  if (step < warmup) return base * static_cast<double>(step + 1) / static_cast<double>(warmup);
  const double progress =
      static_cast<double>(step - warmup) / static_cast<double>(std::max<int64_t>(1, total - warmup));
  return base * 0.5 * (1.0 + std::cos(std::numbers::pi * std::min(1.0, progress)));
}

std::vector<int64_t> permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  core::Rng rng(seed);
  for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.below(static_cast<uint64_t>(i + 1))]);
  return order;
}

torch::Tensor index_tensor(const std::vector<int64_t>& index) { return torch::tensor(index, torch::kInt64); }

std::vector<int64_t> to_vector(const torch::Tensor& t) {
  const auto c = t.to(torch::kInt64).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

double validation_macro_auc(const torch::Tensor& probabilities, const torch::Tensor& targets) {
  const auto p = probabilities.to(torch::kDouble).contiguous();
  return core::macro_auc({p.data_ptr<double>(), p.data_ptr<double>() + p.numel()}, to_vector(targets), kClasses);
}

// One optimisation problem: parameters, a loss on a batch of training indices, an optional
// validation AUC, and the module whose state is checkpointed and restored to the best epoch.
struct Loop {
  std::string name;
  torch::nn::Module* state = nullptr;
  std::vector<torch::Tensor> parameters;
  int64_t train_size = 0;
  std::function<torch::Tensor(const torch::Tensor& index, int64_t epoch)> loss;
  std::function<double()> validation_auc;  // empty = no validation
  std::string fingerprint;                 // settings the checkpoint must match
};

struct LoopState {
  int64_t next_epoch = 0;
  double best_auc = -std::numeric_limits<double>::infinity();
  int64_t best_epoch = -1;
  int64_t bad_epochs = 0;
  bool finished = false;
  std::vector<EpochReport> history;
};

nlohmann::json to_json(const LoopState& s, const std::string& fingerprint) {
  nlohmann::json history = nlohmann::json::array();
  for (const auto& r : s.history)
    history.push_back(
        {r.epoch, r.train_loss, std::isnan(r.validation_auc) ? nlohmann::json() : nlohmann::json(r.validation_auc)});
  return {{"next_epoch", s.next_epoch},
          {"best_auc", std::isfinite(s.best_auc) ? nlohmann::json(s.best_auc) : nlohmann::json()},
          {"best_epoch", s.best_epoch},
          {"bad_epochs", s.bad_epochs},
          {"finished", s.finished},
          {"history", history},
          {"fingerprint", fingerprint}};
}

void save_checkpoint(const std::filesystem::path& path, const Loop& loop, const torch::optim::Optimizer& optimizer,
                     const StateDict& best, const LoopState& state) {
  torch::serialize::OutputArchive archive;
  archive.write("loop", c10::IValue(to_json(state, loop.fingerprint).dump()));
  torch::serialize::OutputArchive model, optimiser, best_archive;
  loop.state->save(model);
  optimizer.save(optimiser);
  for (const auto& [key, value] : best) best_archive.write(key, value);
  archive.write("model", model);
  archive.write("optimizer", optimiser);
  archive.write("best", best_archive);
  // Written atomically, so a kill never leaves a truncated checkpoint.
  save_archive_atomic(archive, path);
}

LoopState load_checkpoint(const std::filesystem::path& path, Loop& loop, torch::optim::Optimizer& optimizer,
                          StateDict& best) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string());
    c10::IValue text;
    archive.read("loop", text);
    const auto json = nlohmann::json::parse(text.toStringRef());
    if (json.at("fingerprint").get<std::string>() != loop.fingerprint)
      core::fail("checkpoint ", path.string(),
                 " was written for other settings or data; delete it or use another checkpoint directory");
    LoopState state;
    state.next_epoch = json_integer<int64_t>(json.at("next_epoch"), "next_epoch", 0);
    state.best_auc =
        json.at("best_auc").is_null() ? -std::numeric_limits<double>::infinity() : json.at("best_auc").get<double>();
    state.best_epoch = json_integer<int64_t>(json.at("best_epoch"), "best_epoch");
    state.bad_epochs = json_integer<int64_t>(json.at("bad_epochs"), "bad_epochs", 0);
    state.finished = json.at("finished").get<bool>();
    for (const auto& r : json.at("history"))
      state.history.push_back({json_integer<int64_t>(r[0], "history epoch"), r[1].get<double>(),
                               r[2].is_null() ? kNaN : r[2].get<double>()});
    torch::serialize::InputArchive model, optimiser, best_archive;
    archive.read("model", model);
    archive.read("optimizer", optimiser);
    archive.read("best", best_archive);
    loop.state->load(model);
    optimizer.load(optimiser);
    for (auto& [key, value] : best) best_archive.read(key, value);
    return state;
  } catch (const c10::Error& e) {
    core::fail("checkpoint ", path.string(), " cannot be read: ", e.what_without_backtrace());
  } catch (const nlohmann::json::exception& e) {
    core::fail("checkpoint ", path.string(), " has a malformed record: ", e.what());
  }
}

// One step's backward in a data-parallel group: this rank's shard of the batch, its loss weighted by
// the shard's share, and the gradients summed over the ranks, which gives every rank the gradient of
// the whole batch's mean loss. Returns that loss.
double data_parallel_backward(Loop& loop, const torch::Tensor& index, int64_t epoch, DataParallelGroup& group) {
  const int64_t batch = index.size(0);
  const auto [from, to] = group.shard(batch);
  double part = 0;
  if (to > from) {
    const auto loss = loop.loss(index.slice(0, from, to), epoch) * (static_cast<double>(to - from) / double(batch));
    loss.backward();
    part = loss.item<double>();
  }
  // The batch's loss travels with the gradients, in their type: one collective per step.
  const auto loss = torch::tensor({part}, loop.parameters.front().scalar_type());
  group.sum_gradients(loop.parameters, {loss});
  return loss.item<double>();
}

// The ranks' running statistics (batch normalisation), each measured on its own shards, averaged so
// that every rank evaluates the same model.
void average_statistics(torch::nn::Module& module, DataParallelGroup& group) {
  std::vector<at::Tensor> statistics;
  for (const auto& b : module.buffers())
    if (b.is_floating_point()) statistics.push_back(b);
  group.sum(statistics);
  torch::NoGradGuard no_grad;
  for (auto& b : statistics) b.div_(group.size());
}

// Runs the epochs of one loop; returns false when on_epoch asked to stop.
bool run_loop(Loop& loop, const TrainingOptions& options, TrainingResult& result) {
  torch::optim::AdamW optimizer(loop.parameters,
                                torch::optim::AdamWOptions(options.learning_rate).weight_decay(options.weight_decay));
  const int64_t steps_per_epoch = (loop.train_size + options.batch_size - 1) / options.batch_size;
  const int64_t total_steps = steps_per_epoch * options.epochs;
  const int64_t warmup_steps = steps_per_epoch * options.warmup_epochs;
  StateDict best = snapshot(*loop.state);
  LoopState state;
  std::filesystem::path checkpoint;
  if (!options.checkpoint_dir.empty()) {
    std::filesystem::create_directories(options.checkpoint_dir);
    checkpoint = options.checkpoint_dir / (loop.name + ".pt");
    if (std::filesystem::exists(checkpoint)) state = load_checkpoint(checkpoint, loop, optimizer, best);
  }
  DataParallelGroup* group = options.data_parallel           ? options.data_parallel.get()
                             : options.distributed == "gloo" ? &DataParallelGroup::of_this_process()
                                                             : nullptr;
  if (group && group->size() == 1) group = nullptr;
  if (group) {  // every rank starts from rank 0's parameters and buffers
    auto tensors = loop.state->parameters();
    for (const auto& b : loop.state->buffers()) tensors.push_back(b);
    group->broadcast(tensors);
  }
  for (int64_t epoch = state.next_epoch; epoch < options.epochs && !state.finished; ++epoch) {
    loop.state->train();
    torch::manual_seed(core::derive_seed(options.seed, {kDropout, static_cast<uint64_t>(epoch)}));
    const auto order =
        permutation(loop.train_size, core::derive_seed(options.seed, {kOrder, static_cast<uint64_t>(epoch)}));
    double loss_sum = 0;
    for (int64_t step = 0; step < steps_per_epoch; ++step) {
      const int64_t begin = step * options.batch_size, end = std::min(loop.train_size, begin + options.batch_size);
      const auto index = index_tensor({order.begin() + begin, order.begin() + end});
      const double rate =
          learning_rate_at(epoch * steps_per_epoch + step, total_steps, warmup_steps, options.learning_rate);
      for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(rate);
      optimizer.zero_grad();
      const double batch_loss = group ? data_parallel_backward(loop, index, epoch, *group) : [&] {
        const auto loss = loop.loss(index, epoch);
        loss.backward();
        return loss.item<double>();
      }();
      if (options.clip_norm > 0) torch::nn::utils::clip_grad_norm_(loop.parameters, options.clip_norm);
      optimizer.step();
      loss_sum += batch_loss * static_cast<double>(end - begin);
    }
    if (group) average_statistics(*loop.state, *group);
    EpochReport report{epoch, loss_sum / static_cast<double>(loop.train_size), kNaN};
    if (loop.validation_auc) {
      loop.state->eval();
      torch::NoGradGuard no_grad;
      report.validation_auc = loop.validation_auc();
      if (group) {  // every rank decides on rank 0's figure, so that all stop at the same epoch
        std::vector<at::Tensor> auc{torch::tensor({report.validation_auc}, torch::kDouble)};
        group->broadcast(auc);
        report.validation_auc = auc[0].item<double>();
      }
    }
    // Without validation the last epoch is kept; with it, the best (ties keep the earlier epoch).
    const bool improved =
        !loop.validation_auc || (!std::isnan(report.validation_auc) && report.validation_auc > state.best_auc);
    if (improved) {
      state.best_auc = loop.validation_auc ? report.validation_auc : state.best_auc;
      state.best_epoch = epoch;
      state.bad_epochs = 0;
      best = snapshot(*loop.state);
    } else {
      ++state.bad_epochs;
    }
    state.history.push_back(report);
    state.next_epoch = epoch + 1;
    state.finished =
        state.next_epoch >= options.epochs || (loop.validation_auc && state.bad_epochs >= options.patience);
    if (!checkpoint.empty() && (!group || group->rank() == 0))
      save_checkpoint(checkpoint, loop, optimizer, best, state);
    if (options.on_epoch && !options.on_epoch(report)) {
      result.history.insert(result.history.end(), state.history.begin(), state.history.end());
      return false;
    }
  }
  restore(*loop.state, best);
  result.history.insert(result.history.end(), state.history.begin(), state.history.end());
  result.best_epoch = state.best_epoch;
  result.best_validation_auc = std::isfinite(state.best_auc) ? state.best_auc : kNaN;
  return true;
}

// Stratified inner split: every class contributes `fraction` of its cases to validation.
std::pair<std::vector<int64_t>, std::vector<int64_t>> stratified_split(const torch::Tensor& targets, double fraction,
                                                                       uint64_t seed) {
  const auto labels = to_vector(targets);
  std::vector<int64_t> train, validation;
  for (int64_t k = 0; k < kClasses; ++k) {
    std::vector<int64_t> members;
    for (size_t i = 0; i < labels.size(); ++i)
      if (labels[i] == k) members.push_back(static_cast<int64_t>(i));
    const auto order =
        permutation(static_cast<int64_t>(members.size()), core::derive_seed(seed, {kSplit, static_cast<uint64_t>(k)}));
    const auto held_out = static_cast<size_t>(std::llround(fraction * static_cast<double>(members.size())));
    for (size_t j = 0; j < order.size(); ++j) (j < held_out ? validation : train).push_back(members[order[j]]);
  }
  std::sort(train.begin(), train.end());
  std::sort(validation.begin(), validation.end());
  return {train, validation};
}

// Hides present modalities with probability p, keeping at least one, seeded per case and epoch.
torch::Tensor drop_modalities(const torch::Tensor& present, const std::vector<int64_t>& case_ids, double p,
                              uint64_t seed, int64_t epoch) {
  if (p <= 0) return present;
  auto out = present.to(torch::kBool).clone();
  auto accessor = out.accessor<bool, 2>();
  for (int64_t i = 0; i < out.size(0); ++i) {
    core::Rng rng(
        core::derive_seed(seed, {kModalityDropout, static_cast<uint64_t>(epoch), static_cast<uint64_t>(case_ids[i])}));
    std::vector<int64_t> kept, had;
    for (int64_t m = 0; m < out.size(1); ++m) {
      if (!accessor[i][m]) continue;
      had.push_back(m);
      if (rng.bernoulli(p))
        accessor[i][m] = false;
      else
        kept.push_back(m);
    }
    if (kept.empty() && !had.empty()) accessor[i][had[rng.below(had.size())]] = true;
  }
  return out;
}

// The training view of a batch: augmented images and modality dropout.
Batch training_view(MultimodalModel& model, Batch batch, const std::vector<int64_t>& case_ids,
                    const TrainingOptions& options, int64_t epoch) {
  if (options.augment)
    for (size_t m = 0; m < batch.inputs.size(); ++m)
      if (const int dims = model->encoder(m).spatial_dims(); dims > 0)
        batch.inputs[m].values = augment_images(
            batch.inputs[m].values, dims, core::derive_seed(options.seed, {static_cast<uint64_t>(m)}), epoch, case_ids);
  batch.present = drop_modalities(batch.present, case_ids, options.modality_dropout, options.seed, epoch);
  return batch;
}

std::string fingerprint(const MultimodalModel& model, const TrainingOptions& o, int64_t train_size,
                        const std::string& stage) {
  return nlohmann::json{{"spec", to_json(model->spec())},
                        {"stage", stage},
                        {"train_size", train_size},
                        {"epochs", o.epochs},
                        {"batch_size", o.batch_size},
                        {"learning_rate", o.learning_rate},
                        {"weight_decay", o.weight_decay},
                        {"warmup_epochs", o.warmup_epochs},
                        {"patience", o.patience},
                        {"clip_norm", o.clip_norm},
                        {"modality_dropout", o.modality_dropout},
                        {"augment", o.augment},
                        {"validation_fraction", o.validation_fraction},
                        {"mode", o.mode},
                        {"seed", o.seed},
                        {"threads", o.threads}}
      .dump();
}

std::vector<torch::Tensor> parameters_of(const torch::nn::Module& module) {
  std::vector<torch::Tensor> out;
  for (const auto& p : module.parameters())
    if (p.requires_grad()) out.push_back(p);
  return out;
}

// Embeddings of every case with the encoders in evaluation mode (frozen).
std::vector<torch::Tensor> embed_all(MultimodalModel& model, const Batch& data, int64_t batch_size) {
  model->eval();
  torch::NoGradGuard no_grad;
  std::vector<std::vector<torch::Tensor>> parts(model->modality_count());
  for (int64_t begin = 0; begin < data.size(); begin += batch_size) {
    const auto index = torch::arange(begin, std::min(data.size(), begin + batch_size), torch::kInt64);
    const auto embeddings = model->embed(select_cases(data, index));
    for (size_t m = 0; m < embeddings.size(); ++m) parts[m].push_back(embeddings[m]);
  }
  std::vector<torch::Tensor> out;
  for (auto& p : parts) out.push_back(torch::cat(p, 0));
  return out;
}

std::vector<torch::Tensor> rows(const std::vector<torch::Tensor>& tensors, const torch::Tensor& index) {
  std::vector<torch::Tensor> out;
  for (const auto& t : tensors) out.push_back(t.index_select(0, index));
  return out;
}

bool train_end_to_end(MultimodalModel& model, const Batch& train, const Batch* validation,
                      const TrainingOptions& options, TrainingResult& result) {
  Loop loop;
  loop.name = "end_to_end";
  loop.state = model.get();
  loop.parameters = parameters_of(*model);
  loop.train_size = train.size();
  loop.fingerprint = fingerprint(model, options, train.size(), loop.name);
  loop.loss = [&](const torch::Tensor& index, int64_t epoch) {
    return model->forward(training_view(model, select_cases(train, index), to_vector(index), options, epoch)).loss;
  };
  if (validation)
    loop.validation_auc = [&] {
      return validation_macro_auc(predict(model, *validation).probabilities, validation->targets);
    };
  return run_loop(loop, options, result);
}

// Stage 1: each encoder with its own head on the cases that have its modality. Stage 2: the fusion
// on the frozen encoders' embeddings (computed once), which is what makes an ablation grid cheap.
bool train_two_stage(MultimodalModel& model, const Batch& train, const Batch* validation,
                     const TrainingOptions& options, TrainingResult& result) {
  const auto present = train.present.to(torch::kBool);
  for (size_t m = 0; m < model->modality_count() && !options.encoders_pretrained; ++m) {
    const auto cases = present.select(1, static_cast<int64_t>(m)).nonzero().squeeze(1);
    if (cases.numel() == 0)
      core::fail("two-stage training: no training case has modality '", model->spec().modalities[m].name, "'");
    auto& encoder = model->encoder(m);
    // The checkpointed state is the whole model plus this stage's head, so that a resumed run
    // also gets back the initial weights of the parts not trained yet.
    torch::nn::Module stage;
    stage.register_module("model", model.ptr());
    auto head = stage.register_module("head", Head(encoder.embedding_dim(), model->spec().head));
    Loop loop;
    loop.name = "stage1_" + model->spec().modalities[m].name;
    loop.state = &stage;
    loop.parameters = parameters_of(encoder);
    for (const auto& p : head->parameters()) loop.parameters.push_back(p);
    loop.train_size = cases.numel();
    loop.fingerprint = fingerprint(model, options, loop.train_size, loop.name);
    loop.loss = [&, m](const torch::Tensor& index, int64_t epoch) {
      const auto rows_index = cases.index_select(0, index);
      auto input = train.inputs[m];
      input = {input.values.index_select(0, rows_index),
               input.item_mask.defined() ? input.item_mask.index_select(0, rows_index) : torch::Tensor()};
      if (options.augment && encoder.spatial_dims() > 0)
        input.values =
            augment_images(input.values, encoder.spatial_dims(),
                           core::derive_seed(options.seed, {static_cast<uint64_t>(m)}), epoch, to_vector(rows_index));
      return head->loss(head->forward(encoder.forward(input)), train.targets.index_select(0, rows_index));
    };
    torch::Tensor validation_cases;
    if (validation)
      validation_cases = validation->present.to(torch::kBool).select(1, static_cast<int64_t>(m)).nonzero().squeeze(1);
    if (validation && validation_cases.numel() > 0)
      loop.validation_auc = [&, m] {
        const auto& input = validation->inputs[m];
        const auto probabilities = head->probabilities(head->forward(encoder.forward(
            {input.values.index_select(0, validation_cases),
             input.item_mask.defined() ? input.item_mask.index_select(0, validation_cases) : torch::Tensor()})));
        return validation_macro_auc(probabilities, validation->targets.index_select(0, validation_cases));
      };
    if (!run_loop(loop, options, result)) return false;
  }
  for (auto& p : model->parameters()) p.requires_grad_(false);
  for (auto& p : model->fusion().parameters()) p.requires_grad_(true);
  const auto train_embeddings = embed_all(model, train, options.batch_size);
  std::vector<torch::Tensor> validation_embeddings;
  if (validation) validation_embeddings = embed_all(model, *validation, options.batch_size);
  auto& fusion = model->fusion();
  Loop loop;
  loop.name = "stage2_fusion";
  loop.state = model.get();
  loop.parameters = parameters_of(fusion);
  loop.train_size = train.size();
  loop.fingerprint = fingerprint(model, options, train.size(), loop.name);
  loop.loss = [&](const torch::Tensor& index, int64_t epoch) {
    const auto ids = to_vector(index);
    const auto mask =
        drop_modalities(train.present.index_select(0, index), ids, options.modality_dropout, options.seed, epoch);
    return fusion.forward({rows(train_embeddings, index), mask}, train.targets.index_select(0, index)).loss;
  };
  if (validation)
    loop.validation_auc = [&] {
      return validation_macro_auc(
          fusion.forward({validation_embeddings, validation->present.to(torch::kBool)}, {}).probabilities,
          validation->targets);
    };
  const bool done = run_loop(loop, options, result);
  for (auto& p : model->parameters()) p.requires_grad_(true);
  return done;
}

}  // namespace

std::vector<core::OptionSpec> training_option_specs() {
  return {{"epochs", "40", "maximum epochs"},
          {"batch_size", "32", "cases per optimisation step"},
          {"learning_rate", "0.001", "AdamW peak learning rate (cosine decay after warm-up)"},
          {"weight_decay", "0.01", "AdamW decoupled weight decay"},
          {"warmup_epochs", "2", "linear warm-up epochs"},
          {"patience", "10", "early stopping: epochs without a better inner-validation macro-AUC"},
          {"clip_norm", "1.0", "gradient norm clipping (0 = off)"},
          {"modality_dropout", "0", "probability of hiding a present modality during training"},
          {"augment", "true", "flips, small rotations, intensity jitter for the image encoders"},
          {"validation_fraction", "0.2", "inner validation split for early stopping (0 = train all epochs)"},
          {"mode", "end_to_end",
           "end_to_end | two_stage (encoders with their own heads, then fusion on frozen embeddings)"},
          {"seed", "1", "seed of initialisation, batches, dropout and augmentation"},
          {"threads", "1", "LibTorch intra-op threads (results depend on it: it is recorded)"},
          {"distributed", "none",
           "none | gloo: one model trained by the ranks of an mpirun/srun job, each on a shard of every batch "
           "(c10d ProcessGroupGloo, meeting at MASTER_ADDR:MASTER_PORT)"}};
}

TrainingOptions training_options_from(const std::map<std::string, std::string>& given) {
  const core::ResolvedOptions o("training", training_option_specs(), given);
  TrainingOptions out;
  out.epochs = o.integer("epochs");
  out.batch_size = o.integer("batch_size");
  out.learning_rate = o.real("learning_rate");
  out.weight_decay = o.real("weight_decay");
  out.warmup_epochs = o.integer("warmup_epochs");
  out.patience = o.integer("patience");
  out.clip_norm = o.real("clip_norm");
  out.modality_dropout = o.real("modality_dropout");
  out.augment = o.flag("augment");
  out.validation_fraction = o.real("validation_fraction");
  out.mode = o.text("mode");
  out.seed = static_cast<uint64_t>(o.integer("seed"));
  out.threads = static_cast<int>(o.integer("threads"));
  out.distributed = o.text("distributed");
  if (out.distributed != "none" && out.distributed != "gloo")
    core::fail("training: option 'distributed' = '", out.distributed, "', expected none or gloo");
  if (out.epochs < 1 || out.batch_size < 1 || out.threads < 1)
    core::fail("training: epochs, batch_size and threads must be >= 1 (got ", out.epochs, ", ", out.batch_size, ", ",
               out.threads, ")");
  if (out.mode != "end_to_end" && out.mode != "two_stage")
    core::fail("training: option 'mode' = '", out.mode, "', expected end_to_end or two_stage");
  if (out.modality_dropout < 0 || out.modality_dropout >= 1 || out.validation_fraction < 0 ||
      out.validation_fraction >= 1)
    core::fail("training: modality_dropout and validation_fraction must be in [0, 1)");
  return out;
}

TrainingResult train_model(MultimodalModel& model, const Batch& train, const Batch* validation,
                           const TrainingOptions& options) {
  check_batch(model->spec(), train);
  if (!train.targets.defined()) core::fail("training data has no targets");
  at::set_num_threads(options.threads);
  Batch inner_train, inner_validation;
  const Batch* train_data = &train;
  if (validation) {
    check_batch(model->spec(), *validation);
  } else if (options.validation_fraction > 0) {
    const auto [train_index, validation_index] =
        stratified_split(train.targets, options.validation_fraction, options.seed);
    inner_train = select_cases(train, index_tensor(train_index));
    inner_validation = select_cases(train, index_tensor(validation_index));
    train_data = &inner_train;
    if (inner_validation.size() > 0) validation = &inner_validation;
  }
  TrainingResult result;
  result.completed = options.mode == "two_stage" ? train_two_stage(model, *train_data, validation, options, result)
                                                 : train_end_to_end(model, *train_data, validation, options, result);
  model->eval();
  return result;
}

Prediction predict(MultimodalModel& model, const Batch& data, int64_t batch_size) {
  check_batch(model->spec(), data);
  const bool was_training = model->is_training();
  model->eval();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> probabilities, weights, per_modality;
  for (int64_t begin = 0; begin < data.size(); begin += batch_size) {
    auto batch = select_cases(data, torch::arange(begin, std::min(data.size(), begin + batch_size), torch::kInt64));
    batch.targets = torch::Tensor();
    const auto out = model->forward(batch);
    probabilities.push_back(out.probabilities);
    if (out.modality_weights.defined()) weights.push_back(out.modality_weights);
    if (out.modality_probabilities.defined()) per_modality.push_back(out.modality_probabilities);
  }
  model->train(was_training);
  Prediction out;
  out.probabilities = torch::cat(probabilities, 0);
  if (!weights.empty()) out.modality_weights = torch::cat(weights, 0);
  if (!per_modality.empty()) out.modality_probabilities = torch::cat(per_modality, 0);
  return out;
}

torch::Tensor augment_images(const torch::Tensor& values, int spatial_dims, uint64_t seed, int64_t epoch,
                             const std::vector<int64_t>& case_ids) {
  TORCH_CHECK(spatial_dims == 2 || spatial_dims == 3, "augmentation is for 2D or 3D images");
  TORCH_CHECK(values.dim() >= spatial_dims + 2 && values.size(0) == static_cast<int64_t>(case_ids.size()),
              "augmentation expects [N,...,C,spatial] with N = ", case_ids.size(), ", got ", values.sizes());
  // Every image (each view or slice of a case) gets its own transform: flips, a rotation of up to
  // 10 degrees in-plane, and intensity scale 0.9-1.1 and shift +-0.1.
  const int64_t n = values.size(0);
  std::vector<int64_t> image_shape(values.sizes().end() - spatial_dims - 1, values.sizes().end());
  std::vector<int64_t> flat_shape{-1};
  flat_shape.insert(flat_shape.end(), image_shape.begin(), image_shape.end());
  const auto flat = values.reshape(flat_shape);
  const int64_t per_case = flat.size(0) / n;
  const int64_t rows = spatial_dims + 1;
  auto theta = torch::zeros({flat.size(0), spatial_dims, rows}, torch::kFloat);
  auto scale = torch::ones({flat.size(0)}, torch::kFloat), shift = torch::zeros({flat.size(0)}, torch::kFloat);
  auto t = theta.accessor<float, 3>();
  for (int64_t i = 0; i < flat.size(0); ++i) {
    core::Rng rng(
        core::derive_seed(seed, {kAugment, static_cast<uint64_t>(epoch), static_cast<uint64_t>(case_ids[i / per_case]),
                                 static_cast<uint64_t>(i % per_case)}));
    const double angle = rng.uniform(-10.0, 10.0) * std::numbers::pi / 180.0;
    const double c = std::cos(angle), s = std::sin(angle);
    // affine_grid's coordinates are (x, y[, z]) = (W, H[, D]); rotate in the x-y plane.
    std::vector<double> flip(spatial_dims);
    for (auto& f : flip) f = rng.bernoulli(0.5) ? -1.0 : 1.0;
    t[i][0][0] = static_cast<float>(c * flip[0]);
    t[i][0][1] = static_cast<float>(-s * flip[1]);
    t[i][1][0] = static_cast<float>(s * flip[0]);
    t[i][1][1] = static_cast<float>(c * flip[1]);
    if (spatial_dims == 3) t[i][2][2] = static_cast<float>(flip[2]);
    scale[i] = static_cast<float>(rng.uniform(0.9, 1.1));
    shift[i] = static_cast<float>(rng.uniform(-0.1, 0.1));
  }
  const auto input = flat.to(torch::kFloat);
  const auto grid = nnf::affine_grid(theta, input.sizes(), false);
  auto out = nnf::grid_sample(
      input, grid,
      nnf::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
  std::vector<int64_t> broadcast(out.dim(), 1);
  broadcast[0] = out.size(0);
  out = out * scale.view(broadcast) + shift.view(broadcast);
  return out.reshape(values.sizes()).to(values.dtype());
}

}  // namespace vbiopsy::fusion
