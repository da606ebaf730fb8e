# SPDX-License-Identifier: MIT
# Helpers shared by every module: one function to declare a core module, one to
# declare a GoogleTest suite with its ctest labels.

set(ATELIER_WARNINGS -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor)

# atelier_add_module(NAME SOURCES ... [DEPS public-targets ...] [PRIVATE_DEPS ...])
# Builds atelier_<NAME> with the alias atelier::<NAME>; public headers live in
# <dir>/include/atelier/<NAME>/.
function(atelier_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(atelier_${name} STATIC ${ARG_SOURCES})
  add_library(atelier::${name} ALIAS atelier_${name})
  target_include_directories(atelier_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>)
  target_compile_features(atelier_${name} PUBLIC cxx_std_20)
  target_compile_options(atelier_${name} PRIVATE ${ATELIER_WARNINGS})
  set_target_properties(atelier_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(ARG_DEPS)
    target_link_libraries(atelier_${name} PUBLIC ${ARG_DEPS})
  endif()
  if(ARG_PRIVATE_DEPS)
    target_link_libraries(atelier_${name} PRIVATE ${ARG_PRIVATE_DEPS})
  endif()
endfunction()

# atelier_add_test(NAME SOURCES ... LIBS ... LABELS ... [ENV k=v ...] [TIMEOUT s])
# One GoogleTest executable registered as one ctest test per GoogleTest case.
function(atelier_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS;ENV" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} atelier::test_support GTest::gtest GTest::gtest_main)
  target_compile_options(${name} PRIVATE ${ATELIER_WARNINGS})
  target_compile_definitions(${name} PRIVATE
    ATELIER_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    ATELIER_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  # The cases of one peer suite share the npm install of their reference
  # implementation: they must not run (and install) at the same time.
  set(_lock "")
  if("peer" IN_LIST ARG_LABELS)
    set(_lock "npm-${name}")
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
               ENVIRONMENT "${ARG_ENV}" RESOURCE_LOCK "${_lock}")
endfunction()
