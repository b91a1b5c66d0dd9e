#include "base/creator.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "base/fs.h"

namespace moat {

namespace {

std::string StartTime(int64_t pid) {
  auto text = ReadFileNoFollow("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!text.ok()) return "";
  size_t paren = text->rfind(')');  // the command name may hold anything
  if (paren == std::string::npos) return "";
  size_t pos = paren + 2;
  for (int field = 3; field < 22; ++field) {  // state is field 3
    pos = text->find(' ', pos);
    if (pos == std::string::npos) return "";
    ++pos;
  }
  return text->substr(pos, text->find(' ', pos) - pos);
}

}  // namespace

Result<json::Value> ReadRecordAt(int dirfd, const std::string& name, const std::string& display,
                                 size_t max_bytes) {
  MOAT_ASSIGN_OR_RETURN(auto fd, OpenRegularAt(dirfd, name, display));
  MOAT_ASSIGN_OR_RETURN(auto text, ReadFd(fd.get(), display, max_bytes));
  auto doc = json::Parse(text);
  if (!doc.ok()) return doc.error().Wrap(display);
  return doc;
}

Result<Creator> ThisCreator(const std::string& root) {
  Creator c{root, static_cast<int64_t>(::getpid()), StartTime(::getpid())};
  if (c.start.empty()) return Error{"/proc/self/stat: cannot read the start time"};
  return c;
}

void SetCreator(const Creator& c, json::Value* record) {
  record->Set("root", json::Value::String(c.root));
  record->Set("pid", json::Value::Number(c.pid));
  record->Set("start", json::Value::String(c.start));
}

Result<Creator> GetCreator(const json::Value& record, const std::string& display) {
  Creator c;
  const json::Value* root = record.Find("root");
  const json::Value* pid = record.Find("pid");
  const json::Value* start = record.Find("start");
  if (root == nullptr || pid == nullptr || start == nullptr || !root->is_string() ||
      !start->is_string() || !pid->AsInt64(&c.pid)) {
    return Error{display + ": no complete creator (root, pid, start)"};
  }
  c.root = root->text();
  c.start = start->text();
  return c;
}

bool CreatorGone(const Creator& c, const std::string& id) {
  if (RuntimeHasContainer(c.root, id)) return false;
  return c.pid <= 0 || c.start.empty() || StartTime(c.pid) != c.start;
}

bool ValidContainerId(const std::string& id) {
  if (id.empty() || id.size() > 1024 || id == "." || id == "..") return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool RuntimeHasContainer(const std::string& root, const std::string& id) {
  if (!ValidContainerId(id)) return false;
  struct stat st {};
  return ::lstat((root + "/" + id + "/state.json").c_str(), &st) == 0 ||
         ::lstat((root + "/" + id + "/status").c_str(), &st) == 0;
}

std::string RuntimeRoot(const std::string& given, const std::string& runtime) {
  std::string root = given;
  if (root.empty()) root = SplitPath(runtime).second == "crun" ? "/run/crun" : "/run/runc";
  // The same root spelled differently at create and delete (/var/run, a
  // relative path) is still the same root.
  // The root does not exist before the runtime's first create: then its parent.
  char real[PATH_MAX];
  if (::realpath(root.c_str(), real) != nullptr) return real;
  auto [parent, base] = SplitPath(root);
  if (::realpath(parent.c_str(), real) != nullptr) return std::string(real) + "/" + base;
  if (root[0] == '/' || ::getcwd(real, sizeof real) == nullptr) return root;
  return std::string(real) + "/" + root;
}

}  // namespace moat
