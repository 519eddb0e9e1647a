# s3_storage_bench: 250 MiB through the app's tus client into a host on the local data dir
# and into one on an S3 bucket (s3rver on loopback, issue 16): MiB/s, the ratio, and the
# host's peak RSS for both. Without Node/s3rver it says so and exits 0.
qt_add_executable(s3_storage_bench s3_storage_bench.cpp)
target_link_libraries(s3_storage_bench PRIVATE core deso_testcommon deso_warnings)
target_compile_definitions(s3_storage_bench PRIVATE DESO_MEDIA_BIN="$<TARGET_FILE:deso-media>")
add_dependencies(s3_storage_bench deso-media)
