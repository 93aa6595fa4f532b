// RunIndex leases: which farm worker runs a trial, and when the coordinator last heard from it.
#include "storage/run_index.h"
#include "storage/sqlite_statement.h"

namespace qlsweep::storage {
namespace {

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

}  // namespace

void RunIndex::RecordLease(const std::string& id, const WorkerLease& lease) {
  Statement update(db_, path_,
                   std::string("UPDATE trials SET worker_rank = ?2, worker_host = ?3, "
                               "worker_pid = ?4, heartbeat_at = ") +
                       kNow + " WHERE id = ?1");
  update.Bind(1, id).Bind(2, lease.rank).BindTextOrNull(3, lease.host).Bind(4, lease.pid);
  update.Run();
  if (sqlite3_changes(db_) != 1) {
    throw StorageError("run index " + path_ + ": RecordLease: no trial with id '" + id + "'");
  }
}

void RunIndex::Heartbeat(const std::string& id) {
  Statement update(
      db_, path_,
      std::string("UPDATE trials SET heartbeat_at = ") + kNow + " WHERE id = ?1 AND status = ?2");
  update.Bind(1, id).Bind(2, protocol::TrialStatus::kRunning);
  update.Run();
}

}  // namespace qlsweep::storage
