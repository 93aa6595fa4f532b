# Warning flags for the project's own targets (third-party headers are included as SYSTEM).
function(qlsweep_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wno-unused-parameter>)
  if(QLSWEEP_WERROR)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
    # GCC 12 and 13 at -O2/-O3 report false positives inside libstdc++ when inlining torch's containers
    # (seen on the GPU machine: array-bounds in stl_algobase.h); keep them visible, not fatal.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12)
      target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:
        -Wno-error=array-bounds -Wno-error=stringop-overflow -Wno-error=restrict>)
    endif()
  endif()
endfunction()
