// exec: an exec'd process joins a hardened container; it must not get back
// what the container's profile took away. `docker exec` builds its process
// from Docker's own view (default capabilities, the image user), so the
// process spec is fitted to the profile rather than refused by default.
#include <sys/stat.h>

#include "base/fs.h"
#include "base/json.h"
#include "launcher/harden.h"
#include "shim/runtime.h"
#include "shim/state.h"

namespace moat::shim {

namespace {

struct Rewrite {
  int dirfd;
  std::string name;
  const json::Value* process;
  const struct stat* like;
  std::string display;
};

Status ApplyRewrite(void* arg) {
  auto* r = static_cast<Rewrite*>(arg);
  return ReplaceFileAt(r->dirfd, r->name, json::Serialize(*r->process), r->like, r->display);
}

// --cap and --user on the command line cannot be rewritten (argv passes to
// runc untouched), so what the profile does not give is refused.
void CheckFlags(const Context& ctx, const Governing& g, std::vector<std::string>* denials) {
  for (const auto& name : ctx.inv.All("cap")) {
    auto cap = launcher::CapFromName(name);
    if (!cap.ok()) {
      denials->push_back("exec --cap " + name + ": " + cap.error().message);
      continue;
    }
    bool given = g.profile.Apply({*cap}).count(*cap) != 0 &&
                 (!g.has_ceiling || g.ceiling.count(*cap) != 0);
    if (!given) {
      denials->push_back("exec --cap " + name + ": not given by profile \"" + g.profile.name +
                         "\"");
    }
  }
  if (const std::string* user = ctx.inv.Last("user")) {
    std::string uid = user->substr(0, user->find(':'));
    if (uid == "0" && g.profile.root != launcher::RootPolicy::kAllow) {
      denials->push_back("exec --user " + *user + ": profile \"" + g.profile.name +
                         "\" does not allow root");
    }
  }
}

}  // namespace

Status CheckExec(const Context& ctx) {
  const std::string id = ctx.inv.ContainerId();
  if (!ValidContainerId(id)) return Error{"exec: container id \"" + id + "\" is not valid"};
  auto gov = GoverningProfile(ctx, id);
  if (!gov.ok()) return gov.error();
  AuditRecord rec;
  rec.verb = "exec";
  rec.id = id;
  rec.profile = gov->profile.name;
  std::vector<std::string> denials;
  CheckFlags(ctx, *gov, &denials);

  const std::string* process_file = ctx.inv.Last("process");
  if (process_file == nullptr || process_file->empty()) {
    return Decide(ctx, rec, denials, {}, nullptr, nullptr);
  }
  auto [dir_path, name] = SplitPath(*process_file);
  auto dir = OpenDir(dir_path);
  if (!dir.ok()) return dir.error();
  MOAT_TRY(CheckDirNotHijackable(dir->get(), dir_path));
  auto fd = OpenRegularAt(dir->get(), name, *process_file);
  if (!fd.ok()) return fd.error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return ErrnoError(*process_file + ": cannot stat");
  MOAT_TRY(CheckRootOwned(st, *process_file));
  auto text = ReadFd(fd->get(), *process_file, 4u << 20);
  if (!text.ok()) return text.error();
  json::Limits limits;
  limits.go_fold_keys = true;
  auto process = json::Parse(*text, limits);
  if (!process.ok()) return process.error().Wrap(*process_file);
  auto outcome = launcher::HardenExecProcess(&process.value(), gov->profile,
                                             gov->has_ceiling ? &gov->ceiling : nullptr);
  if (!outcome.ok()) return outcome.error().Wrap(*process_file);
  denials.insert(denials.end(), outcome->denials.begin(), outcome->denials.end());
  Rewrite rw{dir->get(), name, &process.value(), &st, *process_file};
  return Decide(ctx, rec, denials, outcome->changes,
                outcome->changes.empty() ? nullptr : ApplyRewrite, &rw);
}

}  // namespace moat::shim
