#include "shim/state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/json_read.h"

namespace moat::shim {

bool ValidContainerId(const std::string& id) {
  if (id.empty() || id.size() > 1024 || id == "." || id == "..") return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

namespace {

Result<UniqueFd> OpenStateDir(const std::string& state_dir, bool create) {
  const std::string dir = state_dir + "/containers";
  if (create) MOAT_TRY(MakeDirs(dir, 0700));
  auto fd = OpenDir(dir);
  if (!fd.ok()) return fd.error();
  MOAT_TRY(CheckDirNotHijackable(fd->get(), dir));
  return fd;
}

}  // namespace

Status SaveContainerState(const std::string& state_dir, const std::string& id,
                          const ContainerState& s) {
  if (!ValidContainerId(id)) return Error{"container id \"" + id + "\" is not valid"};
  auto dir = OpenStateDir(state_dir, true);
  if (!dir.ok()) return dir.error();
  json::Value v = json::Value::Object();
  v.Set("profile", json::Value::String(s.profile));
  json::Value caps = json::Value::Array();
  for (const auto& n : launcher::CapNames(s.bounding)) caps.Append(json::Value::String(n));
  v.Set("bounding", std::move(caps));
  struct stat like {};
  like.st_mode = 0600;
  return ReplaceFileAt(dir->get(), id + ".json", json::Serialize(v) + "\n", &like,
                       state_dir + "/containers/" + id + ".json");
}

Result<std::optional<ContainerState>> LoadContainerState(const std::string& state_dir,
                                                         const std::string& id) {
  if (!ValidContainerId(id)) return Error{"container id \"" + id + "\" is not valid"};
  const std::string file = state_dir + "/containers/" + id + ".json";
  auto dir = OpenStateDir(state_dir, false);
  if (!dir.ok()) {
    if (dir.error().err == ENOENT) return std::optional<ContainerState>();
    return dir.error();
  }
  auto fd = OpenRegularAt(dir->get(), id + ".json", file);
  if (!fd.ok()) {
    if (fd.error().err == ENOENT) return std::optional<ContainerState>();
    return fd.error();
  }
  auto text = ReadFd(fd->get(), file, 1u << 20);
  if (!text.ok()) return text.error();
  auto doc = json::Parse(*text);
  if (!doc.ok()) return doc.error().Wrap(file);
  ContainerState s;
  const json::Value* p = doc->Find("profile");
  const json::Value* b = doc->Find("bounding");
  if (p == nullptr || b == nullptr) return Error{file + ": incomplete state record"};
  auto name = json::ReadString(*p, "profile");
  if (!name.ok()) return name.error().Wrap(file);
  s.profile = *name;
  auto caps = json::ReadStringArray(*b, "bounding");
  if (!caps.ok()) return caps.error().Wrap(file);
  for (const auto& c : *caps) {
    auto n = launcher::CapFromName(c);
    if (!n.ok()) return n.error().Wrap(file);
    s.bounding.insert(*n);
  }
  return std::optional<ContainerState>(std::move(s));
}

void RemoveContainerState(const std::string& state_dir, const std::string& id) {
  if (!ValidContainerId(id)) return;
  const std::string file = state_dir + "/containers/" + id + ".json";
  ::unlink(file.c_str());
}

bool RuntimeHasContainer(const std::string& root, const std::string& id) {
  if (!ValidContainerId(id)) return false;
  struct stat st {};
  return ::lstat((root + "/" + id + "/state.json").c_str(), &st) == 0 ||
         ::lstat((root + "/" + id + "/status").c_str(), &st) == 0;
}

}  // namespace moat::shim
