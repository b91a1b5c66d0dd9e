# shellcheck shell=bash
# Sourced by scripts/demo.sh and scripts/test.sh, from the repository's root
# (they cd there first).

# as_root "$@": a script that needs root runs itself again through sudo when
# it is not root and sudo is installed; a root shell (a fresh Debian machine
# or container often has no sudo) runs it as it is.
as_root() {
  ((EUID == 0)) && return 0
  local self="$PWD/scripts/${0##*/}"
  if command -v sudo >/dev/null; then
    echo "${0##*/}: not root: running it again through sudo" >&2
    exec sudo -- bash "$self" "$@"
  fi
  echo "${0##*/}: needs root, and sudo is not installed: run it from a root shell (bash $self)" >&2
  exit 1
}

# The static-linking warnings of moat-runtime's link (MOAT_STATIC_RUNTIME):
# glibc's note that a statically linked program calling getpwnam, getpwuid,
# getaddrinfo, gethostbyname or dlopen needs glibc's shared libraries of the
# same version at run time. moat-runtime never calls them:
#  - getpwnam, getpwuid: libgpg-error's "~user" file-name expansion
#    (gpgrt_fnameconcat) and option-file parser (gpgrt_argparse), linked in
#    because the library's exported wrappers refer to every function; neither
#    gpgme, libassuan nor moat calls those two (nm of the archives);
#  - getaddrinfo, gethostbyname: libcrypto's BIO_lookup for socket, connect
#    and accept BIOs; moat makes memory BIOs only and opens no connection;
#  - dlopen: libcrypto's DSO_load, for a dynamic engine, a configuration module
#    or a provider that is not built in; moat-runtime starts OpenSSL with
#    OPENSSL_INIT_NO_LOAD_CONFIG (shim/main.cc), so no openssl.cnf names one,
#    and loads none itself (the built-in default provider does its digests and
#    signatures).
# Checked: moat_sigcheck (the same archives, glibc shared) under gdb with
# breakpoints on the five reached none in every GPG and sigstore case of
# tests/integration/signatures_test.sh. The lines of those notes
# (and the "in function" line naming the archive member before each) are
# dropped from a failed build's output; every other line is kept.
static_link_notes=(
  -e "warning: Using '(getpwnam|getpwuid|getaddrinfo|gethostbyname|dlopen)' in statically linked applications"
  -e '\((libcrypto-lib-(dso_dlfcn|bio_addr|bio_sock)|libgpg_error_la-sysutils)\.o\): in function'
)

# build_quietly DIR CMAKE_ARGS...: configure and build DIR (cmake -S . -B DIR
# CMAKE_ARGS...) with the output in DIR/build.log, shown (less the static
# linking notes above) only when the configure or the build fails.
build_quietly() {
  local dir="$1"
  shift
  mkdir -p "$dir"
  local log="$dir/build.log"
  if ! { cmake -S . -B "$dir" "$@" && cmake --build "$dir" -j"$(nproc)"; } >"$log" 2>&1; then
    grep -Ev "${static_link_notes[@]}" "$log" >&2 || true
    echo "build of $dir failed: the output above, all of it in $log" >&2
    return 1
  fi
  echo "built $dir (output in $log)"
}
