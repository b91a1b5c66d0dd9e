#!/usr/bin/env bash
# Sets up a Debian 12 machine and runs moat's whole test suite: unit tests,
# integration tests against the real runc and a private dockerd, then the same
# again built with AddressSanitizer and UBSan. Needs root: run it as root as it
# is, or as a user with sudo (it runs itself again through sudo).
#
#   bash scripts/test.sh
#
# The main build is Release (-O3, what packagers and most users build) and
# both builds treat warnings as errors (MOAT_WERROR); their output goes to
# build/build.log and build-asan/build.log, shown when a build fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=common.sh
source scripts/common.sh
as_root "$@"

bash scripts/install-deps.sh

echo "== build (Release, -Wall -Wextra -Werror)"
build_quietly build -DCMAKE_BUILD_TYPE=Release -DMOAT_WERROR=ON
echo "== tests"
ctest --test-dir build --output-on-failure

echo "== build with ASan+UBSan"
build_quietly build-asan -DCMAKE_BUILD_TYPE=Debug -DMOAT_SANITIZE=ON -DMOAT_WERROR=ON
echo "== tests under ASan+UBSan"
MOAT_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure
