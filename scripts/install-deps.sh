#!/usr/bin/env bash
# Install what moat needs to build and test, from Debian 12's archive.
# Idempotent: when every package is already installed it does not touch apt.
#
#   bash scripts/install-deps.sh          # install what is missing (root)
#   bash scripts/install-deps.sh --check  # list what is missing; exit 1 if any
#
# Services that packages would start (dockerd, containerd, docker-registry) are
# not started on hosts without systemd: the tests run private daemons.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config
  libyajl-dev libcap-dev libseccomp-dev libmount-dev libssl-dev libgpgme-dev libyaml-dev
  libcurl4-openssl-dev  # `moat trust pull` only (moat-runtime never links it)
  # unit tests, lint
  catch2 clang clang-tidy clang-format shellcheck
  # fuzzing (scripts/fuzz.sh): libFuzzer and the sanitizer runtimes for clang
  libclang-rt-14-dev
  # integration tests and bench
  runc docker.io containerd podman busybox-static jq skopeo docker-registry python3 time
  gnupg openssl
  # tests/tools/ocivalidate (oci_parity_test.sh): runtime-tools' validate package,
  # the runtime-spec JSON schema and gojsonschema, built with Go in GOPATH mode
  golang-go golang-github-opencontainers-runtime-tools-dev
  golang-github-opencontainers-specs-dev golang-github-xeipuuv-gojsonschema-dev
  # contrib/ tried for real (podman, a CRI client), man page lint, completions, YAML
  podman mandoc zsh python3-yaml python3-grpcio
)

missing=()
for p in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)"
  [[ "$status" == "ii "* ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages installed"
  exit 0
fi
echo "install-deps: missing: ${missing[*]}"
if [[ "${1:-}" == "--check" ]]; then
  exit 1
fi
if [[ "$(id -u)" != 0 ]]; then
  echo "install-deps: run as root to install them" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log="$(mktemp /tmp/install-deps.XXXXXX.log)"
policy=/usr/sbin/policy-rc.d
cleanup() {
  if [[ -n "${placed_policy:-}" ]]; then
    rm -f "$policy"
  fi
  rm -f "$log"
}
trap cleanup EXIT

# Without systemd as pid 1, invoke-rc.d would start the packages' sysv services
# (a host dockerd, a registry on :5000). policy-rc.d exit 101 = "not allowed".
if [[ ! -d /run/systemd/system && ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  placed_policy=1
fi

run() {
  if ! "$@" >>"$log" 2>&1; then
    echo "install-deps: failed: $*" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}
run apt-get -q update
run apt-get -q install -y --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}"
echo "install-deps: installed ${#missing[@]} package(s)"
