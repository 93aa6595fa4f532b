// PollUntil: the wait loop of both backends; polls a completion test until it reports done or a
// timeout passes, giving the CPU away between polls (ranks often share cores).
#pragma once

#include <chrono>
#include <thread>

namespace qlsweep::dist {

// Calls done() until it returns true (then returns true) or until timeout_s seconds have passed
// (then false; timeout_s <= 0 never times out). done() is called at least once. Polls back to back
// for the first 100 tries, then yields the core, and after 2 ms sleeps 50 us between polls: a
// collective's progress may need a peer rank that shares this core (MPI tests oversubscribe), and
// it is only made inside our polls (MPI_Test), so the sleeps stay short.
template <typename Done>
bool PollUntil(Done&& done, double timeout_s) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto limit = std::chrono::duration<double>(timeout_s);
  for (long tries = 0;; ++tries) {
    if (done()) return true;
    if (tries < 100) continue;
    const auto waited = Clock::now() - start;
    if (timeout_s > 0 && waited >= limit) return false;
    if (waited < std::chrono::milliseconds(2)) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
}

}  // namespace qlsweep::dist
