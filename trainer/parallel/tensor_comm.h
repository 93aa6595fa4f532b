// Collectives on torch tensors: maps a tensor's dtype and memory onto the Communicator's buffers.
#pragma once

#include <torch/torch.h>

#include "trainer/dist/communicator.h"

namespace qlsweep::trainer {

// The Communicator dtype of `t` (float32/64, bfloat16, float16, uint8, int32, int64); throws
// std::invalid_argument for any other.
dist::DType CommDType(const torch::Tensor& t);

// Each takes contiguous tensors on the communicator's memory (host or CUDA).
// t: [n] any supported dtype, in place: the elementwise sum over ranks.
void AllReduceSum(dist::Communicator& comm, torch::Tensor& t);
// full: [Size() * n] -> returns [n]: the sum over ranks of chunk Rank().
torch::Tensor ReduceScatterSum(dist::Communicator& comm, const torch::Tensor& full);
// part: [n] -> out: [Size() * n] (written in place), rank i's part at [i * n, (i + 1) * n).
void AllGatherInto(dist::Communicator& comm, const torch::Tensor& part, torch::Tensor& out);
// t: any shape, in place: root's values.
void Broadcast(dist::Communicator& comm, torch::Tensor& t, int root);
// Sum over ranks of host doubles (e.g. loss sums, token counts), through a host communicator.
std::vector<double> AllReduceSumHost(dist::Communicator& comm, std::vector<double> values);

}  // namespace qlsweep::trainer
