// Schema version 4 of the run index: tags and notes that users attach to trials.
#pragma once

namespace qlsweep::storage {

// Migration 4: `qlsweep tag` and `qlsweep note` (docs/records.md). A tag is a short label, once
// per trial; a note is free text, appended and never overwritten (each note its own row, with
// the time it was written). Both outlive re-runs: they belong to the trial's id, not an attempt.
// Shipped SQL: append a migration instead of editing it.
inline constexpr const char* kSchemaV4Tags = R"sql(
CREATE TABLE trial_tags (
  trial_id   TEXT NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  tag        TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (trial_id, tag)
) WITHOUT ROWID;
CREATE INDEX trial_tags_by_tag ON trial_tags(tag);
CREATE TABLE trial_notes (
  trial_id   TEXT NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  note       TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX trial_notes_by_trial ON trial_notes(trial_id);
)sql";

}  // namespace qlsweep::storage
