# SPDX-License-Identifier: MIT
# Fuzz targets for the provenance parsers (CBOR, JUMBF + containers, COSE).
#  - <target>_smoke: built with the project compiler and a deterministic
#    mutation driver (fuzz_driver.cpp); ctest runs them on every build.
#  - fuzzers: real libFuzzer binaries (clang++, ASan + UBSan) built from the
#    same sources when clang++ is present; ctest runs each for a few seconds.
#    Long runs: build/tests/fuzz/libfuzzer/fuzz_cbor -max_total_time=600 <dir>
if(NOT TARGET atelier_provenance)
  return()
endif()

set(_fuzz_targets cbor jumbf cose)
foreach(t IN LISTS _fuzz_targets)
  add_executable(fuzz_${t}_smoke fuzz_${t}.cpp fuzz_driver.cpp)
  target_link_libraries(fuzz_${t}_smoke PRIVATE atelier::provenance)
  target_compile_options(fuzz_${t}_smoke PRIVATE ${ATELIER_WARNINGS})
  add_test(NAME fuzz_${t}_smoke
           COMMAND fuzz_${t}_smoke --iterations 20000 ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${t})
  set_tests_properties(fuzz_${t}_smoke PROPERTIES LABELS "unit;fuzz" TIMEOUT 120)
endforeach()

option(ATELIER_BUILD_FUZZERS "Build libFuzzer targets with clang++ (ASan/UBSan)" ON)
find_program(ATELIER_CLANGXX NAMES clang++-14 clang++)
if(NOT ATELIER_BUILD_FUZZERS OR NOT ATELIER_CLANGXX)
  message(STATUS "libFuzzer targets: off (needs clang++ and libclang-rt-14-dev)")
  return()
endif()

find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
set(_lf_dir ${CMAKE_CURRENT_BINARY_DIR}/libfuzzer)
set(_lf_flags -std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fsanitize=fuzzer-no-link
    -I${PROJECT_SOURCE_DIR}/core/provenance/include -I${PROJECT_SOURCE_DIR}/core/base/include)
set(_lf_sources
  core/provenance/src/cbor.cpp core/provenance/src/jumbf.cpp core/provenance/src/cose.cpp
  core/provenance/src/crypto.cpp core/provenance/src/container.cpp
  core/base/src/result.cpp core/base/src/hash.cpp core/base/src/paths.cpp)
set(_lf_objects)
foreach(src IN LISTS _lf_sources)
  string(REPLACE "/" "_" obj ${src})
  set(obj ${_lf_dir}/${obj}.o)
  add_custom_command(OUTPUT ${obj}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_lf_dir}
    COMMAND ${ATELIER_CLANGXX} ${_lf_flags} -c ${PROJECT_SOURCE_DIR}/${src} -o ${obj}
    DEPENDS ${PROJECT_SOURCE_DIR}/${src}
    IMPLICIT_DEPENDS CXX ${PROJECT_SOURCE_DIR}/${src}
    COMMENT "clang++ (libFuzzer) ${src}" VERBATIM)
  list(APPEND _lf_objects ${obj})
endforeach()
set(_lf_bins)
foreach(t IN LISTS _fuzz_targets)
  set(bin ${_lf_dir}/fuzz_${t})
  add_custom_command(OUTPUT ${bin}
    COMMAND ${ATELIER_CLANGXX} ${_lf_flags} -fsanitize=fuzzer ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_${t}.cpp
            ${_lf_objects} -o ${bin} ${OPENSSL_CRYPTO_LIBRARY} ${ZLIB_LIBRARIES}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_${t}.cpp ${_lf_objects}
    COMMENT "clang++ (libFuzzer) fuzz_${t}" VERBATIM)
  list(APPEND _lf_bins ${bin})
  # New inputs go to a scratch corpus in the build tree, never into the sources.
  set(scratch ${CMAKE_CURRENT_BINARY_DIR}/corpus-${t})
  add_test(NAME fuzz_${t}_libfuzzer
    COMMAND sh -c "mkdir -p '${scratch}' && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 exec '${bin}' -max_total_time=4 -rss_limit_mb=1024 -timeout=10 -max_len=65536 '${scratch}' '${CMAKE_CURRENT_SOURCE_DIR}/corpus/${t}'")
  set_tests_properties(fuzz_${t}_libfuzzer PROPERTIES LABELS "unit;fuzz" TIMEOUT 60)
endforeach()
add_custom_target(fuzzers ALL DEPENDS ${_lf_bins})
