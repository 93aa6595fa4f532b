// Dynamic loss scaling for fp16 training, with torch.amp.GradScaler's semantics.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace qlsweep::trainer {

// torch.amp.GradScaler's defaults.
struct LossScalerOptions {
  float init_scale = 65536.0f;
  float growth_factor = 2.0f;
  float backoff_factor = 0.5f;
  int64_t growth_interval = 2000;
};

// One optimizer step of fp16 training goes: backward of loss * Scale(); Unscale(params) (every
// gradient times 1/scale, reporting whether any is inf or NaN); clipping on the unscaled
// gradients; the optimizer step only when none was; Update(found_inf). Update follows
// torch's _amp_update_scale_: on inf/NaN the scale is multiplied by backoff_factor and the count
// of finite steps restarts; otherwise the count grows, and when it reaches growth_interval the
// scale is multiplied by growth_factor (kept only if finite) and the count restarts. The scale is
// held as float32, as torch holds it.
class LossScaler {
 public:
  explicit LossScaler(const LossScalerOptions& options = {});

  float Scale() const { return scale_; }
  // Finite steps since the scale last changed or overflowed (torch's growth tracker).
  int64_t GrowthTracker() const { return growth_tracker_; }

  // params: tensors of any float dtype whose .grad() (same dtype, or undefined: skipped) was
  // computed from the scaled loss. Multiplies each gradient in place by the float32 reciprocal of
  // the scale (as torch's _amp_foreach_non_finite_check_and_unscale_) and returns true when any
  // gradient holds an inf or NaN (checked before unscaling, as torch does).
  bool Unscale(const std::vector<torch::Tensor>& params) const;

  // Adjusts the scale after a step whose gradients held inf/NaN (`found_inf`) or not.
  void Update(bool found_inf);

 private:
  LossScalerOptions options_;
  float scale_;
  int64_t growth_tracker_ = 0;
};

}  // namespace qlsweep::trainer
