// Benchmark: one forward pass of a preset with random weights (default llama2-7b, seq 2048, bf16)
// on the GPU: dense 16-bit base vs NF4 + double quant; build time, forward time, memory.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <c10/cuda/CUDACachingAllocator.h>

#include "sweeps/model_shapes.h"
#include "trainer/memory/memory_stats.h"
#include "trainer/model/llama.h"

namespace {

using namespace qlsweep;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string preset = "llama2-7b";
  int64_t seq = 2048;
  int64_t batch = 1;
  int repeats = 5;  // timed forwards (after one untimed)
  std::vector<std::string> quant = {"none", "nf4"};
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--preset") {
      o.preset = value;
    } else if (key == "--seq") {
      o.seq = std::atoll(value.c_str());
    } else if (key == "--batch") {
      o.batch = std::atoll(value.c_str());
    } else if (key == "--repeats") {
      o.repeats = std::atoi(value.c_str());
    } else if (key == "--quant") {
      o.quant = {value};
    } else {
      std::fprintf(stderr,
                   "usage: bench_forward [--preset NAME] [--seq T] [--batch B] [--repeats N] "
                   "[--quant none|nf4]\n");
      std::exit(2);
    }
  }
  return o;
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

double GiB(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0); }

void Run(const Options& o, const std::string& quant) {
  const torch::Device device(torch::kCUDA, 0);
  torch::zeros({1}, torch::TensorOptions().device(device));  // initialises the CUDA allocator
  trainer::MemoryMonitor memory(device);
  c10::cuda::CUDACachingAllocator::emptyCache();
  memory.ResetPeaks();
  const auto opts = torch::TensorOptions().dtype(torch::kBFloat16).device(device);
  trainer::QuantPolicy policy;
  policy.type = quant;
  const auto shape = sweeps::PresetShape(o.preset);
  auto start = Clock::now();
  // LoRA r=16 on all seven projections (B = 0), as a QLoRA trial has.
  auto model = trainer::MakeRandomLlama(
      0, shape, {16, 32, 0, {"q", "k", "v", "o", "gate", "up", "down"}}, opts, policy);
  torch::cuda::synchronize();
  const double build_s = Seconds(start);
  const auto loaded = memory.Sample();
  memory.ResetPeaks();

  torch::NoGradGuard no_grad;
  model->eval();
  auto tokens = torch::randint(shape.vocab, {o.batch, o.seq},
                               torch::TensorOptions().dtype(torch::kInt64).device(device));
  auto forward = [&] {
    auto hidden = model->forward(tokens);  // [B, T, D]
    // The last position's logits, as a generation step would; a training step computes them in
    // chunks (trainer/train/chunked_loss.h).
    return torch::matmul(hidden.select(1, o.seq - 1), model->OutputWeight().t());
  };
  forward();
  torch::cuda::synchronize();
  std::vector<double> times;
  for (int i = 0; i < o.repeats; ++i) {
    start = Clock::now();
    auto logits = forward();
    torch::cuda::synchronize();
    times.push_back(Seconds(start));
  }
  std::sort(times.begin(), times.end());
  const auto after = memory.Sample();
  const double median = times[times.size() / 2];
  std::printf("| %-10s | %-5s | %6ld | %8.1f | %9.1f | %12.0f | %11.2f | %13.2f | %14.2f |\n",
              o.preset.c_str(), quant.c_str(), static_cast<long>(o.seq), build_s, median * 1e3,
              static_cast<double>(o.batch * o.seq) / median, GiB(loaded.alloc_bytes),
              GiB(after.peak_alloc_bytes), GiB(memory.device_peak_bytes()));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  if (!torch::cuda::is_available()) {
    std::fprintf(stderr, "bench_forward: needs a CUDA GPU\n");
    return 1;
  }
  std::printf(
      "Forward pass, bf16, batch %ld, random weights, LoRA r=16 on all projections; "
      "median of %d\n\n",
      static_cast<long>(o.batch), o.repeats);
  std::printf(
      "| preset     | base  | seq    | build s  | forward ms | tokens/s     | weights GiB "
      "| peak alloc GiB | device peak GiB |\n");
  std::printf(
      "|------------|-------|--------|----------|-----------|--------------|-------------|"
      "---------------|----------------|\n");
  for (const auto& q : o.quant) Run(o, q);
  return 0;
}
