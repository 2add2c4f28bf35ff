# CPack: `cpack -G DEB` (from the build folder) makes dbsa-studio_<version>_<arch>.deb with the `dbsa`
# CLI, the `dbsa-studio` desktop app, its .desktop entry and icon. Dependencies are the Debian runtime
# packages dpkg-shlibdeps finds from the installed binaries; the Qt plugins loaded at run time
# (platforms, SVG icon engine) ship in two of them, libqt6gui6 and libqt6svg6.
# A CUDA build adds dbsa-studio-cuda_<version>_<arch>.deb: the module lib/dbsa-studio/libdbsa_cuda.so
# alone (engine/backend_module.h), depending on dbsa-studio of the same version and on NVIDIA's CUDA
# runtime packages, named by hand because dpkg-shlibdeps knows no package for a toolkit in /usr/local.
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
if(TARGET dbsa_cuda_module)
  set(CPACK_DEB_COMPONENT_INSTALL ON)
  set(CPACK_COMPONENTS_ALL Unspecified cuda)
  set(CPACK_DEBIAN_UNSPECIFIED_PACKAGE_NAME "dbsa-studio")
  set(CPACK_DEBIAN_UNSPECIFIED_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_CUDA_PACKAGE_NAME "dbsa-studio-cuda")
  set(CPACK_DEBIAN_CUDA_PACKAGE_SHLIBDEPS OFF)
  set(CPACK_DEBIAN_CUDA_DESCRIPTION "DBSA Studio's CUDA backend: `--backend cuda` for dbsa and dbsa-studio")
  set(CPACK_DEBIAN_CUDA_PACKAGE_DEPENDS
      "dbsa-studio (= ${PROJECT_VERSION}), cuda-cudart-${CUDAToolkit_VERSION_MAJOR}-${CUDAToolkit_VERSION_MINOR}, libcublas-${CUDAToolkit_VERSION_MAJOR}-${CUDAToolkit_VERSION_MINOR}")
endif()
include(CPack)
