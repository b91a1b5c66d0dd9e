#include "cli/cli.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace moat::cli {

namespace {

const FlagSpec* FindSpec(const std::vector<FlagSpec>& specs, const std::string& name) {
  for (const FlagSpec& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace

Result<Flags> Flags::Parse(const std::vector<std::string>& args,
                           const std::vector<FlagSpec>& specs) {
  Flags f;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      f.positional_.insert(f.positional_.end(), args.begin() + static_cast<long>(i) + 1,
                           args.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      f.positional_.push_back(a);
      continue;
    }
    std::string body = a.substr(a[1] == '-' ? 2 : 1);
    std::string value;
    bool inline_value = false;
    if (size_t eq = body.find('='); eq != std::string::npos) {
      value = body.substr(eq + 1);
      body.resize(eq);
      inline_value = true;
    }
    if (body == "h") body = "help";
    const FlagSpec* spec = FindSpec(specs, body);
    if (spec == nullptr && body != "help") return Error{a + ": unknown flag"};
    if (spec != nullptr && spec->takes_value) {
      if (!inline_value) {
        if (i + 1 >= args.size()) return Error{"--" + body + ": needs a value"};
        value = args[++i];
      }
    } else if (inline_value) {
      if (value != "true" && value != "false")
        return Error{"--" + body + ": takes no value (or true/false)"};
      if (value == "false") continue;
    }
    f.values_[body].push_back(value);
  }
  return f;
}

std::string Flags::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second.back();
}

std::vector<std::string> Flags::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

int Fail(const std::string& message, int code) {
  (void)std::fprintf(stderr, "moat: %s\n", message.c_str());
  return code;
}

int PrintHelp(const std::string& usage, const std::vector<FlagSpec>& specs) {
  std::string out = usage;
  if (!out.empty() && out.back() != '\n') out += '\n';
  if (!specs.empty()) out += "\nFlags:\n";
  for (const FlagSpec& s : specs) {
    std::string left = "  --" + s.name + (s.takes_value ? " VALUE" : "");
    if (left.size() < 26) left.resize(26, ' ');
    out += left + " " + s.help + "\n";
  }
  out += "  --help                   this text\n";
  (void)std::fputs(out.c_str(), stdout);
  return kExitOk;
}

std::optional<Flags> ParseCommand(const std::string& command, const std::vector<std::string>& args,
                                  const std::vector<FlagSpec>& specs, const std::string& usage,
                                  int* exit_code) {
  auto flags = Flags::Parse(args, specs);
  if (!flags.ok()) {
    *exit_code = Fail(command + ": " + flags.error().message, kExitUsage);
    return std::nullopt;
  }
  if (flags->Has("help")) {
    *exit_code = PrintHelp(usage, specs);
    return std::nullopt;
  }
  return std::move(*flags);
}

std::optional<std::string> OutputFormat(const Flags& flags, const std::string& command) {
  std::string output = flags.Get("output", "text");
  if (output == "text" || output == "json") return output;
  (void)Fail(command + ": --output: \"" + output + "\" is not text or json", kExitUsage);
  return std::nullopt;
}

bool UseColor() { return isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr; }

}  // namespace moat::cli
