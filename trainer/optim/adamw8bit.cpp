// 8-bit blockwise AdamW: state allocation (ordinary or paged), dispatch to kernel or torch path.
#include "trainer/optim/adamw8bit.h"

#include <map>
#include <stdexcept>
#include <string>

#include "trainer/optim/paged_memory.h"

namespace qlsweep::trainer {

AdamW8bit::AdamW8bit(std::vector<torch::Tensor> params, const AdamHyper& hyper, bool paged)
    : params_(std::move(params)), hyper_(hyper) {
  std::map<std::string, Adam8bitMaps> maps_by_device;
  for (const auto& p : params_) {
    if (!p.is_contiguous()) throw std::invalid_argument("AdamW8bit: parameters must be contiguous");
    const auto device = p.device();
    auto found = maps_by_device.find(device.str());
    if (found == maps_by_device.end()) {
      found = maps_by_device.emplace(device.str(), MakeAdam8bitMaps(device)).first;
    }
    const Adam8bitMaps& maps = found->second;
    const int64_t n = p.numel();
    Adam8bitState s;
    std::vector<torch::Tensor> managed;
    if (n >= kAdam8bitMinElements) {
      const int64_t blocks = (n + kAdam8bitBlock - 1) / kAdam8bitBlock;
      s.m_codes = StateBuffer(n, n, torch::kUInt8, device, paged, static_cast<double>(maps.m_zero));
      s.v_codes = StateBuffer(n, n, torch::kUInt8, device, paged, static_cast<double>(maps.v_zero));
      const auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device);
      s.m_absmax = torch::zeros({blocks}, f32);
      s.v_absmax = torch::zeros({blocks}, f32);
      if (IsManaged(s.m_codes)) managed = {s.m_codes, s.v_codes};
    } else {
      s.m = StateBuffer(n, n, torch::kFloat32, device, paged, 0.0);
      s.v = StateBuffer(n, n, torch::kFloat32, device, paged, 0.0);
      if (IsManaged(s.m)) managed = {s.m, s.v};
    }
    states_.push_back(std::move(s));
    managed_by_param_.push_back(std::move(managed));
    maps_.push_back(maps);
  }
}

void AdamW8bit::Step(double lr) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    if (!p.grad().defined()) continue;
    for (const auto& buffer : managed_by_param_[i]) PrefetchToDevice(buffer);
    Adam8bitState& s = states_[i];
    const auto scalars = MakeAdam8bitScalars(hyper_, lr, ++s.step);
    if (s.is_8bit() && p.is_cuda()) {
      Adam8bitUpdateCuda(p, p.grad(), s, maps_[i], scalars);
    } else {
      Adam8bitUpdateTorch(p, p.grad(), s, maps_[i], scalars);
    }
  }
}

void AdamW8bit::ZeroGrad() {
  for (auto& p : params_) p.mutable_grad().reset();
}

int64_t AdamW8bit::StateBytes() const {
  int64_t bytes = 0;
  for (const auto& s : states_) {
    for (const auto* t : {&s.m_codes, &s.v_codes, &s.m_absmax, &s.v_absmax, &s.m, &s.v}) {
      if (t->defined()) bytes += static_cast<int64_t>(t->nbytes());
    }
  }
  return bytes;
}

int64_t AdamW8bit::ManagedBytes() const {
  int64_t bytes = 0;
  for (const auto& buffers : managed_by_param_) {
    for (const auto& t : buffers) bytes += static_cast<int64_t>(t.nbytes());
  }
  return bytes;
}

}  // namespace qlsweep::trainer
