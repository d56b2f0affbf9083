#include "encoders/nn/blocked_conv.h"

#include <oneapi/dnnl/dnnl.hpp>
#include <torch/autograd.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
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

Tag blocked_tag(size_t spatial) { return spatial == 2 ? Tag::nChw16c : Tag::nCdhw16c; }
Tag plain_tag(size_t spatial) { return spatial == 2 ? Tag::nchw : Tag::ncdhw; }
Tag plain_weights_tag(size_t spatial) { return spatial == 2 ? Tag::oihw : Tag::oidhw; }

// Everything oneDNN's primitives for one convolution depend on.
struct Geometry {
  memory::dims src, weights, dst, strides, padding_l, padding_r;
  bool src_blocked = false;

  size_t spatial() const { return src.size() - 2; }
  memory::desc src_desc() const {
    return {src, memory::data_type::f32, src_blocked ? blocked_tag(spatial()) : plain_tag(spatial())};
  }
  memory::desc dst_desc() const { return {dst, memory::data_type::f32, blocked_tag(spatial())}; }
  memory::desc plain_weights_desc() const { return {weights, memory::data_type::f32, plain_weights_tag(spatial())}; }
  memory::desc any_weights_desc() const { return {weights, memory::data_type::f32, Tag::any}; }
  std::vector<int64_t> key() const {
    std::vector<int64_t> k{src_blocked};
    for (const auto* dims : {&src, &weights, &strides, &padding_l, &padding_r}) k.insert(k.end(), dims->begin(), dims->end());
    return k;
  }
};

Geometry geometry_of(const torch::Tensor& x, bool x_blocked, const torch::Tensor& weight, int64_t stride,
                     int64_t padding) {
  const int64_t spatial = weight.dim() - 2;
  TORCH_CHECK(spatial == 2 || spatial == 3, "blocked convolution is 2D or 3D, got weight ", weight.sizes());
  TORCH_CHECK(x.dim() == (x_blocked ? spatial + 3 : spatial + 2), "blocked convolution: input ", x.sizes(),
              x_blocked ? " is not blocked [N,C/16,spatial...,16]" : " is not [N,C,spatial...]", " for weight ",
              weight.sizes());
  TORCH_CHECK(!x_blocked || x.size(-1) == kChannelBlock, "blocked convolution: input ", x.sizes(),
              " does not end in a block of ", kChannelBlock, " channels");
  TORCH_CHECK(weight.size(0) % kChannelBlock == 0, "blocked convolution: ", weight.size(0),
              " output channels are not a multiple of ", kChannelBlock);
  Geometry g;
  g.src_blocked = x_blocked;
  const int64_t channels = x_blocked ? x.size(1) * kChannelBlock : x.size(1);
  TORCH_CHECK(channels == weight.size(1), "blocked convolution: input has ", channels, " channels, weight expects ",
              weight.size(1));
  g.src = {x.size(0), channels};
  g.weights = weight.sizes().vec();
  g.dst = {x.size(0), weight.size(0)};
  for (int64_t d = 0; d < spatial; ++d) {
    const int64_t in = x.size(2 + d), kernel = weight.size(2 + d);
    const int64_t out = (in + 2 * padding - kernel) / stride + 1;
    TORCH_CHECK(out > 0, "blocked convolution: input ", x.sizes(), " is smaller than the kernel ", weight.sizes());
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
      weights_pd_.emplace(
          dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, geometry.src_desc(),
                                                   geometry.any_weights_desc(), geometry.dst_desc(), geometry.strides,
                                                   geometry.padding_l, geometry.padding_r),
          cpu_engine(), forward_pd);
      weights_.emplace(*weights_pd_);
    }
    return *weights_pd_;
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

std::vector<int64_t> blocked_shape(const memory::dims& dims) {
  std::vector<int64_t> shape{dims[0], dims[1] / kChannelBlock};
  shape.insert(shape.end(), dims.begin() + 2, dims.end());
  shape.push_back(kChannelBlock);
  return shape;
}

class BlockedConvolutionFunction : public torch::autograd::Function<BlockedConvolutionFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               int64_t stride, int64_t padding, bool x_blocked) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat && weight.scalar_type() == torch::kFloat,
                "blocked convolution is float only, got ", x.scalar_type(), " and ", weight.scalar_type());
    const auto input = x.contiguous(), w = weight.contiguous();
    const Geometry g = geometry_of(input, x_blocked, w, stride, padding);
    auto output = torch::empty(blocked_shape(g.dst), input.options());
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
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &input = saved[0], &weight = saved[1];
    const Geometry g = geometry_of(input, ctx->saved_data["x_blocked"].toBool(), weight,
                                   ctx->saved_data["stride"].toInt(), ctx->saved_data["padding"].toInt());
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
      const auto target = plain ? grad_weight
                                : torch::empty({static_cast<int64_t>(produced.get_size() / sizeof(float))}, weight.options());
      p.weights().execute(cpu_stream(), {{DNNL_ARG_SRC, wrap(g.src_desc(), input)},
                                         {DNNL_ARG_DIFF_DST, wrap(g.dst_desc(), grad)},
                                         {DNNL_ARG_DIFF_WEIGHTS, wrap(produced, target)}});
      if (!plain) reorder(produced, target, g.plain_weights_desc(), grad_weight);
    }
    cpu_stream().wait();
    return {grad_input, grad_weight, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor unblock_channels(const torch::Tensor& blocked) {
  TORCH_CHECK(blocked.dim() >= 3 && blocked.size(-1) == kChannelBlock, "not a blocked [N,C/16,...,16] tensor: ",
              blocked.sizes());
  // [N, CB, S..., 16] -> [N, CB, 16, S...] -> [N, C, S...]
  auto moved = blocked.movedim(-1, 2);
  std::vector<int64_t> shape{blocked.size(0), blocked.size(1) * kChannelBlock};
  for (int64_t d = 2; d < blocked.dim() - 1; ++d) shape.push_back(blocked.size(d));
  return moved.reshape(shape);
}

torch::Tensor block_channels(const torch::Tensor& plain) {
  TORCH_CHECK(plain.dim() >= 2 && plain.size(1) % kChannelBlock == 0, "cannot block ", plain.sizes(), ": ",
              "channels are not a multiple of ", kChannelBlock);
  std::vector<int64_t> shape{plain.size(0), plain.size(1) / kChannelBlock, kChannelBlock};
  for (int64_t d = 2; d < plain.dim(); ++d) shape.push_back(plain.size(d));
  return plain.reshape(shape).movedim(2, -1).contiguous();
}

torch::Tensor blocked_convolution(const torch::Tensor& x, bool x_blocked, const torch::Tensor& weight, int64_t stride,
                                  int64_t padding) {
  return BlockedConvolutionFunction::apply(x, weight, stride, padding, x_blocked);
}

}  // namespace vbiopsy::encoders
