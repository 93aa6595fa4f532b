// FarmMember: MPI's lifetime around `qlsweep run` when a launcher started it, rank 0's executor
// and the workers' loop; a build without MPI refuses to run as a rank.
#include "runner/farm.h"

#include <unistd.h>
#include <algorithm>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <stdexcept>

#include "runner/farm_settings.h"
#include "runner/launcher_env.h"

#if QLSWEEP_WITH_MPI
#include "runner/farm_channel.h"
#include "runner/farm_coordinator.h"
#include "runner/farm_worker.h"
#include "trainer/dist/mpi_session.h"
#endif

extern char** environ;

namespace qlsweep::runner {
namespace {

#if QLSWEEP_WITH_MPI
class MpiFarmMember : public FarmMember {
 public:
  MpiFarmMember()
      : settings_(FarmSettingsFromEnvironment(
            [](const char* name) -> const char* { return std::getenv(name); })),
        session_(std::make_unique<dist::MpiSession>()) {
    if (session_->size() > 1) channel_ = std::make_unique<FarmChannel>(MPI_COMM_WORLD);
  }

  ~MpiFarmMember() override {
    bool finalize = finalize_;
    if (channel_ && coordinator()) {  // rank 0, also after an early error: release the workers
      if (!coordinator_)
        coordinator_ = std::make_unique<FarmCoordinator>(*channel_, settings_, RunOptions{});
      coordinator_->Shutdown();
      finalize = finalize && !coordinator_->lost_workers();
    }
    if (!finalize) {
      // A peer may be gone: MPI_Finalize would wait for it forever. Exit without it; Open MPI
      // then ends the job (with --enable-recovery it lets this rank go).
      (void)channel_.release();  // its communicator is left to the process's end
      (void)session_.release();  // likewise: no MPI_Finalize
      return;
    }
    coordinator_.reset();
    channel_.reset();
    session_.reset();
  }

  bool coordinator() const override { return session_->rank() == 0; }

  TrialExecutor* Executor(const RunOptions& options) override {
    if (!channel_) return nullptr;
    coordinator_ = std::make_unique<FarmCoordinator>(*channel_, settings_, options);
    return coordinator_.get();
  }

  int ServeTrials(const std::string& db_path, const std::vector<std::string>& devices) override {
    WorkerOptions options;
    options.db_path = db_path;
    options.devices = devices;
    options.self_exe = std::filesystem::read_symlink("/proc/self/exe").string();
    options.local_rank = session_->local_rank();
    // The ranks of this node that run trials share its cores; rank 0, if here, runs none.
    options.local_workers =
        std::max(1, session_->local_size() - (session_->node_has_rank0() ? 1 : 0));
    options.settings = settings_;
    const auto end = runner::ServeTrials(*channel_, options);
    finalize_ = end.finalize;
    return end.exit_code;
  }

 private:
  FarmSettings settings_;
  std::unique_ptr<dist::MpiSession> session_;
  std::unique_ptr<FarmChannel> channel_;
  std::unique_ptr<FarmCoordinator> coordinator_;
  bool finalize_ = true;
};
#endif

}  // namespace

std::unique_ptr<FarmMember> FarmMember::Join() {
  if (!LaunchedAsRank(environ)) return nullptr;
#if QLSWEEP_WITH_MPI
  return std::make_unique<MpiFarmMember>();
#else
  throw std::runtime_error(
      "qlsweep was started as a rank of an MPI job (mpirun, srun) but built without MPI "
      "(QLSWEEP_WITH_MPI=OFF), so it cannot run an MPI farm; run `qlsweep run` without a "
      "launcher");
#endif
}

std::vector<std::string> NodeDevices(const std::vector<std::string>& slots) {
  if (!(slots.size() == 1 && slots[0].empty())) return slots;
  std::vector<std::string> devices;
  std::error_code ec;
  int count = 0;
  const std::regex device("nvidia[0-9]+");
  for (const auto& entry : std::filesystem::directory_iterator("/dev", ec)) {
    if (std::regex_match(entry.path().filename().string(), device)) ++count;
  }
  for (int i = 0; i < count; ++i) devices.push_back(std::to_string(i));
  return devices;
}

}  // namespace qlsweep::runner
