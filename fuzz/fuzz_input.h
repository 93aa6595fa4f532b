// Helpers shared by the libFuzzer harnesses: the input as a file, and which exceptions are bugs.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>

#include <nlohmann/json.hpp>

namespace qlsweep::fuzz {

// A folder of this process (libFuzzer's -jobs run separate processes) for the input files, in
// $QLSWEEP_FUZZ_TMP, else /dev/shm when writable, else /tmp; removed at exit.
inline const std::string& ScratchDir() {
  // Never destroyed: the atexit handler below runs after static destructors would have.
  static const std::string* dir = [] {
    const char* env = std::getenv("QLSWEEP_FUZZ_TMP");
    const std::string base = env ? env : (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    auto* path = new std::string(base + "/qlsweep-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(*path);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(ScratchDir(), ec);
    });
    return path;
  }();
  return *dir;
}

// Writes the fuzzer's input to ScratchDir()/`name` (the parsers under test read paths).
inline std::string WriteInput(const uint8_t* data, size_t size, const std::string& name) {
  const std::string path = ScratchDir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

// Runs `parse`; a rejection (an exception naming the problem) is the expected answer to a bad
// input. Out-of-memory and raw nlohmann::json exceptions escaping the parser are findings: the
// parsers must bound what they allocate and say which file and key is wrong.
template <typename Parse>
void ExpectCleanRejection(Parse&& parse) {
  try {
    parse();
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "fuzz: std::bad_alloc escaped the parser\n");
    std::abort();
  } catch (const nlohmann::json::exception& e) {
    std::fprintf(stderr, "fuzz: raw JSON library exception escaped: %s\n", e.what());
    std::abort();
  } catch (const std::exception&) {
    // A clean rejection.
  }
}

}  // namespace qlsweep::fuzz
