// libseccomp's view of a seccomp file: names checked per architecture,
// actions and flags against what the kernel supports, and the filter runc
// would build, built here first.
#include <linux/filter.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <vector>

#include "base/unique_fd.h"
#include "launcher/seccomp.h"

namespace moat::launcher {

namespace {

/// Owns a libseccomp filter context (scmp_filter_ctx is a void*).
class ScmpFilter {
 public:
  explicit ScmpFilter(uint32_t default_action) : ctx_(seccomp_init(default_action)) {}
  ~ScmpFilter() {
    if (ctx_ != nullptr) seccomp_release(ctx_);
  }
  ScmpFilter(const ScmpFilter&) = delete;
  ScmpFilter& operator=(const ScmpFilter&) = delete;

  bool valid() const { return ctx_ != nullptr; }
  scmp_filter_ctx get() const { return ctx_; }

 private:
  scmp_filter_ctx ctx_;
};

// As runc's getAction: KILL is KILL_THREAD; ERRNO and TRACE return EPERM
// unless errnoRet says otherwise.
uint32_t ActionValue(const std::string& action, const std::optional<uint32_t>& errno_ret) {
  const uint32_t e = errno_ret.value_or(EPERM);
  if (action == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (action == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(e);
  if (action == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(e);
  if (action == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (action == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (action == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (action == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
  return SCMP_ACT_KILL_THREAD;  // SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD (parsing knows no other)
}

// libseccomp API levels (seccomp_api_get(3)) that an action or flag needs.
unsigned ApiLevelFor(const std::string& name) {
  if (name == "SCMP_ACT_KILL_PROCESS" || name == "SCMP_ACT_LOG") return 3;
  if (name == "SCMP_ACT_NOTIFY") return 5;
  if (name == "SECCOMP_FILTER_FLAG_TSYNC") return 2;
  if (name == "SECCOMP_FILTER_FLAG_LOG") return 3;
  if (name == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") return 4;
  return 1;
}

Status CheckSupported(const std::string& name, const std::string& path, unsigned api) {
  unsigned need = ApiLevelFor(name);
  if (api >= need) return Status::Ok();
  return Error{path + ": " + name + " needs libseccomp API level " + std::to_string(need) +
               "; this kernel and libseccomp give " + std::to_string(api)};
}

std::string NamePath(const SeccompRule& r, size_t i) {
  return r.single_name ? r.where + ".name" : json::Index(r.where + ".names", i);
}

Status CheckRules(const SeccompFile& f, const std::vector<uint32_t>& arches, unsigned api) {
  MOAT_TRY(CheckSupported(f.default_action, "defaultAction", api));
  for (size_t i = 0; i < f.flags.size(); ++i) {
    MOAT_TRY(CheckSupported(f.flags[i], json::Index("flags", i), api));
  }
  for (const auto& r : f.syscalls) {
    // A rule that Docker's conditions drop on this host (another arch, a
    // newer kernel) is not part of any filter here: its names may be ones
    // this libseccomp does not know.
    if (!SeccompRuleApplies(r, f.host, nullptr)) continue;
    MOAT_TRY(CheckSupported(r.action, r.where + ".action", api));
    for (size_t i = 0; i < r.names.size(); ++i) {
      for (uint32_t arch : arches) {
        if (seccomp_syscall_resolve_name_arch(arch, r.names[i].c_str()) == __NR_SCMP_ERROR) {
          return Error{NamePath(r, i) + ": unknown syscall \"" + r.names[i] + "\" for " +
                       ArchOciName(arch)};
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckSeccompFile(SeccompFile* f, const SeccompHost& host) {
  f->host = host;
  std::vector<uint32_t> arches = {host.arch};
  for (const auto& name : SeccompArchitectures(*f)) {
    uint32_t token = ArchToken(name);
    if (token == 0) return Error{f->file + ": architecture \"" + name + "\" unknown to libseccomp"};
    if (std::find(arches.begin(), arches.end(), token) == arches.end()) arches.push_back(token);
  }
  const unsigned api = seccomp_api_get();
  Status st = CheckRules(*f, arches, api);
  if (!st.ok()) return st.error().Wrap(f->file);
  return Status::Ok();
}

Status CompileSeccomp(const ResolvedSeccomp& r) {
  const uint32_t def = ActionValue(r.default_action, r.default_errno_ret);
  ScmpFilter filter(def);
  if (!filter.valid())
    return Error{r.file + ": defaultAction: libseccomp refuses " + r.default_action};
  for (const auto& name : r.architectures) {
    uint32_t token = ArchToken(name);
    if (token == 0) return Error{r.file + ": architecture \"" + name + "\" unknown to libseccomp"};
    if (seccomp_arch_exist(filter.get(), token) == 0) continue;
    int rc = seccomp_arch_add(filter.get(), token);
    if (rc < 0) return Error{r.file + ": cannot add architecture " + name, -rc};
  }
  for (const auto& rule : r.syscalls) {
    const uint32_t act = ActionValue(rule.action, rule.errno_ret);
    if (act == def) continue;  // runc skips a rule that repeats the default
    std::vector<scmp_arg_cmp> conds;
    int per_index[6] = {0, 0, 0, 0, 0, 0};
    bool shared_index = false;
    for (const auto& a : rule.args) {
      scmp_arg_cmp c{};
      c.arg = a.index;
      c.op = a.op == "SCMP_CMP_NE"   ? SCMP_CMP_NE
             : a.op == "SCMP_CMP_LT" ? SCMP_CMP_LT
             : a.op == "SCMP_CMP_LE" ? SCMP_CMP_LE
             : a.op == "SCMP_CMP_EQ" ? SCMP_CMP_EQ
             : a.op == "SCMP_CMP_GE" ? SCMP_CMP_GE
             : a.op == "SCMP_CMP_GT" ? SCMP_CMP_GT
                                     : SCMP_CMP_MASKED_EQ;
      c.datum_a = a.value;
      c.datum_b = a.value_two.value_or(0);
      shared_index = shared_index || ++per_index[a.index] > 1;
      conds.push_back(c);
    }
    for (size_t i = 0; i < rule.names.size(); ++i) {
      const std::string& name = rule.names[i];
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        return Error{r.file + ": " + NamePath(rule, i) + ": unknown syscall \"" + name + "\""};
      }
      // runc: conditions on distinct arguments form one rule (all must
      // match); two on the same argument become one rule each.
      int rc = 0;
      if (shared_index) {
        for (const auto& c : conds) {
          rc = seccomp_rule_add_array(filter.get(), act, nr, 1, &c);
          if (rc < 0) break;
        }
      } else {
        rc = seccomp_rule_add_array(filter.get(), act, nr, static_cast<unsigned>(conds.size()),
                                    conds.empty() ? nullptr : conds.data());
      }
      if (rc < 0) {
        return Error{r.file + ": " + NamePath(rule, i) + ": libseccomp cannot add a " +
                         rule.action + " rule for \"" + name + "\"",
                     -rc};
      }
    }
  }
  // Exported to memory rather than /dev/null, to see its length: the kernel
  // refuses a program longer than BPF_MAXINSNS (runc adds a few of its own).
  UniqueFd sink(::memfd_create("moat-seccomp", MFD_CLOEXEC));
  if (!sink.valid()) return ErrnoError("memfd_create");
  int rc = seccomp_export_bpf(filter.get(), sink.get());
  if (rc < 0) return Error{r.file + ": libseccomp cannot build the filter", -rc};
  off_t bytes = ::lseek(sink.get(), 0, SEEK_END);
  if (bytes < 0) return ErrnoError("memfd: lseek");
  const auto insns = static_cast<size_t>(bytes) / sizeof(sock_filter);
  if (insns > BPF_MAXINSNS) {
    return Error{r.file + ": the filter has " + std::to_string(insns) +
                 " BPF instructions; the kernel loads at most " + std::to_string(BPF_MAXINSNS)};
  }
  return Status::Ok();
}

}  // namespace moat::launcher
