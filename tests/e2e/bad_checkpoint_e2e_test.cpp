// e2e tier: checkpoints whose config or metadata would crash or silently mistrain (zero key/value
// heads, a NaN epsilon, a foreign model_type, a shard path leaving the folder) end a trial with
// exit 2 and an error naming the file and key, under `train` and under `run` (recorded failed,
// not killed, so it does not re-run on every resume).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_support.h"
#include "tests/support/protocol_printers.h"
#include "tests/support/gguf_test_writer.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using qlsweep::e2e::RunQlsweep;
using qlsweep::e2e::TrialsNow;
using BadCheckpoint = qlsweep::e2e::E2eTest;

const fs::path kUntied = fs::path(QLSWEEP_SOURCE_DIR) / "tests/assets/hf-tiny/untied";
const fs::path kSharded = fs::path(QLSWEEP_SOURCE_DIR) / "tests/assets/hf-tiny/tied-sharded";

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A copy of `from` in `to` whose config.json got `change`.
std::string CheckpointWith(const fs::path& from, const fs::path& to, const json& change) {
  fs::create_directories(to);
  for (const auto& entry : fs::directory_iterator(from)) {
    fs::copy_file(entry.path(), to / entry.path().filename());
  }
  json config = json::parse(std::ifstream(to / "config.json"));
  config.update(change);
  std::ofstream(to / "config.json", std::ios::trunc) << config.dump(2);
  return to.string();
}

// The message of the `error` event among the output's lines ("" when there is none).
std::string ErrorEvent(const std::string& out) {
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("{")) continue;
    const json event = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (event.is_object() && event.value("event", "") == "error") return event.value("message", "");
  }
  return "";
}

std::string TrialFile(const fs::path& dir, const std::string& weights) {
  const auto path = dir / "trial.yaml";
  std::ofstream(path) << "model: {weights: " << weights << "}\n"
                      << "quantization: {type: none}\ndata: {seq_len: 16}\n"
                      << "train: {steps: 2, warmup_steps: 0}\nhardware: {device: cpu}\n";
  return path.string();
}

TEST_F(BadCheckpoint, TrainEndsWithExitTwoNamingFileAndKey) {
  struct Case {
    fs::path from;
    json change;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {kUntied,
       {{"num_key_value_heads", 0}},
       "key \"num_key_value_heads\" must be between 1 and 65536, got 0"},
      {kUntied, {{"num_hidden_layers", 0}}, "key \"num_hidden_layers\" must be"},
      {kUntied, {{"num_hidden_layers", 5000000}}, "key \"num_hidden_layers\" must be between 1"},
      {kUntied, {{"rms_norm_eps", 0}}, "key \"rms_norm_eps\" must be a finite"},
      {kUntied, {{"num_attention_heads", 3}}, "key \"num_attention_heads\" (3) must divide"},
      {kUntied, {{"model_type", "qwen2"}}, "key \"model_type\" is \"qwen2\""},
  };
  int n = 0;
  for (const auto& c : cases) {
    const fs::path dir = dir_ / ("case" + std::to_string(n++));
    const auto weights = CheckpointWith(c.from, dir / "ckpt", c.change);
    const auto result = RunQlsweep("train " + TrialFile(dir, weights) + " 2>&1");
    EXPECT_EQ(result.exit_code, 2) << c.change.dump() << ": " << result.out;
    const std::string message = ErrorEvent(result.out);
    EXPECT_TRUE(Has(message, (dir / "ckpt" / "config.json").string() + ": ")) << message;
    EXPECT_TRUE(Has(message, c.expected)) << c.change.dump() << ": " << result.out;
  }
}

TEST_F(BadCheckpoint, ShardNamesOutsideTheFolderAreRefused) {
  const auto weights = CheckpointWith(kSharded, dir_ / "ckpt", json::object());
  const fs::path index = fs::path(weights) / "model.safetensors.index.json";
  json j = json::parse(std::ifstream(index));
  const std::string tensor = j["weight_map"].begin().key();
  j["weight_map"][tensor] = "../../../../../../../etc/passwd";
  std::ofstream(index, std::ios::trunc) << j.dump();
  const auto result = RunQlsweep("train " + TrialFile(dir_, weights) + " 2>&1");
  EXPECT_EQ(result.exit_code, 2) << result.out;
  EXPECT_TRUE(Has(ErrorEvent(result.out), index.string() + ": key \"weight_map\" entry \"" +
                                              tensor +
                                              "\" names shard \"../../../../../../../etc/passwd\""))
      << result.out;
}

TEST_F(BadCheckpoint, GgufWithANanEpsilonIsRefused) {
  qlsweep::trainer::testing::GgufBuilder b;
  b.LlamaMetadata("llama.attention.layer_norm_rms_epsilon");
  b.KvF32("llama.attention.layer_norm_rms_epsilon", std::numeric_limits<float>::quiet_NaN());
  const std::string gguf = (dir_ / "nan.gguf").string();
  b.WriteTo(gguf);
  const auto result = RunQlsweep("train " + TrialFile(dir_, gguf) + " 2>&1");
  EXPECT_EQ(result.exit_code, 2) << result.out;
  EXPECT_TRUE(Has(ErrorEvent(result.out),
                  gguf + ": metadata 'llama.attention.layer_norm_rms_epsilon' must be a finite "
                         "number above 0 and below 1, got nan"))
      << result.out;
}

TEST_F(BadCheckpoint, UnderRunTheTrialIsRecordedFailedOnceNotKilled) {
  const auto weights = CheckpointWith(kUntied, dir_ / "ckpt", {{"num_key_value_heads", 0}});
  const auto sweep =
      WriteSweep("name: zero-kv\nbase:\n  model: {weights: " + weights +
                 "}\n  quantization: {type: none}\n  data: {seq_len: 16}\n"
                 "  train: {steps: 2, warmup_steps: 0}\n  hardware: {device: cpu}\n");
  ASSERT_EQ(RunQlsweep("run " + sweep + " --db " + db_ + " --quiet 2>&1").exit_code, 0);
  auto trials = TrialsNow(db_, "zero-kv");
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].status, qlsweep::protocol::TrialStatus::kFailed);
  EXPECT_EQ(trials[0].exit_code, 2);
  EXPECT_EQ(trials[0].signal, 0);
  EXPECT_TRUE(Has(trials[0].error, "key \"num_key_value_heads\" must be between 1"))
      << trials[0].error;
  const auto again = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet 2>&1");
  EXPECT_TRUE(Has(again.out,
                  "ran 0 (done 0, oom 0, failed 0, killed 0, timeout 0); 1 already "
                  "recorded"))
      << again.out;
  EXPECT_EQ(TrialsNow(db_, "zero-kv")[0].attempts, 1);
}

}  // namespace
