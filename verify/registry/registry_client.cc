#include "verify/registry/registry_client.h"

#include <cctype>
#include <mutex>

#include "base/json.h"
#include "verify/common/base64.h"
#include "verify/common/digest.h"
#include "verify/registry/challenge.h"

namespace moat::verify {

namespace {

struct Sink {
  std::string* out;
  size_t max;
  bool over = false;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t len = size * n;
  if (sink->out->size() + len > sink->max) {
    sink->over = true;
    return 0;  // CURLE_WRITE_ERROR
  }
  sink->out->append(data, len);
  return len;
}

struct Headers {
  std::string content_type, www_authenticate, content_digest;
};

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  auto* h = static_cast<Headers*>(user);
  std::string_view line(data, size * n);
  if (line.substr(0, 5) == "HTTP/") *h = Headers();  // a new response (redirect)
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  if (name == "content-type") h->content_type = std::string(value);
  if (name == "www-authenticate" && h->www_authenticate.empty())
    h->www_authenticate = std::string(value);
  if (name == "docker-content-digest") h->content_digest = std::string(value);
  return size * n;
}

struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistFree>;

constexpr const char* kManifestAccept =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

// The host of an http(s) URL ("https://auth.example:443/token?x" -> "auth.example:443").
std::string UrlHost(std::string_view url) {
  const size_t s = url.find("://");
  if (s == std::string_view::npos) return "";
  url.remove_prefix(s + 3);
  return std::string(url.substr(0, url.find_first_of("/?#")));
}

}  // namespace

bool IsLoopbackHost(std::string_view hp) {
  if (hp.substr(0, 5) == "[::1]") return hp.size() == 5 || hp[5] == ':';
  std::string_view host = hp.substr(0, hp.find(':'));
  if (host == "localhost") return true;
  if (host.substr(0, 4) != "127.") return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
      return false;
    }
  }
  return dots == 3;
}

Result<RegistryClient> RegistryClient::Open(const std::string& domain, const std::string& path,
                                            RegistryOptions options) {
  static std::once_flag once;
  static CURLcode init = CURLE_OK;
  std::call_once(once, [] { init = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (init != CURLE_OK) return Error{std::string("libcurl: ") + curl_easy_strerror(init)};
  RegistryClient c;
  c.curl_.reset(curl_easy_init());
  if (!c.curl_) return Error{"libcurl: curl_easy_init failed"};
  c.domain_ = domain;
  c.path_ = path;
  c.host_ = domain == "docker.io" ? "registry-1.docker.io" : domain;
  c.loopback_ = IsLoopbackHost(c.host_);
  c.options_ = std::move(options);
  c.base_ = (c.options_.plain_http ? "http://" : "https://") + c.host_;
  c.scheme_settled_ = c.options_.plain_http || !c.loopback_;
  return c;
}

Result<RegistryClient::Response> RegistryClient::Once(const std::string& url,
                                                      const std::string& accept,
                                                      const std::string& authorization,
                                                      size_t max_bytes) {
  CURL* h = curl_.get();
  curl_easy_reset(h);
  Response r;
  Sink sink{&r.body, max_bytes};
  Headers headers;
  char errbuf[CURL_ERROR_SIZE] = {0};
  SlistPtr list;
  auto add = [&](const std::string& line) {
    curl_slist* l = curl_slist_append(list.get(), line.c_str());
    if (l != nullptr) {
      (void)list.release();
      list.reset(l);
    }
    return l != nullptr;
  };
  if (!accept.empty() && !add("Accept: " + accept)) return Error{"libcurl: out of memory"};
  if (!authorization.empty() && !add("Authorization: " + authorization))
    return Error{"libcurl: out of memory"};
  const bool ok =
      curl_easy_setopt(h, CURLOPT_URL, url.c_str()) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
      // Blob storage may redirect (S3 and the like); never to plain http
      // from https, and curl drops the Authorization header on another host.
      curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
                       url.rfind("https://", 0) == 0 ? "https" : "http,https") == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, options_.timeout_ms) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, options_.timeout_ms) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_NOPROXY, "*") == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_USERAGENT, "moat") == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, WriteHeader) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_HEADERDATA, &headers) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, list.get()) == CURLE_OK;
  if (!ok) return Error{"libcurl: setting options failed"};
  const CURLcode rc = curl_easy_perform(h);
  if (sink.over)
    return Error{url + ": response larger than " + std::to_string(max_bytes) + " bytes"};
  if (rc != CURLE_OK) {
    return Error{url + ": " + (errbuf[0] != 0 ? std::string(errbuf) : curl_easy_strerror(rc))};
  }
  (void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  r.content_type = headers.content_type;
  r.www_authenticate = headers.www_authenticate;
  r.content_digest = headers.content_digest;
  return r;
}

