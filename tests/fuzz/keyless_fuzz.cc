// verify/signature/rekor.h ParseRekorBundle, ParseHashedRekord;
// verify/signature/cert.h ParseCertificatesPem, PemBlockDer; and
// verify/signature/fulcio.h FulcioIssuer on any certificate that parses:
// results or errors, never a crash. A parsed bundle's canonical form
// re-parses to itself; no fuzzed SET verifies with a fresh Rekor key.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "tests/fuzz/fuzz.h"
#include "verify/common/openssl_ptr.h"
#include "verify/signature/cert.h"
#include "verify/signature/fulcio.h"
#include "verify/signature/rekor.h"

namespace {

const std::string& RekorPem() {
  static const std::string pem = [] {
    moat::verify::EvpPkeyPtr key(EVP_EC_gen("P-256"));
    moat::verify::BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PUBKEY(bio.get(), key.get());
    char* p = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &p);
    return std::string(p, static_cast<size_t>(n));
  }();
  return pem;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = moat::fuzz::Text(data, size);
  auto bundle = moat::verify::ParseRekorBundle(text);
  if (bundle.ok()) {
    const std::string wrapped =
        R"({"SignedEntryTimestamp":"","Payload":)" + bundle->canonical + "}";
    auto again = moat::verify::ParseRekorBundle(wrapped);
    FUZZ_CHECK(again.ok() && again->canonical == bundle->canonical);
    (void)moat::verify::ParseHashedRekord(bundle->body);
    const std::vector<moat::verify::TrustedKey> keys = {{"rekor.pub", RekorPem()}};
    FUZZ_CHECK(!moat::verify::VerifyRekorSet(keys, text, "", "", "").ok());
  } else {
    FUZZ_CHECK(bundle.error().message.rfind("rekor bundle", 0) == 0);
  }
  (void)moat::verify::ParseHashedRekord(text);
  (void)moat::verify::PemBlockDer(text, "pem");
  auto certs = moat::verify::ParseCertificatesPem(text, "certificate");
  if (certs.ok()) {
    FUZZ_CHECK(!certs->empty());
    for (const auto& c : *certs) {
      (void)moat::verify::FulcioIssuer(c.get());
      (void)moat::verify::SanEmails(c.get());
      (void)moat::verify::MatchesHostname(c.get(), "example.com");
      (void)moat::verify::CheckCodeSigning(c.get());
    }
  }
  return 0;
}
