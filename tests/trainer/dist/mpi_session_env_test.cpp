// MpiSession's reading of the launcher's environment (no MPI started): who counts as launched by
// MPI, and the local rank before MPI starts.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <map>
#include <optional>
#include <string>

#include "trainer/dist/mpi_session.h"

namespace qlsweep::dist {
namespace {

const char* const kVariables[] = {
    "OMPI_COMM_WORLD_SIZE",       "PMIX_RANK",    "SLURM_PROCID", "PMI_RANK",
    "OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID"};

// Clears the launcher variables for a test and restores them afterwards.
class LauncherEnvironment : public testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kVariables) {
      if (const char* value = getenv(name)) saved_[name] = value;
      unsetenv(name);
    }
  }
  void TearDown() override {
    for (const char* name : kVariables) unsetenv(name);
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
  }

 private:
  std::map<std::string, std::string> saved_;
};

TEST_F(LauncherEnvironment, APlainRunIsNotLaunchedByMpi) {
  EXPECT_FALSE(MpiSession::LaunchedByMpi());
  EXPECT_EQ(MpiSession::LocalRankFromEnvironment(), std::nullopt);
}

TEST_F(LauncherEnvironment, EachLauncherVariableMeansLaunchedByMpi) {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "SLURM_PROCID", "PMI_RANK"}) {
    setenv(name, "0", 1);
    EXPECT_TRUE(MpiSession::LaunchedByMpi()) << name;
    unsetenv(name);
  }
  EXPECT_FALSE(MpiSession::LaunchedByMpi());
}

TEST_F(LauncherEnvironment, LocalRankFromOpenMpiBeforeSlurm) {
  setenv("SLURM_LOCALID", "2", 1);
  EXPECT_EQ(MpiSession::LocalRankFromEnvironment(), 2);
  setenv("OMPI_COMM_WORLD_LOCAL_RANK", "3", 1);
  EXPECT_EQ(MpiSession::LocalRankFromEnvironment(), 3);
  setenv("OMPI_COMM_WORLD_LOCAL_RANK", "x", 1);  // unreadable: the next source
  EXPECT_EQ(MpiSession::LocalRankFromEnvironment(), 2);
}

}  // namespace
}  // namespace qlsweep::dist
