// RunIndex writes: sweeps, planned trials, status transitions, outcomes and environments.
#include <nlohmann/json.hpp>

#include "storage/param_value.h"
#include "storage/run_index.h"
#include "storage/sqlite_statement.h"

namespace qlsweep::storage {
namespace {

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

// Same config: equal as JSON when both parse (formatting may differ), else equal as text.
bool SameConfig(const std::string& stored, const std::string& given) {
  const auto a = nlohmann::json::parse(stored, nullptr, /*allow_exceptions=*/false);
  const auto b = nlohmann::json::parse(given, nullptr, /*allow_exceptions=*/false);
  if (a.is_discarded() || b.is_discarded()) return stored == given;
  return a == b;
}

void RequireTrial(sqlite3* db, const std::string& path, const std::string& id,
                  std::string_view action) {
  Statement exists(db, path, "SELECT 1 FROM trials WHERE id = ?1");
  exists.Bind(1, id);
  if (!exists.Step()) {
    throw StorageError("run index " + path + ": " + std::string(action) + ": no trial with id '" +
                       id + "'");
  }
}

}  // namespace

void RunIndex::UpsertSweep(const SweepRecord& sweep) {
  if (sweep.name.empty()) throw StorageError("run index " + path_ + ": a sweep needs a name");
  Statement upsert(db_, path_,
                   "INSERT INTO sweeps (name, file, gpu_profile, reference, spec_json) "
                   "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET "
                   "file = excluded.file, gpu_profile = excluded.gpu_profile, "
                   "reference = excluded.reference, spec_json = excluded.spec_json");
  upsert.Bind(1, sweep.name).Bind(2, sweep.file).Bind(3, sweep.gpu_profile);
  upsert.Bind(4, sweep.reference).Bind(5, sweep.spec_json.empty() ? "{}" : sweep.spec_json);
  upsert.Run();
}

protocol::TrialStatus RunIndex::PlanTrial(const TrialRecord& trial) {
  if (trial.id.empty()) throw StorageError("run index " + path_ + ": a trial needs an id");
  Transaction transaction(db_, path_);
  Statement sweep_exists(db_, path_, "SELECT 1 FROM sweeps WHERE name = ?1");
  sweep_exists.Bind(1, trial.sweep);
  if (!sweep_exists.Step()) {
    throw StorageError("run index " + path_ + ": trial '" + trial.id + "' names sweep '" +
                       trial.sweep + "', which is not recorded (UpsertSweep first)");
  }

