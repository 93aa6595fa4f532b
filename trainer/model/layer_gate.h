// LayerGate: lets a decoder layer's frozen base be present only while the layer computes (ZeRO-3
// all-gathers it just in time); the model opens it around every forward and recompute.
#pragma once

namespace qlsweep::trainer {

class LayerGate {
 public:
  virtual ~LayerGate() = default;
  // Nested calls count: the base is made present by the first Acquire and may be dropped by the
  // matching last Release.
  virtual void Acquire() = 0;
  virtual void Release() = 0;
};

// Acquires `gate` (if any) for its scope.
class GateScope {
 public:
  explicit GateScope(LayerGate* gate) : gate_(gate) {
    if (gate_ != nullptr) gate_->Acquire();
  }
  ~GateScope() {
    if (gate_ != nullptr) gate_->Release();
  }
  GateScope(const GateScope&) = delete;
  GateScope& operator=(const GateScope&) = delete;

 private:
  LayerGate* gate_;
};

}  // namespace qlsweep::trainer
