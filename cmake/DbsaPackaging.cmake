# CPack: `cpack -G DEB` (from the build folder) makes dbsa-studio_<version>_<arch>.deb with the `dbsa`
# CLI, the `dbsa-studio` desktop app, its .desktop entry and icon. Dependencies are the Debian runtime
# packages dpkg-shlibdeps finds from the installed binaries; the Qt plugins loaded at run time
# (platforms, SVG icon engine) ship in two of them, libqt6gui6 and libqt6svg6.
set(CPACK_PACKAGE_NAME "dbsa-studio")
set(CPACK_PACKAGE_VENDOR "DBSA Studio")
set(CPACK_PACKAGE_CONTACT "DBSA Studio maintainers <dbsa-studio@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Dynamic block-sparse attention for many-shot in-context learning: desktop studio and CLI")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_GENERATOR "DEB")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
