# request_rate_bench: small requests per second over kept-alive connections to a real
# `deso-media --serve` (get-video-status and tus HEAD, 16 and 64 connections), with
# autocannon as a reference when npm can install it into the build tree (issue 18).
qt_add_executable(request_rate_bench ${CMAKE_CURRENT_LIST_DIR}/request_rate_bench.cpp)
set_target_properties(request_rate_bench PROPERTIES MACOSX_BUNDLE OFF WIN32_EXECUTABLE OFF)
target_link_libraries(request_rate_bench PRIVATE Qt6::Core deso_warnings)
target_compile_definitions(request_rate_bench PRIVATE
  DESO_MEDIA_BIN="$<TARGET_FILE:deso-media>"
  DESO_BENCH_NPM_DIR="${CMAKE_CURRENT_BINARY_DIR}/npm")
add_dependencies(request_rate_bench deso-media)
