// SetupTrial: device, GPU profile, data, model (random or loaded, quantized), adapters, optimizer.
#include <chrono>
#include <stdexcept>

#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAStream.h>

#include "trainer/data/dataset.h"
#include "trainer/data/synthetic.h"
#include "trainer/data/tokenizer_encoder.h"
#include "trainer/io/adapter_io.h"
#include "trainer/io/gguf_source.h"
#include "trainer/model/load.h"
#include "trainer/optim/make_optimizer.h"
#include "trainer/train/trial_state.h"

namespace qlsweep::trainer {
namespace {

torch::Device PickDevice(const std::string& wanted) {
  if (wanted == "cpu") return torch::kCPU;
  if (wanted == "cuda") {
    if (!torch::cuda::is_available())
      throw std::runtime_error("hardware.device is cuda but no GPU");
    return torch::Device(torch::kCUDA, 0);
  }
  return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}

torch::Dtype PickDtype(const std::string& wanted, const torch::Device& device) {
  if (wanted == "bf16") return torch::kBFloat16;
  if (wanted == "fp16") return torch::kFloat16;
  if (wanted == "fp32") return torch::kFloat32;
  return device.is_cuda() ? torch::kBFloat16 : torch::kFloat32;
}

// The trial's data: synthetic, or a file tokenized with the trial's tokenizer (model.tokenizer,
// or the one inside / beside model.weights).
std::unique_ptr<DataSource> OpenData(const sweeps::TrialConfig& cfg, int64_t vocab) {
  const auto seed = static_cast<uint64_t>(cfg.train.seed);
  if (cfg.data.source == "synthetic") {
    return std::make_unique<SyntheticSource>(vocab, cfg.data.seq_len, cfg.train.micro_batch, seed);
  }
  DatasetOptions options;
  options.source = cfg.data.source;
  options.path = cfg.data.path;
  options.seq_len = cfg.data.seq_len;
  options.eval_fraction = cfg.data.eval_fraction;
  options.prompt_template = cfg.data.prompt_template;
  options.micro_batch = cfg.train.micro_batch;
  options.seed = seed;
  options.vocab = vocab;
  std::unique_ptr<TokenizerEncoder> encoder;
  if (cfg.data.source != "tokens" || !cfg.model.tokenizer.empty()) {
    encoder = OpenTokenizer(cfg.model.tokenizer, cfg.model.weights, vocab);
  } else {
    // Pre-tokenized ids need only the EOS id between documents: the GGUF metadata's, else the
    // last id of the vocabulary.
    options.eos_id = vocab - 1;
    if (cfg.model.weights.ends_with(".gguf")) {
      options.eos_id = GgufSource(cfg.model.weights).Tokenizer().eos_id.value_or(vocab - 1);
    }
  }
  try {
    return OpenDataset(options, encoder.get());
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(e.what());  // bad data is the config's problem: exit 2
  }
}

QuantPolicy PolicyOf(const sweeps::QuantizationConfig& q) {
  QuantPolicy policy;
  policy.type = q.type;
  policy.block = q.block_size;
  policy.double_quant = q.double_quant;
  policy.skip = {q.skip.begin(), q.skip.end()};
  return policy;
}

}  // namespace

int64_t HeldBaseBytes(const TrialState& s) {
  int64_t bytes = s.model->BaseBytes();
  for (const auto& shard : s.layer_shards) bytes += shard->shard_bytes();
  return bytes;
}

DistContext* EvalShards(TrialState& s) {
  return s.dist && s.layer_shards.empty() ? s.dist.get() : nullptr;
}

TrialState SetupTrial(const sweeps::TrialConfig& cfg, Phase& phase) {
  const auto start = std::chrono::steady_clock::now();
  TrialState s;
  s.device = PickDevice(cfg.hardware.device);
  if (s.device.is_cuda()) UseExpandableSegments();
  if (cfg.hardware.gpus > 1) {  // a sharded trial: one rank per GPU, NCCL before the budget
    s.dist = JoinDistributed(cfg);
    phase.dist = s.dist;
    if (s.device.is_cuda()) {
      s.device = RankDevice(*s.dist);
      c10::cuda::set_device(s.device.index());
      // All of the trial's work on one pool stream, which NCCL then shares (tensor_comm.h).
      c10::cuda::setCurrentCUDAStream(c10::cuda::getStreamFromPool(false, s.device.index()));
    }
    ConnectTensors(*s.dist, s.device);
  }
  // Denormal floats (softmax tails of a confident model, their gradients) run ~25x slower on x86
  // CPUs; flushing them to zero changes no result that matters and keeps CPU trials fast.
  at::globalContext().setFlushDenormal(true);
  s.dtype = PickDtype(cfg.hardware.dtype, s.device);
  if (!cfg.hardware.gpu_profile.empty()) {
    s.budget = ApplyGpuProfile(cfg.hardware.gpu_profile, s.device);
  }
  s.memory = std::make_shared<MemoryMonitor>(s.device);
  phase.memory = s.memory;
  phase.budget_bytes = s.budget.budget_bytes;

  // Real weights (HF folder or GGUF file) when model.weights is given, else the preset's shapes
  // with random weights.
  std::unique_ptr<WeightSource> weights;
  if (!cfg.model.weights.empty()) {
    try {
      weights = OpenWeights(cfg.model.weights);
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument(e.what());
    }
  }
  s.shape = weights ? weights->Shape() : sweeps::PresetShape(cfg.model.preset);
  if (cfg.data.seq_len > s.shape.max_seq) {
    throw std::invalid_argument("data.seq_len " + std::to_string(cfg.data.seq_len) +
                                " exceeds the model's maximum " + std::to_string(s.shape.max_seq));
  }
  s.data = OpenData(cfg, s.shape.vocab);
  if (s.data->EvalRows() == 0) {  // before any weights load, not at the first evaluation
    throw std::invalid_argument(cfg.data.path +
                                ": the eval split is empty (no document fell under "
                                "data.eval_fraction; use more data or a larger fraction)");
  }
  s.full = cfg.train.method == "full";
  s.lora = LoraSpecOf(cfg.lora);
  const auto policy = PolicyOf(cfg.quantization);
  if (s.full) {  // the schema's cross rules refuse these too; a hand-made config may not have them
    if (policy.type != "none" || cfg.hardware.gpus > 1 || !cfg.lora.init.empty() ||
        cfg.train.offload_embeddings) {
      throw std::invalid_argument(
          "train.method full needs quantization.type none, hardware.gpus 1, no lora.init and no "
          "train.offload_embeddings");
    }
    s.lora.targets.clear();  // no adapters: every weight trains itself
  }
  const auto opts = torch::TensorOptions().dtype(s.dtype).device(s.device);
  const auto seed = static_cast<uint64_t>(cfg.train.seed);
  if (!cfg.lora.init.empty()) CheckAdapterConfig(cfg.lora.init, s.lora);  // before any GPU work
  LlamaModelImpl::LayerLoaded shard_layer;  // ZeRO-3: each layer sharded as soon as it is built
  if (s.dist && cfg.distributed.zero_stage == 3) {
    shard_layer = [&s](int64_t, DecoderLayerImpl& layer) {
      s.layer_shards.push_back(std::make_unique<LayerShard>(layer, s.dist->Tensors()));
    };
  }
  s.model = weights ? LoadLlama(*weights, s.lora, opts, policy, seed + 1, shard_layer)
                    : MakeRandomLlama(seed, s.shape, s.lora, opts, policy, shard_layer);
  weights.reset();
  if (!cfg.lora.init.empty()) LoadAdapter(s.model->NamedProjections(), s.lora, cfg.lora.init);
  s.model->set_checkpointing(cfg.train.grad_checkpointing);
  s.model->set_activation_offload(cfg.train.offload_activations, s.device);
  s.model->set_recompute_attention(cfg.train.recompute_attention);
  if (cfg.train.offload_embeddings) {
    s.model->OffloadEmbeddings(s.device);
    if (s.device.is_cuda()) c10::cuda::CUDACachingAllocator::emptyCache();  // the table's pages
  }
  s.model->train();
  torch::manual_seed(seed + 2);  // dropout masks

  s.params = s.full ? s.model->MakeWeightsTrainable() : s.model->parameters();
  for (const auto& p : s.params) s.trainable_params += p.numel();
  if (s.dtype == torch::kFloat16) s.scaler = std::make_unique<LossScaler>();
  if (s.dist) {
    if (s.scaler) throw std::invalid_argument("hardware.dtype fp16 runs on one GPU only");
    s.dp = std::make_unique<DataParallel>(s.params, cfg.distributed.zero_stage, cfg.optim,
                                          s.dist->Tensors(), s.device);
  } else {
    s.optimizer = MakeOptimizer(cfg.optim, s.params, s.device);
  }
  s.load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace qlsweep::trainer
