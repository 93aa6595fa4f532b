// Activation offload (see activation_offload.h): pinned host copies on a side CUDA stream.
#include "trainer/model/activation_offload.h"

#include <c10/cuda/CUDAGuard.h>

#include <stdexcept>
#include <string>

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
  Slot slot;
  const auto value = x.detach();
  if (!copy_stream_) {
    slot.host = value.clone();
  } else {
    const auto compute = c10::cuda::getCurrentCUDAStream(device_.index());
    at::cuda::CUDAEvent queued;
    queued.record(compute);  // x is complete once the work queued so far is done
    queued.block(*copy_stream_);
    slot.host = torch::empty(value.sizes(),
                             torch::TensorOptions().dtype(value.dtype()).pinned_memory(true));
    {
      const c10::cuda::CUDAStreamGuard guard(*copy_stream_);
      slot.host.copy_(value, /*non_blocking=*/true);
    }
    slot.parked.emplace();
    slot.parked->record(*copy_stream_);
    // x's device memory may be handed out again only after the copy has read it.
    value.record_stream(copy_stream_->unwrap());
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
  slot.device = torch::empty(slot.host.sizes(),
                             torch::TensorOptions().dtype(slot.host.dtype()).device(device_));
  slot.device.copy_(slot.host, /*non_blocking=*/true);
  slot.ready.emplace();
  slot.ready->record(*copy_stream_);
  slot.host = torch::Tensor();  // the pinned block returns to its pool once the copy is done
}

torch::Tensor ActivationOffload::Fetch(int64_t index) {
  if (index < 0 || index >= static_cast<int64_t>(slots_.size())) {
    throw std::logic_error("activation offload: no parked tensor in slot " + std::to_string(index));
  }
  auto& slot = slots_[static_cast<size_t>(index)];
  if (!copy_stream_) {
    auto out = std::move(slot.host);
    if (!out.defined()) throw std::logic_error("activation offload: slot fetched twice");
    slot.host = torch::Tensor();
    return out;
  }
  if (!slot.device.defined()) {
    if (!slot.host.defined()) throw std::logic_error("activation offload: slot fetched twice");
    StartCopyBack(slot);
  }
  if (index > 0) {  // the next layer of the backward pass, while this one computes
    auto& previous = slots_[static_cast<size_t>(index - 1)];
    if (!previous.device.defined() && previous.host.defined()) StartCopyBack(previous);
  }
  const auto compute = c10::cuda::getCurrentCUDAStream(device_.index());
  slot.ready->block(compute);
  auto out = std::move(slot.device);
  slot.device = torch::Tensor();
  slot.ready.reset();
  out.record_stream(compute.unwrap());  // allocated on the copy stream, used on this one
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
    if (slot.host.defined()) bytes += static_cast<int64_t>(slot.host.nbytes());
  }
  return bytes;
}

}  // namespace qlsweep::trainer
