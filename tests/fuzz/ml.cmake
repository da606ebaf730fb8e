# SPDX-License-Identifier: MIT
# libFuzzer targets for the model-file parsers (no LibTorch in them). The
# project builds with GCC, so the fuzzers are compiled by clang++ directly
# when it is installed and supports -fsanitize=fuzzer; a short smoke run of
# each is a ctest test (label "fuzz"). Longer runs:
#   build/tests/fuzz/fuzz_model_json -max_total_time=600 tests/fuzz/corpus/model_json
if(NOT TARGET atelier_ml_formats)
  return()
endif()
find_program(ATELIER_CLANGXX NAMES clang++ clang++-16 clang++-15 clang++-14)
if(NOT ATELIER_CLANGXX)
  message(STATUS "fuzz: clang++ not found; fuzz targets are not built")
  return()
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} -E echo "extern \"C\" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }"
  OUTPUT_FILE ${CMAKE_CURRENT_BINARY_DIR}/probe.cpp)
execute_process(
  COMMAND ${ATELIER_CLANGXX} -fsanitize=fuzzer ${CMAKE_CURRENT_BINARY_DIR}/probe.cpp -o ${CMAKE_CURRENT_BINARY_DIR}/probe
  RESULT_VARIABLE _probe OUTPUT_QUIET ERROR_QUIET)
if(NOT _probe EQUAL 0)
  message(STATUS "fuzz: ${ATELIER_CLANGXX} has no -fsanitize=fuzzer; fuzz targets are not built")
  return()
endif()
set(_inc -I${PROJECT_SOURCE_DIR}/core/ml/include -I${PROJECT_SOURCE_DIR}/core/base/include
         -I${PROJECT_BINARY_DIR}/core/base/generated)
foreach(target fuzz_model_json fuzz_safetensors_header)
  if(target STREQUAL "fuzz_model_json")
    set(_src ${PROJECT_SOURCE_DIR}/core/ml/src/tfjs.cpp)
    set(_corpus model_json)
  else()
    set(_src ${PROJECT_SOURCE_DIR}/core/ml/src/safetensors.cpp)
    set(_corpus safetensors)
  endif()
  add_custom_command(
    OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/${target}
    COMMAND ${ATELIER_CLANGXX} -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined ${_inc}
            ${CMAKE_CURRENT_SOURCE_DIR}/${target}.cpp ${_src} -o ${CMAKE_CURRENT_BINARY_DIR}/${target}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${target}.cpp ${_src}
    COMMENT "Building libFuzzer target ${target} with clang++"
    VERBATIM)
  add_custom_target(${target}_build ALL DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/${target})
  # Smoke run: a fixed number of inputs; new inputs go to a scratch folder in
  # the build tree (libFuzzer writes to the first corpus folder), the checked-in
  # seeds are read only.
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/corpus-${target})
  add_test(NAME ${target}_smoke
    COMMAND ${CMAKE_CURRENT_BINARY_DIR}/${target} -runs=3000 -max_len=65536 -seed=1
            ${CMAKE_CURRENT_BINARY_DIR}/corpus-${target} ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${_corpus})
  set_tests_properties(${target}_smoke PROPERTIES LABELS "unit;fuzz" TIMEOUT 120)
endforeach()