  protocol::TrialStatus status = protocol::TrialStatus::kPlanned;
  Statement existing(db_, path_, "SELECT status, config_json FROM trials WHERE id = ?1");
  existing.Bind(1, trial.id);
  if (existing.Step()) {
    status = existing.Status(0);
    if (!SameConfig(existing.Text(1), trial.config_json)) {
      throw StorageError("run index " + path_ + ": trial id '" + trial.id +
                         "' is already recorded with a different config (an id collision or a "
                         "change in the canonical config form)");
    }
  } else {
    Statement insert(db_, path_,
                     "INSERT INTO trials (id, sweep, name, config_json) VALUES (?1, ?2, ?3, ?4)");
    insert.Bind(1, trial.id).Bind(2, trial.sweep).Bind(3, trial.name).Bind(4, trial.config_json);
    insert.Run();
    Statement param(db_, path_,
                    "INSERT INTO params (trial_id, key, value, num) VALUES (?1, ?2, ?3, ?4)");
    for (const auto& [key, json_text] : trial.params) {
      const ParamValue value = NormalizeParam(json_text);
      param.Bind(1, trial.id).Bind(2, key).Bind(3, value.text);
      if (value.num) {
        param.Bind(4, *value.num);
      } else {
        param.BindNull(4);
      }
      param.Run();
    }
  }
  Statement link(db_, path_,
                 "INSERT INTO sweep_trials (sweep, trial_id, name) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT (sweep, trial_id) DO UPDATE SET name = excluded.name");
  link.Bind(1, trial.sweep).Bind(2, trial.id).Bind(3, trial.name);
  link.Run();
  transaction.Commit();
  return status;
}

void RunIndex::MarkRunning(const std::string& id, const std::string& host, const std::string& gpu) {
  Transaction transaction(db_, path_);
  RequireTrial(db_, path_, id, "MarkRunning");
  Statement update(db_, path_,
                   std::string("UPDATE trials SET status = ?4, host = ?2, gpu = ?3, "
                               "started_at = ") +
                       kNow +
                       ", finished_at = NULL, exit_code = NULL, signal = NULL, error = NULL, "
                       "oom_phase = NULL, wall_s = NULL, worker_rank = NULL, worker_host = NULL, "
                       "worker_pid = NULL, heartbeat_at = NULL, attempts = attempts + 1 "
                       "WHERE id = ?1");
  update.Bind(1, id).BindTextOrNull(2, host).BindTextOrNull(3, gpu);
  update.Bind(4, protocol::TrialStatus::kRunning);
  update.Run();
  Statement clear(db_, path_, "DELETE FROM results WHERE trial_id = ?1");
  clear.Bind(1, id);
  clear.Run();
  transaction.Commit();
}

int RunIndex::RecoverStaleRunning(const std::string& sweep) {
  Statement update(
      db_, path_,
      std::string("UPDATE trials SET status = ?2, "
                  "error = 'coordinator stopped while the trial ran', finished_at = ") +
          kNow +
          " WHERE status = ?3 AND (?1 = '' OR id IN "
          "(SELECT trial_id FROM sweep_trials WHERE sweep = ?1))");
  update.Bind(1, sweep).Bind(2, protocol::TrialStatus::kKilled);
  update.Bind(3, protocol::TrialStatus::kRunning);
  update.Run();
  return sqlite3_changes(db_);
}

void RunIndex::RecordOutcome(const TrialOutcome& outcome) {
  if (!protocol::IsFinal(outcome.status)) {
    throw StorageError("run index " + path_ + ": RecordOutcome of trial '" + outcome.id +
                       "': status '" + std::string(protocol::ToString(outcome.status)) +
                       "' is not a final status (" + protocol::StatusNames(protocol::IsFinal) +
                       ")");
  }
  Transaction transaction(db_, path_);
  RequireTrial(db_, path_, outcome.id, "RecordOutcome");
  Statement update(db_, path_,
                   std::string("UPDATE trials SET status = ?2, exit_code = ?3, signal = ?4, "
                               "error = ?5, oom_phase = ?6, h5_path = ?7, wall_s = ?8, "
                               "finished_at = ") +
                       kNow + " WHERE id = ?1");
  update.Bind(1, outcome.id).Bind(2, outcome.status).Bind(3, outcome.exit_code);
  update.Bind(4, outcome.signal).BindTextOrNull(5, outcome.error);
  update.BindTextOrNull(6, outcome.oom_phase).BindTextOrNull(7, outcome.h5_path);
  update.Bind(8, outcome.wall_s);
  update.Run();
  Statement clear(db_, path_, "DELETE FROM results WHERE trial_id = ?1");
  clear.Bind(1, outcome.id);
  clear.Run();
  Statement insert(db_, path_, "INSERT INTO results (trial_id, key, value) VALUES (?1, ?2, ?3)");
  for (const auto& [key, value] : outcome.results) {
    insert.Bind(1, outcome.id).Bind(2, key).Bind(3, value);
    insert.Run();
  }
  transaction.Commit();
}

void RunIndex::RecordEnvironment(const std::string& trial_id,
                                 const std::map<std::string, std::string>& env) {
  Transaction transaction(db_, path_);
  RequireTrial(db_, path_, trial_id, "RecordEnvironment");
  Statement clear(db_, path_, "DELETE FROM environment WHERE trial_id = ?1");
  clear.Bind(1, trial_id);
  clear.Run();
  Statement insert(db_, path_,
                   "INSERT INTO environment (trial_id, key, value) VALUES (?1, ?2, ?3)");
  for (const auto& [key, value] : env) {
    insert.Bind(1, trial_id).Bind(2, key).Bind(3, value);
    insert.Run();
  }
  transaction.Commit();
}

}  // namespace qlsweep::storage
