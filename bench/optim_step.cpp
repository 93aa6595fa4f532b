// Benchmark: one optimizer step over the LoRA parameters of a 7B model (r=16, all projections):
// fp32 AdamW vs 8-bit vs paged 8-bit vs paged fp32; state memory, step time, first-step error.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <c10/cuda/CUDACachingAllocator.h>

#include "sweeps/trial_config.h"
#include "trainer/optim/make_optimizer.h"
#include "trainer/optim/paged_memory.h"

namespace {

using qlsweep::trainer::MakeOptimizer;

struct Options {
  int steps = 50;  // timed steps
  int warmup = 5;  // untimed steps first
  int rank = 16;
  torch::Dtype dtype = torch::kFloat32;  // LoRA parameter dtype (--dtype fp32|bf16)
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--steps") {
      o.steps = std::atoi(value.c_str());
    } else if (key == "--warmup") {
      o.warmup = std::atoi(value.c_str());
    } else if (key == "--rank") {
      o.rank = std::atoi(value.c_str());
    } else if (key == "--dtype") {
      o.dtype = value == "bf16" ? torch::kBFloat16 : torch::kFloat32;
    } else {
      std::fprintf(stderr,
                   "usage: bench_optim_step [--steps N] [--warmup N] [--rank R] "
                   "[--dtype fp32|bf16]\n");
      std::exit(2);
    }
  }
  return o;
}

// Shapes of the LoRA factors of llama2-7b: per layer, A [r, in] and B [out, r] for q, k, v, o
// (4096 -> 4096), gate, up (4096 -> 11008) and down (11008 -> 4096); 32 layers.
std::vector<std::vector<int64_t>> LoraShapes(int64_t r) {
  const int64_t h = 4096, ffn = 11008;
  const std::vector<std::pair<int64_t, int64_t>> in_out = {{h, h},   {h, h},   {h, h},  {h, h},
                                                           {h, ffn}, {h, ffn}, {ffn, h}};
  std::vector<std::vector<int64_t>> shapes;
  for (int layer = 0; layer < 32; ++layer) {
    for (const auto& [in, out] : in_out) {
      shapes.push_back({r, in});
      shapes.push_back({out, r});
    }
  }
  return shapes;
}

double MiB(int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

int64_t AllocatedBytes() {
  return c10::cuda::CUDACachingAllocator::getDeviceStats(0).allocated_bytes[0].current;
}

struct Row {
  std::string name;
  int64_t state_bytes = 0, managed_bytes = 0, allocator_bytes = 0;
  double step_ms = 0, first_step_max_diff = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const Options opt = Parse(argc, argv);
  if (!torch::cuda::is_available()) {
    std::fprintf(stderr, "bench_optim_step needs a CUDA GPU\n");
    return 1;
  }
  const torch::Device cuda(torch::kCUDA, 0);
  torch::NoGradGuard no_grad;
  torch::manual_seed(0);
  std::vector<torch::Tensor> initial, grads;  // [shape] of opt.dtype on the GPU
  int64_t numel = 0;
  for (const auto& shape : LoraShapes(opt.rank)) {
    initial.push_back((0.02 * torch::randn(shape, cuda)).to(opt.dtype));
    grads.push_back((1e-3 * torch::randn(shape, cuda)).to(opt.dtype));
    numel += initial.back().numel();
  }
  const double lr = 2e-4;
  std::printf(
      "LoRA of llama2-7b, r=%d, all projections: %zu tensors, %.1fM parameters (%s), "
      "lr %g, %d warm-up + %d timed steps\n\n",
      opt.rank, initial.size(), numel / 1e6, c10::toString(opt.dtype), lr, opt.warmup, opt.steps);

  torch::Tensor reference_delta;  // [numel] float32: the fp32 AdamW first-step update
  std::vector<Row> rows;
  for (const std::string name : {"adamw", "adamw_8bit", "paged_adamw_8bit", "paged_adamw"}) {
    std::vector<torch::Tensor> params;
    for (size_t i = 0; i < initial.size(); ++i) {
      params.push_back(initial[i].clone().requires_grad_(true));
      params.back().mutable_grad() = grads[i];
    }
    torch::cuda::synchronize();
    const int64_t allocated_before = AllocatedBytes();
    qlsweep::sweeps::OptimConfig cfg{name, lr, 0.9, 0.999, 1e-8, 0.0};
    auto optimizer = MakeOptimizer(cfg, params, cuda);
    torch::cuda::synchronize();
    Row row;
    row.name = name;
    row.allocator_bytes = AllocatedBytes() - allocated_before;
    row.state_bytes = optimizer->StateBytes();
    row.managed_bytes = optimizer->ManagedBytes();

    optimizer->Step(lr);
    std::vector<torch::Tensor> deltas;
    for (size_t i = 0; i < params.size(); ++i) {
      deltas.push_back(
          (params[i].to(torch::kFloat32) - initial[i].to(torch::kFloat32)).reshape(-1));
    }
    auto delta = torch::cat(deltas);
    if (!reference_delta.defined()) reference_delta = delta;
    row.first_step_max_diff = (delta - reference_delta).abs().max().item<double>();

    for (int s = 1; s < opt.warmup; ++s) optimizer->Step(lr);
    torch::cuda::synchronize();
    const auto start = std::chrono::steady_clock::now();
    for (int s = 0; s < opt.steps; ++s) optimizer->Step(lr);
    torch::cuda::synchronize();
    row.step_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count() /
        opt.steps;
    rows.push_back(row);
  }

  const double max_update = reference_delta.abs().max().item<double>();
  std::printf(
      "| optimizer | state MiB | of which managed MiB | allocator MiB | step ms | "
      "first-step max abs diff vs adamw |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  for (const auto& r : rows) {
    std::printf("| %s | %.1f | %.1f | %.1f | %.3f | %.3g (%.2f%% of max update) |\n",
                r.name.c_str(), MiB(r.state_bytes), MiB(r.managed_bytes), MiB(r.allocator_bytes),
                r.step_ms, r.first_step_max_diff, 100 * r.first_step_max_diff / max_update);
  }
  std::printf("\nstate ratio 8-bit / fp32: %.4f; first-step max |update| %.3g\n",
              static_cast<double>(rows[1].state_bytes) / static_cast<double>(rows[0].state_bytes),
              max_update);
  return 0;
}
