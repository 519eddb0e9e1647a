# video_bench: a generated 1080p H.264/AAC clip -> 1080p/720p/360p HLS + poster + MP4 with
# core/video's HlsTranscoder; wall time against the clip's duration and against the `ffmpeg`
# program doing the same ladder (when installed: packaging/install-deps.sh --bench); peak RSS.
# `video_bench [SECONDS]` (default 60).
qt_add_executable(video_bench video_bench.cpp ../video/syntheticclip.h ../video/syntheticclip.cpp)
target_include_directories(video_bench PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/../video)
target_link_libraries(video_bench PRIVATE core deso_testcommon deso_warnings PkgConfig::LIBAV)
