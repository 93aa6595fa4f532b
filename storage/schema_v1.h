// Schema version 1 of the run index (docs/records.md explains every table and column).
#pragma once

namespace qlsweep::storage {

// The template of migration 1 (schema_migrations.cpp fills it in): the status CHECK list and the
// result keys of the trial_summary view come from protocol/ as quoted SQL strings: @STATUSES@ is
// every TrialStatus, @PLANNED@ TrialStatus::kPlanned, @kName@ the result key
// protocol::result::kName.
// The text they make is what shipped (a test pins it), so changing one of those protocol
// constants needs a new migration, not an edit here.
inline constexpr const char* kSchemaV1Template = R"sql(
CREATE TABLE sweeps (
  name        TEXT PRIMARY KEY,
  file        TEXT NOT NULL DEFAULT '',
  gpu_profile TEXT NOT NULL DEFAULT '',
  reference   TEXT NOT NULL DEFAULT '',
  spec_json   TEXT NOT NULL DEFAULT '{}',
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE trials (
  id          TEXT PRIMARY KEY,
  sweep       TEXT NOT NULL REFERENCES sweeps(name),
  name        TEXT NOT NULL,
  config_json TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT @PLANNED@
              CHECK (status IN (@STATUSES@)),
  host        TEXT,
  gpu         TEXT,
  exit_code   INTEGER,
  signal      INTEGER,
  error       TEXT,
  oom_phase   TEXT,
  h5_path     TEXT,
  planned_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  started_at  TEXT,
  finished_at TEXT,
  wall_s      REAL,
  attempts    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX trials_status ON trials(status);

CREATE TABLE sweep_trials (
  sweep    TEXT NOT NULL REFERENCES sweeps(name) ON DELETE CASCADE,
  trial_id TEXT NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  name     TEXT NOT NULL,
  PRIMARY KEY (sweep, trial_id)
);
CREATE INDEX sweep_trials_trial ON sweep_trials(trial_id);

CREATE TABLE params (
  trial_id TEXT NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  key      TEXT NOT NULL,
  value    TEXT NOT NULL,
  num      REAL,
  PRIMARY KEY (trial_id, key)
) WITHOUT ROWID;
CREATE INDEX params_key_num ON params(key, num);

CREATE TABLE results (
  trial_id TEXT NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  key      TEXT NOT NULL,
  value    REAL,
  PRIMARY KEY (trial_id, key)
) WITHOUT ROWID;

CREATE TABLE environment (
  trial_id TEXT NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  key      TEXT NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY (trial_id, key)
) WITHOUT ROWID;

CREATE VIEW trial_summary AS
SELECT
  t.id     AS id,
  st.sweep AS sweep,
  st.name  AS name,
  t.status AS status,
  (SELECT CAST(num AS INTEGER) FROM params WHERE trial_id = t.id AND key = 'lora.r') AS lora_r,
  (SELECT CAST(num AS INTEGER) FROM params WHERE trial_id = t.id AND key = 'data.seq_len')
    AS seq_len,
  (SELECT CAST(num AS INTEGER) FROM params WHERE trial_id = t.id AND key = 'train.micro_batch')
    AS micro_batch,
  (SELECT CAST(num AS INTEGER) FROM params WHERE trial_id = t.id AND key = 'train.grad_accum')
    AS grad_accum,
  (SELECT value FROM params WHERE trial_id = t.id AND key = 'quantization.type') AS quant_type,
  (SELECT value FROM params WHERE trial_id = t.id AND key = 'optim.name') AS optim,
  (SELECT value FROM params WHERE trial_id = t.id AND key = 'model.preset') AS preset,
  (SELECT value FROM results WHERE trial_id = t.id AND key = @kPeakReservedBytes@)
    AS peak_reserved_bytes,
  (SELECT value FROM results WHERE trial_id = t.id AND key = @kDevicePeakBytes@)
    AS device_peak_bytes,
  (SELECT value FROM results WHERE trial_id = t.id AND key = @kTokensPerS@) AS tokens_per_s,
  (SELECT value FROM results WHERE trial_id = t.id AND key = @kFinalEvalLoss@) AS final_eval_loss,
  (SELECT value FROM results WHERE trial_id = t.id AND key = @kPerplexity@) AS perplexity,
  t.oom_phase AS oom_phase,
  t.wall_s    AS wall_s
FROM sweep_trials AS st
JOIN trials AS t ON t.id = st.trial_id;
)sql";

}  // namespace qlsweep::storage
