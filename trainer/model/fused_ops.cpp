// Autograd wrappers of the fused decoder kernels (see fused_ops.h).
#include "trainer/model/fused_ops.h"

#include <cstdlib>
#include <set>
#include <sstream>
#include <stdexcept>

#if QLSWEEP_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>

#include "trainer/model/fused_kernels.h"
#endif

namespace qlsweep::trainer {
namespace {

const std::set<std::string>& KnownOps() {
  static const std::set<std::string> kOps{"lora", "rope", "rmsnorm", "swiglu"};
  return kOps;
}

std::set<std::string> EnabledOps() {
  const char* env = std::getenv("QLSWEEP_FUSED_OPS");
  if (env == nullptr) return KnownOps();
  std::set<std::string> on;
  std::stringstream list(env);
  for (std::string op; std::getline(list, op, ',');) {
    if (op.empty() || op == "none") continue;
    if (op == "all") return KnownOps();
    if (!KnownOps().count(op)) {
      throw std::invalid_argument("QLSWEEP_FUSED_OPS: unknown op '" + op +
                                  "' (known: lora, rope, rmsnorm, swiglu, all, none)");
    }
    on.insert(op);
  }
  return on;
}

}  // namespace

bool FusedOpEnabled(const std::string& op) {
  static const std::set<std::string> on = EnabledOps();
  return on.count(op) > 0;
}

#if QLSWEEP_WITH_CUDA
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

kernels::ElemType ElemTypeOf(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat32:
      return kernels::ElemType::kF32;
    case torch::kBFloat16:
      return kernels::ElemType::kBF16;
    case torch::kFloat16:
      return kernels::ElemType::kF16;
    default:
      throw std::invalid_argument("fused op on a tensor of dtype " +
                                  std::string(c10::toString(t.scalar_type())));
  }
}

cudaStream_t Stream() { return at::cuda::getCurrentCUDAStream(); }

// x: [B, T, H, hd] contiguous -> the kernel's map (forward or its transpose) into a new tensor.
torch::Tensor RopeMap(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                      bool backward) {
  const c10::cuda::CUDAGuard guard(x.device());
  auto out = torch::empty_like(x, torch::MemoryFormat::Contiguous);
  const int64_t seq = x.size(1), heads = x.size(2), hd = x.size(3);
  C10_CUDA_CHECK(kernels::LaunchRope(x.data_ptr(), cos.data_ptr<float>(), sin.data_ptr<float>(),
                                     x.size(0) * seq, static_cast<int>(heads),
                                     static_cast<int>(hd / 2), static_cast<int>(seq), backward,
                                     ElemTypeOf(x), out.data_ptr(), Stream()));
  return out;
}

class RopeFunction : public torch::autograd::Function<RopeFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor cos,
                               torch::Tensor sin) {
    ctx->save_for_backward({cos, sin});
    return RopeMap(x.contiguous(), cos, sin, /*backward=*/false);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto saved = ctx->get_saved_variables();
    return {RopeMap(grad_out[0].contiguous(), saved[0], saved[1], /*backward=*/true),
            torch::Tensor(), torch::Tensor()};
  }
};

class RmsNormFunction : public torch::autograd::Function<RmsNormFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor weight,
                               double eps) {
    const c10::cuda::CUDAGuard guard(x.device());
    auto xc = x.contiguous();
    const int64_t d = x.size(-1), rows = x.numel() / std::max<int64_t>(d, 1);
    auto out = torch::empty_like(xc);
    auto rstd = torch::empty({rows}, x.options().dtype(torch::kFloat32));
    C10_CUDA_CHECK(kernels::LaunchRmsNorm(
        xc.data_ptr(), weight.contiguous().data_ptr(), rows, static_cast<int>(d),
        static_cast<float>(eps), ElemTypeOf(x), out.data_ptr(), rstd.data_ptr<float>(), Stream()));
    ctx->save_for_backward({xc, weight, rstd});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], weight = saved[1], rstd = saved[2];
    const c10::cuda::CUDAGuard guard(x.device());
    auto g = grad_out[0].contiguous();
    auto dx = torch::empty_like(x);
    const int64_t d = x.size(-1);
    C10_CUDA_CHECK(kernels::LaunchRmsNormBackward(
        g.data_ptr(), x.data_ptr(), weight.contiguous().data_ptr(), rstd.data_ptr<float>(),
        rstd.numel(), static_cast<int>(d), ElemTypeOf(x), dx.data_ptr(), Stream()));
    return {dx, torch::Tensor(), torch::Tensor()};
  }
};

