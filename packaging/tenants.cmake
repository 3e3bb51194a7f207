# The tenant files as installed: the repository's tenants refer to the demo data and PDND keys
# relative to the repository (../../var/demo/...); installed in /etc/egovbus/tenants they point
# into the data folder instead (/var/lib/egovbus/demo/..., where `demo/generate.py
# /var/lib/egovbus/demo` writes them). Written at configure time; cmake reruns when a tenant
# file changes.
file(GLOB EGOV_TENANT_FILES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/conf/tenants/*.yaml)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${EGOV_TENANT_FILES})
file(REMOVE_RECURSE ${CMAKE_CURRENT_BINARY_DIR}/packaging/tenants)
foreach(tenant IN LISTS EGOV_TENANT_FILES)
  get_filename_component(name ${tenant} NAME)
  file(READ ${tenant} text)
  string(REPLACE "../../var/demo/" "/var/lib/egovbus/demo/" text "${text}")
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/packaging/tenants/${name} "${text}")
endforeach()
install(DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/packaging/tenants DESTINATION ${EGOV_ETC}
        FILES_MATCHING PATTERN "*.yaml")
