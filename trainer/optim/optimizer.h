// The optimizer interface of the trainer: one step over a fixed parameter list at a given lr.
#pragma once

#include <cstdint>

namespace qlsweep::trainer {

// Adam hyper-parameters shared by every variant (the learning rate is passed to each Step).
struct AdamHyper {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // decoupled (AdamW): p *= 1 - lr * weight_decay
};

// An optimizer owns the state of the parameters it was built with; parameters without a
// gradient (undefined .grad()) are skipped by Step, as torch's optimizers do.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One update of every parameter with a gradient, at learning rate `lr`.
  virtual void Step(double lr) = 0;
  // Drops the gradients (set to none, as zero_grad(set_to_none=true)).
  virtual void ZeroGrad() = 0;
  // Bytes of optimizer state (moments, codes, absmax), wherever they live.
  virtual int64_t StateBytes() const = 0;
  // The part of StateBytes held in CUDA managed (paged) memory.
  virtual int64_t ManagedBytes() const = 0;
};

}  // namespace qlsweep::trainer
