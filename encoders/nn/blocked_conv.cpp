#include "encoders/nn/blocked_conv.h"

#include <oneapi/dnnl/dnnl.hpp>
#include <torch/autograd.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace vbiopsy::encoders {

namespace {

using dnnl::memory;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using Tag = memory::format_tag;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  static dnnl::stream stream(cpu_engine());
  return stream;
}

Tag blocked_tag(size_t spatial, int64_t block) {
  if (block == 16) return spatial == 2 ? Tag::nChw16c : Tag::nCdhw16c;
  return spatial == 2 ? Tag::nChw8c : Tag::nCdhw8c;
}
Tag plain_tag(size_t spatial) { return spatial == 2 ? Tag::nchw : Tag::ncdhw; }
Tag plain_weights_tag(size_t spatial) { return spatial == 2 ? Tag::oihw : Tag::oidhw; }

// Everything oneDNN's primitives for one convolution depend on.
struct Geometry {
  memory::dims src, weights, dst, strides, padding_l, padding_r;
  bool src_blocked = false;
  int64_t block = 16;

  size_t spatial() const { return src.size() - 2; }
  memory::desc src_desc() const {
    return {src, memory::data_type::f32, src_blocked ? blocked_tag(spatial(), block) : plain_tag(spatial())};
  }
  memory::desc dst_desc() const { return {dst, memory::data_type::f32, blocked_tag(spatial(), block)}; }
  memory::desc plain_weights_desc() const { return {weights, memory::data_type::f32, plain_weights_tag(spatial())}; }
  memory::desc any_weights_desc() const { return {weights, memory::data_type::f32, Tag::any}; }
  std::vector<int64_t> key() const {
    std::vector<int64_t> k{src_blocked, block};
    for (const auto* dims : {&src, &weights, &strides, &padding_l, &padding_r})
      k.insert(k.end(), dims->begin(), dims->end());
    return k;
  }
};

// The geometry of a convolution of x (sizes only) by a weight of the given sizes.
Geometry geometry_of(torch::IntArrayRef x, bool x_blocked, torch::IntArrayRef weight, int64_t stride, int64_t padding,
                     int64_t block) {
  const int64_t spatial = static_cast<int64_t>(weight.size()) - 2;
  TORCH_CHECK(spatial == 2 || spatial == 3, "blocked convolution is 2D or 3D, got weight ", weight);
  TORCH_CHECK(is_channel_block(block), "blocked convolution: channel block ", block, ", expected 8 or 16");
  TORCH_CHECK(static_cast<int64_t>(x.size()) == (x_blocked ? spatial + 3 : spatial + 2), "blocked convolution: input ",
              x, x_blocked ? " is not blocked [N,C/B,spatial...,B]" : " is not [N,C,spatial...]", " for weight ",
              weight);
  TORCH_CHECK(!x_blocked || x.back() == block, "blocked convolution: input ", x, " does not end in a block of ", block,
              " channels");
  TORCH_CHECK(weight[0] % block == 0, "blocked convolution: ", weight[0], " output channels are not a multiple of ",
              block);
  Geometry g;
  g.src_blocked = x_blocked;
  g.block = block;
  const int64_t channels = x_blocked ? x[1] * block : x[1];
  TORCH_CHECK(channels == weight[1], "blocked convolution: input has ", channels, " channels, weight expects ",
              weight[1]);
  g.src = {x[0], channels};
  g.weights = weight.vec();
  g.dst = {x[0], weight[0]};
  for (int64_t d = 0; d < spatial; ++d) {
    const int64_t in = x[2 + d], kernel = weight[2 + d];
    const int64_t out = (in + 2 * padding - kernel) / stride + 1;
    TORCH_CHECK(out > 0, "blocked convolution: input ", x, " is smaller than the kernel ", weight);
    g.src.push_back(in);
    g.dst.push_back(out);
    g.strides.push_back(stride);
    g.padding_l.push_back(padding);
    // oneDNN wants the padding the output actually uses on the far side (PyTorch floors it away).
    g.padding_r.push_back((out - 1) * stride + kernel - in - padding);
  }
  return g;
}

// The primitives of one geometry, backward ones made on first use.
struct Primitives {
  explicit Primitives(const Geometry& g)
      : geometry(g),
        forward_pd({dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, g.src_desc(),
                    g.any_weights_desc(), g.dst_desc(), g.strides, g.padding_l, g.padding_r},
                   cpu_engine()),
        forward(forward_pd) {}

