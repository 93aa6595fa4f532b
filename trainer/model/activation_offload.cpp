// Activation offload (see activation_offload.h): pinned host copies on a side CUDA stream.
#include "trainer/model/activation_offload.h"

#include <c10/cuda/CUDAGuard.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace qlsweep::trainer {

ActivationOffload::ActivationOffload(torch::Device device) : device_(device) {
  if (!device_.is_cuda()) return;
  const auto index = device_.index() < 0 ? c10::cuda::current_device() : device_.index();
  device_ = torch::Device(torch::kCUDA, index);
  // A pool stream other than the one the trial computes on (a sharded trial computes on a pool
  // stream too, and the pool hands its streams out round robin).
  auto stream = c10::cuda::getStreamFromPool(false, index);
  if (stream == c10::cuda::getCurrentCUDAStream(index)) {
    stream = c10::cuda::getStreamFromPool(false, index);
  }
  copy_stream_ = stream;
}

void ActivationOffload::Reset() { slots_.clear(); }

int64_t ActivationOffload::Park(const torch::Tensor& x) {
  return Park(std::vector<torch::Tensor>{x});
}

namespace {

// An empty tensor like `t` (strides too, when they cover it densely) with `options`.
torch::Tensor EmptyLike(const torch::Tensor& t, const torch::TensorOptions& options) {
  if (t.is_non_overlapping_and_dense())
    return torch::empty_strided(t.sizes(), t.strides(), options);
  return torch::empty(t.sizes(), options);
}

}  // namespace

int64_t ActivationOffload::Park(const std::vector<torch::Tensor>& tensors) {
  Slot slot;
  if (!copy_stream_) {
    for (const auto& t : tensors) slot.host.push_back(t.detach().clone());
  } else {
    const auto compute = c10::cuda::getCurrentCUDAStream(device_.index());
    at::cuda::CUDAEvent queued;
    queued.record(compute);  // the tensors are complete once the work queued so far is done
    queued.block(*copy_stream_);
    const c10::cuda::CUDAStreamGuard guard(*copy_stream_);
    for (const auto& t : tensors) {
      const auto value = t.detach();
      slot.host.push_back(
          EmptyLike(value, torch::TensorOptions().dtype(value.dtype()).pinned_memory(true)));
      slot.host.back().copy_(value, /*non_blocking=*/true);
      // The device memory may be handed out again only after the copy has read it.
      value.record_stream(copy_stream_->unwrap());
    }
    slot.parked.emplace();
    slot.parked->record(*copy_stream_);
  }
  slots_.push_back(std::move(slot));
  const auto index = static_cast<int64_t>(slots_.size()) - 1;
  if (index >= kCopiesInFlight)
    WaitFor(slots_[static_cast<size_t>(index - kCopiesInFlight)].parked);
  return index;
}

void ActivationOffload::WaitFor(std::optional<at::cuda::CUDAEvent>& event) {
  if (!event) return;
  event->synchronize();
  event.reset();
}

void ActivationOffload::StartCopyBack(Slot& slot) {
  const c10::cuda::CUDAStreamGuard guard(*copy_stream_);
  for (const auto& host : slot.host) {
    slot.device.push_back(
        EmptyLike(host, torch::TensorOptions().dtype(host.dtype()).device(device_)));
    slot.device.back().copy_(host, /*non_blocking=*/true);
  }
  slot.ready.emplace();
  slot.ready->record(*copy_stream_);
  slot.host.clear();  // the pinned blocks return to their pool once the copies are done
}

torch::Tensor ActivationOffload::Fetch(int64_t index) {
  if (index >= 0 && index < static_cast<int64_t>(slots_.size())) {
    const auto& slot = slots_[static_cast<size_t>(index)];
    const size_t count = std::max(slot.host.size(), slot.device.size());
    if (count > 1) {
      throw std::logic_error("activation offload: slot " + std::to_string(index) + " holds " +
                             std::to_string(count) + " tensors, not one (FetchAll)");
    }
  }
  return FetchAll(index).front();
}

std::vector<torch::Tensor> ActivationOffload::FetchAll(int64_t index) {
  if (index < 0 || index >= static_cast<int64_t>(slots_.size())) {
    throw std::logic_error("activation offload: no parked tensor in slot " + std::to_string(index));
  }
  auto& slot = slots_[static_cast<size_t>(index)];
  if (!copy_stream_) {
    if (slot.host.empty()) throw std::logic_error("activation offload: slot fetched twice");
    return std::exchange(slot.host, {});
  }
  if (slot.device.empty()) {
    if (slot.host.empty()) throw std::logic_error("activation offload: slot fetched twice");
    StartCopyBack(slot);
  }
  if (index > 0) {  // the next layer of the backward pass, while this one computes
    auto& previous = slots_[static_cast<size_t>(index - 1)];
    if (previous.device.empty() && !previous.host.empty()) StartCopyBack(previous);
  }
  const auto compute = c10::cuda::getCurrentCUDAStream(device_.index());
  slot.ready->block(compute);
  auto out = std::exchange(slot.device, {});
  slot.ready.reset();
  for (auto& t : out) t.record_stream(compute.unwrap());  // allocated on the copy stream
  slot.handed.emplace();
  slot.handed->record(compute);
  // Fetches come in falling slot order: once the device has reached the fetch of slot
  // index + kCopiesInFlight, every tensor handed out before that one has been used.
  const auto later = index + kCopiesInFlight;
  if (later < static_cast<int64_t>(slots_.size()))
    WaitFor(slots_[static_cast<size_t>(later)].handed);
  return out;
}

int64_t ActivationOffload::parked_bytes() const {
  int64_t bytes = 0;
  for (const auto& slot : slots_) {
    for (const auto& t : slot.host) bytes += static_cast<int64_t>(t.nbytes());
  }
  return bytes;
}

}  // namespace qlsweep::trainer
