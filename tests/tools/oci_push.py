#!/usr/bin/env python3
"""Pushes what cosign pushes, to a plain-http registry on 127.0.0.1 (tests only).

  oci_push.py REG REPO TAG SPEC.json   -> prints the pushed manifest's digest

SPEC is either a manifest:
  {"layers": [{"file": F, "mediaType": T, "annotations": {...}}, ...],
   "artifactType": T?, "subject": {"digest": D, "size": N, "mediaType": T}?}
(config: cosign's empty OCI config blob, as cosign's static layers use), or an
index for the referrers tag schema:
  {"index": [{"digest": D, "size": N, "mediaType": T, "artifactType": T}, ...]}
TAG may be "-" to push by digest only.
"""
import hashlib
import json
import sys
import urllib.request


def req(method, url, data=None, headers=None):
    r = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(r, timeout=20) as resp:
        return resp.status, dict(resp.headers), resp.read()


def push_blob(base, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    _, h, _ = req("POST", f"{base}/v2/{repo}/blobs/uploads/")
    loc = h["Location"]
    if loc.startswith("/"):
        loc = base + loc
    sep = "&" if "?" in loc else "?"
    req("PUT", f"{loc}{sep}digest={digest}", data,
        {"Content-Type": "application/octet-stream", "Content-Length": str(len(data))})
    return {"digest": digest, "size": len(data)}


def main():
    reg, repo, tag, spec_path = sys.argv[1:5]
    base = "http://" + reg
    spec = json.load(open(spec_path))
    if "index" in spec:
        doc = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
               "manifests": spec["index"]}
        mt = doc["mediaType"]
    else:
        config = push_blob(base, repo, b"{}")
        layers = []
        for l in spec["layers"]:
            d = push_blob(base, repo, open(l["file"], "rb").read())
            layers.append({"mediaType": l["mediaType"], "size": d["size"], "digest": d["digest"],
                           "annotations": l.get("annotations", {})})
        mt = "application/vnd.oci.image.manifest.v1+json"
        doc = {"schemaVersion": 2, "mediaType": mt,
               "config": {"mediaType": spec.get("configMediaType",
                                                "application/vnd.oci.image.config.v1+json"),
                          "size": config["size"], "digest": config["digest"]},
               "layers": layers}
        if "artifactType" in spec:
            doc["artifactType"] = spec["artifactType"]
        if "subject" in spec:
            doc["subject"] = spec["subject"]
    body = json.dumps(doc).encode()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    req("PUT", f"{base}/v2/{repo}/manifests/{digest if tag == '-' else tag}", body,
        {"Content-Type": mt})
    print(digest, len(body))


if __name__ == "__main__":
    main()
