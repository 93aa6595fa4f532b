// Activation offload: the saved input of each checkpointed decoder layer waits in pinned host
// memory between forward and backward, and comes back one layer ahead of its recompute.
#pragma once

#include <optional>
#include <vector>

#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/torch.h>

namespace qlsweep::trainer {

// One per model. Forward parks each layer input in order (Park returns its slot); backward
// fetches them in reverse order (Fetch(slot)), and each Fetch starts the copy of slot - 1 so it
// overlaps the recompute and backward of the current layer. On CUDA the copies run on a side
// stream (device -> host after the work already queued on the compute stream, host -> device
// before the compute stream uses the tensor); the caching allocators keep every buffer alive
// until its copy is done (record_stream, pinned-block events). On a CPU device the "host copy"
// is a clone: the bookkeeping runs, nothing is saved.
//
// The host thread is held back to kCopiesInFlight layers ahead of the copies (FSDP's
// limit_all_gathers does the same for its gathers). Without that, the host queues the whole
// forward long before the device runs it, and every parked input it drops stays reserved for its
// pending copy: on the 7B at seq 4096 (H200, bench/profile.sh with QLSWEEP_PROFILE_MEMORY=1) up to
// 29 blocks of the inputs' [1, 4096, 4096] bf16 shape were held at once during the forward,
// 0.9 GiB, about what the offload was to save (docs/results.md, session 7). Fetch holds the
// backward the same way: a fetched tensor dropped by the host stays reserved until the device has
// used it.
class ActivationOffload {
 public:
  // Parks and fetches the host may run ahead of the device's copies and uses.
  static constexpr int64_t kCopiesInFlight = 2;

  explicit ActivationOffload(torch::Device device);

  // Forgets the slots of an earlier forward (a forward without backward, e.g. an interrupted
  // step, leaves some); called at the start of every checkpointed forward.
  void Reset();
  // x: [B, T, D] on the model's device, any dtype. Starts its copy to pinned host memory and
  // returns its slot; the caller may drop x at once.
  int64_t Park(const torch::Tensor& x);
  // Several tensors in one slot (a layer's input and the attention it keeps), which travel
  // together. Each keeps its strides when they are dense (a transposed view stays one), else
  // comes back contiguous.
  int64_t Park(const std::vector<torch::Tensor>& tensors);
  // The tensor parked in `slot`, back on the device and usable on the current stream (bitwise
  // equal to what was parked); prefetches slot - 1. A slot is fetched once.
  torch::Tensor Fetch(int64_t slot);
  // Every tensor of `slot`, in the order parked.
  std::vector<torch::Tensor> FetchAll(int64_t slot);
  // Host bytes currently parked (pinned; a clone's bytes on a CPU device).
  int64_t parked_bytes() const;

 private:
  struct Slot {
    std::vector<torch::Tensor> host;            // pinned copies, or clones on a CPU device
    std::vector<torch::Tensor> device;          // set once their copy back has been started
    std::optional<at::cuda::CUDAEvent> ready;   // the copy back is done (CUDA only)
    std::optional<at::cuda::CUDAEvent> parked;  // the copy to the host is done (CUDA only)
    std::optional<at::cuda::CUDAEvent> handed;  // the device reached this slot's Fetch (CUDA)
  };
  // Blocks the host until `event` (if set) has happened on the device, then forgets it.
  static void WaitFor(std::optional<at::cuda::CUDAEvent>& event);
  void StartCopyBack(Slot& slot);

  torch::Device device_;
  std::optional<c10::cuda::CUDAStream> copy_stream_;  // CUDA only
  std::vector<Slot> slots_;
};

}  // namespace qlsweep::trainer
