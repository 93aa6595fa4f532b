// Schema version 3 of the run index: trial_summary with the GPU profile, base loss and quality.
#pragma once

namespace qlsweep::storage {

// The template of migration 3 (schema_migrations.cpp fills it in like version 1's: @DONE@ is
// TrialStatus::kDone, @kName@ the result key protocol::result::kName, quoted). It recreates the
// view with the columns of version 1 plus gpu_profile (the trial's hardware.gpu_profile, NULL when
// none), base_eval_loss, and quality: (L_base - L_trial) / (L_base - L_ref) with L_base and L_ref
// the base and final eval loss of the sweep's reference trial, as `qlsweep table` computes it
// (docs/analysis.md); NULL when the trial or the reference is not done, either has no eval loss,
// or the reference did not improve on its base. Pinned by a test, like version 1.
inline constexpr const char* kSchemaV3Template = R"sql(
DROP VIEW trial_summary;
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
  t.wall_s    AS wall_s,
  (SELECT NULLIF(value, '') FROM params WHERE trial_id = t.id AND key = 'hardware.gpu_profile')
    AS gpu_profile,
  (SELECT value FROM results WHERE trial_id = t.id AND key = @kBaseEvalLoss@) AS base_eval_loss,
  (SELECT CASE WHEN t.status = @DONE@ AND rt.status = @DONE@ AND rb.value - rf.value > 0
               THEN (rb.value - tf.value) / (rb.value - rf.value) END
     FROM sweeps AS s
     JOIN sweep_trials AS rst ON rst.sweep = s.name AND rst.name = s.reference
     JOIN trials AS rt ON rt.id = rst.trial_id
     JOIN results AS rb ON rb.trial_id = rt.id AND rb.key = @kBaseEvalLoss@
     JOIN results AS rf ON rf.trial_id = rt.id AND rf.key = @kFinalEvalLoss@
     JOIN results AS tf ON tf.trial_id = t.id AND tf.key = @kFinalEvalLoss@
    WHERE s.name = st.sweep) AS quality
FROM sweep_trials AS st
JOIN trials AS t ON t.id = st.trial_id;
)sql";

}  // namespace qlsweep::storage