class SwiGluFunction : public torch::autograd::Function<SwiGluFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor gate, torch::Tensor up) {
    const c10::cuda::CUDAGuard guard(gate.device());
    auto g = gate.contiguous(), u = up.contiguous();
    auto out = torch::empty_like(g);
    C10_CUDA_CHECK(kernels::LaunchSwiGlu(g.data_ptr(), u.data_ptr(), g.numel(), ElemTypeOf(g),
                                         out.data_ptr(), Stream()));
    ctx->save_for_backward({g, u});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto saved = ctx->get_saved_variables();
    const auto &g = saved[0], u = saved[1];
    const c10::cuda::CUDAGuard guard(g.device());
    auto dy = grad_out[0].contiguous();
    auto d_gate = torch::empty_like(g), d_up = torch::empty_like(u);
    C10_CUDA_CHECK(kernels::LaunchSwiGluBackward(dy.data_ptr(), g.data_ptr(), u.data_ptr(),
                                                 g.numel(), ElemTypeOf(g), d_gate.data_ptr(),
                                                 d_up.data_ptr(), Stream()));
    return {d_gate, d_up};
  }
};

}  // namespace

bool FusedKernelServes(const std::string& op, const torch::Tensor& x) {
  const auto t = x.scalar_type();
  return x.is_cuda() && (t == torch::kFloat32 || t == torch::kBFloat16 || t == torch::kFloat16) &&
         FusedOpEnabled(op);
}

torch::Tensor FusedRope(const torch::Tensor& x, const torch::Tensor& cos,
                        const torch::Tensor& sin) {
  TORCH_CHECK(x.dim() == 4 && x.size(3) % 2 == 0 && cos.sizes() == sin.sizes() &&
                  cos.size(0) == x.size(1) && cos.size(1) == x.size(3),
              "FusedRope: x ", x.sizes(), " with tables ", cos.sizes());
  return RopeFunction::apply(x, cos.to(torch::kFloat32).contiguous(),
                             sin.to(torch::kFloat32).contiguous());
}

torch::Tensor FusedRmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  TORCH_CHECK(!weight.requires_grad(), "FusedRmsNorm: the weight must be frozen");
  TORCH_CHECK(
      weight.dim() == 1 && weight.size(0) == x.size(-1) && weight.scalar_type() == x.scalar_type(),
      "FusedRmsNorm: x ", x.sizes(), " with weight ", weight.sizes());
  return RmsNormFunction::apply(x, weight, eps);
}

torch::Tensor FusedSwiGlu(const torch::Tensor& gate, const torch::Tensor& up) {
  TORCH_CHECK(gate.sizes() == up.sizes() && gate.scalar_type() == up.scalar_type(),
              "FusedSwiGlu: gate ", gate.sizes(), " and up ", up.sizes());
  return SwiGluFunction::apply(gate, up);
}

#else  // no CUDA: the composite ops serve every tensor

bool FusedKernelServes(const std::string&, const torch::Tensor&) { return false; }

torch::Tensor FusedRope(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&) {
  throw std::logic_error("FusedRope needs a CUDA build");
}
torch::Tensor FusedRmsNorm(const torch::Tensor&, const torch::Tensor&, double) {
  throw std::logic_error("FusedRmsNorm needs a CUDA build");
}
torch::Tensor FusedSwiGlu(const torch::Tensor&, const torch::Tensor&) {
  throw std::logic_error("FusedSwiGlu needs a CUDA build");
}

#endif

}  // namespace qlsweep::trainer
