# igcam_warnings(target): -Wall -Wextra (and -Werror with IGCAM_WERROR) on igcam's own code
# only; third-party headers are included as SYSTEM so their warnings stay theirs.
function(igcam_warnings target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic>)
  if(IGCAM_WERROR)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
  endif()
endfunction()
