# Sanitizer builds: QLSWEEP_SANITIZE puts ASan + UBSan on every target (gcc or clang; .ci/run's
# build-asan), QLSWEEP_FUZZ adds libFuzzer's coverage instrumentation for fuzz/ (clang only).
option(QLSWEEP_SANITIZE "Build every target with -fsanitize=address,undefined" OFF)
option(QLSWEEP_FUZZ "Build the libFuzzer harnesses of fuzz/ (clang; implies QLSWEEP_SANITIZE)" OFF)
if(QLSWEEP_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "QLSWEEP_FUZZ needs clang (CXX=clang++-14); scripts/fuzz configures it")
  endif()
  set(QLSWEEP_SANITIZE ON)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
if(QLSWEEP_SANITIZE)
  # UBSan findings abort (a test fails) instead of printing and going on; -g1: line numbers in
  # the reports at little cost in build time.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer -g1)
  add_link_options(-fsanitize=address,undefined)
endif()
