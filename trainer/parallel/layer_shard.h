// LayerShard: ZeRO-3 for the frozen base. A decoder layer's frozen tensors (4-bit codes, both
// absmax levels, norms) packed into one byte buffer, of which each rank keeps 1/N; the layer is
// all-gathered when it computes (forward, recompute, backward) and dropped after.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "trainer/dist/communicator.h"
#include "trainer/model/layer_gate.h"
#include "trainer/model/llama.h"

namespace qlsweep::trainer {

class LayerShard : public LayerGate {
 public:
  // Takes `layer`'s frozen tensors (DecoderLayerImpl::FrozenTensors, on the communicator's
  // memory): keeps this rank's part of their bytes, drops the rest (the slots are left empty
  // until Acquire) and installs itself as the layer's gate. Every rank must hold the same layer.
  LayerShard(DecoderLayerImpl& layer, dist::Communicator& comm);
  ~LayerShard() override;

  void Acquire() override;  // first: all-gather the bytes, point the slots at views of them
  void Release() override;  // last: empty the slots (the gathered buffer is freed)

  int64_t shard_bytes() const { return shard_.numel(); }  // this rank's part
  int64_t full_bytes() const { return total_; }           // the layer's bytes, unpadded
  // [padded] uint8: the all-gathered buffer (a collective; for tests).
  torch::Tensor GatherAll();

 private:
  struct Slot {
    torch::Tensor* tensor;
    c10::ScalarType dtype;
    std::vector<int64_t> shape;
    int64_t offset = 0, bytes = 0;  // in the packed buffer
  };
  void PointSlots(const torch::Tensor& full);

  DecoderLayerImpl& layer_;
  dist::Communicator& comm_;
  std::vector<Slot> slots_;
  int64_t total_ = 0;
  torch::Tensor shard_;  // [padded / N] uint8
  int acquired_ = 0;
};

}  // namespace qlsweep::trainer
