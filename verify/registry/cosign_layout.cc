#include "verify/registry/cosign_layout.h"

#include "base/json.h"
#include "verify/common/base64.h"
#include "verify/common/reference.h"
#include "verify/signature/sigstore.h"

namespace moat::verify {

namespace {

json::Limits ManifestLimits() {
  json::Limits l;
  l.max_bytes = 4u << 20;
  l.max_depth = 16;
  return l;
}

Result<std::string> OptionalString(const json::Value& obj, std::string_view key,
                                   const std::string& path) {
  const json::Value* v = obj.Find(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) return Error{json::Field(path, key) + ": not a string"};
  return v->text();
}

Result<Descriptor> ReadDescriptor(const json::Value& v, const std::string& path) {
  if (!v.is_object()) return Error{path + ": not an object"};
  Descriptor d;
  MOAT_ASSIGN_OR_RETURN(d.media_type, OptionalString(v, "mediaType", path));
  MOAT_ASSIGN_OR_RETURN(d.digest, OptionalString(v, "digest", path));
  if (!IsSha256Digest(d.digest)) {
    return Error{json::Field(path, "digest") + ": " + json::Quote(d.digest) +
                 " is not sha256:<64 hex>"};
  }
  const json::Value* size = v.Find("size");
  if (size == nullptr || !size->AsInt64(&d.size) || d.size < 0)
    return Error{json::Field(path, "size") + ": not a non-negative integer"};
  MOAT_ASSIGN_OR_RETURN(d.artifact_type, OptionalString(v, "artifactType", path));
  if (const json::Value* p = v.Find("platform"); p != nullptr && p->is_object()) {
    const std::string pp = json::Field(path, "platform");
    MOAT_ASSIGN_OR_RETURN(auto os, OptionalString(*p, "os", pp));
    MOAT_ASSIGN_OR_RETURN(auto arch, OptionalString(*p, "architecture", pp));
    MOAT_ASSIGN_OR_RETURN(auto variant, OptionalString(*p, "variant", pp));
    d.platform = os + "/" + arch + (variant.empty() ? "" : "/" + variant);
  }
  if (const json::Value* a = v.Find("annotations"); a != nullptr && !a->is_null()) {
    const std::string ap = json::Field(path, "annotations");
    if (!a->is_object()) return Error{ap + ": not an object"};
    for (const auto& [k, val] : a->members()) {
      if (!val.is_string()) return Error{json::Field(ap, k) + ": not a string"};
      d.annotations.emplace_back(k, val.text());
    }
  }
  return d;
}

}  // namespace

const std::string* Descriptor::Annotation(std::string_view key) const {
  for (const auto& [k, v] : annotations) {
    if (k == key) return &v;
  }
  return nullptr;
}

bool IsKnownManifestType(std::string_view t) {
  return t == kOciManifestType || t == kOciIndexType || t == kDockerManifestType ||
         t == kDockerListType;
}

Result<ManifestDoc> ParseManifestDoc(std::string_view bytes, std::string_view content_type,
                                     const std::string& display) {
  auto parsed = json::Parse(bytes, ManifestLimits());
  if (!parsed.ok()) return parsed.error().Wrap(display);
  const json::Value& doc = *parsed;
  if (!doc.is_object()) return Error{display + ": not a JSON object"};
  ManifestDoc m;
  MOAT_ASSIGN_OR_RETURN(m.media_type, OptionalString(doc, "mediaType", display));
  // Content-Type may carry parameters ("...; charset=utf-8").
  std::string_view ct = content_type.substr(0, content_type.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  if (m.media_type.empty()) {
    m.media_type = std::string(ct);
  } else if (!ct.empty() && IsKnownManifestType(ct) && ct != m.media_type) {
    return Error{display + ": mediaType " + json::Quote(m.media_type) +
                 " but the registry sent Content-Type " + json::Quote(ct)};
  }
  if (m.media_type.empty() && doc.Find("manifests") != nullptr) {
    m.media_type = std::string(kOciIndexType);  // OCI allows an index without mediaType
  } else if (m.media_type.empty() && doc.Find("layers") != nullptr) {
    m.media_type = std::string(kOciManifestType);
  }
  if (!IsKnownManifestType(m.media_type)) {
    return Error{display + ": mediaType " + json::Quote(m.media_type) +
                 " is not an OCI or Docker schema 2 manifest or index"};
  }
  m.is_index = m.media_type == kOciIndexType || m.media_type == kDockerListType;
  MOAT_ASSIGN_OR_RETURN(m.artifact_type, OptionalString(doc, "artifactType", display));
  const char* list_key = m.is_index ? "manifests" : "layers";
  const json::Value* list = doc.Find(list_key);
  const std::string lp = json::Field(display, list_key);
  if (list != nullptr && !list->is_null()) {
    if (!list->is_array()) return Error{lp + ": not an array"};
    for (size_t i = 0; i < list->items().size(); ++i) {
      MOAT_ASSIGN_OR_RETURN(auto d, ReadDescriptor(list->items()[i], json::Index(lp, i)));
      m.layers.push_back(std::move(d));
    }
  } else if (!m.is_index) {
    return Error{lp + ": missing"};
  }
  if (!m.is_index) {
    const json::Value* config = doc.Find("config");
    if (config == nullptr) return Error{json::Field(display, "config") + ": missing"};
    MOAT_ASSIGN_OR_RETURN(m.config, ReadDescriptor(*config, json::Field(display, "config")));
    if (m.artifact_type.empty()) m.artifact_type = m.config.media_type;
  }
  return m;
}

std::string CosignTag(std::string_view digest, std::string_view suffix) {
  std::string tag(digest);
  if (const size_t colon = tag.find(':'); colon != std::string::npos) tag[colon] = '-';
  return tag + std::string(suffix);
}

Result<std::string> SigstoreFileFromLayer(const Descriptor& layer, std::string_view payload,
                                          const std::string& display) {
  if (layer.media_type != kSigstoreSignatureMimeType) {
    return Error{display + ": mediaType " + json::Quote(layer.media_type) + " is not " +
                 std::string(kSigstoreSignatureMimeType)};
  }
  const std::string* sig = layer.Annotation(kSigstoreSignatureAnnotation);
  if (sig == nullptr || sig->empty()) {
    return Error{display + ": annotations: no " + std::string(kSigstoreSignatureAnnotation)};
  }
  json::Value obj = json::Value::Object();
  obj.Set("mimeType", json::Value::String(layer.media_type));
  obj.Set("payload", json::Value::String(EncodeBase64(payload)));
  json::Value ann = json::Value::Object();
  for (const auto& [k, v] : layer.annotations) ann.Set(k, json::Value::String(v));
  obj.Set("annotations", std::move(ann));
  std::string file("\x00sigstore-json\n", 15);
  file += json::Serialize(obj);
  // What is stored must be what create reads.
  MOAT_ASSIGN_OR_RETURN(auto check, ParseSigstoreBlob(file, display));
  (void)check;
  return file;
}

Result<BundleContent> ReadSigstoreBundle(std::string_view bytes, const std::string& display) {
  auto parsed = json::Parse(bytes, ManifestLimits());
  if (!parsed.ok()) return parsed.error().Wrap(display);
  const json::Value& doc = *parsed;
  if (!doc.is_object()) return Error{display + ": not a JSON object"};
  MOAT_ASSIGN_OR_RETURN(auto media, OptionalString(doc, "mediaType", display));
  if (media.rfind("application/vnd.dev.sigstore.bundle", 0) != 0) {
    return Error{display + ": mediaType " + json::Quote(media) + " is not a sigstore bundle"};
  }
  BundleContent out;
  const json::Value* dsse = doc.Find("dsseEnvelope");
  const json::Value* msg = doc.Find("messageSignature");
  if (dsse != nullptr && msg != nullptr) {
    return Error{display + ": both dsseEnvelope and messageSignature"};
  }
  if (dsse != nullptr) {
    if (!dsse->is_object()) return Error{display + ": dsseEnvelope: not an object"};
    out.dsse_envelope = json::Serialize(*dsse);
  } else if (msg != nullptr) {
    out.unconvertible =
        "messageSignature: the bundle holds the payload's digest, not the payload, so it is "
        "not a containers/image sigstore signature";
  } else {
    out.unconvertible = "neither dsseEnvelope nor messageSignature";
  }
  return out;
}

}  // namespace moat::verify
