// GPU profiles: memory budget, bandwidth and throughput of the cards configs are judged against.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qlsweep::sweeps {

// One card, as listed in data/gpu_profiles.yaml (compiled in; see docs/gpu-profiles.md).
struct GpuProfile {
  std::string name;                // id used in configs, e.g. "rtx4050-laptop-6gb"
  int64_t memory_bytes = 0;        // nvidia-smi memory.total (MiB x 2^20): the whole budget
  double bandwidth_gbps = 0;       // peak DRAM bandwidth, 10^9 bytes/s
  double bf16_tflops = 0;          // dense bf16 tensor peak, fp32 accumulate; 0 = no bf16 path
  int sms = 0;                     // streaming multiprocessors
  std::string compute_capability;  // "major.minor"
  std::string note;                // variant assumed, caveats
};

// Every built-in profile, in file order. Parsed once on first use; the build's own file is
// checked by tests, so this does not throw for it.
const std::vector<GpuProfile>& GpuProfiles();

// The built-in profile of that name, or nullptr.
const GpuProfile* FindGpuProfile(std::string_view name);

// The built-in profile names, in file order.
std::vector<std::string> GpuProfileNames();

// "" when `name` is empty (no profile) or a built-in profile; otherwise the message for a config
// issue: "unknown GPU profile 'x' (known: ...); did you mean 'y'?".
std::string GpuProfileError(std::string_view name);

// Parses a profiles document (`profiles:` list, every field required, no other keys, unique
// names, positive memory). Throws std::invalid_argument naming the entry and field at fault.
std::vector<GpuProfile> ParseGpuProfiles(const std::string& yaml_text);

}  // namespace qlsweep::sweeps
