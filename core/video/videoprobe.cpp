#include "video/videoengine.h"

#include <QFile>

extern "C" {
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>
#include <libavutil/log.h>
}

namespace deso::video {

namespace {

QString mimeFor(const AVFormatContext *ctx, const AVCodecParameters *video)
{
    const QByteArray name(ctx->iformat->name);
    if (name.contains("mp4") || name.contains("mov")) {
        const AVDictionaryEntry *brand = av_dict_get(ctx->metadata, "major_brand", nullptr, 0);
        if (brand && QByteArray(brand->value).startsWith("qt"))
            return QStringLiteral("video/quicktime");
        return QStringLiteral("video/mp4");
    }
    if (name.contains("webm") || name.contains("matroska")) {
        const AVCodecID id = video->codec_id;
        return (id == AV_CODEC_ID_VP8 || id == AV_CODEC_ID_VP9 || id == AV_CODEC_ID_AV1)
            ? QStringLiteral("video/webm") : QStringLiteral("video/x-matroska");
    }
    if (name == "avi") return QStringLiteral("video/x-msvideo");
    if (name == "mpegts") return QStringLiteral("video/mp2t");
    if (name == "flv") return QStringLiteral("video/x-flv");
    if (name == "asf") return QStringLiteral("video/x-ms-asf");
    if (name == "ogg") return QStringLiteral("video/ogg");
    if (name.contains("mpeg")) return QStringLiteral("video/mpeg");
    return QStringLiteral("application/octet-stream");
}

} // namespace

Result<VideoInfo> ffmpegProbe(const QString &path)
{
    // Failures come back as values; libav's own console chatter would only
    // repeat them (and print user file names) on stderr.
    static const bool quiet = [] {
        av_log_set_level(AV_LOG_QUIET);
        return true;
    }();
    (void)quiet;
    const QByteArray file = QFile::encodeName(path);
    const Error nonVideo(kErrNonVideo, QStringLiteral("The file is not a video."), 400);

    // Identify the container from its bytes first, so "not a video at all" and
    // "a damaged video" get different answers.
    AVIOContext *io = nullptr;
    if (avio_open(&io, file.constData(), AVIO_FLAG_READ) < 0)
        return Error(QStringLiteral("ERR_UNKNOWN"), QStringLiteral("The uploaded file cannot be opened."), 500);
    const AVInputFormat *format = nullptr;
    const int probed = av_probe_input_buffer2(io, &format, file.constData(), nullptr, 0, 0);
    avio_closep(&io);
    if (probed < 0 || !format)
        return nonVideo;
    const QByteArray formatName(format->name);
    // Still images parse as one-frame "video" streams; the video service refuses them.
    if (formatName.endsWith("_pipe") || formatName == "image2" || formatName == "gif"
        || formatName == "webp_pipe" || formatName == "tty")
        return nonVideo;

    AVFormatContext *ctx = nullptr;
    if (avformat_open_input(&ctx, file.constData(), format, nullptr) < 0)
        return Error(kErrMalformedVideo, QStringLiteral("The video's container cannot be read."), 400);
    struct Closer {
        AVFormatContext **c;
        ~Closer() { avformat_close_input(c); }
    } closer{&ctx};
    if (avformat_find_stream_info(ctx, nullptr) < 0)
        return Error(kErrMalformedVideo, QStringLiteral("The video's streams cannot be read."), 400);

    const AVStream *video = nullptr;
    for (unsigned i = 0; i < ctx->nb_streams; ++i) {
        const AVStream *s = ctx->streams[i];
        if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !(s->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            video = s;
            break;
        }
    }
    if (!video) {
        // Audio or subtitles alone: a real file, just not a video. Nothing
        // readable at all (e.g. an MP4 cut inside its moov box): damaged.
        for (unsigned i = 0; i < ctx->nb_streams; ++i) {
            const AVMediaType type = ctx->streams[i]->codecpar->codec_type;
            if (type == AVMEDIA_TYPE_AUDIO || type == AVMEDIA_TYPE_SUBTITLE)
                return nonVideo;
        }
        return Error(kErrMalformedVideo, QStringLiteral("The video's container holds no readable streams."), 400);
    }
    const AVCodecParameters *par = video->codecpar;
    if (par->width <= 0 || par->height <= 0)
        return Error(kErrMalformedVideo, QStringLiteral("The video stream has no picture size."), 400);

    double duration = 0;
    if (ctx->duration > 0 && ctx->duration != AV_NOPTS_VALUE)
        duration = double(ctx->duration) / AV_TIME_BASE;
    else if (video->duration > 0 && video->duration != AV_NOPTS_VALUE)
        duration = double(video->duration) * av_q2d(video->time_base);
    if (duration <= 0)
        return Error(kErrMalformedVideo, QStringLiteral("The video's duration cannot be read."), 400);

    VideoInfo info;
    info.durationSeconds = duration;
    info.width = par->width;
    info.height = par->height;
    info.formatName = QString::fromLatin1(formatName);
    info.videoCodec = QString::fromLatin1(avcodec_get_name(par->codec_id));
    info.mimeType = mimeFor(ctx, par);
    return info;
}

} // namespace deso::video
