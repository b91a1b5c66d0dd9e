#!/bin/sh
# installer-rootfs.sh OUT_DIR [BUILD_DIR]: the root filesystem of the image
# node-installer.yaml runs: busybox (static, from Debian's busybox-static) as
# /bin/sh and the tools install.sh uses, moat-runtime (a static PIE) as
# /moat/bin/moat-runtime, moat-node (the node takeover, run on the host) as
# /moat/bin/moat-node, and the shipped profiles in /moat/share/profiles.
# Make it an image offline with
#   tar -C OUT_DIR -c . | docker import - registry.example.com/moat/installer:0.1.0
set -eu
out="$1"
src="$(cd "$(dirname "$0")/../.." && pwd)"
build="${2:-$src/build}"
busybox="${BUSYBOX:-/usr/bin/busybox}"
[ -x "$build/shim/moat-runtime" ] || { echo "installer-rootfs: no $build/shim/moat-runtime" >&2; exit 1; }
file -L "$build/shim/moat-runtime" 2>/dev/null | grep -q 'dynamically linked' &&
  { echo "installer-rootfs: moat-runtime is not static (MOAT_STATIC_RUNTIME=ON)" >&2; exit 1; }
[ -x "$busybox" ] || { echo "installer-rootfs: no static busybox at $busybox" >&2; exit 1; }
mkdir -p "$out/bin" "$out/tmp" "$out/moat/bin" "$out/moat/share/profiles"
chmod 1777 "$out/tmp"
install -m 0755 "$busybox" "$out/bin/busybox"
for a in sh cat cp mv rm grep sed printf mkdir chown chmod basename nsenter sleep echo; do
  ln -sf busybox "$out/bin/$a"
done
install -m 0755 "$build/shim/moat-runtime" "$out/moat/bin/moat-runtime"
[ -f "$build/moat-node" ] || { echo "installer-rootfs: no $build/moat-node (configure the build)" >&2; exit 1; }
install -m 0755 "$build/moat-node" "$out/moat/bin/moat-node"
install -m 0644 "$src"/profiles/*.json "$out/moat/share/profiles/"
mkdir -p "$out/moat/share/profiles/seccomp"
install -m 0644 "$src"/profiles/seccomp/*.json "$out/moat/share/profiles/seccomp/"
