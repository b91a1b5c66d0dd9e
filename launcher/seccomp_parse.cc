// Reading a seccomp file (OCI linux.seccomp or Docker's format) into a
// SeccompFile: every key known, every name of an action, operator, flag,
// architecture and capability checked, errors naming the field.
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <set>

#include "base/fs.h"
#include "base/json_read.h"
#include "launcher/seccomp.h"

namespace moat::launcher {

namespace {

using json::Value;

// runc 1.1's names (libcontainer/seccomp/config.go).
const std::set<std::string>& Actions() {
  static const std::set<std::string> k = {
      "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
      "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
      "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
  return k;
}

const std::set<std::string>& Operators() {
  static const std::set<std::string> k = {"SCMP_CMP_NE",       "SCMP_CMP_LT", "SCMP_CMP_LE",
                                          "SCMP_CMP_EQ",       "SCMP_CMP_GE", "SCMP_CMP_GT",
                                          "SCMP_CMP_MASKED_EQ"};
  return k;
}

const std::set<std::string>& Flags() {
  static const std::set<std::string> k = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                          "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  return k;
}

// The names Docker's includes/excludes.arches are compared with (its
// goToNative values, plus names its own default profile uses).
const std::set<std::string>& DockerArches() {
  static const std::set<std::string> k = {
      "x86",     "amd64",  "x32",       "arm",      "arm64",       "mips", "mipsel",
      "mipsle",  "mips64", "mips64n32", "mipsel64", "mipsel64n32", "ppc",  "ppc64",
      "ppc64le", "s390",   "s390x",     "riscv64",  "mips3l64n32"};
  return k;
}

bool Present(const Value* v) { return v != nullptr && !v->is_null(); }

Result<std::string> ReadName(const Value& v, const std::string& path,
                             const std::set<std::string>& known, const char* what) {
  MOAT_ASSIGN_OR_RETURN(auto s, json::ReadString(v, path));
  if (known.count(s) == 0) return Error{path + ": unknown " + what + " \"" + s + "\""};
  return s;
}

// A JSON number holding an unsigned 64-bit integer (args values go up to 2^64-1).
Result<uint64_t> ReadUint64(const Value& v, const std::string& path) {
  MOAT_TRY(json::ExpectType(v, json::Type::kNumber, path));
  const std::string& t = v.text();
  bool digits = !t.empty() && t.size() <= 20 &&
                t.find_first_not_of("0123456789") == std::string::npos &&
                (t.size() == 1 || t[0] != '0');
  errno = 0;
  char* end = nullptr;
  unsigned long long n = digits ? std::strtoull(t.c_str(), &end, 10) : 0;
  if (!digits || errno != 0 || end == nullptr || *end != '\0') {
    return Error{path + ": expected an integer in [0, 18446744073709551615], got " + t};
  }
  return static_cast<uint64_t>(n);
}

Result<std::optional<uint32_t>> ReadErrno(const Value* v, const std::string& path,
                                          const std::string& action) {
  if (!Present(v)) return std::optional<uint32_t>();
  if (action != "SCMP_ACT_ERRNO" && action != "SCMP_ACT_TRACE") {
    return Error{path + ": only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno, not " + action};
  }
  // The kernel keeps errno values up to 4095 (MAX_ERRNO).
  MOAT_ASSIGN_OR_RETURN(auto n, json::ReadInt(*v, path, 0, 4095));
  return std::optional<uint32_t>(static_cast<uint32_t>(n));
}

Result<std::vector<std::string>> ReadNames(const Value* v, const std::string& path,
                                           const std::set<std::string>* known, const char* what) {
  std::vector<std::string> out;
  if (!Present(v)) return out;
  MOAT_TRY(json::ExpectType(*v, json::Type::kArray, path));
  out.reserve(v->items().size());
  for (size_t i = 0; i < v->items().size(); ++i) {
    const Value& item = v->items()[i];
    // Paths are built only for messages: a profile holds hundreds of names.
    if (!item.is_string()) return json::ReadString(item, json::Index(path, i)).error();
    if (known != nullptr && known->count(item.text()) == 0) {
      return Error{json::Index(path, i) + ": unknown " + what + " \"" + item.text() + "\""};
    }
    out.push_back(item.text());
  }
  return out;
}

Result<std::vector<std::string>> ReadArches(const Value* v, const std::string& path) {
  MOAT_ASSIGN_OR_RETURN(auto names, ReadNames(v, path, nullptr, ""));
  for (size_t i = 0; i < names.size(); ++i) {
    if (ArchToken(names[i]) == 0) {
      return Error{json::Index(path, i) + ": unknown architecture \"" + names[i] + "\""};
    }
  }
  return names;
}

// Docker's minKernel: "<kernel>.<major>", each 0 to 255, not both 0.
bool ParseMinKernel(const std::string& s, unsigned* kernel, unsigned* major) {
  unsigned parts[2] = {0, 0};
  size_t part = 0, digits = 0;
  for (char c : s) {
    if (c == '.' && part == 0 && digits > 0) {
      part = 1;
      digits = 0;
    } else if (c >= '0' && c <= '9' && digits < 3) {
      parts[part] = parts[part] * 10 + static_cast<unsigned>(c - '0');
      ++digits;
    } else {
      return false;
    }
  }
  if (part != 1 || digits == 0) return false;
  *kernel = parts[0];
  *major = parts[1];
  return parts[0] <= 255 && parts[1] <= 255 && (parts[0] != 0 || parts[1] != 0);
}

Status ReadCondition(const Value* v, const std::string& path, SeccompCondition* c) {
  if (!Present(v)) return Status::Ok();
  MOAT_TRY(json::CheckObject(*v, path, {"caps", "arches", "minKernel"}));
  MOAT_ASSIGN_OR_RETURN(auto caps,
                        ReadNames(v->Find("caps"), json::Field(path, "caps"), nullptr, ""));
  for (size_t i = 0; i < caps.size(); ++i) {
    auto cap = CapFromName(caps[i]);
    if (!cap.ok()) return cap.error().Wrap(json::Index(json::Field(path, "caps"), i));
    c->caps.insert(*cap);
  }
  auto arches =
      ReadNames(v->Find("arches"), json::Field(path, "arches"), &DockerArches(), "architecture");
  if (!arches.ok()) return arches.error();
  c->arches = std::move(arches.value());
  if (const Value* k = v->Find("minKernel"); Present(k)) {
    const std::string at = json::Field(path, "minKernel");
    MOAT_ASSIGN_OR_RETURN(auto s, json::ReadString(*k, at));
    if (s.empty()) return Status::Ok();  // Docker: "" means no condition
    if (!ParseMinKernel(s, &c->min_kernel, &c->min_major)) {
      return Error{at + ": \"" + s + "\" is not a kernel version \"<kernel>.<major>\""};
    }
    c->has_min_kernel = true;
  }
  return Status::Ok();
}

Status ReadArgs(const Value* v, const std::string& path, SeccompRule* r) {
  if (!Present(v)) return Status::Ok();
  MOAT_TRY(json::ExpectType(*v, json::Type::kArray, path));
  for (size_t i = 0; i < v->items().size(); ++i) {
    const std::string at = json::Index(path, i);
    const Value& a = v->items()[i];
    MOAT_TRY(json::CheckObject(a, at, {"index", "value", "valueTwo", "op"}));
    SeccompArg arg;
    for (const char* key : {"index", "value", "op"}) {
      if (!Present(a.Find(key))) return Error{json::Field(at, key) + ": missing"};
    }
    // Six syscall arguments, numbered from 0.
    MOAT_ASSIGN_OR_RETURN(auto index,
                          json::ReadInt(*a.Find("index"), json::Field(at, "index"), 0, 5));
    arg.index = static_cast<uint32_t>(index);
    MOAT_ASSIGN_OR_RETURN(arg.value, ReadUint64(*a.Find("value"), json::Field(at, "value")));
    if (const Value* two = a.Find("valueTwo"); Present(two)) {
      MOAT_ASSIGN_OR_RETURN(arg.value_two, ReadUint64(*two, json::Field(at, "valueTwo")));
    }
    MOAT_ASSIGN_OR_RETURN(arg.op,
                          ReadName(*a.Find("op"), json::Field(at, "op"), Operators(), "operator"));
    r->args.push_back(std::move(arg));
  }
  return Status::Ok();
}

Status ReadRule(const Value& v, const std::string& path, SeccompRule* r) {
  MOAT_TRY(json::CheckObject(
      v, path, {"comment", "name", "names", "action", "errnoRet", "args", "includes", "excludes"}));
  r->where = path;
  if (const Value* c = v.Find("comment"); Present(c)) {
    MOAT_TRY(json::ExpectType(*c, json::Type::kString, json::Field(path, "comment")));
  }
  const Value* name = v.Find("name");
  const Value* names = v.Find("names");
  if (Present(name) && Present(names)) {
    return Error{path + ": both \"name\" and \"names\"; use one"};
  }
  if (Present(name)) {
    MOAT_ASSIGN_OR_RETURN(auto s, json::ReadString(*name, json::Field(path, "name")));
    r->names.push_back(s);
    r->single_name = true;
  } else {
    auto n = ReadNames(names, json::Field(path, "names"), nullptr, "");
    if (!n.ok()) return n.error();
    r->names = std::move(n.value());
  }
  if (r->names.empty()) return Error{path + ": no syscall names"};
  for (size_t i = 0; i < r->names.size(); ++i) {
    if (r->names[i].empty()) {
      return Error{(r->single_name ? json::Field(path, "name")
                                   : json::Index(json::Field(path, "names"), i)) +
                   ": empty syscall name"};
    }
  }
  const Value* action = v.Find("action");
  if (!Present(action)) return Error{json::Field(path, "action") + ": missing"};
  MOAT_ASSIGN_OR_RETURN(r->action,
                        ReadName(*action, json::Field(path, "action"), Actions(), "action"));
  MOAT_ASSIGN_OR_RETURN(r->errno_ret,
                        ReadErrno(v.Find("errnoRet"), json::Field(path, "errnoRet"), r->action));
  MOAT_TRY(ReadArgs(v.Find("args"), json::Field(path, "args"), r));
  MOAT_TRY(ReadCondition(v.Find("includes"), json::Field(path, "includes"), &r->includes));
  MOAT_TRY(ReadCondition(v.Find("excludes"), json::Field(path, "excludes"), &r->excludes));
  return Status::Ok();
}

Status ReadArchMap(const Value& v, SeccompFile* f) {
  MOAT_TRY(json::ExpectType(v, json::Type::kArray, "archMap"));
  for (size_t i = 0; i < v.items().size(); ++i) {
    const std::string at = json::Index("archMap", i);
    const Value& m = v.items()[i];
    MOAT_TRY(json::CheckObject(m, at, {"architecture", "subArchitectures"}));
    SeccompArchMap entry;
    const Value* arch = m.Find("architecture");
    if (!Present(arch)) return Error{json::Field(at, "architecture") + ": missing"};
    MOAT_ASSIGN_OR_RETURN(auto a, json::ReadString(*arch, json::Field(at, "architecture")));
    if (ArchToken(a) == 0) {
      return Error{json::Field(at, "architecture") + ": unknown architecture \"" + a + "\""};
    }
    entry.arch = a;
    auto subs = ReadArches(m.Find("subArchitectures"), json::Field(at, "subArchitectures"));
    if (!subs.ok()) return subs.error();
    entry.sub_arches = std::move(subs.value());
    f->arch_map.push_back(std::move(entry));
  }
  return Status::Ok();
}

Status ReadSeccomp(const Value& root, SeccompFile* f) {
  MOAT_TRY(json::CheckObject(root, "",
                             {"comment", "defaultAction", "defaultErrnoRet", "architectures",
                              "archMap", "flags", "listenerPath", "listenerMetadata", "syscalls"}));
  if (const Value* c = root.Find("comment"); Present(c)) {
    MOAT_TRY(json::ExpectType(*c, json::Type::kString, "comment"));
  }
  const Value* def = root.Find("defaultAction");
  if (!Present(def)) return Error{"defaultAction: missing"};
  MOAT_ASSIGN_OR_RETURN(f->default_action, ReadName(*def, "defaultAction", Actions(), "action"));
  // runc: the filter is installed before runc writes to its parent, and a
  // write waiting for a listener would never get there.
  if (f->default_action == "SCMP_ACT_NOTIFY") {
    return Error{"defaultAction: SCMP_ACT_NOTIFY cannot be the default action"};
  }
  MOAT_ASSIGN_OR_RETURN(f->default_errno_ret, ReadErrno(root.Find("defaultErrnoRet"),
                                                        "defaultErrnoRet", f->default_action));
  auto arches = ReadArches(root.Find("architectures"), "architectures");
  if (!arches.ok()) return arches.error();
  f->architectures = std::move(arches.value());
  if (const Value* m = root.Find("archMap"); Present(m)) MOAT_TRY(ReadArchMap(*m, f));
  if (!f->architectures.empty() && !f->arch_map.empty()) {
    return Error{"architectures and archMap: both given; use one"};
  }
  auto flags = ReadNames(root.Find("flags"), "flags", &Flags(), "flag");
  if (!flags.ok()) return flags.error();
  f->flags = std::move(flags.value());
  struct {
    const char* key;
    std::string* field;
  } strings[] = {{"listenerPath", &f->listener_path}, {"listenerMetadata", &f->listener_metadata}};
  for (auto& s : strings) {
    if (const Value* v = root.Find(s.key); Present(v)) {
      MOAT_ASSIGN_OR_RETURN(*s.field, json::ReadString(*v, s.key));
    }
  }
  if (const Value* s = root.Find("syscalls"); Present(s)) {
    MOAT_TRY(json::ExpectType(*s, json::Type::kArray, "syscalls"));
    for (size_t i = 0; i < s->items().size(); ++i) {
      SeccompRule r;
      MOAT_TRY(ReadRule(s->items()[i], json::Index("syscalls", i), &r));
      if (r.action == "SCMP_ACT_NOTIFY") {
        if (f->listener_path.empty()) {
          return Error{r.where + ".action: SCMP_ACT_NOTIFY without a listenerPath"};
        }
        for (const auto& n : r.names) {
          if (n == "write") {
            return Error{r.where + ": SCMP_ACT_NOTIFY cannot be used for the write syscall"};
          }
        }
      }
      f->syscalls.push_back(std::move(r));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<SeccompFile> ParseSeccompFile(const std::string& text, const std::string& file) {
  auto doc = json::Parse(text);
  if (!doc.ok()) return doc.error().Wrap(file);
  SeccompFile f;
  f.file = file;
  Status st = ReadSeccomp(*doc, &f);
  if (!st.ok()) return st.error().Wrap(file);
  return f;
}

Result<SeccompFile> LoadSeccompFile(const std::string& path) {
  struct stat st {};
  MOAT_ASSIGN_OR_RETURN(auto text, ReadFileNoFollow(path, 1u << 20, &st));
  MOAT_TRY(CheckRootOwned(st, path));
  auto f = ParseSeccompFile(text, path);
  if (!f.ok()) return f.error();
  MOAT_ASSIGN_OR_RETURN(auto host, ThisSeccompHost());
  MOAT_TRY(CheckSeccompFile(&f.value(), host));
  return f;
}

}  // namespace moat::launcher
