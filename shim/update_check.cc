// update: `docker update --pids-limit` reaches runc as `update --resources -`
// with the resources on stdin, or as `--pids-limit N`. A profile's pids limit
// is a ceiling that update cannot raise or remove.
#include <sys/mman.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/json_read.h"
#include "shim/runtime.h"
#include "shim/state.h"

namespace moat::shim {

namespace {

// Stdin is consumed to read it; runc gets the same bytes from a memfd.
Result<std::string> ReadStdinAndReplay() {
  MOAT_ASSIGN_OR_RETURN(auto text, ReadFd(STDIN_FILENO, "update --resources -", 1u << 20));
  UniqueFd mem(::memfd_create("moat-resources", MFD_CLOEXEC));
  if (!mem.valid()) return ErrnoError("update: memfd_create");
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(mem.get(), text.data() + off, text.size() - off);
    if (n < 0) return ErrnoError("update: memfd write");
    off += static_cast<size_t>(n);
  }
  if (::lseek(mem.get(), 0, SEEK_SET) != 0) return ErrnoError("update: memfd seek");
  // dup2 clears FD_CLOEXEC on the new descriptor 0, which runc inherits.
  if (::dup2(mem.get(), STDIN_FILENO) < 0) return ErrnoError("update: dup2");
  return text;
}

Result<std::optional<int64_t>> PidsFromResources(const std::string& text,
                                                 const std::string& display) {
  json::Limits limits;
  limits.go_fold_keys = true;
  auto doc = json::Parse(text, limits);
  if (!doc.ok()) return doc.error().Wrap(display);
  MOAT_TRY(json::ExpectType(*doc, json::Type::kObject, display));
  const json::Value* pids = doc->Find("pids");
  if (pids == nullptr || pids->is_null()) return std::optional<int64_t>();
  MOAT_TRY(json::ExpectType(*pids, json::Type::kObject, display + ": pids"));
  const json::Value* limit = pids->Find("limit");
  if (limit == nullptr || limit->is_null()) return std::optional<int64_t>();
  MOAT_ASSIGN_OR_RETURN(auto n,
                        json::ReadInt(*limit, display + ": pids.limit", INT64_MIN, INT64_MAX));
  return std::optional<int64_t>(n);
}

}  // namespace

Status CheckUpdate(const Context& ctx) {
  const std::string id = ctx.inv.ContainerId();
  if (!ValidContainerId(id)) return Error{"update: container id \"" + id + "\" is not valid"};
  auto gov = GoverningProfile(ctx, id);
  if (!gov.ok()) return gov.error();
  std::vector<std::optional<int64_t>> requested;
  if (const std::string* r = ctx.inv.Last("resources"); r != nullptr && !r->empty()) {
    Result<std::string> text = std::string();
    if (*r == "-") {
      text = ReadStdinAndReplay();
    } else {
      MOAT_ASSIGN_OR_RETURN(auto tf, OpenTrustedFile(*r));
      text = ReadFd(tf.fd.get(), *r, 1u << 20);
    }
    if (!text.ok()) return text.error();
    MOAT_ASSIGN_OR_RETURN(auto pids,
                          PidsFromResources(*text, *r == "-" ? "update --resources -" : *r));
    requested.push_back(pids);
  }
  if (const std::string* p = ctx.inv.Last("pids-limit")) {
    int64_t n = 0;
    if (!ParseGoInt64(*p, 10, &n))
      return Error{"update --pids-limit: \"" + *p + "\" is not an integer"};
    requested.emplace_back(n);
  }
  std::vector<std::string> denials;
  if (gov->profile.pids_limit) {
    const int64_t max = *gov->profile.pids_limit;
    for (const auto& want : requested) {
      if (want && (*want <= 0 || *want > max)) {
        denials.push_back("pids limit " + std::to_string(*want) + " exceeds profile \"" +
                          gov->profile.name + "\"'s limit of " + std::to_string(max));
      }
    }
  }
  AuditRecord rec;
  rec.verb = "update";
  rec.id = id;
  rec.profile = gov->profile.name;
  NoteGoverning(*gov, &denials, &rec);
  return Decide(ctx, rec, denials, {}, nullptr);
}

}  // namespace moat::shim
