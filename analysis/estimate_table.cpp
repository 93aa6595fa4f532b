// Rendering of memory estimates and GPU profiles as tables.
#include "analysis/estimate_table.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

namespace qlsweep::analysis {
namespace {

std::string Gib(int64_t bytes) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.2f", static_cast<double>(bytes) / (1 << 30));
  return buffer;
}

std::string Fixed(double value, const char* format) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

std::vector<std::string> Row(const std::string& name, int64_t bytes, const std::string& note) {
  return {name, std::to_string(bytes), Gib(bytes), note};
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

}  // namespace

TextTable EstimateTable(const MemoryEstimate& e, const sweeps::GpuProfile* profile) {
  TextTable t;
  t.headers = {"component", "bytes", "GiB", "note"};
  for (const auto& c : e.components) t.rows.push_back(Row(c.name, c.bytes, c.note));
  t.rows.push_back(Row("peak allocated", e.allocated_bytes,
                       e.pageable_bytes > 0
                           ? "sum of the above; " + Gib(e.pageable_bytes) + " GiB of it pageable"
                           : "sum of the above"));
  t.rows.push_back(
      Row("allocator fragmentation", e.fragmentation_bytes,
          Fixed(e.allocated_bytes > 0 ? 100.0 * static_cast<double>(e.fragmentation_bytes) /
                                            static_cast<double>(e.allocated_bytes)
                                      : 0.0,
                "%.0f%%") +
              " of peak allocated"));
  t.rows.push_back(Row("CUDA context and workspaces", e.context_bytes,
                       e.context_bytes > 0 ? "kCudaContextBytes (" +
                                                 std::to_string(kCudaContextBytes / kMiB) + " MiB)"
                                           : "cpu device: none"));
  t.rows.push_back(Row("total", e.total_bytes, "predicted device-level peak"));
  if (profile != nullptr) {
    const Verdict v = Judge(e, *profile);
    t.rows.push_back(
        Row("budget (" + profile->name + ")", v.budget_bytes, "nvidia-smi memory.total"));
    t.rows.push_back(Row("margin", v.margin_bytes, v.fits ? "fits" : "does not fit"));
  }
  return t;
}

std::string EstimateHeadline(const sweeps::TrialConfig& cfg) {
  const auto& q = cfg.quantization;
  const std::string quant =
      q.type == "none" ? "16-bit base" : q.type + (q.double_quant ? " + double quant" : "");
  const int c = ComputeBytes(cfg.hardware);
  const std::string method =
      cfg.train.method == "full"
          ? "full fine-tuning (every weight trainable)"
          : quant + ", LoRA r=" + std::to_string(cfg.lora.r) + " on " + Join(cfg.lora.targets);
  return cfg.model.preset + ", " + method + ", micro-batch " +
         std::to_string(cfg.train.micro_batch) + " x seq " + std::to_string(cfg.data.seq_len) +
         (cfg.train.grad_checkpointing ? ", checkpointing" : ", no checkpointing") + ", " +
         cfg.optim.name + ", compute " + (c == 4 ? "fp32" : "16-bit");
}

// Settings that move memory without changing what the trial computes, for a config that does not
// fit: each one the config allows and lacks, alone, then all of them together. Each predicted by
// the estimator; one that lowers nothing (a tied table) is left out.
TextTable MemorySwitches(const sweeps::TrialConfig& cfg, const sweeps::GpuProfile& profile) {
  TextTable t;
  t.headers = {"setting", "predicted total GiB", "margin GiB", "verdict"};
  if (cfg.hardware.device == "cpu") return t;
  const int64_t base = EstimateMemory(cfg).total_bytes;
  std::vector<std::pair<std::string, sweeps::TrialConfig>> rows;
  sweeps::TrialConfig all = cfg;
  std::vector<std::string> names;
  const auto add = [&](const std::string& name, const auto& set) {
    sweeps::TrialConfig one = cfg;
    set(one);
    if (EstimateMemory(one).total_bytes >= base) return;
    set(all);
    rows.emplace_back(name, one);
    names.push_back(name);
  };
  if (!cfg.train.grad_checkpointing) {
    add("train.grad_checkpointing=true", [](auto& c) { c.train.grad_checkpointing = true; });
  }
  if (!cfg.train.offload_activations) {
    add("train.offload_activations=true", [](auto& c) {
      c.train.grad_checkpointing = true;
      c.train.offload_activations = true;
    });
  }
  const auto& skip = cfg.quantization.skip;
  if (!cfg.train.offload_embeddings && cfg.train.method != "full" &&
      std::find(skip.begin(), skip.end(), "embed") != skip.end()) {
    add("train.offload_embeddings=true", [](auto& c) { c.train.offload_embeddings = true; });
  }
  if (names.size() > 1) {
    std::string joined;
    for (const auto& n : names) joined += (joined.empty() ? "" : " ") + n;
    rows.emplace_back(joined, all);
  }
  for (const auto& [name, c] : rows) {
    const Verdict v = Judge(EstimateMemory(c), profile);
    t.rows.push_back({name, Gib(v.budget_bytes - v.margin_bytes),
                      Fixed(v.margin_bytes / 1073741824.0, "%+.2f"),
                      v.fits ? "fits" : "does not fit"});
  }
  return t;
}

std::string EstimateReport(const sweeps::TrialConfig& cfg, const sweeps::GpuProfile* profile,
                           TableFormat format) {
  const MemoryEstimate e = EstimateMemory(cfg);
  const std::string table = Render(EstimateTable(e, profile), format);
  if (format != TableFormat::kMarkdown) return table;
  std::string out = "Memory estimate: " + EstimateHeadline(cfg) + "\n\n" + table;
  if (profile != nullptr) {
    const Verdict v = Judge(e, *profile);
    out += "\n" + std::string(v.fits ? "Fits " : "Does not fit ") + profile->name + " (" +
           Gib(v.budget_bytes) + " GiB): " + Gib(v.fits ? v.margin_bytes : -v.margin_bytes) +
           " GiB " + (v.fits ? "to spare" : "short") + ".\n";
    const TextTable switches = v.fits ? TextTable{} : MemorySwitches(cfg, *profile);
    if (!switches.rows.empty()) {
      out +=
          "\nSettings that move memory without changing what the trial computes (predicted; "
          "docs/results.md, \"Memory levers\", has them measured):\n\n" +
          Render(switches, format);
    }
  }
  return out;
}

TextTable GpuProfilesTable() {
  TextTable t;
  t.headers = {"name", "memory bytes",       "GiB", "bandwidth GB/s", "bf16 TFLOP/s",
               "SMs",  "compute capability", "note"};
  for (const auto& p : sweeps::GpuProfiles()) {
    t.rows.push_back({p.name, std::to_string(p.memory_bytes), Gib(p.memory_bytes),
                      Fixed(p.bandwidth_gbps, "%.0f"), Fixed(p.bf16_tflops, "%.1f"),
                      std::to_string(p.sms), p.compute_capability, p.note});
  }
  return t;
}

}  // namespace qlsweep::analysis
