// Trial comparison: resolve ids, prefixes or names; lay out config differences and results.
#include "runner/compare_command.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "analysis/trial_values.h"
#include "runner/db_path.h"
#include "runner/tag_command.h"
#include "sweeps/suggest.h"
#include "sweeps/value_text.h"

namespace qlsweep::runner {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

}  // namespace

const storage::TrialRow& FindTrial(const std::vector<storage::TrialRow>& all,
                                   const std::string& wanted, const std::string& db_path) {
  std::vector<const storage::TrialRow*> hits;
  for (const auto& t : all) {
    if (t.id == wanted) return t;
    if (wanted.size() >= 4 && t.id.starts_with(wanted)) hits.push_back(&t);
  }
  if (hits.empty()) {
    for (const auto& t : all) {
      if (t.name == wanted) hits.push_back(&t);
    }
  }
  if (hits.size() == 1) return *hits[0];
  if (hits.empty()) {
    std::vector<std::string> names;
    for (const auto& t : all) names.push_back(t.name);
    throw std::invalid_argument(db_path + ": no trial '" + wanted + "' (an id, a prefix of 4 or " +
                                "more of its characters, or a trial name)" +
                                sweeps::DidYouMean(wanted, names));
  }
  std::string list;
  for (const auto* t : hits) list += (list.empty() ? "" : ", ") + t->id + " (" + t->name + ")";
  throw std::invalid_argument(db_path + ": '" + wanted + "' names several trials: " + list +
                              "; give an id");
}

namespace {

bool IsMainResult(const std::string& key) { return key.find('.') == std::string::npos; }

std::string ResultCell(const storage::TrialRow& t, const std::string& key,
                       analysis::TableFormat format) {
  const auto value = analysis::Result(t, key);
  if (!value) return analysis::kMissingCell;
  char buf[64];
  const bool people = format == analysis::TableFormat::kMarkdown;
  if (people && key.ends_with("_bytes")) {
    std::snprintf(buf, sizeof(buf), "%.3f GiB", *value / kGiB);
  } else {
    std::snprintf(buf, sizeof(buf), people ? "%.6g" : "%.10g", *value);
  }
  return buf;
}

}  // namespace

analysis::TextTable CompareTable(const std::vector<storage::TrialRow>& trials, bool all,
                                 analysis::TableFormat format) {
  analysis::TextTable table;
  table.headers = {"key"};
  for (const auto& t : trials) table.headers.push_back(t.id);
  table.kinds.assign(table.headers.size(), analysis::CellKind::kEach);
  table.kinds[0] = analysis::CellKind::kText;
  const auto add = [&](const std::string& key, auto cell) {
    std::vector<std::string> row = {key};
    for (const auto& t : trials) row.push_back(cell(t));
    table.rows.push_back(std::move(row));
  };
  add("name", [](const auto& t) { return t.name; });
  add("sweep", [](const auto& t) { return t.sweep; });
  add("status", [](const auto& t) { return analysis::StatusLabel(t); });
  const bool any_tags = std::any_of(trials.begin(), trials.end(), [](const auto& t) {
    return !t.tags.empty() || !t.notes.empty();
  });
  if (any_tags) {  // `qlsweep tag` / `qlsweep note`
    add("tags", [](const auto& t) { return TagsCell(t); });
    add("notes", [](const auto& t) { return NotesCell(t); });
  }
  std::set<std::string> params, results;
  for (const auto& t : trials) {
    for (const auto& [key, value] : t.params) params.insert(key);
    for (const auto& [key, value] : t.results) {
      if (all || IsMainResult(key)) results.insert(key);
    }
  }
  for (const auto& key : params) {
    std::set<std::string> values;
    for (const auto& t : trials) values.insert(analysis::Param(t, key));
    if (all || values.size() > 1) {
      add(key, [&](const auto& t) {
        const auto it = t.params.find(key);
        return it == t.params.end() ? std::string(analysis::kMissingCell) : it->second;
      });
    }
  }
  for (const auto& key : results) {
    add(key, [&](const auto& t) { return ResultCell(t, key, format); });
  }
  return table;
}

namespace {

std::string SqlText(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// The trials' quality scores in their sweeps (trial_summary, schema 2), as a last row.
void AddQuality(const storage::RunIndex& index, const std::vector<storage::TrialRow>& trials,
                analysis::TextTable& table) {
  if (index.SchemaVersion() < 2) return;  // the view has no quality column yet
  std::vector<std::string> row = {"quality"};
  bool any = false;
  for (const auto& t : trials) {
    const auto result =
        index.Query("SELECT quality FROM trial_summary WHERE id = " + SqlText(t.id) +
                    " AND sweep = " + SqlText(t.sweep));
    std::string cell = analysis::kMissingCell;
    if (!result.rows.empty() && result.rows[0][0]) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.3f", std::stod(*result.rows[0][0]));
      cell = buf;
      any = true;
    }
    row.push_back(cell);
  }
  if (any) table.rows.push_back(std::move(row));
}

}  // namespace

int CompareCommand(const CompareArgs& args, const std::string& db_path, const std::string& format) {
  if (args.trials.size() < 2) throw std::invalid_argument("compare: give two or more trials");
  CheckDbPathForReading(db_path);
  const auto index = storage::RunIndex::OpenReadOnly(db_path);
  const auto all = index->Trials();
  std::vector<storage::TrialRow> chosen;
  for (const auto& wanted : args.trials) chosen.push_back(FindTrial(all, wanted, db_path));
  const auto table_format = analysis::ParseTableFormat(format);
  auto table = CompareTable(chosen, args.all, table_format);
  AddQuality(*index, chosen, table);
  const auto text = analysis::Render(table, table_format);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace qlsweep::runner
