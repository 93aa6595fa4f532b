// RunIndex: the SQLite run index (sweeps, trials, params, results, environment); one writer process.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;

namespace qlsweep::storage {

// Thrown on any SQLite failure; the message names the database file and the statement.
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SweepRecord {
  std::string name;
  std::string file;
  std::string gpu_profile;
  std::string reference;  // reference trial name for quality scores
  std::string spec_json;
};

struct TrialRecord {
  std::string id;
  std::string sweep;
  std::string name;
  std::string config_json;                    // canonical resolved config
  std::map<std::string, std::string> params;  // flattened: "lora.r" -> "16" (JSON scalar text)
};

// Trial status values: planned, running, done, oom, failed, killed, timeout.
struct TrialOutcome {
  std::string id;
  std::string status;
  int exit_code = 0;
  int signal = 0;
  std::string error;     // last error message, if any
  std::string oom_phase; // load | forward | backward | optimizer; empty unless oom
  std::string h5_path;   // the trial's series file
  double wall_s = 0;
  std::map<std::string, double> results;  // peak memory, tokens/s, losses, ... (docs/records.md)
};

struct TrialRow {
  std::string id, sweep, name, status, config_json, error, oom_phase, h5_path;
  std::map<std::string, std::string> params;
  std::map<std::string, double> results;
};

// A result set of `Query`: column names and rows of text (NULL as empty optional).
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

class RunIndex {
 public:
  // Opens (creating and migrating to the current schema) a database for writing: WAL, busy timeout.
  static std::unique_ptr<RunIndex> OpenForWrite(const std::string& path);
  // Opens an existing database read-only; any write through it fails.
  static std::unique_ptr<RunIndex> OpenReadOnly(const std::string& path);
  ~RunIndex();

  int SchemaVersion() const;
  void UpsertSweep(const SweepRecord& sweep);
  // Adds the trial as `planned` unless its id is present; returns the status it now has.
  std::string PlanTrial(const TrialRecord& trial);
  void MarkRunning(const std::string& id, const std::string& host, const std::string& gpu);
  // Trials of `sweep` left `running` by a coordinator that died become `killed`; returns how many.
  int RecoverStaleRunning(const std::string& sweep);
  void RecordOutcome(const TrialOutcome& outcome);  // one transaction: trial row + results
  void RecordEnvironment(const std::string& trial_id, const std::map<std::string, std::string>& env);
  std::vector<TrialRow> Trials(const std::string& sweep = "", const std::string& status = "") const;
  std::optional<TrialRow> Trial(const std::string& id) const;
  // Runs any SQL; on a read-only index a write is refused with a StorageError.
  QueryResult Query(const std::string& sql) const;

 private:
  RunIndex(sqlite3* db, std::string path);
  sqlite3* db_;
  std::string path_;
};

}  // namespace qlsweep::storage
