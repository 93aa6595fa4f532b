// Inputs that scripts/setup fetches (the SmolLM2 GGUF, h5py in the venv): a test that needs one
// skips when it is missing, except under CI=true, where a missing input is a failure (CI runs
// setup first, so a skip there would hide a broken setup).
#pragma once

#include <string>

#include <gtest/gtest.h>

namespace qlsweep::testing {

// True when the environment says CI=true.
bool FetchedInputsRequired();

// The message of a missing fetched input: what is missing and how to get it.
std::string MissingFetchedInput(const std::string& what, const std::string& how);

}  // namespace qlsweep::testing

// In a test body (or SetUp): when `present` is false, skips the test, or fails it under CI=true.
// `what` names the input, `how` says how to get it ("scripts/setup fetches it").
#define QLSWEEP_REQUIRE_FETCHED(present, what, how)                                          \
  do {                                                                                       \
    if (!(present)) {                                                                        \
      if (::qlsweep::testing::FetchedInputsRequired()) {                                     \
        FAIL() << ::qlsweep::testing::MissingFetchedInput(what, how) << " (CI=true: fails)"; \
      }                                                                                      \
      GTEST_SKIP() << ::qlsweep::testing::MissingFetchedInput(what, how);                    \
    }                                                                                        \
  } while (false)
