// CheckedCommunicator: argument checks and the unusable-after-an-error state of both backends.
#include "trainer/dist/checked_communicator.h"

#include <cstdint>
#include <sstream>

namespace qlsweep::dist {
namespace {

void CheckSummable(const char* op, DType dtype) {
  if (dtype == DType::kUInt8) {
    throw std::invalid_argument(std::string(op) + ": summing uint8 is not supported");
  }
}

// The in-place form (small == big + rank * count elements) or two disjoint buffers.
void CheckChunkBuffers(const char* op, const void* big, const void* small, size_t count,
                       DType dtype, int rank, int size) {
  const size_t element = DTypeSize(dtype);
  const auto b = reinterpret_cast<uintptr_t>(big);
  const auto s = reinterpret_cast<uintptr_t>(small);
  if (count == 0 || s == b + rank * count * element) return;
  const bool disjoint = s + count * element <= b || b + size * count * element <= s;
  if (!disjoint) {
    throw std::invalid_argument(std::string(op) +
                                ": buffers overlap other than in place (the rank's chunk)");
  }
}

// " of 12 float32", for messages.
std::string Of(size_t count, DType dtype) {
  return " of " + std::to_string(count) + " " + DTypeName(dtype);
}

}  // namespace

std::string FormatSeconds(double seconds) {
  std::ostringstream text;
  text << seconds;
  return text.str();
}

CheckedCommunicator::CheckedCommunicator(const char* backend, int rank, int size,
                                         const CommOptions& options)
    : backend_(backend), rank_(rank), size_(size), options_(options) {}

template <typename Step>
void CheckedCommunicator::Run(const char* op, const std::string& of, Step&& step) {
  call_ = std::string(backend_) + " " + op + of + " on rank " + std::to_string(rank_) + " of " +
          std::to_string(size_);
  if (!usable())
    throw CommError(call_ + ": the communicator is unusable after: " + unusable_, false);
  try {
    step();
  } catch (const CommError& e) {
    unusable_ = e.what();
    throw;
  }
}

void CheckedCommunicator::AllReduceSum(void* data, size_t count, DType dtype) {
  CheckSummable("AllReduceSum", dtype);
  Run("AllReduceSum", Of(count, dtype), [&] { DoAllReduceSum(data, count, dtype); });
}

void CheckedCommunicator::ReduceScatterSum(const void* send, void* recv, size_t count,
                                           DType dtype) {
  CheckSummable("ReduceScatterSum", dtype);
  CheckChunkBuffers("ReduceScatterSum", send, recv, count, dtype, rank_, size_);
  Run("ReduceScatterSum", Of(count, dtype), [&] { DoReduceScatterSum(send, recv, count, dtype); });
}

void CheckedCommunicator::AllGather(const void* send, void* recv, size_t count, DType dtype) {
  CheckChunkBuffers("AllGather", recv, send, count, dtype, rank_, size_);
  Run("AllGather", Of(count, dtype), [&] { DoAllGather(send, recv, count, dtype); });
}

void CheckedCommunicator::Broadcast(void* data, size_t count, DType dtype, int root) {
  if (root < 0 || root >= size_) {
    throw std::invalid_argument("Broadcast: root " + std::to_string(root) + " is not a rank of " +
                                std::to_string(size_));
  }
  Run("Broadcast", Of(count, dtype) + " from root " + std::to_string(root),
      [&] { DoBroadcast(data, count, dtype, root); });
}

void CheckedCommunicator::Barrier() {
  Run("Barrier", "", [&] { DoBarrier(); });
}

void CheckedCommunicator::Abort() {
  if (!usable()) return;
  unusable_ = std::string(backend_) + " communicator aborted on rank " + std::to_string(rank_);
  DoAbort();
}

CommError CheckedCommunicator::TimedOut() const {
  return CommError(call_ + " did not finish within " + FormatSeconds(options_.timeout_s) +
                       " s: a peer rank hung, died or did not call it",
                   true);
}

CommError CheckedCommunicator::Failed(const std::string& why) const {
  return CommError(call_ + " failed: " + why, false);
}

}  // namespace qlsweep::dist
