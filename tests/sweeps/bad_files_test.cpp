// Malformed sweep and trial files under tests/assets/sweeps/: each one states the issues it must
// produce, one comment line per issue, "# expect: LINE: KEY: TEXT" (KEY "-" when the issue names
// no key; TEXT is a substring of the message). Every expected issue, and no other, must appear, in
// this order, labelled with the file's path.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "sweeps/load.h"
#include "tests/sweeps/test_util.h"

namespace qlsweep::sweeps {
namespace {

namespace fs = std::filesystem;

struct Expected {
  int line;
  std::string key;
  std::string text;
};

std::vector<Expected> ReadExpectations(const fs::path& path) {
  std::ifstream in(path);
  std::vector<Expected> out;
  const std::string tag = "# expect: ";
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(tag, 0) != 0) continue;
    std::string rest = line.substr(tag.size());
    size_t a = rest.find(": ");
    size_t b = rest.find(": ", a + 2);
    if (a == std::string::npos || b == std::string::npos) {
      ADD_FAILURE() << path << ": malformed expectation '" << line << "'";
      continue;
    }
    std::string key = rest.substr(a + 2, b - a - 2);
    out.push_back(
        Expected{std::stoi(rest.substr(0, a)), key == "-" ? "" : key, rest.substr(b + 2)});
  }
  return out;
}

std::vector<std::string> FilesIn(const std::string& folder) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(fs::path(QLSWEEP_SOURCE_DIR) / folder)) {
    out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string() + "_" +
                     fs::path(info.param).extension().string().substr(1);
  for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

void CheckFile(const std::string& path, const std::function<void()>& load) {
  const std::vector<Expected> expected = ReadExpectations(path);
  ASSERT_FALSE(expected.empty()) << path << " states no '# expect:' line";
  const std::vector<ConfigIssue> issues = testing::IssuesOf(load);
  const std::string all = testing::Describe(issues);
  ASSERT_EQ(issues.size(), expected.size()) << path << " gave:\n" << all;
  for (size_t i = 0; i < issues.size(); ++i) {
    EXPECT_EQ(issues[i].file, path);
    EXPECT_EQ(issues[i].line, expected[i].line) << "issue " << i << " of:\n" << all;
    EXPECT_EQ(issues[i].key, expected[i].key) << "issue " << i << " of:\n" << all;
    EXPECT_NE(issues[i].message.find(expected[i].text), std::string::npos)
        << "issue " << i << " lacks '" << expected[i].text << "':\n"
        << all;
  }
}

class SweepsBadSweepFile : public ::testing::TestWithParam<std::string> {};

TEST_P(SweepsBadSweepFile, ReportsExactlyItsExpectedIssues) {
  CheckFile(GetParam(), [&] { LoadSweepFile(GetParam()); });
}

INSTANTIATE_TEST_SUITE_P(Assets, SweepsBadSweepFile,
                         ::testing::ValuesIn(FilesIn("tests/assets/sweeps/bad")), TestName);

class SweepsBadTrialFile : public ::testing::TestWithParam<std::string> {};

TEST_P(SweepsBadTrialFile, ReportsExactlyItsExpectedIssues) {
  CheckFile(GetParam(), [&] { LoadTrialFile(GetParam()); });
}

INSTANTIATE_TEST_SUITE_P(Assets, SweepsBadTrialFile,
                         ::testing::ValuesIn(FilesIn("tests/assets/sweeps/bad_trials")), TestName);

TEST(SweepsBadFiles, ThereAreEnoughCases) {
  EXPECT_GE(FilesIn("tests/assets/sweeps/bad").size(), 15u);
  EXPECT_GE(FilesIn("tests/assets/sweeps/bad_trials").size(), 4u);
}

}  // namespace
}  // namespace qlsweep::sweeps