Status RegistryClient::Authenticate(const std::string& header) {
  auto parsed = ParseChallenge(header);
  if (!parsed.ok()) return parsed.error().Wrap(What());
  const Challenge& ch = *parsed;
  const bool secure_registry = base_.rfind("https://", 0) == 0 || loopback_;
  std::string basic;
  if (options_.credentials) {
    if (!secure_registry) {
      return Error{What() + ": the registry asks for credentials over plain http; not sent"};
    }
    basic = "Basic " +
            EncodeBase64(options_.credentials->username + ":" + options_.credentials->password);
  }
  if (ch.scheme == "basic") {
    if (basic.empty())
      return Error{What() + ": the registry wants credentials (Basic) and no auth file has any"};
    authorization_ = basic;
    return Status::Ok();
  }
  if (ch.scheme != "bearer") {
    return Error{What() + ": WWW-Authenticate: unsupported scheme " + json::Quote(ch.scheme)};
  }
  const std::string realm = ch.Param("realm");
  const bool https_realm = realm.rfind("https://", 0) == 0;
  if (!https_realm && !(realm.rfind("http://", 0) == 0 && IsLoopbackHost(UrlHost(realm)))) {
    return Error{What() + ": WWW-Authenticate: realm " + json::Quote(realm) +
                 " is not an https URL (nor http on a loopback address)"};
  }
  std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
  if (!ch.Param("service").empty()) url += "service=" + UrlEncode(ch.Param("service")) + "&";
  const std::string scope =
      ch.Param("scope").empty() ? "repository:" + path_ + ":pull" : ch.Param("scope");
  url += "scope=" + UrlEncode(scope);
  MOAT_ASSIGN_OR_RETURN(auto r, Once(url, "application/json", basic, 1u << 20));
  if (r.status != 200) {
    return Error{What() + ": token from " + realm + ": HTTP " + std::to_string(r.status) +
                 (basic.empty() ? " (no credentials given)" : " (credentials refused?)")};
  }
  auto doc = json::Parse(r.body);
  if (!doc.ok()) return doc.error().Wrap(What() + ": token from " + realm);
  const json::Value* tok = doc->Find("token");
  if (tok == nullptr || !tok->is_string() || tok->text().empty()) tok = doc->Find("access_token");
  if (tok == nullptr || !tok->is_string() || tok->text().empty())
    return Error{What() + ": token from " + realm + ": no token or access_token"};
  for (char c : tok->text()) {
    if (c < 0x21 || c > 0x7e) return Error{What() + ": token from " + realm + ": not printable"};
  }
  authorization_ = "Bearer " + tok->text();
  return Status::Ok();
}

Result<RegistryClient::Response> RegistryClient::Get(const std::string& api_path,
                                                     const std::string& accept, size_t max_bytes) {
  auto r = Once(base_ + api_path, accept, authorization_, max_bytes);
  if (!r.ok() && !scheme_settled_) {
    // Docker's rule for loopback registries: HTTPS first, then plain HTTP.
    base_ = "http://" + host_;
    r = Once(base_ + api_path, accept, authorization_, max_bytes);
  }
  if (!r.ok()) return r.error();
  scheme_settled_ = true;
  if (r->status == 401 && !r->www_authenticate.empty()) {
    MOAT_TRY(Authenticate(r->www_authenticate));
    r = Once(base_ + api_path, accept, authorization_, max_bytes);
    if (!r.ok()) return r.error();
  }
  if (r->status == 401 || r->status == 403) {
    return Error{base_ + api_path + ": HTTP " + std::to_string(r->status) +
                 (options_.credentials ? " (with " + options_.credentials->origin + ")"
                                       : " (no credentials for " + domain_ + ")")};
  }
  return r;
}

Result<std::optional<Fetched>> RegistryClient::GetManifest(std::string_view ref) {
  const std::string api = "/v2/" + path_ + "/manifests/" + std::string(ref);
  MOAT_ASSIGN_OR_RETURN(auto r, Get(api, kManifestAccept, options_.max_manifest_bytes));
  if (r.status == 404) return std::optional<Fetched>();
  if (r.status != 200) return Error{base_ + api + ": HTTP " + std::to_string(r.status)};
  Fetched f{std::move(r.body), r.content_type, ""};
  f.digest = DigestOf(f.bytes);
  const bool by_digest = ref.find(':') != std::string_view::npos;
  if (by_digest && f.digest != ref)
    return Error{base_ + api + ": the manifest's sha256 is " + f.digest + ", not " +
                 std::string(ref)};
  if (!r.content_digest.empty() && r.content_digest != f.digest) {
    return Error{base_ + api + ": Docker-Content-Digest " + r.content_digest +
                 " but the bytes hash to " + f.digest};
  }
  return std::optional<Fetched>(std::move(f));
}

Result<std::string> RegistryClient::GetBlob(const Descriptor& desc, size_t max_bytes) {
  const std::string api = "/v2/" + path_ + "/blobs/" + desc.digest;
  if (static_cast<uint64_t>(desc.size) > max_bytes) {
    return Error{base_ + api + ": size " + std::to_string(desc.size) + " is over the limit of " +
                 std::to_string(max_bytes) + " bytes"};
  }
  MOAT_ASSIGN_OR_RETURN(auto r, Get(api, "", static_cast<size_t>(desc.size)));
  if (r.status != 200) return Error{base_ + api + ": HTTP " + std::to_string(r.status)};
  if (r.body.size() != static_cast<size_t>(desc.size))
    return Error{base_ + api + ": " + std::to_string(r.body.size()) +
                 " bytes, the descriptor says " + std::to_string(desc.size)};
  if (DigestOf(r.body) != desc.digest)
    return Error{base_ + api + ": the blob's sha256 is " + DigestOf(r.body)};
  return std::move(r.body);
}

Result<std::optional<Fetched>> RegistryClient::GetReferrers(std::string_view digest) {
  const std::string api = "/v2/" + path_ + "/referrers/" + std::string(digest);
  MOAT_ASSIGN_OR_RETURN(auto r, Get(api, std::string(kOciIndexType), options_.max_manifest_bytes));
  if (r.status == 404) return std::optional<Fetched>();
  if (r.status != 200) return Error{base_ + api + ": HTTP " + std::to_string(r.status)};
  Fetched f{std::move(r.body), r.content_type, ""};
  f.digest = DigestOf(f.bytes);
  return std::optional<Fetched>(std::move(f));
}

}  // namespace moat::verify
