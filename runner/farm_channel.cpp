// FarmChannel: MPI_Isend queue, MPI_Improbe + MPI_Mrecv receives, errors as exceptions.
#include "runner/farm_channel.h"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "trainer/dist/mpi_wait.h"

namespace qlsweep::runner {
namespace {

void Check(int rc, const char* call) {
  if (rc != MPI_SUCCESS) {
    throw std::runtime_error(std::string("farm: ") + call + " failed: " + dist::MpiErrorText(rc));
  }
}

}  // namespace

FarmChannel::FarmChannel(MPI_Comm world) {
  Check(MPI_Comm_dup(world, &comm_), "MPI_Comm_dup");
  Check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  Check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  Check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
}

FarmChannel::~FarmChannel() {
  try {
    if (Progress() && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
  } catch (const std::exception&) {  // a broken communicator is left as it is
  }
}

void FarmChannel::Send(int to, FarmTag tag, std::string payload) {
  auto& sent = pending_.emplace_back();
  sent.payload = std::move(payload);
  if (MPI_Isend(sent.payload.data(), static_cast<int>(sent.payload.size()), MPI_CHAR, to,
                static_cast<int>(tag), comm_, &sent.request) != MPI_SUCCESS) {
    pending_.pop_back();  // a peer that is gone: its lease runs out, which is what counts
  }
}

std::optional<FarmChannel::Message> FarmChannel::TryReceive() {
  Progress();
  int found = 0;
  MPI_Message handle = MPI_MESSAGE_NULL;
  MPI_Status status;
  Check(MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &found, &handle, &status), "MPI_Improbe");
  if (!found) return std::nullopt;
  int count = 0;
  Check(MPI_Get_count(&status, MPI_CHAR, &count), "MPI_Get_count");
  Message message;
  message.from = status.MPI_SOURCE;
  message.tag = static_cast<FarmTag>(status.MPI_TAG);
  message.payload.resize(static_cast<size_t>(count));
  Check(MPI_Mrecv(message.payload.data(), count, MPI_CHAR, &handle, MPI_STATUS_IGNORE),
        "MPI_Mrecv");
  return message;
}

bool FarmChannel::Progress() {
  for (auto it = pending_.begin(); it != pending_.end();) {
    int done = 0;
    const int rc = MPI_Test(&it->request, &done, MPI_STATUS_IGNORE);
    it = done || rc != MPI_SUCCESS ? pending_.erase(it) : std::next(it);  // failed: as Send
  }
  return pending_.empty();
}

bool FarmChannel::Drain(double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!Progress()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace qlsweep::runner
