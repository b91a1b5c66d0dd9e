#include "tests/tools/identity_tool.h"

#include <cstdio>

#include "base/json.h"
#include "verify/identity/identity_json.h"

namespace moat::tools {

namespace {

int Run(const IdentityTool& tool, int argc, char** argv) {
  std::vector<cli::FlagSpec> specs = tool.flags;
  specs.push_back({"bytes", false, "--bytes   include each manifest's exact bytes"});
  auto flags = cli::Flags::Parse(std::vector<std::string>(argv + 1, argv + argc), specs);
  bool complete = flags.ok() && flags->positional().empty() && !flags->Has("help");
  for (const std::string& r : tool.required) complete = complete && flags.ok() && flags->Has(r);
  if (!complete) {
    if (!flags.ok())
      (void)std::fprintf(stderr, "%s: %s\n", tool.name, flags.error().Describe().c_str());
    (void)std::fprintf(stderr, "usage: %s\n", tool.usage);
    return 2;
  }
  auto id = tool.resolve(*flags);
  if (!id.ok()) {
    (void)std::fprintf(stderr, "%s: %s\n", tool.name, id.error().Describe().c_str());
    return 1;
  }
  const std::string out = json::Serialize(verify::IdentityJson(*id, flags->Has("bytes")), true);
  return std::printf("%s\n", out.c_str()) < 0 ? 1 : 0;
}

}  // namespace

int RunIdentityTool(const IdentityTool& tool, int argc, char** argv) {
  try {
    return Run(tool, argc, argv);
  } catch (...) {
    (void)std::fprintf(stderr, "%s: unexpected exception\n", tool.name);
    return 1;
  }
}

}  // namespace moat::tools
