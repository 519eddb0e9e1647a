// The entry point of libdeso-media-video.so (see videoengine.h).
#include "video/videoengine.h"

extern "C" __attribute__((visibility("default"))) const deso::video::VideoEngine *deso_media_video_engine()
{
    static const deso::video::VideoEngine engine{DESO_VIDEO_ENGINE_STAMP, &deso::video::ffmpegProbe,
                                                 &deso::video::ffmpegTranscode, &deso::video::ffmpegEncodeMp4};
    return &engine;
}
