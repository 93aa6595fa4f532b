// Benchmark: the CUDA 4-bit dequantization kernels (eight outputs per thread vs one packed byte per
// thread) on the projection shapes of llama2-7b, NF4 + double quant -> bf16; time and bandwidth.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "trainer/quant/four_bit.h"
#include "trainer/quant/four_bit_cuda.h"

namespace {

using namespace qlsweep::trainer;

// Median seconds of `repeats` calls of fn (after 3 untimed), synchronised.
template <typename Fn>
double MedianSeconds(Fn fn, int repeats) {
  for (int i = 0; i < 3; ++i) fn();
  torch::cuda::synchronize();
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    torch::cuda::synchronize();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main() {
  if (!torch::cuda::is_available()) {
    std::fprintf(stderr, "bench_dequant: needs a CUDA GPU\n");
    return 1;
  }
  std::printf("4-bit dequantization, NF4 + double quant -> bf16, median of 50\n\n");
  std::printf("| weight [out, in] | kernel | us | GB/s (read + write) | same bits |\n");
  std::printf("|---|---|---:|---:|---|\n");
  const std::vector<std::pair<int64_t, int64_t>> shapes = {
      {4096, 4096}, {11008, 4096}, {4096, 11008}};
  for (const auto& [out, in] : shapes) {
    torch::manual_seed(0);
    auto q = Quantize4bit(torch::randn({out, in}, torch::kCUDA), FourBitType::kNf4, 64, true);
    const double bytes = static_cast<double>(q.packed.numel() + q.absmax_codes.numel()) +
                         2.0 * static_cast<double>(out * in);
    const auto scalar = Dequantize4bitCuda(q, torch::kBFloat16, false);
    for (bool vectorized : {false, true}) {
      const double s =
          MedianSeconds([&] { Dequantize4bitCuda(q, torch::kBFloat16, vectorized); }, 50);
      const bool same = torch::equal(Dequantize4bitCuda(q, torch::kBFloat16, vectorized), scalar);
      std::printf("| [%ld, %ld] | %s | %.1f | %.0f | %s |\n", static_cast<long>(out),
                  static_cast<long>(in), vectorized ? "8 per thread" : "2 per thread", s * 1e6,
                  bytes / s / 1e9, same ? "yes" : "NO");
    }
  }
  return 0;
}
