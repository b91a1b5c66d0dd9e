#include "shim/state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/json_read.h"

namespace moat::shim {

namespace {

constexpr size_t kMaxRecordBytes = 1u << 20;

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
  auto fd = OpenRegularAt(dirfd, name, display);
  if (!fd.ok()) return fd.error();
  auto text = ReadFd(fd->get(), display, max_bytes);
  if (!text.ok()) return text.error();
  auto doc = json::Parse(*text);
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
                          const ContainerState& s, const Creator& creator) {
  if (!ValidContainerId(id)) return Error{"container id \"" + id + "\" is not valid"};
  auto dir = OpenStateDir(state_dir, true);
  if (!dir.ok()) return dir.error();
  const std::string display = state_dir + "/containers/" + id + ".json";
  // Held until this returns: the check and the write are one step for every
  // moat that records a container.
  const std::string lock_display = state_dir + "/containers/.lock";
  UniqueFd lock(::openat(dir->get(), ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!lock.valid()) return ErrnoError(lock_display + ": cannot open");
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return ErrnoError(lock_display + ": cannot lock");
  }
  auto old_fd = OpenRegularAt(dir->get(), id + ".json", display);
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
  SetCreator(creator, &v);
  struct stat like {};
  like.st_mode = 0600;
  return ReplaceFileAt(dir->get(), id + ".json", json::Serialize(v) + "\n", &like, display);
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
