// Collectives on torch tensors over a Communicator (see tensor_comm.h).
#include "trainer/parallel/tensor_comm.h"

#include <stdexcept>

#include <c10/cuda/CUDAStream.h>

namespace qlsweep::trainer {
namespace {

// NCCL works on the stream that produced the tensors: the current torch stream (a pool stream in a
// sharded trial, see SetupTrial). On the legacy default stream (handle 0, which the communicator
// reads as "its own stream") the device is synchronised first, so the collective never races the
// kernels still queued there (nor memory the caching allocator handed on).
void FollowComputeStream(dist::Communicator& comm) {
  if (comm.memory() != dist::Memory::kCuda) return;
  auto stream = c10::cuda::getCurrentCUDAStream();
  if (stream.stream() == nullptr) stream.synchronize();
  comm.SetStream(stream.stream());
}

void Check(dist::Communicator& comm, const torch::Tensor& t, const char* what) {
  if (!t.is_contiguous()) throw std::invalid_argument(std::string(what) + ": not contiguous");
  const bool cuda = comm.memory() == dist::Memory::kCuda;
  if (t.is_cuda() != cuda) {
    throw std::invalid_argument(std::string(what) + ": tensor on " + t.device().str() +
                                ", the communicator works on " + (cuda ? "CUDA" : "host") +
                                " memory");
  }
  FollowComputeStream(comm);
}

}  // namespace

dist::DType CommDType(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat32:
      return dist::DType::kFloat32;
    case torch::kFloat64:
      return dist::DType::kFloat64;
    case torch::kBFloat16:
      return dist::DType::kBFloat16;
    case torch::kFloat16:
      return dist::DType::kFloat16;
    case torch::kUInt8:
      return dist::DType::kUInt8;
    case torch::kInt32:
      return dist::DType::kInt32;
    case torch::kInt64:
      return dist::DType::kInt64;
    default:
      throw std::invalid_argument(std::string("no collective for dtype ") +
                                  c10::toString(t.scalar_type()));
  }
}

void AllReduceSum(dist::Communicator& comm, torch::Tensor& t) {
  Check(comm, t, "all-reduce");
  comm.AllReduceSum(t.data_ptr(), static_cast<size_t>(t.numel()), CommDType(t));
}

torch::Tensor ReduceScatterSum(dist::Communicator& comm, const torch::Tensor& full) {
  Check(comm, full, "reduce-scatter");
  const int64_t n = full.numel() / comm.Size();
  if (n * comm.Size() != full.numel()) {
    throw std::invalid_argument("reduce-scatter: " + std::to_string(full.numel()) +
                                " elements do not split over " + std::to_string(comm.Size()) +
                                " ranks");
  }
  auto part = torch::empty({n}, full.options());
  comm.ReduceScatterSum(full.data_ptr(), part.data_ptr(), static_cast<size_t>(n), CommDType(full));
  return part;
}

void AllGatherInto(dist::Communicator& comm, const torch::Tensor& part, torch::Tensor& out) {
  Check(comm, part, "all-gather");
  Check(comm, out, "all-gather");
  if (out.numel() != part.numel() * comm.Size() || out.scalar_type() != part.scalar_type()) {
    throw std::invalid_argument("all-gather: output does not hold Size() parts of the input");
  }
  comm.AllGather(part.data_ptr(), out.data_ptr(), static_cast<size_t>(part.numel()),
                 CommDType(part));
}

void Broadcast(dist::Communicator& comm, torch::Tensor& t, int root) {
  Check(comm, t, "broadcast");
  comm.Broadcast(t.data_ptr(), static_cast<size_t>(t.numel()), CommDType(t), root);
}

std::vector<double> AllReduceSumHost(dist::Communicator& comm, std::vector<double> values) {
  if (comm.memory() != dist::Memory::kHost) {
    throw std::invalid_argument("AllReduceSumHost needs a host communicator");
  }
  comm.AllReduceSum(values.data(), values.size(), dist::DType::kFloat64);
  return values;
}

}  // namespace qlsweep::trainer
