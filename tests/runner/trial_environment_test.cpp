// The environment rows recorded for a trial.
#include "runner/trial_environment.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/process.h"

namespace qlsweep::runner {
namespace {

TEST(TrialEnvironment, CoordinatorFieldsThenTheStartedEvent) {
  const CoordinatorEnvironment coordinator{"node7", "0.1.0", ""};
  using Env = std::map<std::string, std::string>;
  EXPECT_EQ(TrialEnvironment(coordinator, "", nullptr),
            (Env{{"host", "node7"}, {"qlsweep_version", "0.1.0"}}));
  const CoordinatorEnvironment with_git{"node7", "0.1.0", std::string(40, 'a')};
  const nlohmann::json started = {
      {"event", "started"}, {"device", "cuda:0"}, {"dtype", "BFloat16"}, {"params", 7}};
  EXPECT_EQ(TrialEnvironment(with_git, "1", started), (Env{{"host", "node7"},
                                                           {"qlsweep_version", "0.1.0"},
                                                           {"git_revision", std::string(40, 'a')},
                                                           {"gpu_slot", "1"},
                                                           {"device", "cuda:0"},
                                                           {"dtype", "BFloat16"}}));
}

TEST(DetectCoordinatorEnvironment, HasHostAndVersion) {
  const auto env = DetectCoordinatorEnvironment();
  EXPECT_FALSE(env.host.empty());
  EXPECT_FALSE(env.version.empty());
  // git_revision is a full hash or empty (no git, or not in a checkout).
  EXPECT_TRUE(env.git_revision.empty() || env.git_revision.size() == 40) << env.git_revision;
}

// The revision is the build's, whatever folder the coordinator runs in: from /, which is no
// checkout, it is still a commit of the source tree (HEAD when the binary was built).
TEST(DetectCoordinatorEnvironment, GitRevisionIsTheBuildsNotTheWorkingFolders) {
  const auto head = testing::RunShell("git -C " QLSWEEP_SOURCE_DIR " rev-parse HEAD 2>/dev/null");
  if (head.exit_code != 0) GTEST_SKIP() << "the source tree is not a git checkout";
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path("/");
  const auto env = DetectCoordinatorEnvironment();
  std::filesystem::current_path(cwd);
  ASSERT_EQ(env.git_revision.size(), 40u) << env.git_revision;
  EXPECT_EQ(testing::RunShell("git -C " QLSWEEP_SOURCE_DIR " cat-file -e " + env.git_revision +
                              "^{commit}")
                .exit_code,
            0)
      << env.git_revision;
}

}  // namespace
}  // namespace qlsweep::runner
