// TrialState: what a trial's training loop works on, built by SetupTrial from a resolved config.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "protocol/events.h"
#include "sweeps/model_shapes.h"
#include "sweeps/trial_config.h"
#include "trainer/data/batch.h"
#include "trainer/memory/memory_cap.h"
#include "trainer/memory/memory_stats.h"
#include "trainer/model/llama.h"
#include "trainer/optim/loss_scaler.h"
#include "trainer/optim/optimizer.h"
#include "trainer/parallel/data_parallel.h"
#include "trainer/parallel/dist_context.h"
#include "trainer/parallel/layer_shard.h"
#include "trainer/peft/lora_spec.h"

namespace qlsweep::trainer {

// The phase a trial is in, for the oom and error events (protocol::phase names).
struct Phase {
  std::string name{protocol::phase::kLoad};
  // Shared with TrialState, whose unwinding frees its own references before the failure handlers
  // read these: the oom event's memory figures and a sharded trial's rank and abort need them.
  std::shared_ptr<MemoryMonitor> memory;  // set once the device is known, for the oom event
  int64_t budget_bytes = 0;
  std::shared_ptr<DistContext> dist;  // set once a sharded trial has joined its MPI job
};

struct TrialState {
  torch::Device device{torch::kCPU};
  torch::Dtype dtype = torch::kFloat32;
  MemoryBudget budget;  // the GPU profile's cap (zeros without a profile)
  std::shared_ptr<MemoryMonitor> memory;
  sweeps::ModelShape shape;
  LoraSpec lora;
  LlamaModel model{nullptr};
  std::unique_ptr<DataSource> data;
  bool full = false;                  // train.method full: every weight trainable, no adapters
  std::vector<torch::Tensor> params;  // the trainable tensors: adapters, or every weight (full)
  int64_t trainable_params = 0;
  std::unique_ptr<Optimizer> optimizer;  // one rank: over `params`; sharded: null (see dp)
  std::unique_ptr<LossScaler> scaler;    // fp16 only: dynamic loss scaling (optim/loss_scaler.h)
  std::shared_ptr<DistContext> dist;     // sharded trials (hardware.gpus > 1) only
  std::unique_ptr<DataParallel> dp;      // sharded trials: gradient sync, ZeRO optimizer
  std::vector<std::unique_ptr<LayerShard>> layer_shards;  // ZeRO-3: each layer's frozen base
  double load_s = 0;  // seconds from start until the state was ready
};

// Picks device and dtype, applies the GPU profile, opens the data, builds or loads the model
// (quantizing its base), loads lora.init's adapter and makes the optimizer. Config problems
// throw std::invalid_argument (exit 2); `phase` is pointed at the state's memory monitor.
// Bytes of the frozen base this process holds: the model's own (embeddings, norms, unsharded
// layers) plus its ZeRO-3 shards of the decoder layers.
int64_t HeldBaseBytes(const TrialState& s);

// The communicator-backed evaluation context: null for one rank and for ZeRO-3 (where every rank
// scores every row, so that all ranks run the same forward passes and all-gathers).
DistContext* EvalShards(TrialState& s);

TrialState SetupTrial(const sweeps::TrialConfig& cfg, Phase& phase);

}  // namespace qlsweep::trainer
