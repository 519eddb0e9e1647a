#include "syntheticclip.h"

#include <QFile>

#include <algorithm>
#include <cmath>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
}

namespace {

deso::Error fail(const QString &what) { return deso::Error(QStringLiteral("test.synthetic"), what); }

struct Output {
    AVFormatContext *fmt = nullptr;
    AVCodecContext *video = nullptr;
    AVCodecContext *audio = nullptr;
    AVStream *vs = nullptr;
    AVStream *as = nullptr;
    ~Output()
    {
        avcodec_free_context(&video);
        avcodec_free_context(&audio);
        if (fmt && fmt->pb)
            avio_closep(&fmt->pb);
        avformat_free_context(fmt);
    }
};

deso::Status drain(Output &o, AVCodecContext *enc, AVStream *st)
{
    AVPacket *pkt = av_packet_alloc();
    int err = 0;
    while ((err = avcodec_receive_packet(enc, pkt)) >= 0) {
        av_packet_rescale_ts(pkt, enc->time_base, st->time_base);
        pkt->stream_index = st->index;
        if (av_interleaved_write_frame(o.fmt, pkt) < 0) {
            av_packet_free(&pkt);
            return fail(QStringLiteral("write failed"));
        }
    }
    av_packet_free(&pkt);
    return {};
}

} // namespace

deso::Status writeSyntheticClip(const QString &path, const SyntheticClip &clip)
{
    Output o;
    const QByteArray file = QFile::encodeName(path);
    if (avformat_alloc_output_context2(&o.fmt, nullptr, "mp4", file.constData()) < 0)
        return fail(QStringLiteral("no mp4 muxer"));
    if (clip.video) {
        const AVCodec *c = avcodec_find_encoder_by_name("libx264");
        if (!c)
            return fail(QStringLiteral("no libx264"));
        o.video = avcodec_alloc_context3(c);
        o.video->width = clip.width;
        o.video->height = clip.height;
        o.video->pix_fmt = AV_PIX_FMT_YUV420P;
        o.video->time_base = AVRational{1, clip.fps};
        o.video->framerate = AVRational{clip.fps, 1};
        o.video->gop_size = std::max(1, int(clip.fps * clip.keyframeSeconds));
        o.video->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        AVDictionary *opts = nullptr;
        av_dict_set(&opts, "preset", "ultrafast", 0);
        if (avcodec_open2(o.video, c, &opts) < 0) {
            av_dict_free(&opts);
            return fail(QStringLiteral("cannot open libx264"));
        }
        av_dict_free(&opts);
        o.vs = avformat_new_stream(o.fmt, nullptr);
        avcodec_parameters_from_context(o.vs->codecpar, o.video);
        o.vs->time_base = o.video->time_base;
    }
    if (clip.audio) {
        const AVCodec *c = avcodec_find_encoder(AV_CODEC_ID_AAC);
        o.audio = avcodec_alloc_context3(c);
        o.audio->sample_rate = 48000;
        o.audio->sample_fmt = AV_SAMPLE_FMT_FLTP;
        av_channel_layout_default(&o.audio->ch_layout, 2);
        o.audio->bit_rate = 96000;
        o.audio->time_base = AVRational{1, 48000};
        o.audio->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        if (avcodec_open2(o.audio, c, nullptr) < 0)
            return fail(QStringLiteral("cannot open aac"));
        o.as = avformat_new_stream(o.fmt, nullptr);
        avcodec_parameters_from_context(o.as->codecpar, o.audio);
        o.as->time_base = o.audio->time_base;
    }
    if (avio_open(&o.fmt->pb, file.constData(), AVIO_FLAG_WRITE) < 0 || avformat_write_header(o.fmt, nullptr) < 0)
        return fail(QStringLiteral("cannot start %1").arg(path));

    AVFrame *frame = av_frame_alloc();
    const int frames = int(clip.seconds * clip.fps);
    int64_t samples = 0;
    for (int i = 0; clip.video && i < frames; ++i) {
        frame->width = clip.width;
        frame->height = clip.height;
        frame->format = AV_PIX_FMT_YUV420P;
        av_frame_get_buffer(frame, 0);
        const double t = double(i) / clip.fps;
        const double fade = clip.fadeInSeconds > 0 ? std::min(1.0, t / clip.fadeInSeconds) : 1.0;
        for (int y = 0; y < clip.height; ++y)
            for (int x = 0; x < clip.width; ++x)
                frame->data[0][y * frame->linesize[0] + x] = uint8_t(16 + fade * ((x + y + i * 4) % 200));
        for (int y = 0; y < clip.height / 2; ++y)
            for (int x = 0; x < clip.width / 2; ++x) {
                frame->data[1][y * frame->linesize[1] + x] = uint8_t(128 + fade * ((x * 2 + i) % 60 - 30));
                frame->data[2][y * frame->linesize[2] + x] = uint8_t(128 + fade * ((y * 2) % 60 - 30));
            }
        frame->pts = i;
        avcodec_send_frame(o.video, frame);
        av_frame_unref(frame);
        if (auto s = drain(o, o.video, o.vs); !s.ok())
            return s;
        // Audio alongside, up to this frame's time.
        while (clip.audio && samples < int64_t((t + 1.0 / clip.fps) * 48000)) {
            frame->nb_samples = o.audio->frame_size;
            frame->format = AV_SAMPLE_FMT_FLTP;
            frame->sample_rate = 48000;
            av_channel_layout_default(&frame->ch_layout, 2);
            av_frame_get_buffer(frame, 0);
            for (int ch = 0; ch < 2; ++ch)
                for (int s = 0; s < frame->nb_samples; ++s)
                    reinterpret_cast<float *>(frame->data[ch])[s] = float(0.2 * std::sin(2 * M_PI * 440 * double(samples + s) / 48000));
            frame->pts = samples;
            samples += frame->nb_samples;
            avcodec_send_frame(o.audio, frame);
            av_frame_unref(frame);
            if (auto s = drain(o, o.audio, o.as); !s.ok())
                return s;
        }
    }
    while (!clip.video && clip.audio && samples < int64_t(clip.seconds * 48000)) {
        frame->nb_samples = o.audio->frame_size;
        frame->format = AV_SAMPLE_FMT_FLTP;
        frame->sample_rate = 48000;
        av_channel_layout_default(&frame->ch_layout, 2);
        av_frame_get_buffer(frame, 0);
        for (int ch = 0; ch < 2; ++ch)
            for (int s = 0; s < frame->nb_samples; ++s)
                reinterpret_cast<float *>(frame->data[ch])[s] = 0.1f;
        frame->pts = samples;
        samples += frame->nb_samples;
        avcodec_send_frame(o.audio, frame);
        av_frame_unref(frame);
        if (auto s = drain(o, o.audio, o.as); !s.ok())
            return s;
    }
    av_frame_free(&frame);
    for (auto [enc, st] : {std::pair{o.video, o.vs}, std::pair{o.audio, o.as}}) {
        if (!enc)
            continue;
        avcodec_send_frame(enc, nullptr);
        if (auto s = drain(o, enc, st); !s.ok())
            return s;
    }
    if (av_write_trailer(o.fmt) < 0)
        return fail(QStringLiteral("cannot finish %1").arg(path));
    return {};
}

QByteArray syntheticClipBytes(const QString &path, int width, int height, double seconds)
{
    SyntheticClip clip;
    clip.width = width;
    clip.height = height;
    clip.seconds = seconds;
    if (!writeSyntheticClip(path, clip).ok())
        return {};
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}
