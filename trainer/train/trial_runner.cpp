// The training recipe: setup, base evaluation, the optimizer-step loop, final evaluation.
#include "trainer/train/trial_runner.h"

#include <chrono>
#include <cmath>
#include <stdexcept>

#include <c10/core/Allocator.h>

#include "trainer/data/dataset.h"
#include "trainer/data/synthetic.h"
#include "trainer/data/tokenizer_encoder.h"
#include "trainer/io/gguf_source.h"
#include "trainer/memory/memory_cap.h"
#include "trainer/memory/memory_stats.h"
#include "trainer/model/llama.h"
#include "trainer/model/load.h"
#include "trainer/optim/make_optimizer.h"
#include "trainer/peft/adapter_io.h"
#include "trainer/train/chunked_loss.h"
#include "trainer/train/schedule.h"

namespace qlsweep::trainer {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// A failure with the phase it happened in, so an out-of-memory can be reported as such.
struct Phase {
  std::string name = "load";
  MemoryMonitor* memory = nullptr;  // set once the device is known, for the oom event
  int64_t budget_bytes = 0;
};

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

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

json MemoryJson(const MemorySample& m) {
  return {{"alloc_bytes", m.alloc_bytes},
          {"reserved_bytes", m.reserved_bytes},
          {"peak_alloc_bytes", m.peak_alloc_bytes},
          {"peak_reserved_bytes", m.peak_reserved_bytes},
          {"device_used_bytes", m.device_used_bytes}};
}

struct EvalResult {
  double loss = 0, accuracy = 0;
  int64_t sequences = 0, tokens = 0;
};

// Mean loss and token accuracy over the first `sequences` held-out rows (fewer when the split is
// smaller), `micro_batch` rows per forward pass: the same rows whatever the micro-batch.
EvalResult Evaluate(LlamaModel& model, DataSource& data, int64_t sequences, int64_t micro_batch,
                    const torch::Device& device) {
  torch::NoGradGuard no_grad;
  model->eval();
  double loss_sum = 0;
  int64_t correct = 0, counted = 0;
  const int64_t rows = std::min(sequences, data.EvalRows());
  for (int64_t first = 0; first < rows; first += micro_batch) {
    auto batch = data.Eval(first, std::min(micro_batch, rows - first));
    auto hidden = model->forward(batch.tokens.to(device));
    auto r = ChunkedCrossEntropy(hidden, model->OutputWeight(), batch.labels.to(device));
    loss_sum += r.loss.item<double>() * static_cast<double>(r.counted);
    correct += r.correct;
    counted += r.counted;
  }
  model->train();
  const double n = static_cast<double>(std::max<int64_t>(1, counted));
  return {loss_sum / n, static_cast<double>(correct) / n, rows, counted};
}

// The untuned base model's evaluation: the same rows with every adapter switched off.
EvalResult EvaluateBase(LlamaModel& model, DataSource& data, const sweeps::TrialConfig& cfg,
                        const torch::Device& device) {
  model->SetAdaptersEnabled(false);
  auto result = Evaluate(model, data, cfg.eval.sequences, cfg.train.micro_batch, device);
  model->SetAdaptersEnabled(true);
  return result;
}

json EvalEvent(int64_t step, const EvalResult& r, bool base) {
  return {{"event", "eval"},
          {"step", step},
          {"eval_loss", r.loss},
          {"perplexity", std::exp(r.loss)},
          {"token_accuracy", r.accuracy},
          {"sequences", r.sequences},
          {"tokens", r.tokens},
          {"base", base}};
}

int Train(const sweeps::TrialConfig& cfg, const TrialOutputs& outputs, EventSink& sink,
          Phase& phase) {
  const auto start = Clock::now();
  const auto device = PickDevice(cfg.hardware.device);
  // Denormal floats (softmax tails of a confident model, their gradients) run ~25x slower on x86
  // CPUs; flushing them to zero changes no result that matters and keeps CPU trials fast.
  at::globalContext().setFlushDenormal(true);
  const auto dtype = PickDtype(cfg.hardware.dtype, device);
  MemoryBudget budget;
  if (!cfg.hardware.gpu_profile.empty()) budget = ApplyGpuProfile(cfg.hardware.gpu_profile, device);
  MemoryMonitor memory(device);
  phase.memory = &memory;
  phase.budget_bytes = budget.budget_bytes;

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
  const auto shape = weights ? weights->Shape() : sweeps::PresetShape(cfg.model.preset);
  if (cfg.data.seq_len > shape.max_seq) {
    throw std::invalid_argument("data.seq_len " + std::to_string(cfg.data.seq_len) +
                                " exceeds the model's maximum " + std::to_string(shape.max_seq));
  }
  auto data = OpenData(cfg, shape.vocab);
  if (data->EvalRows() == 0) {  // before any weights load, not at the first evaluation
    throw std::invalid_argument(cfg.data.path +
                                ": the eval split is empty (no document fell under "
                                "data.eval_fraction; use more data or a larger fraction)");
  }
  LoraSpec lora{cfg.lora.r,
                cfg.lora.alpha,
                cfg.lora.dropout,
                {cfg.lora.targets.begin(), cfg.lora.targets.end()}};
  QuantPolicy policy;
  policy.type = cfg.quantization.type;
  policy.block = cfg.quantization.block_size;
  policy.double_quant = cfg.quantization.double_quant;
  policy.skip = {cfg.quantization.skip.begin(), cfg.quantization.skip.end()};
  const auto opts = torch::TensorOptions().dtype(dtype).device(device);
  const auto seed = static_cast<uint64_t>(cfg.train.seed);
  if (!cfg.lora.init.empty()) CheckAdapterConfig(cfg.lora.init, lora);  // before any GPU work
  LlamaModel model = weights ? LoadLlama(*weights, lora, opts, policy, seed + 1)
                             : MakeRandomLlama(seed, shape, lora, opts, policy);
  weights.reset();
  if (!cfg.lora.init.empty()) LoadAdapter(*model, lora, cfg.lora.init);
  model->set_checkpointing(cfg.train.grad_checkpointing);
  model->train();
  torch::manual_seed(seed + 2);  // dropout masks

  auto params = model->parameters();
  int64_t trainable = 0;
  for (const auto& p : params) trainable += p.numel();
  auto optimizer = MakeOptimizer(cfg.optim, params, device);
  sink.Emit({{"event", "started"},
             {"trial", cfg.id},
             {"device", device.str()},
             {"dtype", std::string(c10::toString(dtype))},
             {"gpu_profile", cfg.hardware.gpu_profile},
             {"budget_bytes", budget.budget_bytes},
             {"context_bytes", budget.context_bytes},
             {"allocator_cap_bytes", budget.allocator_cap_bytes},
             {"base_bytes", model->BaseBytes()},
             {"params", shape.TotalParams()},
             {"trainable_params", trainable},
             {"load_s", Seconds(start)},
             {"memory", MemoryJson(memory.Sample())}});

  phase.name = "eval";
  const auto base = EvaluateBase(model, *data, cfg, device);
  TightenGpuProfileCap(budget, device);
  sink.Emit(EvalEvent(0, base, true));
  // A fresh adapter (B = 0) is the base model; a loaded one is evaluated as it starts.
  EvalResult last_eval = base;
  if (!cfg.lora.init.empty()) {
    last_eval = Evaluate(model, *data, cfg.eval.sequences, cfg.train.micro_batch, device);
    sink.Emit(EvalEvent(0, last_eval, false));
  }

  const int64_t steps = cfg.train.steps;
  const int64_t tokens_per_step =
      int64_t{cfg.train.micro_batch} * cfg.train.grad_accum * cfg.data.seq_len;
  double train_time = 0, steady_time = 0, last_loss = 0;
  int64_t last_eval_step = 0;
  memory.ResetPeaks();
  for (int64_t step = 0; step < steps; ++step) {
    const auto step_start = Clock::now();
    const double lr = CosineWithWarmup(cfg.optim.lr, step, cfg.train.warmup_steps, steps);
    double loss_sum = 0;
    for (int64_t micro = 0; micro < cfg.train.grad_accum; ++micro) {
      auto batch = data->NextTrain();
      phase.name = "forward";
      auto hidden = model->forward(batch.tokens.to(device));
      auto r = ChunkedCrossEntropy(hidden, model->OutputWeight(), batch.labels.to(device));
      phase.name = "backward";
      (r.loss / static_cast<double>(cfg.train.grad_accum)).backward();
      loss_sum += r.loss.item<double>();
    }
    phase.name = "optimizer";
    double grad_norm = 0;
    if (cfg.train.max_grad_norm > 0) {
      grad_norm = torch::nn::utils::clip_grad_norm_(params, cfg.train.max_grad_norm);
    } else {
      grad_norm = torch::nn::utils::clip_grad_norm_(params, INFINITY);
    }
    optimizer->Step(lr);
    optimizer->ZeroGrad();
    if (device.is_cuda()) torch::cuda::synchronize();
    const double step_s = Seconds(step_start);
    train_time += step_s;
    if (step > 0) steady_time += step_s;  // step 1 pays for kernel selection and allocator growth
    last_loss = loss_sum / static_cast<double>(cfg.train.grad_accum);
    TightenGpuProfileCap(budget, device);
    auto mem = memory.Sample();
    sink.Emit({{"event", "step"},
               {"step", step + 1},
               {"loss", last_loss},
               {"lr", lr},
               {"grad_norm", grad_norm},
               {"tokens", tokens_per_step * (step + 1)},
               {"step_time_s", step_s},
               {"memory", MemoryJson(mem)}});
    const bool at_interval = cfg.eval.interval > 0 && (step + 1) % cfg.eval.interval == 0;
    if (at_interval || step + 1 == steps) {
      phase.name = "eval";
      last_eval = Evaluate(model, *data, cfg.eval.sequences, cfg.train.micro_batch, device);
      last_eval_step = step + 1;
      sink.Emit(EvalEvent(step + 1, last_eval, false));
    }
  }
  if (!outputs.adapter_dir.empty()) {
    phase.name = "save";
    SaveAdapter(*model, lora, outputs.adapter_dir,
                cfg.model.weights.empty() ? cfg.model.preset : cfg.model.weights);
  }
  auto mem = memory.Sample();
  const double steady_tokens =
      static_cast<double>(tokens_per_step * std::max<int64_t>(0, steps - 1));
  sink.Emit({{"event", "done"},
             {"budget_bytes", budget.budget_bytes},
             {"context_bytes", budget.context_bytes},
             {"allocator_cap_bytes", budget.allocator_cap_bytes},
             {"steps", steps},
             {"final_loss", last_loss},
             {"base_eval_loss", base.loss},
             {"final_eval_loss", last_eval.loss},
             {"final_eval_step", last_eval_step},
             {"perplexity", std::exp(last_eval.loss)},
             {"token_accuracy", last_eval.accuracy},
             {"eval_sequences", last_eval.sequences},
             {"eval_tokens", last_eval.tokens},
             {"tokens_per_s", steps > 1    ? steady_tokens / steady_time
                              : steps == 1 ? static_cast<double>(tokens_per_step) / train_time
                                           : 0.0},
             {"tokens_per_s_incl_first",
              steps > 0 ? static_cast<double>(tokens_per_step * steps) / train_time : 0.0},
             {"step_time_s", steps > 0 ? train_time / static_cast<double>(steps) : 0.0},
             {"trainable_params", trainable},
             {"peak_alloc_bytes", mem.peak_alloc_bytes},
             {"peak_reserved_bytes", mem.peak_reserved_bytes},
             {"device_peak_bytes", memory.device_peak_bytes()},
             {"wall_s", Seconds(start)}});
  return kExitDone;
}

}  // namespace

int RunTrial(const sweeps::TrialConfig& cfg, EventSink& sink, const TrialOutputs& outputs) {
  Phase phase;
  try {
    return Train(cfg, outputs, sink, phase);
  } catch (const c10::OutOfMemoryError& e) {
    nlohmann::json event = {{"event", "oom"},
                            {"phase", phase.name},
                            {"message", e.what_without_backtrace()},
                            {"budget_bytes", phase.budget_bytes}};
    if (phase.memory != nullptr) event["memory"] = MemoryJson(phase.memory->Sample());
    sink.Emit(event);
    return kExitOom;
  } catch (const std::invalid_argument& e) {
    sink.Emit({{"event", "error"}, {"phase", phase.name}, {"message", e.what()}});
    return kExitConfig;
  } catch (const c10::Error& e) {
    sink.Emit({{"event", "error"}, {"phase", phase.name}, {"message", e.what_without_backtrace()}});
    return kExitFailed;
  } catch (const std::exception& e) {
    sink.Emit({{"event", "error"}, {"phase", phase.name}, {"message", e.what()}});
    return kExitFailed;
  }
}

}  // namespace qlsweep::trainer
