# Warnings are errors for project code. Third-party headers come in as SYSTEM.
function(authgate_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                                           -Woverloaded-virtual -Wformat=2
                                           -Wimplicit-fallthrough)
  # GCC 12 at -O2 reports false -Wrestrict and -Wstringop-overflow inside std::string
  # (GCC bugs 105651, 105329);
  # keep it a warning there so Release builds of correct code do not fail.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-error=restrict -Wno-error=stringop-overflow)
  endif()
endfunction()
