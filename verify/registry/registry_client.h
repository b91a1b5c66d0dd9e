// A read-only client of one repository on an OCI distribution registry, over
// libcurl: manifests by tag or digest, blobs checked against their digest
// and size, the referrers API. Authentication as the distribution spec and
// Docker do it: a 401's WWW-Authenticate challenge, then a Bearer token from
// the realm (with Basic credentials where the auth file has some), or Basic.
//
// Transport: HTTPS with the peer and host verified (the system's CA store).
// Plain HTTP only where Docker allows it without configuration, a registry
// on a loopback address (localhost, 127.0.0.0/8, ::1), tried after HTTPS
// fails there, or with `plain_http` set by the operator (--plain-http).
// Credentials are never sent over plain HTTP to a non-loopback host.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "verify/registry/auth_file.h"
#include "verify/registry/cosign_layout.h"

namespace moat::verify {

struct RegistryOptions {
  bool plain_http = false;
  long timeout_ms = 30000;
  std::optional<Credentials> credentials;
  size_t max_manifest_bytes = 4u << 20;
};

struct Fetched {
  std::string bytes;
  std::string content_type;
  std::string digest;  // sha256 of bytes, checked against the request and the registry's header
};

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlPtr = std::unique_ptr<CURL, CurlFree>;

/// True for "localhost", "127.x.y.z" and "[::1]" (with or without a port).
bool IsLoopbackHost(std::string_view host_port);

class RegistryClient {
 public:
  /// A client for `domain`/`path` ("docker.io" is reached at registry-1.docker.io).
  static Result<RegistryClient> Open(const std::string& domain, const std::string& path,
                                     RegistryOptions options);

  /// The manifest or index a tag or digest names; nullopt for 404. Fetched
  /// by digest, its bytes must hash to it; by tag, to the registry's
  /// Docker-Content-Digest where it sends one.
  Result<std::optional<Fetched>> GetManifest(std::string_view tag_or_digest);
  /// A blob, refused when larger than `max_bytes` or `desc.size`, or when
  /// its sha256 is not `desc.digest`.
  Result<std::string> GetBlob(const Descriptor& desc, size_t max_bytes);
  /// GET /v2/<name>/referrers/<digest>: the index, or nullopt where the
  /// registry has no referrers API (404).
  Result<std::optional<Fetched>> GetReferrers(std::string_view digest);

  /// "https://host" or "http://host", as used so far.
  const std::string& base() const { return base_; }

 private:
  struct Response {
    long status = 0;
    std::string body;
    std::string content_type;
    std::string www_authenticate;
    std::string content_digest;
  };
  Result<Response> Get(const std::string& api_path, const std::string& accept, size_t max_bytes);
  Result<Response> Once(const std::string& url, const std::string& accept,
                        const std::string& authorization, size_t max_bytes);
  Status Authenticate(const std::string& challenge_header);
  std::string What() const { return domain_ + "/" + path_; }

  CurlPtr curl_;
  std::string domain_, path_, host_, base_;
  bool loopback_ = false, scheme_settled_ = false;
  RegistryOptions options_;
  std::string authorization_;  // "Bearer ..." / "Basic ..." once a challenge was met
};

}  // namespace moat::verify
