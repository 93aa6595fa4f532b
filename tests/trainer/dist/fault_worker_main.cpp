// dist_fault_worker SCENARIO OUT_DIR: a rank of the fault tests (fault_test.cpp runs it under
// mpiexec). Each rank writes what it saw to OUT_DIR/rank<R>.txt, one line per event.
//   hang: rank 1 never enters a collective (it sleeps 120 s); the others call each of the five
//         collectives, each on its own communicator with a 1 s timeout, and record the CommError
//         (op, timed_out, seconds, message) and what a second call on that communicator does,
//         then the same of creating a communicator; then they exit 3 without MPI_Finalize, as a
//         failed trial would.
//   kill: every rank sums in a loop (600 s timeout); rank 1 raises SIGKILL at iteration 5.
//   exit: the same, but rank 1 calls _exit(7).
#include <mpi.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "trainer/dist/mpi_communicator.h"
#include "trainer/dist/mpi_session.h"

namespace {

using qlsweep::dist::CommError;
using qlsweep::dist::CommOptions;
using qlsweep::dist::Communicator;
using qlsweep::dist::DType;

constexpr int kStuckRank = 1;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Records how `call` ends on a communicator whose peer never joins, and how a second call ends.
void RecordTimeout(std::ofstream& out, const std::string& op, const std::function<void()>& call) {
  for (const char* attempt : {"first", "again"}) {
    const auto start = std::chrono::steady_clock::now();
    try {
      call();
      out << op << " " << attempt << " returned seconds=" << SecondsSince(start) << "\n";
    } catch (const CommError& e) {
      out << op << " " << attempt << " timed_out=" << e.timed_out()
          << " seconds=" << SecondsSince(start) << " what=" << e.what() << "\n";
    }
    out.flush();
  }
}

int Hang(int rank, std::ofstream& out) {
  // Every rank makes the five communicators and checks that they work; then rank 1 stops.
  std::vector<std::unique_ptr<Communicator>> comms;
  for (int i = 0; i < 5; ++i) {
    comms.push_back(
        qlsweep::dist::MakeMpiCommunicator(MPI_COMM_WORLD, CommOptions{.timeout_s = 1}));
    comms.back()->Barrier();
  }
  if (rank == kStuckRank) {
    out << "stuck\n";
    out.flush();
    sleep(120);
    return 0;
  }
  const int size = comms[0]->Size();
  std::vector<float> data(16 * size);
  RecordTimeout(out, "AllReduceSum",
                [&] { comms[0]->AllReduceSum(data.data(), 16, DType::kFloat32); });
  RecordTimeout(out, "ReduceScatterSum", [&] {
    comms[1]->ReduceScatterSum(data.data(), data.data() + 16 * rank, 16, DType::kFloat32);
  });
  RecordTimeout(out, "AllGather", [&] {
    comms[2]->AllGather(data.data() + 16 * rank, data.data(), 16, DType::kFloat32);
  });
  // Rooted at the stuck rank: from any other root a small broadcast may complete without it.
  RecordTimeout(out, "Broadcast",
                [&] { comms[3]->Broadcast(data.data(), 16, DType::kFloat32, kStuckRank); });
  RecordTimeout(out, "Barrier", [&] { comms[4]->Barrier(); });
  // Creating a communicator is collective too.
  const auto start = std::chrono::steady_clock::now();
  try {
    qlsweep::dist::MakeMpiCommunicator(MPI_COMM_WORLD, CommOptions{.timeout_s = 1});
    out << "MakeMpiCommunicator returned\n";
  } catch (const CommError& e) {
    out << "MakeMpiCommunicator timed_out=" << e.timed_out() << " seconds=" << SecondsSince(start)
        << " what=" << e.what() << "\n";
  }
  out << "exiting\n";
  out.flush();
  _exit(3);  // the trial failed; MPI_Finalize would wait for the stuck rank
}

int Die(int rank, std::ofstream& out, bool kill) {
  auto comm = qlsweep::dist::MakeMpiCommunicator(MPI_COMM_WORLD);  // 600 s: no rescue by timeout
  std::vector<double> data(1000, 1.0);
  out << "looping\n";
  out.flush();
  for (int iteration = 0; iteration < 200; ++iteration) {
    if (rank == kStuckRank && iteration == 5) {
      out << "dying\n";
      out.flush();
      if (kill) raise(SIGKILL);
      _exit(7);
    }
    comm->AllReduceSum(data.data(), data.size(), DType::kFloat64);
  }
  out << "finished\n";  // must never happen: the loop cannot complete without rank 1
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  qlsweep::dist::MpiSession mpi(&argc, &argv);
  if (argc != 3) {
    std::fprintf(stderr, "usage: dist_fault_worker hang|kill|exit OUT_DIR\n");
    return 2;
  }
  const std::string scenario = argv[1];
  std::ofstream out(std::string(argv[2]) + "/rank" + std::to_string(mpi.rank()) + ".txt");
  if (scenario == "hang") return Hang(mpi.rank(), out);
  if (scenario == "kill" || scenario == "exit") return Die(mpi.rank(), out, scenario == "kill");
  std::fprintf(stderr, "dist_fault_worker: unknown scenario %s\n", scenario.c_str());
  return 2;
}
