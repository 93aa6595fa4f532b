// --gpus and CUDA_VISIBLE_DEVICES parsing into trial slots.
#include "runner/gpu_slots.h"

#include <algorithm>
#include <stdexcept>

namespace qlsweep::runner {

std::vector<std::string> ParseGpuList(const std::string& list) {
  std::vector<std::string> gpus;
  size_t begin = 0;
  for (;;) {
    const size_t comma = list.find(',', begin);
    const std::string entry =
        list.substr(begin, comma == std::string::npos ? comma : comma - begin);
    if (entry.empty()) throw std::invalid_argument("gpu list '" + list + "' has an empty entry");
    if (entry.find_first_of(" \t\n") != std::string::npos) {
      throw std::invalid_argument("gpu list '" + list + "': entry '" + entry + "' has whitespace");
    }
    if (std::find(gpus.begin(), gpus.end(), entry) != gpus.end()) {
      throw std::invalid_argument("gpu list '" + list + "' names gpu " + entry + " twice");
    }
    gpus.push_back(entry);
    if (comma == std::string::npos) return gpus;
    begin = comma + 1;
  }
}

std::vector<std::string> TrialSlots(const std::string& gpus_flag,
                                    const char* cuda_visible_devices) {
  if (!gpus_flag.empty()) return ParseGpuList(gpus_flag);
  const std::string inherited = cuda_visible_devices ? cuda_visible_devices : "";
  // Empty or a negative index hides every GPU: nothing to spread trials over.
  if (inherited.empty() || inherited[0] == '-') return {""};
  return ParseGpuList(inherited);
}

}  // namespace qlsweep::runner
