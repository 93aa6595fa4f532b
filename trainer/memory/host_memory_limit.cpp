// A CPU trial's memory limit (hardware.host_memory_mib): RLIMIT_DATA on the trial process, and
// telling a failed host allocation of libtorch from other errors.
#include "trainer/memory/host_memory_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace qlsweep::trainer {

void ApplyHostMemoryLimit(int64_t mib) {
  if (mib <= 0) return;
  struct rlimit limit {};
  if (getrlimit(RLIMIT_DATA, &limit) != 0) {
    throw std::runtime_error(std::string("getrlimit(RLIMIT_DATA): ") + std::strerror(errno));
  }
  limit.rlim_cur = static_cast<rlim_t>(mib) << 20;
  if (setrlimit(RLIMIT_DATA, &limit) != 0) {
    throw std::runtime_error(
        "hardware.host_memory_mib " + std::to_string(mib) + ": setrlimit(RLIMIT_DATA) failed (" +
        std::strerror(errno) + "); the hard limit is " +
        (limit.rlim_max == RLIM_INFINITY ? std::string("unlimited")
                                         : std::to_string(limit.rlim_max >> 20) + " MiB"));
  }
}

bool IsHostAllocationFailure(const c10::Error& error) {
  const std::string message = error.what_without_backtrace();
  return message.find("DefaultCPUAllocator") != std::string::npos &&
         (message.find("can't allocate memory") != std::string::npos ||
          message.find("not enough memory") != std::string::npos);
}

}  // namespace qlsweep::trainer
