#include "shim/state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/creator.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/json_read.h"

namespace moat::shim {

namespace {

constexpr size_t kMaxRecordBytes = 1u << 20;

}  // namespace

namespace {

Result<UniqueFd> OpenStateDir(const std::string& state_dir, bool create) {
  const std::string dir = state_dir + "/containers";
  if (create) MOAT_TRY(MakeDirs(dir, 0700));
  MOAT_ASSIGN_OR_RETURN(auto fd, OpenDir(dir));
  MOAT_TRY(CheckDirNotHijackable(fd.get(), dir));
  return fd;
}

}  // namespace

Status SaveContainerState(const std::string& state_dir, const std::string& id,
                          const ContainerState& s, const Creator& creator) {
  if (!ValidContainerId(id)) return Error{"container id \"" + id + "\" is not valid"};
  MOAT_ASSIGN_OR_RETURN(auto dir, OpenStateDir(state_dir, true));
  const std::string display = state_dir + "/containers/" + id + ".json";
  // Held until this returns: the check and the write are one step for every
  // moat that records a container.
  const std::string lock_display = state_dir + "/containers/.lock";
  UniqueFd lock(::openat(dir.get(), ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!lock.valid()) return ErrnoError(lock_display + ": cannot open");
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return ErrnoError(lock_display + ": cannot lock");
  }
  auto old_fd = OpenRegularAt(dir.get(), id + ".json", display);
  if (old_fd.ok()) {
    // A record without a readable creator (written by an older moat, or
    // damaged) says nothing about a create in progress: it is replaced.
    auto text = ReadFd(old_fd->get(), display, kMaxRecordBytes);
    auto doc = text.ok() ? json::Parse(*text) : Result<json::Value>(text.error());
    auto old = doc.ok() ? GetCreator(*doc, display) : Result<Creator>(doc.error());
    if (old.ok() && !CreatorGone(*old, id)) {
      return Error{display + ": container \"" + id + "\" already exists under " + old->root +
                   " or is being created by process " + std::to_string(old->pid)};
    }
  } else if (old_fd.error().err != ENOENT) {
    return old_fd.error();
  }
  json::Value v = json::Value::Object();
  v.Set("profile", json::Value::String(s.profile));
  json::Value caps = json::Value::Array();
  for (const auto& n : launcher::CapNames(s.bounding)) caps.Append(json::Value::String(n));
  v.Set("bounding", std::move(caps));
  v.Set("rule", json::Value::String(s.rule));
  json::Value exceptions = json::Value::Array();
  for (const auto& e : s.exceptions) exceptions.Append(json::Value::String(e));
  v.Set("exceptions", std::move(exceptions));
  SetCreator(creator, &v);
  struct stat like {};
  like.st_mode = 0600;
  return ReplaceFileAt(dir.get(), id + ".json", json::Serialize(v) + "\n", &like, display);
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
  auto doc = ReadRecordAt(dir->get(), id + ".json", file, kMaxRecordBytes);
  if (!doc.ok()) {
    if (doc.error().err == ENOENT) return std::optional<ContainerState>();
    return doc.error();
  }
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
  // Absent in records of an older moat: no rule named, no exceptions.
  if (const json::Value* r = doc->Find("rule")) {
    auto rule = json::ReadString(*r, "rule");
    if (!rule.ok()) return rule.error().Wrap(file);
    s.rule = *rule;
  }
  if (const json::Value* e = doc->Find("exceptions")) {
    auto names = json::ReadStringArray(*e, "exceptions");
    if (!names.ok()) return names.error().Wrap(file);
    s.exceptions = *names;
  }
  return std::optional<ContainerState>(std::move(s));
}

void RemoveContainerState(const std::string& state_dir, const std::string& id) {
  if (!ValidContainerId(id)) return;
  const std::string file = state_dir + "/containers/" + id + ".json";
  ::unlink(file.c_str());
}

}  // namespace moat::shim
