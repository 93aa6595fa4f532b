// `qlsweep tag TRIAL TAG...` and `qlsweep note TRIAL TEXT`: users' labels and remarks on recorded
// trials, kept in the run index (schema 4: trial_tags, trial_notes).
#pragma once

#include <string>
#include <vector>

#include "storage/run_index.h"

namespace qlsweep::runner {

struct TagArgs {
  std::string trial;              // id, unique id prefix (4+) or trial name
  std::vector<std::string> tags;  // [A-Za-z0-9_.:+-]+ each
  bool remove = false;            // take the tags off instead
};

struct NoteArgs {
  std::string trial;
  std::string text;  // non-empty; appended, earlier notes are kept
};

// The cells `runs` and `compare` show: the tags joined by ",", the notes by "; " (oldest first).
std::string TagsCell(const storage::TrialRow& trial);
std::string NotesCell(const storage::TrialRow& trial);

// Tags are short words: letters, digits and _ . : + - (no spaces or commas, so that `runs` can
// list them joined). "" when `tag` is one, else what is wrong.
std::string TagProblem(const std::string& tag);

// Both write one transaction to the run index without taking the run lock (<db>.lock): they
// never touch the rows a running sweep writes, and SQLite serialises the writes (WAL, busy
// timeout), so they work while a `run` records trials. Exit 0; 2 for an unknown trial or a bad
// tag or note; 1 when the index cannot be written.
int TagCommand(const TagArgs& args, const std::string& db_path);
int NoteCommand(const NoteArgs& args, const std::string& db_path);

}  // namespace qlsweep::runner
