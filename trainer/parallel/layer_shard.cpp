// ZeRO-3 sharding of a decoder layer's frozen base (see layer_shard.h).
#include "trainer/parallel/layer_shard.h"

#include <stdexcept>

#include "trainer/parallel/tensor_comm.h"

namespace qlsweep::trainer {
namespace {

constexpr int64_t kAlign = 16;  // every tensor starts 16-byte aligned in the buffer

int64_t RoundUp(int64_t n, int64_t unit) { return (n + unit - 1) / unit * unit; }

}  // namespace

LayerShard::LayerShard(DecoderLayerImpl& layer, dist::Communicator& comm)
    : layer_(layer), comm_(comm) {
  torch::NoGradGuard no_grad;
  torch::TensorOptions bytes_on;
  for (torch::Tensor* t : layer_.FrozenTensors()) {
    if (!t->defined()) continue;
    Slot slot{t, t->scalar_type(), t->sizes().vec(), total_, static_cast<int64_t>(t->nbytes())};
    total_ = RoundUp(total_ + slot.bytes, kAlign);
    slots_.push_back(std::move(slot));
    bytes_on = torch::TensorOptions().dtype(torch::kUInt8).device(t->device());
  }
  if (slots_.empty()) throw std::invalid_argument("ZeRO-3: a decoder layer without a base");
  const int64_t padded = RoundUp(std::max<int64_t>(total_, 1), kAlign * comm_.Size());
  auto full = torch::zeros({padded}, bytes_on);
  for (const auto& s : slots_) {
    full.narrow(0, s.offset, s.bytes).copy_(s.tensor->contiguous().view({-1}).view(torch::kUInt8));
  }
  const int64_t part = padded / comm_.Size();
  shard_ = full.narrow(0, comm_.Rank() * part, part).clone();
  for (auto& s : slots_) *s.tensor = torch::empty({0}, bytes_on.dtype(s.dtype));
  layer_.base_gate = this;
}

LayerShard::~LayerShard() {
  if (layer_.base_gate == this) layer_.base_gate = nullptr;
}

torch::Tensor LayerShard::GatherAll() {
  auto full = torch::empty({shard_.numel() * comm_.Size()}, shard_.options());
  AllGatherInto(comm_, shard_, full);
  return full;
}

void LayerShard::PointSlots(const torch::Tensor& full) {
  for (auto& s : slots_) {
    *s.tensor = full.narrow(0, s.offset, s.bytes).view(s.dtype).view(s.shape);
  }
}

void LayerShard::Acquire() {
  if (acquired_++ > 0) return;
  torch::NoGradGuard no_grad;
  PointSlots(GatherAll());
}

void LayerShard::Release() {
  if (--acquired_ > 0) return;
  for (auto& s : slots_) *s.tensor = torch::empty({0}, shard_.options().dtype(s.dtype));
}

}  // namespace qlsweep::trainer
