// moat-runtime: a runc-compatible entry point that hardens what it starts.
#include <openssl/crypto.h>

#include <cstdio>
#include <exception>

#include "shim/runtime.h"

int main(int argc, char** argv) {
  // moat reads no openssl.cnf: its crypto is the default provider, whatever
  // the host configures (and loading the file costs ~0.5 ms per create).
  if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr) != 1) {
    (void)std::fprintf(stderr, "moat: OpenSSL initialisation failed\n");
    return 1;
  }
  try {
    return moat::shim::RunShim(argc, argv);
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "moat: internal error: %s\n", e.what());
  } catch (...) {
    (void)std::fprintf(stderr, "moat: internal error\n");
  }
  return 1;
}
