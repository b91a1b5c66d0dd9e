// The subcommands of `moat`, one file each (cli/<name>_cmd.cc).
#pragma once

#include <string>
#include <vector>

namespace moat::cli {

int RunVerify(const std::vector<std::string>& args);     // verify_cmd.cc
int RunTrust(const std::vector<std::string>& args);      // trust_cmd.cc
int RunTrustPull(const std::vector<std::string>& args);  // trust_pull_cmd.cc
int RunProfile(const std::vector<std::string>& args);    // profile_cmd.cc
int RunExplain(const std::vector<std::string>& args);    // explain_cmd.cc
int RunRun(const std::vector<std::string>& args);        // run_cmd.cc
int RunSecret(const std::vector<std::string>& args);     // secret_cmd.cc
int RunVerdict(const std::vector<std::string>& args);    // verdict_cmd.cc
/// `moat verdict show` and `moat verdict check` (verdict_check_cmd.cc).
int RunVerdictShow(const std::vector<std::string>& args);
int RunVerdictCheck(const std::vector<std::string>& args);

}  // namespace moat::cli
