// moat: the operator's CLI. Dispatches through a table of subcommands.
#include <openssl/crypto.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/commands.h"

namespace {

struct Command {
  const char* name;
  moat::cli::CommandFn run;
  const char* summary;
};

const Command kCommands[] = {
    {"explain", moat::cli::RunExplain, "what moat-runtime would decide and write for a bundle"},
    {"run", moat::cli::RunRun, "check and start a bundle hardened, without an engine"},
    {"verify", moat::cli::RunVerify, "what the trust policy says about an image or a bundle"},
    {"trust", moat::cli::RunTrust, "the local trust store: import or pull signatures"},
    {"profile", moat::cli::RunProfile, "check profile files, show a resolved profile"},
    {"secret", moat::cli::RunSecret, "keys and sealed files for sealed secret stores"},
    {"verdict", moat::cli::RunVerdict, "signed scan verdicts: keygen, import, add, show, check"},
};

int Usage(FILE* out) {
  (void)std::fprintf(out, "usage: moat COMMAND [ARGS...]\n\nCommands:\n");
  for (const Command& c : kCommands) (void)std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  (void)std::fprintf(out, "\n'moat COMMAND --help' describes each one; see moat(8).\n");
  return out == stdout ? 0 : moat::cli::kExitUsage;
}

int Main(int argc, char** argv) {
  if (argc < 2) return Usage(stderr);
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") return Usage(stdout);
  if (name == "--version") {
    (void)std::printf("moat %s\n", MOAT_VERSION);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (name == c.name) return c.run(std::vector<std::string>(argv + 2, argv + argc));
  }
  return moat::cli::Fail("\"" + name + "\": unknown command (moat --help lists them)",
                         moat::cli::kExitUsage);
}

}  // namespace

int main(int argc, char** argv) {
  // moat reads no openssl.cnf: its crypto is the default provider, whatever
  // the host configures (and loading the file costs ~0.5 ms per create).
  if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr) != 1) {
    (void)std::fprintf(stderr, "moat: OpenSSL initialisation failed\n");
    return 1;
  }
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "moat: internal error: %s\n", e.what());
  } catch (...) {
    (void)std::fprintf(stderr, "moat: internal error\n");
  }
  return 1;
}
