// `qlsweep tag` and `qlsweep note`: find the trial, check the words, write one transaction.
#include "runner/tag_command.h"

#include <cstdio>
#include <regex>
#include <stdexcept>

#include "runner/compare_command.h"
#include "runner/db_path.h"
#include "storage/run_index.h"

namespace qlsweep::runner {
namespace {

// Longest tag and note accepted.
constexpr size_t kMaxTagBytes = 64;
constexpr size_t kMaxNoteBytes = 4096;

std::string Join(const std::vector<std::string>& words, const std::string& separator) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

// The trial `wanted` names, looked up read-only (an unknown one: std::invalid_argument, exit 2).
storage::TrialRow Resolve(const std::string& db_path, const std::string& wanted) {
  CheckDbPathForReading(db_path);
  const auto all = storage::RunIndex::OpenReadOnly(db_path)->Trials();
  return FindTrial(all, wanted, db_path);
}

}  // namespace

std::string TagsCell(const storage::TrialRow& trial) { return Join(trial.tags, ","); }

std::string NotesCell(const storage::TrialRow& trial) { return Join(trial.notes, "; "); }

std::string TagProblem(const std::string& tag) {
  static const std::regex kTag("[A-Za-z0-9_.:+-]+");
  if (tag.size() > kMaxTagBytes) {
    return "tag '" + tag.substr(0, 16) + "...' is longer than " + std::to_string(kMaxTagBytes) +
           " characters";
  }
  if (!std::regex_match(tag, kTag)) {
    return "tag '" + tag +
           "' may hold only letters, digits and _ . : + - (for free text use `qlsweep note`)";
  }
  return "";
}

int TagCommand(const TagArgs& args, const std::string& db_path) {
  for (const auto& tag : args.tags) {
    if (const auto problem = TagProblem(tag); !problem.empty()) {
      throw std::invalid_argument("tag: " + problem);
    }
  }
  const auto trial = Resolve(db_path, args.trial);
  const auto index = storage::RunIndex::OpenForWrite(db_path);
  const int changed =
      args.remove ? index->RemoveTags(trial.id, args.tags) : index->AddTags(trial.id, args.tags);
  const auto tags = index->Trial(trial.id)->tags;
  std::printf("trial %s (%s): %s %d tag(s); tags: %s\n", trial.id.c_str(), trial.name.c_str(),
              args.remove ? "removed" : "added", changed,
              tags.empty() ? "none" : Join(tags, ", ").c_str());
  return 0;
}

int NoteCommand(const NoteArgs& args, const std::string& db_path) {
  if (args.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw std::invalid_argument("note: the text is empty");
  }
  if (args.text.size() > kMaxNoteBytes) {
    throw std::invalid_argument("note: the text is longer than " + std::to_string(kMaxNoteBytes) +
                                " bytes");
  }
  const auto trial = Resolve(db_path, args.trial);
  const auto index = storage::RunIndex::OpenForWrite(db_path);
  index->AddNote(trial.id, args.text);
  std::printf("trial %s (%s): %zu note(s)\n", trial.id.c_str(), trial.name.c_str(),
              index->Trial(trial.id)->notes.size());
  return 0;
}

}  // namespace qlsweep::runner
