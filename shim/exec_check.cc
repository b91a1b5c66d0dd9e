// exec: an exec'd process joins a hardened container; it must not get back
// what the container's profile took away. `docker exec` builds its process
// from Docker's own view (default capabilities, the image user), so the
// process spec is fitted to the profile rather than refused by default.
#include <sys/stat.h>

#include "base/fs.h"
#include "base/json.h"
#include "launcher/devices.h"
#include "launcher/harden.h"
#include "launcher/host.h"
#include "shim/runtime.h"
#include "shim/state.h"

namespace moat::shim {

namespace {

// --cap and --user on the command line cannot be rewritten (argv passes to
// runc untouched), so what the profile does not give is refused.
void CheckFlags(const Context& ctx, const Governing& g, std::vector<std::string>* denials) {
  for (const auto& name : ctx.inv.All("cap")) {
    auto cap = launcher::CapFromName(name);
    if (!cap.ok()) {
      denials->push_back("exec --cap " + name + ": " + cap.error().message);
      continue;
    }
    bool given =
        g.profile.Apply({*cap}).count(*cap) != 0 && (!g.has_ceiling || g.ceiling.count(*cap) != 0);
    if (!given) {
      denials->push_back("exec --cap " + name + ": not given by profile \"" + g.profile.name +
                         "\"");
    }
  }
  if (const std::string* user = ctx.inv.Last("user")) {
    // runc reads the uid with Go's strconv.Atoi: "00", "+0" and "-0" are root too.
    const std::string uid = user->substr(0, user->find(':'));
    int64_t n = -1;
    bool numeric = ParseGoInt64(uid, 10, &n);
    if (!numeric) {
      denials->push_back("exec --user " + *user + ": uid is not a number");
    } else if (n == 0 && g.profile.root != launcher::RootPolicy::kAllow) {
      denials->push_back("exec --user " + *user + ": profile \"" + g.profile.name +
                         "\" does not allow root");
    }
  }
}

// deny.unconfined_lsm: the labels the exec'd process gets. runc takes them
// from the --process file when there is one (and then ignores --apparmor and
// --process-label), else from those flags; an empty label keeps the
// container's, judged at its create.
Status CheckExecLsm(const Context& ctx, const Governing& g, const json::Value* process,
                    const std::string& process_file, std::vector<std::string>* denials) {
  if (!g.profile.deny.unconfined_lsm) return Status::Ok();
  launcher::LsmLabelsView labels;
  launcher::LsmSource source;
  source.empty_inherits = true;
  if (process != nullptr) {
    if (!process->is_object()) return Error{process_file + ": expected object"};
    MOAT_ASSIGN_OR_RETURN(labels, launcher::ReadProcessLsmLabels(*process, process_file));
    source.apparmor_field = process_file + ": apparmorProfile";
    source.selinux_field = process_file + ": selinuxLabel";
  } else {
    if (const std::string* a = ctx.inv.Last("apparmor")) labels.apparmor_profile = *a;
    if (const std::string* l = ctx.inv.Last("process-label")) labels.selinux_label = *l;
    source.apparmor_field = "exec --apparmor";
    source.selinux_field = "exec --process-label";
  }
  launcher::HostSystem host;
  launcher::JudgeLsmLabels(labels, source, g.profile, host, denials);
  return Status::Ok();
}

}  // namespace

Status CheckExec(const Context& ctx) {
  const std::string id = ctx.inv.ContainerId();
  if (!ValidContainerId(id)) return Error{"exec: container id \"" + id + "\" is not valid"};
  MOAT_ASSIGN_OR_RETURN(auto gov, GoverningProfile(ctx, id));
  AuditRecord rec;
  rec.verb = "exec";
  rec.id = id;
  rec.profile = gov.profile.name;
  std::vector<std::string> denials;
  CheckFlags(ctx, gov, &denials);

  const std::string* process_file = ctx.inv.Last("process");
  if (process_file == nullptr || process_file->empty()) {
    MOAT_TRY(CheckExecLsm(ctx, gov, nullptr, "", &denials));
    NoteGoverning(gov, &denials, &rec);
    return Decide(ctx, rec, denials, {}, nullptr);
  }
  MOAT_ASSIGN_OR_RETURN(auto tf, OpenTrustedFile(*process_file));
  MOAT_ASSIGN_OR_RETURN(auto text, ReadFd(tf.fd.get(), *process_file, 4u << 20));
  json::Limits limits;
  limits.go_fold_keys = true;
  auto process = json::Parse(text, limits);
  if (!process.ok()) return process.error().Wrap(*process_file);
  MOAT_TRY(CheckExecLsm(ctx, gov, &process.value(), *process_file, &denials));
  auto outcome = launcher::HardenExecProcess(&process.value(), gov.profile,
                                             gov.has_ceiling ? &gov.ceiling : nullptr);
  if (!outcome.ok()) return outcome.error().Wrap(*process_file);
  denials.insert(denials.end(), outcome->denials.begin(), outcome->denials.end());
  NoteGoverning(gov, &denials, &rec);
  auto apply = [&]() -> Status {
    if (outcome->changes.empty()) return Status::Ok();
    return ReplaceFileAt(tf.dir.get(), tf.name, json::Serialize(*process), &tf.st, *process_file);
  };
  return Decide(ctx, rec, denials, outcome->changes, apply);
}

}  // namespace moat::shim
