// CheckedCommunicator: what both backends share: argument checks, the unusable-after-an-error
// state, and the words of their errors. A backend implements the Do* steps.
#pragma once

#include <string>

#include "trainer/dist/communicator.h"

namespace qlsweep::dist {

// Seconds as messages give them: "2", "0.5", "600".
std::string FormatSeconds(double seconds);

class CheckedCommunicator : public Communicator {
 public:
  int Rank() const final { return rank_; }
  int Size() const final { return size_; }
  void AllReduceSum(void* data, size_t count, DType dtype) final;
  void ReduceScatterSum(const void* send, void* recv, size_t count, DType dtype) final;
  void AllGather(const void* send, void* recv, size_t count, DType dtype) final;
  void Broadcast(void* data, size_t count, DType dtype, int root) final;
  void Barrier() final;
  void Abort() final;

 protected:
  // backend: "MPI" or "NCCL", for messages.
  CheckedCommunicator(const char* backend, int rank, int size, const CommOptions& options);

  // Each step runs one checked collective (arguments valid, communicator usable) and returns when
  // it is done; it throws CommError (use TimedOut / Failed) when it fails or times out, after
  // which the communicator stays unusable. The in-place forms of the interface reach the steps
  // as they are.
  virtual void DoAllReduceSum(void* data, size_t count, DType dtype) = 0;
  virtual void DoReduceScatterSum(const void* send, void* recv, size_t count, DType dtype) = 0;
  virtual void DoAllGather(const void* send, void* recv, size_t count, DType dtype) = 0;
  virtual void DoBroadcast(void* data, size_t count, DType dtype, int root) = 0;
  virtual void DoBarrier() = 0;
  // Releases what the backend can without the peers (called once, by Abort).
  virtual void DoAbort() = 0;

  double timeout_s() const { return options_.timeout_s; }
  bool usable() const { return unusable_.empty(); }
  // The errors of the call in progress: "NCCL AllGather of 12 float32 on rank 1 of 2 ...".
  CommError TimedOut() const;
  CommError Failed(const std::string& why) const;

 private:
  template <typename Step>
  void Run(const char* op, const std::string& of, Step&& step);

  const char* backend_;
  int rank_;
  int size_;
  CommOptions options_;
  std::string call_;      // the call in progress, for messages
  std::string unusable_;  // why the communicator is unusable; empty while it is usable
};

}  // namespace qlsweep::dist
