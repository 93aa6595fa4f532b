// RunIndex: SQLite run index (sweeps, trials, params, results, environment); one writer process.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocol/trial_status.h"

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

struct TrialOutcome {
  std::string id;
  // Must be final (IsFinal: done, oom, failed, killed, timeout); RecordOutcome refuses the rest.
  protocol::TrialStatus status = protocol::TrialStatus::kPlanned;
  int exit_code = 0;
  int signal = 0;
  std::string error;      // last error message, if any
  std::string oom_phase;  // load | forward | backward | optimizer; empty unless oom
  std::string h5_path;    // the trial's series file
  double wall_s = 0;
  std::map<std::string, double> results;  // peak memory, tokens/s, losses, ... (docs/records.md)
};

// Where a running trial of an MPI farm runs: its worker's rank, host and process id (the lease;
// docs/farm.md). The coordinator renews it with each heartbeat of that worker.
struct WorkerLease {
  int rank = 0;
  std::string host;
  int pid = 0;
};

// One trial as listed by `Trials`: `sweep` and `name` are those of the listing's sweep (the first
// sweep that planned the trial when listing all). Empty strings and 0 stand for NULL columns.
struct TrialRow {
  std::string id, sweep, name;
  protocol::TrialStatus status = protocol::TrialStatus::kPlanned;
  std::string config_json, error, oom_phase, h5_path;
  std::map<std::string, std::string> params;  // strings unquoted, numbers as JSON text
  std::map<std::string, double> results;      // NaN where the stored value is NULL (NaN)
  std::string host, gpu;
  std::string planned_at, started_at, finished_at;  // UTC, ISO 8601 (2026-01-31T12:00:00.000Z)
  int exit_code = 0;
  int signal = 0;
  int attempts = 0;  // how many times MarkRunning ran
  double wall_s = 0;
  std::vector<std::string> tags;   // `qlsweep tag`, sorted
  std::vector<std::string> notes;  // `qlsweep note`, oldest first
};

// A `Query` that could not run as asked: SQL that does not prepare (syntax, unknown names), a
// statement a read-only index refuses (a write, ATTACH, a pragma that sets something), a query
// stopped by its time limit, or one past its row limit. The user's SQL is at fault, not the file.
class QueryError : public StorageError {
 public:
  using StorageError::StorageError;
};

// Limits of one `Query`; 0 = none.
struct QueryLimits {
  double timeout_s = 0;  // stop (sqlite3_progress_handler) once the query has run this long
  size_t max_rows = 0;   // refuse a result with more rows
};

// A result set of `Query`: column names and rows of text (NULL as empty optional).
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::vector<std::vector<bool>> numeric;  // numeric[r][c]: the cell is an INTEGER or a REAL
};

// Thread-compatible: one RunIndex per thread. Every method throws StorageError on failure, and
// every write of more than one statement is one transaction (all or nothing).
class RunIndex {
 public:
  // Opens (creating and migrating to the current schema) a database for writing: WAL, busy timeout.
  static std::unique_ptr<RunIndex> OpenForWrite(const std::string& path);
  // Opens an existing database read-only (SQLITE_OPEN_READONLY, PRAGMA query_only) with an
  // authorizer (storage/read_only_guard.h): writes, ATTACH/DETACH and pragmas that change state
  // are refused when prepared. Never blocks a writer (WAL) and waits out a writer's brief locks
  // (busy timeout).
  static std::unique_ptr<RunIndex> OpenReadOnly(const std::string& path);
  ~RunIndex();

  RunIndex(const RunIndex&) = delete;
  RunIndex& operator=(const RunIndex&) = delete;

  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }
  int SchemaVersion() const;
  // Inserts the sweep or updates its file, profile, reference and spec (created_at is kept).
  void UpsertSweep(const SweepRecord& sweep);
  // Adds the trial as `planned` unless its id is present; returns the status it now has.
  // Either way the trial is linked to `trial.sweep` under `trial.name`. The sweep must have been
  // upserted first; an existing id whose stored config differs from `config_json` is an error.
  protocol::TrialStatus PlanTrial(const TrialRecord& trial);
  // Status `running`, started_at now, host and gpu set, attempts + 1; clears the previous
  // attempt's outcome columns and results. Unknown id: error.
  void MarkRunning(const std::string& id, const std::string& host, const std::string& gpu);
  // The lease of a running trial: worker_rank, worker_host, worker_pid set and heartbeat_at now
  // (MarkRunning clears them). Unknown id: error.
  void RecordLease(const std::string& id, const WorkerLease& lease);
  // heartbeat_at = now for the trial while it is `running` (a finished trial is left alone).
  void Heartbeat(const std::string& id);
  // Trials of `sweep` (every sweep if empty) left `running` by a coordinator that died become
  // `killed` with error "coordinator stopped while the trial ran"; returns how many.
  int RecoverStaleRunning(const std::string& sweep);
  // One transaction: the trial's outcome columns, finished_at now, and its results replaced by
  // `outcome.results`. The status must be final (protocol::IsFinal).
  void RecordOutcome(const TrialOutcome& outcome);
  // Replaces the trial's environment rows (GPU, driver, CUDA, libtorch, git revision, ...).
  void RecordEnvironment(const std::string& trial_id,
                         const std::map<std::string, std::string>& env);
  // Adds `tags` to the trial (a tag it has already is kept once); one transaction. Returns how
  // many were new. Unknown id: error. Tags and notes are the users' own rows: no other write
  // touches them, so they may be written while a `run` records trials (WAL, busy timeout).
  int AddTags(const std::string& id, const std::vector<std::string>& tags);
  // Removes `tags` from the trial; returns how many it had. Unknown id: error.
  int RemoveTags(const std::string& id, const std::vector<std::string>& tags);
  // Appends a note (free text; earlier notes are kept). Unknown id: error.
  void AddNote(const std::string& id, const std::string& note);
  // Trials in planning order, optionally of one sweep (through sweep_trials) and one status.
  std::vector<TrialRow> Trials(const std::string& sweep = "",
                               std::optional<protocol::TrialStatus> status = std::nullopt) const;
  std::optional<TrialRow> Trial(const std::string& id) const;
  // The recorded sweep of that name (spec_json included), or nullopt.
  std::optional<SweepRecord> Sweep(const std::string& name) const;
  // Runs any SQL (several statements allowed; the rows are those of the last statement that
  // returns columns). On a read-only index a statement that writes (or attaches, or sets a
  // pragma) is refused. Errors of the SQL itself, refusals and passed limits are QueryErrors
  // naming the file and the statement; other failures StorageErrors.
  QueryResult Query(const std::string& sql, const QueryLimits& limits = {}) const;

 private:
  RunIndex(sqlite3* db, std::string path, bool read_only);
  // Runs a trial listing (columns from run_index_read.cpp) and adds each row's params and results.
  std::vector<TrialRow> ReadTrialRows(const std::string& sql,
                                      const std::vector<std::string>& parameters) const;
  sqlite3* db_;
  std::string path_;
  bool read_only_;
  std::unique_ptr<struct ReadOnlyGuard> guard_;  // the authorizer's state; read-only indexes only
};

}  // namespace qlsweep::storage
