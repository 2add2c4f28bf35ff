# cmake -DFILE=F -P packaging/json-check.cmake: fails unless F holds one JSON value (CMake's own parser,
# so packaging/gpu-check.sh and its test need nothing beyond the build's tools).
file(READ "${FILE}" content)
string(JSON type ERROR_VARIABLE error TYPE "${content}")
if(error)
  message(FATAL_ERROR "${FILE}: not JSON: ${error}")
endif()
