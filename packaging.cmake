# Shell completions, the boot-time sweep of moat's state directory, and the
# .deb (cpack -G DEB). Included from CMakeLists.txt after the install rules of
# the binaries, profiles and man pages.
#
# The package installs under CMAKE_INSTALL_PREFIX, the prefix the binaries were
# built for (moat-runtime's default profiles_dir is compiled in): a tree
# configured with -DCMAKE_INSTALL_PREFIX=/usr gives Debian's layout
# (/usr/sbin/moat-runtime, /usr/share/moat/profiles), the default /usr/local
# the one README.md and contrib/ describe. /etc/moat/moat.conf is always there:
# moat-runtime reads it from that path.

set(MOAT_LIBEXECDIR "${CMAKE_INSTALL_FULL_LIBEXECDIR}/moat")

# bash loads completions by command name; zsh from $fpath (Debian's zsh adds
# vendor-completions under /usr, site-functions under /usr/local).
set(bash_completions ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES contrib/completion/moat.bash DESTINATION ${bash_completions} RENAME moat)
install(FILES contrib/completion/moat.bash DESTINATION ${bash_completions} RENAME moat-runtime)
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  install(FILES contrib/completion/_moat DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
else()
  install(FILES contrib/completion/_moat DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
endif()

# moat-sweep.service runs moat-sweep from the libexec directory.
configure_file(contrib/systemd/moat-sweep.service.in moat-sweep.service @ONLY)
install(PROGRAMS contrib/systemd/moat-sweep DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/moat)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/moat-sweep.service DESTINATION lib/systemd/system)

# moat-node (takeover|restore|status): moat-runtime in the node's runc's place,
# the real runc and crun moved aside with dpkg-divert (moat(8)).
set(MOAT_RUNTIME "${CMAKE_INSTALL_FULL_SBINDIR}/moat-runtime")
configure_file(contrib/node/moat-node.in moat-node @ONLY)
install(PROGRAMS ${CMAKE_CURRENT_BINARY_DIR}/moat-node DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/moat)
# prerm: a removal undoes a takeover first (the node's runc would otherwise be
# a dangling link). $DPKG_ROOT is set when dpkg works on another root.
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/debian/prerm
     "#!/bin/sh\nset -e\nif [ \"$1\" = remove ]; then\n"
     "  \"$DPKG_ROOT${MOAT_LIBEXECDIR}/moat-node\" restore --root \"$DPKG_ROOT/\"\nfi\n")
file(CHMOD ${CMAKE_CURRENT_BINARY_DIR}/debian/prerm PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
     GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

# /etc/moat/moat.conf, only in the package (a conffile: dpkg keeps the
# operator's edits): contrib/moat.conf.example naming the packaged profiles.
# `cmake --install` leaves /etc alone (EXCLUDE_FROM_ALL).
file(READ contrib/moat.conf.example moat_conf)
string(REPLACE "\"/etc/moat/profiles\"" "\"${MOAT_DATADIR}/profiles\"" packaged_conf "${moat_conf}")
if(packaged_conf STREQUAL moat_conf)
  message(FATAL_ERROR "contrib/moat.conf.example: no \"profiles_dir\": \"/etc/moat/profiles\" to replace")
endif()
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/moat.conf "${packaged_conf}")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/moat.conf DESTINATION /etc/moat
        COMPONENT conffiles EXCLUDE_FROM_ALL)
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/debian/conffiles "/etc/moat/moat.conf\n")

set(CPACK_PACKAGE_NAME moat)
set(CPACK_PACKAGE_VENDOR "moat")
set(CPACK_PACKAGE_CONTACT "moat maintainers <maintainers@moat.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "hardened OCI runtime shim in front of runc")
set(CPACK_PACKAGE_DESCRIPTION
    "moat-runtime is called by Docker, containerd and podman in runc's place. For every
container it checks the image's signatures against containers-policy.json, refuses
what the operator's hardening profile forbids, rewrites config.json to the profile,
writes an audit record, and then executes runc. moat is the operator's CLI.")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
# The package's binaries are stripped. With debug info in the build
# (RelWithDebInfo, the default build type, or Debug) CPack moves it into a
# second package beside the .deb, moat-dbgsym_<version>_<arch>.ddeb, as
# /usr/lib/debug/.build-id/xx/yyyy.debug, found by gdb through the binary's
# build ID; a Release or MinSizeRel tree is stripped when CPack installs it
# (CMakeLists.txt) and gives the .deb alone. CPACK_STRIP_FILES would strip
# before CPack can split the debug info off: it stays unset.
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "runc")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "docker.io | containerd | podman, skopeo")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_BINARY_DIR}/debian/conffiles
                                      ${CMAKE_CURRENT_BINARY_DIR}/debian/prerm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# One package holding the default component and the conffile.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified conffiles)
set(CPACK_GENERATOR DEB)
include(CPack)