  const dnnl::convolution_backward_data::primitive_desc& data_pd() {
    if (!data_pd_) {
      data_pd_.emplace(dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, geometry.src_desc(),
                                                             geometry.any_weights_desc(), geometry.dst_desc(),
                                                             geometry.strides, geometry.padding_l, geometry.padding_r),
                       cpu_engine(), forward_pd);
      data_.emplace(*data_pd_);
    }
    return *data_pd_;
  }
  const dnnl::convolution_backward_weights::primitive_desc& weights_pd() {
    if (!weights_pd_) {
      weights_pd_.emplace(dnnl::convolution_backward_weights::desc(
                              dnnl::algorithm::convolution_direct, geometry.src_desc(), geometry.any_weights_desc(),
                              geometry.dst_desc(), geometry.strides, geometry.padding_l, geometry.padding_r),
                          cpu_engine(), forward_pd);
      weights_.emplace(*weights_pd_);
    }
    return *weights_pd_;
  }
  // Whether oneDNN runs this geometry with native kernels rather than its reference loops (hundreds
  // of times slower): forward, backward weights and, for a blocked input, backward data.
  bool native() {
    if (!native_) {
      const auto is_native = [](const char* name) { return std::string(name).find("ref") == std::string::npos; };
      try {
        native_ = is_native(forward_pd.impl_info_str()) && is_native(weights_pd().impl_info_str()) &&
                  (!geometry.src_blocked || is_native(data_pd().impl_info_str()));
      } catch (const dnnl::error&) {
        native_ = false;  // no backward implementation at all
      }
    }
    return *native_;
  }
  dnnl::convolution_backward_data& data() { return data_pd(), *data_; }
  dnnl::convolution_backward_weights& weights() { return weights_pd(), *weights_; }

  Geometry geometry;
  dnnl::convolution_forward::primitive_desc forward_pd;
  dnnl::convolution_forward forward;

 private:
  std::optional<dnnl::convolution_backward_data::primitive_desc> data_pd_;
  std::optional<dnnl::convolution_backward_data> data_;
  std::optional<dnnl::convolution_backward_weights::primitive_desc> weights_pd_;
  std::optional<dnnl::convolution_backward_weights> weights_;
  std::optional<bool> native_;
};

// Primitive creation costs far more than a small convolution, so they are kept per geometry (a
// trunk has a handful). The lock also serialises their use: a primitive's scratchpad is its own.
std::mutex primitives_mutex;

Primitives& primitives_for(const Geometry& g) {
  static std::map<std::vector<int64_t>, std::unique_ptr<Primitives>> cache;
  auto& entry = cache[g.key()];
  if (!entry) entry = std::make_unique<Primitives>(g);
  return *entry;
}

memory wrap(const memory::desc& desc, const torch::Tensor& t) {
  TORCH_CHECK(static_cast<size_t>(t.numel()) * sizeof(float) == desc.get_size(), "blocked convolution: tensor of ",
              t.numel(), " values where oneDNN expects ", desc.get_size() / sizeof(float));
  return memory(desc, cpu_engine(), t.data_ptr<float>());
}

// `from` (laid out as from_desc) copied into `to` (laid out as to_desc).
void reorder(const memory::desc& from_desc, const torch::Tensor& from, const memory::desc& to_desc,
             const torch::Tensor& to) {
  auto source = wrap(from_desc, from), target = wrap(to_desc, to);
  dnnl::reorder(source, target).execute(cpu_stream(), source, target);
}

// The weights in the layout a primitive wants (a copy unless it is the plain one).
torch::Tensor weights_as(const Geometry& g, const torch::Tensor& weight, const memory::desc& wanted) {
  if (wanted == g.plain_weights_desc()) return weight;
  auto out = torch::empty({static_cast<int64_t>(wanted.get_size() / sizeof(float))}, weight.options());
  reorder(g.plain_weights_desc(), weight, wanted, out);
  return out;
}

std::vector<int64_t> blocked_shape(const memory::dims& dims, int64_t block) {
  std::vector<int64_t> shape{dims[0], dims[1] / block};
  shape.insert(shape.end(), dims.begin() + 2, dims.end());
  shape.push_back(block);
  return shape;
}

