// moat-runtime: a runc-compatible entry point that hardens what it starts.
#include <cstdio>
#include <exception>

#include "shim/runtime.h"

int main(int argc, char** argv) {
  try {
    return moat::shim::RunShim(argc, argv);
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "moat: internal error: %s\n", e.what());
  } catch (...) {
    (void)std::fprintf(stderr, "moat: internal error\n");
  }
  return 1;
}
