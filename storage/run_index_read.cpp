// RunIndex reads: trial listings with their params and results, and sweep records.
#include "storage/run_index.h"
#include "storage/sqlite_statement.h"

namespace qlsweep::storage {
namespace {

// Columns 2 and 3 (sweep, name) are filled in by each listing query.
constexpr const char* kTrialColumns =
    "t.id, {sweep}, {name}, t.status, t.config_json, t.error, t.oom_phase, t.h5_path, t.host, "
    "t.gpu, t.planned_at, t.started_at, t.finished_at, t.exit_code, t.signal, t.attempts, t.wall_s";

std::string TrialSelect(const std::string& sweep_column, const std::string& name_column) {
  std::string columns = kTrialColumns;
  columns.replace(columns.find("{sweep}"), 7, sweep_column);
  columns.replace(columns.find("{name}"), 6, name_column);
  return "SELECT " + columns + " ";
}

TrialRow RowFrom(const Statement& s) {
  TrialRow row;
  row.id = s.Text(0);
  row.sweep = s.Text(1);
  row.name = s.Text(2);
  row.status = s.Status(3);
  row.config_json = s.Text(4);
  row.error = s.Text(5);
  row.oom_phase = s.Text(6);
  row.h5_path = s.Text(7);
  row.host = s.Text(8);
  row.gpu = s.Text(9);
  row.planned_at = s.Text(10);
  row.started_at = s.Text(11);
  row.finished_at = s.Text(12);
  row.exit_code = s.Int(13);
  row.signal = s.Int(14);
  row.attempts = s.Int(15);
  row.wall_s = s.IsNull(16) ? 0.0 : s.Double(16);
  return row;
}

}  // namespace

std::vector<TrialRow> RunIndex::ReadTrialRows(const std::string& sql,
                                              const std::vector<std::string>& parameters) const {
  std::vector<TrialRow> rows;
  Statement list(db_, path_, sql);
  for (size_t i = 0; i < parameters.size(); ++i) list.Bind(static_cast<int>(i) + 1, parameters[i]);
  while (list.Step()) rows.push_back(RowFrom(list));

  Statement params(db_, path_, "SELECT key, value FROM params WHERE trial_id = ?1");
  Statement results(db_, path_, "SELECT key, value FROM results WHERE trial_id = ?1");
  // Tags and notes came with schema 4; a read-only index of an older release has none.
  std::optional<Statement> tags, notes;
  if (SchemaVersion() >= 4) {
    tags.emplace(db_, path_, "SELECT tag FROM trial_tags WHERE trial_id = ?1 ORDER BY tag");
    notes.emplace(db_, path_,
                  "SELECT note FROM trial_notes WHERE trial_id = ?1 ORDER BY created_at, rowid");
  }
  for (TrialRow& row : rows) {
    params.Bind(1, row.id);
    while (params.Step()) row.params[params.Text(0)] = params.Text(1);
    params.Reset();
    results.Bind(1, row.id);
    while (results.Step()) row.results[results.Text(0)] = results.Double(1);
    results.Reset();
    if (!tags) continue;
    tags->Bind(1, row.id);
    while (tags->Step()) row.tags.push_back(tags->Text(0));
    tags->Reset();
    notes->Bind(1, row.id);
    while (notes->Step()) row.notes.push_back(notes->Text(0));
    notes->Reset();
  }
  return rows;
}

std::vector<TrialRow> RunIndex::Trials(const std::string& sweep,
                                       std::optional<protocol::TrialStatus> wanted) const {
  const std::string status = wanted ? std::string(protocol::ToString(*wanted)) : "";
  if (sweep.empty()) {
    return ReadTrialRows(TrialSelect("t.sweep", "t.name") +
                             "FROM trials AS t WHERE (?1 = '' OR t.status = ?1) ORDER BY t.rowid",
                         {status});
  }
  return ReadTrialRows(TrialSelect("st.sweep", "st.name") +
                           "FROM sweep_trials AS st JOIN trials AS t ON t.id = st.trial_id "
                           "WHERE st.sweep = ?1 AND (?2 = '' OR t.status = ?2) ORDER BY st.rowid",
                       {sweep, status});
}

std::optional<TrialRow> RunIndex::Trial(const std::string& id) const {
  std::vector<TrialRow> rows =
      ReadTrialRows(TrialSelect("t.sweep", "t.name") + "FROM trials AS t WHERE t.id = ?1", {id});
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

std::optional<SweepRecord> RunIndex::Sweep(const std::string& name) const {
  Statement select(
      db_, path_,
      "SELECT name, file, gpu_profile, reference, spec_json FROM sweeps WHERE name = ?1");
  select.Bind(1, name);
  if (!select.Step()) return std::nullopt;
  return SweepRecord{select.Text(0), select.Text(1), select.Text(2), select.Text(3),
                     select.Text(4)};
}

}  // namespace qlsweep::storage
