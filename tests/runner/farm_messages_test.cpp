// The farm's messages survive their JSON form; bytes that are not UTF-8 (a log tail) do not
// break it; its settings come from QLSWEEP_FARM_* and refuse nonsense.
#include "runner/farm_messages.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "runner/farm_settings.h"

namespace qlsweep::runner {
namespace {

TEST(FarmMessages, RoundTrip) {
  const auto hello = Decode<WorkerHello>(Encode(WorkerHello{"node1", 4242, 3, {"0", "GPU-ab"}}));
  EXPECT_EQ(hello.host, "node1");
  EXPECT_EQ(hello.pid, 4242);
  EXPECT_EQ(hello.local_rank, 3);
  EXPECT_EQ(hello.devices, (std::vector<std::string>{"0", "GPU-ab"}));

  const auto assign =
      Decode<Assignment>(Encode(Assignment{"abc123", {{"lora", {{"r", 8}}}}, 2, "0,1", true}));
  EXPECT_EQ(assign.trial_id, "abc123");
  EXPECT_EQ(assign.document["lora"]["r"], 8);
  EXPECT_EQ(assign.ranks, 2);
  EXPECT_EQ(assign.cuda_visible_devices, "0,1");
  EXPECT_TRUE(assign.save_adapter);

  const auto lines = Decode<TrialLines>(Encode(TrialLines{"abc123", {"{\"event\":1}", "", "x"}}));
  EXPECT_EQ(lines.lines, (std::vector<std::string>{"{\"event\":1}", "", "x"}));
  const auto exit = Decode<TrialExit>(Encode(TrialExit{"abc123", 3, 9, "tail\n"}));
  EXPECT_EQ(exit.exit_code, 3);
  EXPECT_EQ(exit.signal, 9);
  EXPECT_EQ(exit.log_tail, "tail\n");
  EXPECT_FALSE(Decode<Shutdown>(Encode(Shutdown{false})).finalize);
  EXPECT_EQ(Decode<StopOrder>(Encode(StopOrder{"abc123"})).trial_id, "abc123");
}

TEST(FarmMessages, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  const auto exit = Decode<TrialExit>(Encode(TrialExit{"t", 1, 0, "bad \xff byte"}));
  EXPECT_EQ(exit.log_tail, "bad \xEF\xBF\xBD byte");
  EXPECT_THROW(Decode<TrialExit>("not json"), nlohmann::json::exception);
}

std::map<std::string, std::string> g_env;
const char* FakeGetenv(const char* name) {
  const auto it = g_env.find(name);
  return it == g_env.end() ? nullptr : it->second.c_str();
}

TEST(FarmSettings, DefaultsVariablesAndRefusals) {
  g_env = {};
  auto settings = FarmSettingsFromEnvironment(FakeGetenv);
  EXPECT_EQ(settings.heartbeat_s, 5);
  EXPECT_EQ(settings.lease_s, 60);
  EXPECT_EQ(WorkerDirectory(settings, "/data/runs/runs.db", "node1", 3),
            "/data/runs/workers/node1-rank3");

  g_env = {{"QLSWEEP_FARM_HEARTBEAT_S", "0.5"},
           {"QLSWEEP_FARM_LEASE_S", "3"},
           {"QLSWEEP_FARM_WORKDIR", "/scratch/w"}};
  settings = FarmSettingsFromEnvironment(FakeGetenv);
  EXPECT_EQ(settings.heartbeat_s, 0.5);
  EXPECT_EQ(settings.lease_s, 3);
  EXPECT_EQ(WorkerDirectory(settings, "/data/runs/runs.db", "node1", 3), "/scratch/w");

  const std::vector<std::pair<std::string, std::string>> refused = {
      {"QLSWEEP_FARM_HEARTBEAT_S", "fast"},
      {"QLSWEEP_FARM_LEASE_S", "-1"},
      {"QLSWEEP_FARM_LEASE_S", "8"}};  // not more than two default heartbeats (10 s)
  for (const auto& [name, value] : refused) {
    g_env = {{name, value}};
    EXPECT_THROW(FarmSettingsFromEnvironment(FakeGetenv), std::invalid_argument) << name;
  }
}

}  // namespace
}  // namespace qlsweep::runner
