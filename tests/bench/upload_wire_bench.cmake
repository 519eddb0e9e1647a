# upload_wire_bench: 250 MiB over loopback through every client/server pair of issue 15
# (curl, the app's own tus client, tus-js-client 4; the app's host and @tus/server), best of
# three interleaved rounds per row, printed as MiB/s (best, median) with ratios and CPU seconds,
# plus client/host RSS and the stored file's SHA-256.
# Node packages go into <build>/bench-node on first run (skipped with a message without Node).
qt_add_executable(upload_wire_bench upload_wire_bench.cpp)
target_link_libraries(upload_wire_bench PRIVATE core deso_testcommon deso_warnings)
target_compile_definitions(upload_wire_bench PRIVATE
  DESO_MEDIA_BIN="$<TARGET_FILE:deso-media>"
  DESO_BENCH_NODE_DIR="${CMAKE_BINARY_DIR}/bench-node")
add_dependencies(upload_wire_bench deso-media)