class BlockedConvolutionFunction : public torch::autograd::Function<BlockedConvolutionFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               int64_t stride, int64_t padding, bool x_blocked, int64_t block) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat && weight.scalar_type() == torch::kFloat,
                "blocked convolution is float only, got ", x.scalar_type(), " and ", weight.scalar_type());
    const auto input = x.contiguous(), w = weight.contiguous();
    const Geometry g = geometry_of(input.sizes(), x_blocked, w.sizes(), stride, padding, block);
    auto output = torch::empty(blocked_shape(g.dst, block), input.options());
    {
      std::lock_guard<std::mutex> lock(primitives_mutex);
      auto& p = primitives_for(g);
      const auto wanted = p.forward_pd.weights_desc();
      const auto weights = weights_as(g, w, wanted);
      p.forward.execute(cpu_stream(), {{DNNL_ARG_SRC, wrap(g.src_desc(), input)},
                                       {DNNL_ARG_WEIGHTS, wrap(wanted, weights)},
                                       {DNNL_ARG_DST, wrap(g.dst_desc(), output)}});
      cpu_stream().wait();
    }
    ctx->save_for_backward({input, w});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["x_blocked"] = x_blocked;
    ctx->saved_data["block"] = block;
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &input = saved[0], &weight = saved[1];
    const Geometry g = geometry_of(input.sizes(), ctx->saved_data["x_blocked"].toBool(), weight.sizes(),
                                   ctx->saved_data["stride"].toInt(), ctx->saved_data["padding"].toInt(),
                                   ctx->saved_data["block"].toInt());
    const auto grad = grad_outputs[0].contiguous();
    torch::Tensor grad_input, grad_weight;
    std::lock_guard<std::mutex> lock(primitives_mutex);
    auto& p = primitives_for(g);
    if (ctx->needs_input_grad(0)) {
      const auto wanted = p.data_pd().weights_desc();
      const auto weights = weights_as(g, weight, wanted);
      grad_input = torch::empty_like(input);
      p.data().execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, wrap(g.dst_desc(), grad)},
                                      {DNNL_ARG_WEIGHTS, wrap(wanted, weights)},
                                      {DNNL_ARG_DIFF_SRC, wrap(g.src_desc(), grad_input)}});
    }
    if (ctx->needs_input_grad(1)) {
      const auto produced = p.weights_pd().diff_weights_desc();
      grad_weight = torch::empty_like(weight);
      const bool plain = produced == g.plain_weights_desc();
      const auto target =
          plain ? grad_weight
                : torch::empty({static_cast<int64_t>(produced.get_size() / sizeof(float))}, weight.options());
      p.weights().execute(cpu_stream(), {{DNNL_ARG_SRC, wrap(g.src_desc(), input)},
                                         {DNNL_ARG_DIFF_DST, wrap(g.dst_desc(), grad)},
                                         {DNNL_ARG_DIFF_WEIGHTS, wrap(produced, target)}});
      if (!plain) reorder(produced, target, g.plain_weights_desc(), grad_weight);
    }
    cpu_stream().wait();
    return {grad_input, grad_weight, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

bool is_channel_block(int64_t block) { return block == 8 || block == 16; }

int64_t native_channel_block(int dims, int64_t width) {
  static std::map<std::vector<int64_t>, int64_t> chosen;
  std::lock_guard<std::mutex> lock(primitives_mutex);
  auto [entry, inserted] = chosen.try_emplace({dims, width}, 0);
  if (!inserted) return entry->second;
  for (int64_t block : {16, 8}) {
    if (width % block != 0) continue;
    // A block's 3x3 on blocked activations (a geometry without native kernels, such as a stem's
    // on some CPUs, falls back to LibTorch's convolution: see blocked_convolution).
    std::vector<int64_t> activations{2, width / block}, conv{width, width};
    for (int d = 0; d < dims; ++d) {
      activations.push_back(8);
      conv.push_back(3);
    }
    activations.push_back(block);
    if (primitives_for(geometry_of(activations, true, conv, 1, 1, block)).native()) {
      entry->second = block;
      break;
    }
  }
  return entry->second;
}

torch::Tensor unblock_channels(const torch::Tensor& blocked) {
  TORCH_CHECK(blocked.dim() >= 3 && is_channel_block(blocked.size(-1)),
              "not a blocked [N,C/B,...,B] tensor: ", blocked.sizes());
  // [N, C/B, S..., B] -> [N, C/B, B, S...] -> [N, C, S...]
  auto moved = blocked.movedim(-1, 2);
  std::vector<int64_t> shape{blocked.size(0), blocked.size(1) * blocked.size(-1)};
  for (int64_t d = 2; d < blocked.dim() - 1; ++d) shape.push_back(blocked.size(d));
  return moved.reshape(shape);
}

torch::Tensor block_channels(const torch::Tensor& plain, int64_t block) {
  TORCH_CHECK(is_channel_block(block) && plain.dim() >= 2 && plain.size(1) % block == 0, "cannot block ", plain.sizes(),
              " by ", block, " channels");
  std::vector<int64_t> shape{plain.size(0), plain.size(1) / block, block};
  for (int64_t d = 2; d < plain.dim(); ++d) shape.push_back(plain.size(d));
  return plain.reshape(shape).movedim(2, -1).contiguous();
}

torch::Tensor blocked_convolution(const torch::Tensor& x, bool x_blocked, const torch::Tensor& weight, int64_t stride,
                                  int64_t padding, int64_t block) {
  const auto g = geometry_of(x.sizes(), x_blocked, weight.sizes(), stride, padding, block);
  bool native = false;
  {
    std::lock_guard<std::mutex> lock(primitives_mutex);
    native = primitives_for(g).native();
  }
  if (native) return BlockedConvolutionFunction::apply(x, weight, stride, padding, x_blocked, block);
  // LibTorch's convolution on the plain tensor (its oneDNN reorders included), blocked after.
  const auto plain = x_blocked ? unblock_channels(x) : x;
  const auto y = g.spatial() == 2 ? torch::conv2d(plain, weight, {}, stride, padding)
                                  : torch::conv3d(plain, weight, {}, stride, padding);
  return block_channels(y, block);
}

}  // namespace vbiopsy::encoders
