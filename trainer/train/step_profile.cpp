// StepProfile (see step_profile.h): libtorch's Kineto profiler around one step, summarised.
#include "trainer/train/step_profile.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <stdexcept>
#include <vector>

#include <torch/csrc/autograd/profiler_kineto.h>
#include <torch/csrc/cuda/memory_snapshot.h>

namespace qlsweep::trainer {
namespace {

namespace prof = torch::autograd::profiler;
using torch::profiler::impl::ActivityType;
using torch::profiler::impl::ProfilerConfig;
using torch::profiler::impl::ProfilerState;

// CPU ops only for the trace (the table counts GPU time).
std::set<ActivityType> Activities(bool trace) {
  if (trace) return {ActivityType::CPU, ActivityType::CUDA};
  return {ActivityType::CUDA};
}

// Allocator events kept (a 7B step makes about 13,500: H200, seq 4096).
constexpr size_t kMaxEvents = 2'000'000;

struct KernelTotal {
  double ms = 0;
  int64_t calls = 0;
};

std::string Shorten(const std::string& name) {
  return name.size() <= 110 ? name : name.substr(0, 107) + "...";
}

std::string Escape(std::string s) {  // a markdown table cell
  for (auto& c : s) {
    if (c == '|' || c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

std::string KernelGroup(const std::string& name) {
  static const std::vector<std::pair<std::string, std::regex>> kGroups = [] {
    const auto icase = std::regex::icase;
    return std::vector<std::pair<std::string, std::regex>>{
        {"copy / convert", std::regex("^Memcpy|^Memset|copy_kernel|CatArrayBatched", icase)},
        {"4-bit dequantize", std::regex("Dequantize4bit", icase)},
        {"attention", std::regex("flash|fmha|attention|sdpa", icase)},
        {"GEMM", std::regex("gemm|cutlass|xmma|nvjet|cublas|sm90_|sm80_|splitK", icase)},
        {"optimizer", std::regex("adam|multi_tensor", icase)},
        {"reduction", std::regex("reduce|norm_kernel|softmax|logsumexp|nll_loss", icase)},
        {"elementwise", std::regex("elementwise|vectorized|unrolled|pointwise", icase)},
    };
  }();
  for (const auto& [group, pattern] : kGroups) {
    if (std::regex_search(name, pattern)) return group;
  }
  return "other";
}

std::unique_ptr<StepProfile> StepProfile::FromEnvironment(int rank) {
  const char* env = std::getenv("QLSWEEP_PROFILE_DIR");
  if (env == nullptr || *env == 0) return nullptr;
  const std::string dir = rank == 0 ? env : std::string(env) + "/rank" + std::to_string(rank);
  int64_t step = 3;
  if (const char* s = std::getenv("QLSWEEP_PROFILE_STEP"); s != nullptr && *s != 0) {
    char* end = nullptr;
    step = std::strtoll(s, &end, 10);
    if (*end != 0 || step < 1) {
      throw std::invalid_argument(std::string("QLSWEEP_PROFILE_STEP=") + s +
                                  ": expected a step number >= 1");
    }
  }
  const auto on = [](const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && std::string(value) == "1";
  };
  bool memory = on("QLSWEEP_PROFILE_MEMORY");
  if (memory && !torch::cuda::is_available()) {
    std::cerr << "qlsweep: QLSWEEP_PROFILE_MEMORY=1 needs a CUDA device; no memory history\n";
    memory = false;
  }
  return std::make_unique<StepProfile>(dir, step, on("QLSWEEP_PROFILE_TRACE"), memory);
}

StepProfile::StepProfile(std::string dir, int64_t step, bool trace, bool memory)
    : dir_(std::move(dir)), step_(step), trace_(trace), memory_(memory) {
  std::filesystem::create_directories(dir_);
  // Every alloc / free / segment event with its stream and time, no stacks (a C++ stack per
  // allocation would lengthen the steps being measured).
  if (memory_) torch::cuda::_record_memory_history("all", std::nullopt, "python", kMaxEvents);
}

StepProfile::~StepProfile() {
  if (running_) prof::disableProfiler();
  if (memory_) torch::cuda::_record_memory_history(std::nullopt);
}

void StepProfile::Before(int64_t step) {
  if (step != step_) return;
  const ProfilerConfig config(ProfilerState::KINETO);
  prof::prepareProfiler(config, Activities(trace_));
  prof::enableProfiler(config, Activities(trace_));
  running_ = true;
}

void StepProfile::After(int64_t step, double wall_s) {
  if (step != step_ || !running_) return;
  running_ = false;
  auto result = prof::disableProfiler();
  const std::string stem = dir_ + "/step" + std::to_string(step);
  if (trace_) result->save(stem + "-trace.json");
  if (memory_) {
    std::ofstream pickle(stem + "-memory.pickle", std::ios::binary);
    pickle << torch::cuda::_memory_snapshot_pickled();
    if (!pickle) throw std::runtime_error("cannot write " + stem + "-memory.pickle");
    torch::cuda::_record_memory_history(std::nullopt);
    memory_ = false;
  }
  std::map<std::string, KernelTotal> kernels;
  std::map<std::string, KernelTotal> groups;
  double gpu_ms = 0;
  for (const auto& e : result->events()) {
    if (e.deviceType() != c10::DeviceType::CUDA) continue;
    const double ms = static_cast<double>(e.durationNs()) / 1e6;
    auto& k = kernels[e.name()];
    k.ms += ms;
    ++k.calls;
    auto& g = groups[KernelGroup(e.name())];
    g.ms += ms;
    ++g.calls;
    gpu_ms += ms;
  }
  std::ofstream out(stem + "-kernels.md");
  if (!out) throw std::runtime_error("cannot write " + stem + "-kernels.md");
  char line[512];
  std::snprintf(line, sizeof line,
                "Step %lld: wall %.1f ms (with the profiler on), GPU kernels and copies %.1f ms "
                "(%.0f%% of wall)\n\n",
                static_cast<long long>(step), wall_s * 1e3, gpu_ms,
                wall_s > 0 ? 100.0 * gpu_ms / (wall_s * 1e3) : 0.0);
  out << line << "| group | ms | share of GPU time | launches |\n|---|---:|---:|---:|\n";
  std::vector<std::pair<std::string, KernelTotal>> sorted(groups.begin(), groups.end());
  const auto by_ms = [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; };
  std::sort(sorted.begin(), sorted.end(), by_ms);
  for (const auto& [name, t] : sorted) {
    std::snprintf(line, sizeof line, "| %s | %.1f | %.1f%% | %lld |\n", name.c_str(), t.ms,
                  gpu_ms > 0 ? 100.0 * t.ms / gpu_ms : 0.0, static_cast<long long>(t.calls));
    out << line;
  }
  out << "\n| kernel | group | ms | launches | us per launch |\n|---|---|---:|---:|---:|\n";
  sorted.assign(kernels.begin(), kernels.end());
  std::sort(sorted.begin(), sorted.end(), by_ms);
  if (sorted.size() > 30) sorted.resize(30);
  for (const auto& [name, t] : sorted) {
    std::snprintf(line, sizeof line, " | %s | %.2f | %lld | %.1f |\n", KernelGroup(name).c_str(),
                  t.ms, static_cast<long long>(t.calls), 1e3 * t.ms / static_cast<double>(t.calls));
    out << "| " << Escape(Shorten(name)) << line;
  }
}

}  // namespace qlsweep::trainer
