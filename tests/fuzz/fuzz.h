// Shared by the fuzz targets (tests/fuzz/*_fuzz.cc): each defines
// LLVMFuzzerTestOneInput, and checks its invariants with FUZZ_CHECK. A broken
// invariant aborts, which libFuzzer reports as a crash with the input saved
// and replay_main.cc (the gcc build's ctest entry) as a failed test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

/// Aborts with the condition and location when `cond` is false.
#define FUZZ_CHECK(cond)                                                                      \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      (void)std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

/// Aborts with `what` and a message (an error text, a serialisation).
#define FUZZ_FAIL(what, detail)                                             \
  do {                                                                      \
    (void)std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, what, \
                       std::string(detail).c_str());                        \
    std::abort();                                                           \
  } while (0)

namespace moat::fuzz {

/// The input as text.
inline std::string_view Text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace moat::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
