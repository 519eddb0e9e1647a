# video_bench: a generated 1080p H.264/AAC clip -> 720p/360p (the issue's row) and 1080p/720p/360p HLS + poster + MP4 with
# core/video's HlsTranscoder; wall time against the clip's duration and against the `ffmpeg`
# program doing the same ladder (when installed: packaging/install-deps.sh --bench); CPU time, peak RSS, SSIM.
# `video_bench [SECONDS] [ROWS]` (default 60 s, rows issue,host,phone,remux); `video_bench --file PATH [TOP_LINES]`.
qt_add_executable(video_bench video_bench.cpp ../video/syntheticclip.h ../video/syntheticclip.cpp)
target_include_directories(video_bench PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/../video)
target_link_libraries(video_bench PRIVATE core deso_testcommon deso_warnings PkgConfig::LIBAV)
