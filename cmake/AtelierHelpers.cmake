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

# atelier_add_loadable(NAME FACADE facade-target DEFINE PREFIX SOURCES ...
#                      [LIBS ...] [ABI_HEADERS ...])
# A shared object loaded on first use by a facade module (dlopen through
# atelier/base/module_loader.h), so that programs linking the facade don't pay
# for the loadable's dependencies at start-up. Builds lib<NAME>.so into
# <build>/lib/atelier (installed to <libdir>/atelier) exporting only what is
# marked visibility("default"); defines <PREFIX>_BUILD_ID (version + digest of
# ABI_HEADERS, the headers whose types cross the boundary) on both sides, and
# on the facade <PREFIX>_MODULE_RELPATH (from <bindir>) and
# <PREFIX>_MODULE_BUILD_PATH; the facade depends on it so it is always built.
function(atelier_add_loadable name)
  cmake_parse_arguments(ARG "" "FACADE;DEFINE" "SOURCES;LIBS;ABI_HEADERS" ${ARGN})
  include(GNUInstallDirs)
  set(_abi_text "")
  foreach(h IN LISTS ARG_ABI_HEADERS)
    file(READ ${h} _t)
    string(APPEND _abi_text "${_t}")
  endforeach()
  string(SHA256 _abi_digest "${_abi_text}")
  string(SUBSTRING "${_abi_digest}" 0 16 _abi_digest)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${ARG_ABI_HEADERS})
  set(_build_id "${PROJECT_VERSION}-${_abi_digest}")
  file(RELATIVE_PATH _relpath "/${CMAKE_INSTALL_BINDIR}" "/${CMAKE_INSTALL_LIBDIR}/atelier/lib${name}.so")

  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_compile_features(${name} PRIVATE cxx_std_20)
  target_compile_options(${name} PRIVATE ${ATELIER_WARNINGS})
  target_compile_definitions(${name} PRIVATE ${ARG_DEFINE}_BUILD_ID="${_build_id}")
  # Only the entry point is exported; the static copies of atelier modules
  # inside stay private to the loadable.
  set_target_properties(${name} PROPERTIES
    PREFIX "lib" CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib/atelier)
  target_link_options(${name} PRIVATE -Wl,--exclude-libs,ALL -Wl,-z,defs)
  install(TARGETS ${name} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/atelier)

  target_link_libraries(${ARG_FACADE} PRIVATE ${CMAKE_DL_LIBS})
  target_compile_definitions(${ARG_FACADE} PRIVATE
    ${ARG_DEFINE}_BUILD_ID="${_build_id}"
    ${ARG_DEFINE}_MODULE_RELPATH="${_relpath}"
    ${ARG_DEFINE}_MODULE_BUILD_PATH="$<TARGET_FILE:${name}>")
  add_dependencies(${ARG_FACADE} ${name})
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
