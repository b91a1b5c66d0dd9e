// moat verdict: signed scan verdicts in the local store (verify/verdict*.h).
//
//   moat verdict keygen [--type ecdsa-p256|ed25519] --out NAME
//   moat verdict import --from trivy|grype REPORT.json --image sha256:DIGEST --key KEY.pem
//   moat verdict add ENVELOPE.json --image sha256:DIGEST
//   moat verdict show DIGEST         (verdict_check_cmd.cc)
//   moat verdict check DIGEST...     (verdict_check_cmd.cc)
//
// import and add write into the store that moat.conf's `verdicts.store`
// names (or --store). Storing is not trusting: moat-runtime verifies every
// envelope against the policy's scanner keys at each create.
#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "base/fs.h"
#include "base/json.h"
#include "base/time.h"
#include "base/unique_fd.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "shim/config.h"
#include "verify/common/reference.h"
#include "verify/signature/signing_key.h"
#include "verify/verdict/dsse.h"
#include "verify/verdict/verdict.h"
#include "verify/verdict/verdict_store.h"
#include "verify/verdict/vuln_report.h"

namespace moat::cli {

namespace {

const verify::ReportLimits kReportLimits;

constexpr const char* kUsage =
    "usage: moat verdict keygen [--type ecdsa-p256|ed25519] --out NAME\n"
    "       moat verdict import --from trivy|grype REPORT.json --image sha256:DIGEST --key "
    "KEY.pem\n"
    "       moat verdict add ENVELOPE.json --image sha256:DIGEST\n"
    "       moat verdict show DIGEST\n"
    "       moat verdict check DIGEST...\n"
    "\n"
    "Signed scan verdicts (DSSE envelopes of in-toto Statements with cosign's vuln\n"
    "predicate) in the store moat.conf's verdicts.store names, keyed by image\n"
    "manifest digest. 'moat verdict SUBCOMMAND --help' describes each; see moat(8).\n";

const std::vector<FlagSpec> kKeygenFlags = {
    {"type", true, "ecdsa-p256 (default) or ed25519"},
    {"out", true, "write the private key to NAME.key (0600) and the public key to NAME.pub"},
};
const std::vector<FlagSpec> kImportFlags = {
    {"from", true, "the report's format: trivy (trivy image -f json) or grype (grype -o json)"},
    {"image", true, "the image manifest digest scanned, sha256:<hex> (required)"},
    {"key", true, "the scanner's PEM private key, ECDSA P-256 or Ed25519 (required)"},
    {"name", true, "the subject's name in the Statement (default: the digest)"},
    {"scanned-at", true, "when the scan finished, RFC 3339 (default: from the report)"},
    {"store", true, "the store to write to (default: moat.conf's verdicts.store)"},
    {"output", true, "write the envelope to this file ('-': stdout) instead of a store"},
};
const std::vector<FlagSpec> kAddFlags = {
    {"image", true, "the image manifest digest the verdict is about, sha256:<hex> (required)"},
    {"store", true, "the store to write to (default: moat.conf's verdicts.store)"},
};

// Writes a new file (never replacing one) with `mode`.
Status WriteNewFile(const std::string& path, const std::string& data, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd.valid()) return ErrnoError(path + ": cannot create");
  if (::fchmod(fd.get(), mode) != 0) return ErrnoError(path + ": cannot set mode");
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError(path + ": write failed");
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return ErrnoError(path + ": fsync failed");
  return Status::Ok();
}

// The store to write to: --store as given (the caller's own directory, not
// checked for ownership), else moat.conf's, held to the runtime's rules.
Result<std::pair<std::string, verify::VerdictStoreOptions>> TargetStore(const Flags& flags) {
  verify::VerdictStoreOptions options;
  if (flags.Has("store")) {
    options.require_root_owned = false;
    return std::make_pair(flags.Get("store"), options);
  }
  MOAT_ASSIGN_OR_RETURN(auto config, shim::LoadConfig());
  if (!config.verdicts) {
    return Error{config.file + ": verdicts: not configured (give --store DIR)"};
  }
  return std::make_pair(config.verdicts->store, options);
}

Result<std::string> ImageDigest(const Flags& flags) {
  const std::string digest = flags.Get("image");
  if (!verify::IsSha256Digest(digest)) {
    return Error{"--image: " + json::Quote(digest) + " is not a manifest digest sha256:<64 hex>"};
  }
  return digest;
}

int Keygen(const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  auto flags = ParseCommand(
      "verdict keygen", args, kKeygenFlags,
      "usage: moat verdict keygen [--type ecdsa-p256|ed25519] --out NAME\n\nMakes a scanner "
      "signing key pair.\n",
      &exit_code);
  if (!flags) return exit_code;
  if (!flags->positional().empty() || !flags->Has("out"))
    return Fail("verdict keygen: --out NAME is required", kExitUsage);
  const std::string type = flags->Get("type", "ecdsa-p256");
  verify::KeyAlgorithm alg;
  if (type == "ecdsa-p256") {
    alg = verify::KeyAlgorithm::kEcdsaP256;
  } else if (type == "ed25519") {
    alg = verify::KeyAlgorithm::kEd25519;
  } else {
    return Fail("verdict keygen: --type: " + json::Quote(type) + " is not ecdsa-p256 or ed25519",
                kExitUsage);
  }
  auto key = verify::SigningKey::Generate(alg);
  if (!key.ok()) return Fail(key.error());
  auto priv = key->PrivatePem();
  auto pub = key->PublicPem();
  auto public_key = key->Public();
  if (!priv.ok() || !pub.ok() || !public_key.ok())
    return Fail("verdict keygen: cannot encode the key");
  auto keyid = verify::KeyId(*public_key);
  if (!keyid.ok()) return Fail(keyid.error());
  const std::string name = flags->Get("out");
  Status st = WriteNewFile(name + ".key", *priv, 0600);
  if (!st.ok()) return Fail(st.error());
  st = WriteNewFile(name + ".pub", *pub, 0644);
  if (!st.ok()) return Fail(st.error());
  std::printf("%s.key: %s private key (keep it secret)\n%s.pub: public key, keyid %s\n",
              name.c_str(), verify::KeyAlgorithmName(alg), name.c_str(), keyid->c_str());
  return kExitOk;
}

int Import(const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  auto flags = ParseCommand(
      "verdict import", args, kImportFlags,
      "usage: moat verdict import --from trivy|grype REPORT.json --image sha256:DIGEST --key "
      "KEY.pem\n\nSigns a scanner's JSON report as a verdict about the image and stores it.\n",
      &exit_code);
  if (!flags) return exit_code;
  if (flags->positional().size() != 1 || !flags->Has("from") || !flags->Has("image") ||
      !flags->Has("key"))
    return Fail("verdict import: REPORT.json, --from, --image and --key are required", kExitUsage);
  const std::string from = flags->Get("from");
  verify::ReportFormat format;
  if (from == "trivy") {
    format = verify::ReportFormat::kTrivy;
  } else if (from == "grype") {
    format = verify::ReportFormat::kGrype;
  } else {
    return Fail("verdict import: --from: " + json::Quote(from) + " is not trivy or grype",
                kExitUsage);
  }
  auto digest = ImageDigest(*flags);
  if (!digest.ok()) return Fail(digest.error(), kExitUsage);
  std::optional<int64_t> scanned_at;
  if (flags->Has("scanned-at")) {
    auto t = ParseRfc3339(flags->Get("scanned-at"));
    if (!t.ok()) return Fail(t.error().Wrap("--scanned-at"), kExitUsage);
    scanned_at = *t;
  }
  const std::string path = flags->positional()[0];
  auto text = ReadFileNoFollow(path, kReportLimits.max_bytes);
  if (!text.ok()) return Fail(text.error());
  auto report = json::Parse(*text, verify::ReportJsonLimits(kReportLimits));
  if (!report.ok()) return Fail(report.error().Wrap(path));
  auto detected = verify::DetectReportFormat(*report, path);
  if (!detected.ok()) return Fail(detected.error());
  if (*detected != format) {
    return Fail(path + ": --from " + from + ", but this is a " +
                verify::ReportFormatName(*detected) + " report");
  }
  const std::string key_path = flags->Get("key");
  auto pem = ReadFileNoFollow(key_path, 1u << 20);
  if (!pem.ok()) return Fail(pem.error());
  auto key = verify::SigningKey::FromPem(*pem, key_path);
  OPENSSL_cleanse(pem->data(), pem->size());  // the key lives on only inside OpenSSL
  if (!key.ok()) return Fail(key.error());
  auto envelope = verify::MakeVerdictEnvelope(*report, format, *digest, flags->Get("name", *digest),
                                              scanned_at, *key);
  if (!envelope.ok()) return Fail(envelope.error().Wrap(path));

  auto parsed = verify::ParseVulnReport(*report, format, path);
  std::string summary = std::to_string(parsed.ok() ? parsed->findings.size() : 0) + " findings";
  if (flags->Has("output")) {
    const std::string out = flags->Get("output");
    if (out == "-") {
      (void)std::fputs(envelope->c_str(), stdout);
      return kExitOk;
    }
    Status st = WriteNewFile(out, *envelope, 0644);
    if (!st.ok()) return Fail(st.error());
    std::printf("%s: verdict about %s (%s report, %s)\n", out.c_str(), digest->c_str(),
                from.c_str(), summary.c_str());
    return kExitOk;
  }
  auto store = TargetStore(*flags);
  if (!store.ok()) return Fail(store.error());
  auto stored = verify::WriteVerdict(store->first, *digest, *envelope, store->second);
  if (!stored.ok()) return Fail(stored.error());
  std::printf("%s: verdict about %s (%s report, %s)\n", stored->c_str(), digest->c_str(),
              from.c_str(), summary.c_str());
  return kExitOk;
}

int Add(const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  auto flags = ParseCommand(
      "verdict add", args, kAddFlags,
      "usage: moat verdict add ENVELOPE.json --image sha256:DIGEST\n\nStores a verdict "
      "envelope made elsewhere (cosign attest --type vuln). It is verified at create.\n",
      &exit_code);
  if (!flags) return exit_code;
  if (flags->positional().size() != 1 || !flags->Has("image"))
    return Fail("verdict add: ENVELOPE.json and --image are required", kExitUsage);
  auto digest = ImageDigest(*flags);
  if (!digest.ok()) return Fail(digest.error(), kExitUsage);
  const std::string path = flags->positional()[0];
  verify::VerdictStoreOptions limits;
  auto text = ReadFileNoFollow(path, limits.max_file_bytes);
  if (!text.ok()) return Fail(text.error());
  // Not verified here (that is the runtime's job, with the policy's keys),
  // but it must be a verdict, and about this image.
  auto env = verify::ParseDsseEnvelope(*text, path);
  if (!env.ok()) return Fail(env.error());
  auto claims = verify::ReadVerdictClaims(*env);
  if (!claims.ok()) return Fail(claims.error().Wrap(path));
  bool names = false;
  for (const auto& s : claims->subjects) names = names || s == *digest;
  if (!names) {
    std::string subjects;
    for (const auto& s : claims->subjects) subjects += (subjects.empty() ? "" : ", ") + s;
    return Fail(path + ": is about " + (subjects.empty() ? "no sha256 subject" : subjects) +
                ", not " + *digest);
  }
  auto store = TargetStore(*flags);
  if (!store.ok()) return Fail(store.error());
  auto stored = verify::WriteVerdict(store->first, *digest, *text, store->second);
  if (!stored.ok()) return Fail(stored.error());
  std::printf("%s: verdict about %s (%s, scanned %s; signature checked at create)\n",
              stored->c_str(), digest->c_str(),
              verify::ReportFormatName(claims->predicate.report.format),
              FormatRfc3339(claims->predicate.scan_finished).c_str());
  return kExitOk;
}

}  // namespace

int RunVerdict(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (void)std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "keygen") return Keygen(rest);
  if (args[0] == "import") return Import(rest);
  if (args[0] == "add") return Add(rest);
  if (args[0] == "show") return RunVerdictShow(rest);
  if (args[0] == "check") return RunVerdictCheck(rest);
  return Fail("verdict: \"" + args[0] + "\": unknown subcommand (keygen, import, add, show, check)",
              kExitUsage);
}

}  // namespace moat::cli
