// An ImageIdentity as JSON, for `moat verify --output json` and the test
// tools that print one.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "verify/identity/identity.h"

namespace moat::verify {

/// A JSON array of strings.
inline json::Value StringArray(const std::vector<std::string>& v) {
  json::Value arr = json::Value::Array();
  for (const auto& s : v) arr.Append(json::Value::String(s));
  return arr;
}

/// The identity, field by field; with_bytes adds each manifest's exact bytes.
inline json::Value IdentityJson(const verify::ImageIdentity& id, bool with_bytes) {
  using json::Value;
  Value out = Value::Object();
  out.Set("engine", Value::String(verify::EngineName(id.engine)));
  out.Set("config_digest", Value::String(id.config_digest));
  out.Set("used_reference", Value::String(id.used_reference));
  out.Set("tags", StringArray(id.tags));
  Value manifests = Value::Array();
  for (const auto& m : id.manifests) {
    Value v = Value::Object();
    v.Set("digest", Value::String(m.digest));
    v.Set("media_type", Value::String(m.media_type));
    v.Set("repositories", StringArray(m.repositories));
    v.Set("via_index", StringArray(m.via_index));
    v.Set("size", Value::Number(static_cast<int64_t>(m.bytes.size())));
    if (with_bytes) v.Set("bytes", Value::String(m.bytes));
    manifests.Append(std::move(v));
  }
  out.Set("manifests", std::move(manifests));
  out.Set("evidence", StringArray(id.evidence));
  if (id.own_signatures) {
    // moat verify dir: only: the copy's signature files that were checked.
    Value sigs = Value::Array();
    for (const auto& s : id.copy_signatures) {
      Value v = Value::Object();
      v.Set("path", Value::String(s.path));
      v.Set("manifest", Value::String(s.manifest_digest));
      sigs.Append(std::move(v));
    }
    out.Set("copy_signatures", std::move(sigs));
  }
  return out;
}

}  // namespace moat::verify
