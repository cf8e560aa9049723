# Per-generator CPack settings (CPACK_PROJECT_CONFIG_FILE): the .debs install under /usr; the
# tarball is relocatable, its tree (bin/, lib/, share/) at the top of its folder.
if(CPACK_GENERATOR STREQUAL "TGZ")
  set(CPACK_PACKAGING_INSTALL_PREFIX "/")
endif()
