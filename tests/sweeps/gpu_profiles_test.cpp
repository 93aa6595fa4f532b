// GPU profiles: the compiled-in data file, its parser, and unknown names in configs.
#include "sweeps/gpu_profiles.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "sweeps/load.h"
#include "tests/support/expect_error.h"
#include "tests/sweeps/test_util.h"

namespace qlsweep::sweeps {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(SweepsGpuProfiles, TheRequiredCardsArePresent) {
  for (const char* name : {"rtx4050-laptop-6gb", "rtx3060-12gb", "rtx4090-24gb", "t4-16gb",
                           "a100-40gb", "a100-80gb", "h100-80gb", "h200-141gb"}) {
    EXPECT_NE(FindGpuProfile(name), nullptr) << name;
  }
  EXPECT_EQ(FindGpuProfile("rtx4050"), nullptr);
  EXPECT_EQ(FindGpuProfile(""), nullptr);
}

TEST(SweepsGpuProfiles, TheReferenceLaptopMatchesReferenceMd) {
  const GpuProfile& p = *FindGpuProfile("rtx4050-laptop-6gb");
  EXPECT_EQ(p.memory_bytes, 6141LL * 1024 * 1024);  // nvidia-smi memory.total
  EXPECT_EQ(p.bandwidth_gbps, 192);
  EXPECT_EQ(p.sms, 20);
  EXPECT_EQ(p.compute_capability, "8.9");
  EXPECT_GE(p.bf16_tflops, 21);
  EXPECT_LE(p.bf16_tflops, 24.5);
}

TEST(SweepsGpuProfiles, EveryProfileIsPlausible) {
  for (const auto& p : GpuProfiles()) {
    // nvidia-smi totals are whole MiB, a little under the marketed size.
    EXPECT_EQ(p.memory_bytes % (1 << 20), 0) << p.name;
    EXPECT_GE(p.memory_bytes, 6000LL << 20) << p.name;
    EXPECT_LE(p.memory_bytes, 141LL << 30) << p.name;
    EXPECT_GT(p.bandwidth_gbps, 100) << p.name;
    EXPECT_GT(p.sms, 0) << p.name;
    EXPECT_EQ(p.compute_capability.size(), 3u) << p.name;
    EXPECT_FALSE(p.note.empty()) << p.name;
  }
  EXPECT_EQ(FindGpuProfile("t4-16gb")->bf16_tflops, 0);  // Turing: no bf16 tensor cores
}

TEST(SweepsGpuProfiles, TheBuildEmbedsTheCurrentDataFile) {
  const auto from_disk = ParseGpuProfiles(
      ReadFile(std::filesystem::path(QLSWEEP_SOURCE_DIR) / "data/gpu_profiles.yaml"));
  ASSERT_EQ(from_disk.size(), GpuProfiles().size());
  for (size_t i = 0; i < from_disk.size(); ++i) {
    EXPECT_EQ(from_disk[i].name, GpuProfiles()[i].name);
    EXPECT_EQ(from_disk[i].memory_bytes, GpuProfiles()[i].memory_bytes);
  }
}

TEST(SweepsGpuProfiles, ParserRejectsMalformedEntries) {
  const std::string ok =
      "profiles:\n  - {name: a, memory_bytes: 1048576, bandwidth_gbps: 1, bf16_tflops: 1, sms: 1,"
      " compute_capability: '8.0', note: n}\n";
  EXPECT_EQ(ParseGpuProfiles(ok).size(), 1u);
  // `ok` with its first `from` replaced by `to`.
  auto edited = [&ok](const std::string& from, const std::string& to) {
    std::string text = ok;
    return text.replace(text.find(from), from.size(), to);
  };
  const std::pair<std::string, std::string> cases[] = {
      {"cards: []\n", "`profiles:` list"},
      {"profiles: [\n", "gpu profiles:"},
      {edited(" sms: 1,", ""), "gpu profile #1 (a): missing scalar 'sms'"},
      {edited("note", "notes"), "unknown field 'notes'; did you mean 'note'?"},
      {edited("sms: 1", "sms: many"), "'sms' has the wrong type: many"},
      {edited("1048576", "0"), "must be positive"},
      {ok + ok.substr(10), "'a' is listed twice"},
  };
  for (const auto& [text, part] : cases) {
    SCOPED_TRACE(text);
    qlsweep::testing::ExpectError<std::invalid_argument>([&] { ParseGpuProfiles(text); }, {part});
  }
}

TEST(SweepsGpuProfiles, UnknownNamesGetTheNearestKnownOne) {
  EXPECT_EQ(GpuProfileError(""), "");
  EXPECT_EQ(GpuProfileError("h100-80gb"), "");
  EXPECT_NE(GpuProfileError("h100-80g").find("; did you mean 'h100-80gb'?"), std::string::npos);
  EXPECT_NE(GpuProfileError("rtx4050").find("; did you mean 'rtx4050-laptop-6gb'?"),
            std::string::npos);
  const std::string ambiguous = GpuProfileError("a100");  // two profiles start with it
  EXPECT_EQ(ambiguous.find("did you mean"), std::string::npos);
  EXPECT_EQ(ambiguous.rfind("unknown GPU profile 'a100' (known: rtx4050-laptop-6gb, ", 0), 0u);
}

TEST(SweepsGpuProfiles, ConfigsWithAnUnknownProfileAreRejected) {
  const auto issues = testing::IssuesOf([] {
    ResolveTrial(nlohmann::json{{"hardware.gpu_profile", "rtx4090"}});
  });
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].key, "hardware.gpu_profile");
  EXPECT_NE(issues[0].message.find("did you mean 'rtx4090-24gb'?"), std::string::npos)
      << issues[0].message;
  EXPECT_EQ(ResolveTrial(nlohmann::json{{"hardware.gpu_profile", "t4-16gb"}}).hardware.gpu_profile,
            "t4-16gb");
}

}  // namespace
}  // namespace qlsweep::sweeps
