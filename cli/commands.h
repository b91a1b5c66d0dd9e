// The subcommands of `moat`, one file each (cli/<name>_cmd.cc).
#pragma once

#include <string>
#include <vector>

namespace moat::cli {

int RunVerify(const std::vector<std::string>& args);  // verify_cmd.cc

}  // namespace moat::cli
