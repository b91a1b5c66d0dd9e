#include "verify/verdict/verdict.h"

#include <sys/stat.h>

#include "base/fs.h"
#include "base/json.h"
#include "verify/common/reference.h"
#include "verify/signature/verify_cache.h"
#include "verify/verdict/intoto.h"
#include "verify/verdict/verdict_cache.h"

namespace moat::verify {

namespace {

constexpr size_t kMaxKeyBytes = 1u << 20;

}  // namespace

Result<std::vector<VerdictKeyFile>> ReadVerdictKeyFiles(const std::vector<std::string>& paths,
                                                        bool require_root_owned) {
  std::vector<VerdictKeyFile> out;
  for (const std::string& path : paths) {
    struct stat st {};
    auto pem = ReadFileNoFollow(path, kMaxKeyBytes, &st);
    if (!pem.ok()) return pem.error();
    if (require_root_owned) MOAT_TRY(CheckRootOwned(st, path));
    out.push_back(VerdictKeyFile{path, std::move(pem.value())});
  }
  return out;
}

Result<std::vector<VerdictKey>> ParseVerdictKeys(const std::vector<VerdictKeyFile>& files) {
  std::vector<VerdictKey> out;
  for (const auto& f : files) {
    auto key = PublicKey::FromPem(f.pem, f.path);
    if (!key.ok()) return key.error();
    out.push_back(VerdictKey{f.path, std::move(key.value())});
  }
  return out;
}

Result<std::vector<VerdictKey>> LoadVerdictKeys(const std::vector<std::string>& paths,
                                                bool require_root_owned) {
  MOAT_ASSIGN_OR_RETURN(auto files, ReadVerdictKeyFiles(paths, require_root_owned));
  return ParseVerdictKeys(files);
}

Result<VerdictClaims> ReadVerdictClaims(const DsseEnvelope& env) {
  if (env.payload_type != kInTotoPayloadType) {
    return Error{"payloadType " + json::Quote(env.payload_type) + " is not " +
                 std::string(kInTotoPayloadType)};
  }
  MOAT_ASSIGN_OR_RETURN(auto statement, ParseStatement(env.payload, "payload"));
  if (statement.predicate_type != kCosignVulnPredicateType) {
    return Error{"predicateType " + json::Quote(statement.predicate_type) +
                 " is not a vulnerability scan (" + std::string(kCosignVulnPredicateType) + ")"};
  }
  if (statement.predicate.is_null()) return Error{"predicate: missing"};
  VerdictClaims claims;
  claims.statement_type = statement.type;
  for (const auto& s : statement.subjects) {
    if (!s.sha256.empty()) claims.subjects.push_back(s.sha256);
  }
  auto predicate = ParseVulnPredicate(statement.predicate);
  if (!predicate.ok()) return predicate.error();
  claims.predicate = std::move(predicate.value());
  return claims;
}

Result<VerifiedVerdict> VerifyVerdict(std::string_view envelope, const std::string& display,
                                      const std::string& digest,
                                      const std::vector<VerdictKey>& keys) {
  MOAT_ASSIGN_OR_RETURN(auto env, ParseDsseEnvelope(envelope, display));
  std::vector<const PublicKey*> pubs;
  for (const auto& k : keys) pubs.push_back(&k.key);
  auto which = VerifyDsse(env, pubs);
  if (!which.ok()) return which.error().Wrap(display);
  // Only now is the payload worth reading.
  auto claims = ReadVerdictClaims(env);
  if (!claims.ok()) return claims.error().Wrap(display);
  bool names = false;
  for (const auto& s : claims->subjects) names = names || s == digest;
  if (!names) {
    std::string subjects;
    for (const auto& s : claims->subjects) subjects += (subjects.empty() ? "" : ", ") + s;
    return Error{display + ": is about " + (subjects.empty() ? "no sha256 subject" : subjects) +
                 ", not " + digest};
  }
  VerifiedVerdict v;
  v.path = display;
  v.digest = digest;
  v.key = keys[*which].path;
  v.claims = std::move(claims.value());
  return v;
}

Result<std::string> MakeVerdictEnvelope(const json::Value& report, ReportFormat format,
                                        const std::string& digest, const std::string& name,
                                        std::optional<int64_t> scanned_at, const SigningKey& key) {
  if (!IsSha256Digest(digest)) {
    return Error{json::Quote(digest) + " is not a sha256:<64 hex> manifest digest"};
  }
  MOAT_ASSIGN_OR_RETURN(auto parsed, ParseVulnReport(report, format, "report"));
  if (!scanned_at) scanned_at = parsed.created_at;
  if (!scanned_at) {
    return Error{std::string("the ") + ReportFormatName(format) +
                 " report does not say when it was made (" +
                 (format == ReportFormat::kTrivy ? "CreatedAt" : "descriptor.timestamp") +
                 "): give the scan time"};
  }
  const json::Value predicate = BuildVulnPredicate(report, parsed, *scanned_at);
  const std::string statement =
      BuildStatement(StatementSubject{name, digest}, kCosignVulnPredicateType, predicate);
  return SignDsse(kInTotoPayloadType, statement, key);
}

Result<VerdictCandidates> CollectVerdicts(const std::string& store,
                                          const std::vector<std::string>& digests,
                                          const std::vector<VerdictKeyFile>& keys,
                                          const VerdictStoreOptions& options,
                                          const std::string& cache_dir) {
  VerdictCandidates out;
  const VerifyCache cache(cache_dir);
  std::optional<std::vector<VerdictKey>> parsed;  // only when something is not cached
  for (const std::string& digest : digests) {
    MOAT_ASSIGN_OR_RETURN(auto stored, ReadVerdicts(store, digest, options));
    for (auto& s : stored) {
      if (!s.problem.empty()) {
        out.rejected.push_back(RejectedVerdict{s.path, s.problem});
        continue;
      }
      const std::string cache_key = VerdictCacheKey(keys, s.sha256, digest);
      if (auto text = cache.Get(cache_key, options.max_file_bytes)) {
        if (auto cached = ParseCachedVerdict(*text); cached && cached->digest == digest) {
          cached->path = s.path;
          out.valid.push_back(std::move(*cached));
          continue;
        }
      }
      if (!parsed) {
        auto k = ParseVerdictKeys(keys);
        if (!k.ok()) return k.error();
        parsed = std::move(k.value());
      }
      auto v = VerifyVerdict(s.bytes, s.path, digest, *parsed);
      if (v.ok()) {
        cache.Put(cache_key, SerializeVerifiedVerdict(*v));
        out.valid.push_back(std::move(v.value()));
      } else {
        out.rejected.push_back(RejectedVerdict{s.path, v.error().Describe()});
      }
    }
  }
  return out;
}

}  // namespace moat::verify
