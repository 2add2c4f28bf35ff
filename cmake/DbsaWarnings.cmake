# One interface target carries the project's warning policy so every library and test gets the same.
add_library(dbsa_warnings INTERFACE)
target_compile_options(dbsa_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough>)
if(DBSA_WERROR)
  target_compile_options(dbsa_warnings INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Werror>
    $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings>)
endif()
