# image_bench: core/image's pipeline against `vips thumbnail` (Debian libvips-tools),
# SSIM by ffmpeg. See README "Image pipeline".
qt_add_executable(image_bench ${CMAKE_CURRENT_LIST_DIR}/image_bench.cpp)
set_target_properties(image_bench PROPERTIES MACOSX_BUNDLE OFF WIN32_EXECUTABLE OFF)
target_link_libraries(image_bench PRIVATE core deso_warnings PkgConfig::DESO_IMAGE_LIBS)
