// The farm's point-to-point messages over MPI: non-blocking sends (no rank ever waits on a peer
// that may be gone) and polled receives, on a duplicate of MPI_COMM_WORLD whose errors are
// returned, not fatal.
#pragma once

#include <mpi.h>

#include <list>
#include <optional>
#include <string>

#include "runner/farm_messages.h"

namespace qlsweep::runner {

class FarmChannel {
 public:
  // Duplicates `world` (collective over it) and sets MPI_ERRORS_RETURN on the copy. Throws
  // std::runtime_error on an MPI error.
  explicit FarmChannel(MPI_Comm world);
  // Frees the communicator, unless sends to a peer are still pending (a lost worker's).
  ~FarmChannel();
  FarmChannel(const FarmChannel&) = delete;
  FarmChannel& operator=(const FarmChannel&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  // Queues `payload` for rank `to` (MPI_Isend); the buffer lives until MPI is done with it. A
  // send that fails (a peer gone, with mpirun --enable-recovery) is dropped: the farm notices a
  // gone peer by its silence (leases), not by send errors.
  void Send(int to, FarmTag tag, std::string payload);
  struct Message {
    int from = 0;
    FarmTag tag = FarmTag::kHello;
    std::string payload;
  };
  // A message that has arrived (from any rank, in each sender's order), or nullopt. Completes
  // finished sends on the way.
  std::optional<Message> TryReceive();
  // Tests the pending sends; true when none is left.
  bool Progress();
  // Progress until no send is pending or `timeout_s` passes; true when none is left.
  bool Drain(double timeout_s);

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  struct Pending {
    std::string payload;
    MPI_Request request = MPI_REQUEST_NULL;
  };
  std::list<Pending> pending_;  // std::list: an element's buffer never moves
};

}  // namespace qlsweep::runner
