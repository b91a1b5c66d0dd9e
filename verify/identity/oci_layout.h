// The identity of an image in an OCI image layout (image-layout.md: oci-layout,
// index.json, blobs/<alg>/<hex>), for bundles unpacked from one and started by
// `moat run --image oci:DIR:REF` without any engine behind them.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/status.h"
#include "verify/identity/identity.h"

namespace moat::verify {

/// Finds the manifest index.json names `ref` (its
/// "org.opencontainers.image.ref.name" annotation; `ref` may be empty when
/// index.json has exactly one manifest), checks that its blob hashes to its
/// digest and, through an index if need be (linux/amd64), names a config blob
/// that hashes to the config digest. The layout and everything read must be
/// owned by `owner` and not group/world-writable.
///
/// used_reference is `ref` normalised when it is a full docker reference with
/// a tag or digest ("registry.example/app:1"); a bare tag ("1.0", as
/// image-layout suggests) names no repository, so only the policy's default
/// scope can then accept the image.
/// The digest of the one manifest descriptor of index.json (`text`, named
/// `file` in errors) that `ref` names by its org.opencontainers.image.ref.name
/// annotation; `ref` empty: index.json must hold exactly one. Each digest read
/// must be a string; the result is not checked further (callers read the blob).
Result<std::string> SelectOciIndexManifest(std::string_view text, const std::string& file,
                                           const std::string& ref);

Result<ImageIdentity> ResolveOciLayout(const std::string& dir, const std::string& ref,
                                       uid_t owner = 0);

}  // namespace moat::verify
