#include "video/hlstranscoder.h"
#include "video/videoengine.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QThread>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace deso::video {

namespace {

int even(double v)
{
    const int i = int(std::lround(v));
    return std::max(2, i - (i % 2));
}

QString avErrorText(int err)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(err, buf, sizeof buf);
    return QString::fromLatin1(buf);
}

Error diskFullError()
{
    return Error(kErrDiskFull, QStringLiteral("The disk is full (no space left on the device)."), 507);
}

Error transcodeError(const QString &what, int err = 0)
{
    if (err == AVERROR(ENOSPC))
        return diskFullError();
    return Error(kErrTranscode, err ? QStringLiteral("%1 (%2).").arg(what, avErrorText(err)) : what + QLatin1Char('.'), 500);
}

// A file written with QSaveFile that failed: Qt reports ENOSPC as a resource error.
Error fileWriteError(const QFileDevice &file, const QString &path)
{
    if (file.error() == QFileDevice::ResourceError || errno == ENOSPC)
        return diskFullError();
    return transcodeError(QStringLiteral("Cannot write %1").arg(path));
}

// RAII for the libav objects this file owns.
struct FormatInputCloser { void operator()(AVFormatContext *c) const { avformat_close_input(&c); } };
struct CodecCloser { void operator()(AVCodecContext *c) const { avcodec_free_context(&c); } };
struct FrameFree { void operator()(AVFrame *f) const { av_frame_free(&f); } };
struct PacketFree { void operator()(AVPacket *p) const { av_packet_free(&p); } };
struct SwsFree { void operator()(SwsContext *s) const { sws_freeContext(s); } };
struct SwrFree { void operator()(SwrContext *s) const { swr_free(&s); } };
struct FifoFree { void operator()(AVAudioFifo *f) const { av_audio_fifo_free(f); } };
using InputPtr = std::unique_ptr<AVFormatContext, FormatInputCloser>;
using CodecPtr = std::unique_ptr<AVCodecContext, CodecCloser>;
using FramePtr = std::unique_ptr<AVFrame, FrameFree>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFree>;
using SwsPtr = std::unique_ptr<SwsContext, SwsFree>;
using SwrPtr = std::unique_ptr<SwrContext, SwrFree>;
using FifoPtr = std::unique_ptr<AVAudioFifo, FifoFree>;

// An output file being muxed (one HLS rung, or the MP4). The trailer is written
// only on success; close() always frees.
class Muxer {
public:
    ~Muxer() { close(); }

    // What a stream carries: an encoder's output, or a source stream's packets as they are.
    struct StreamSource {
        const AVCodecContext *encoder = nullptr;
        const AVCodecParameters *copied = nullptr; // with copiedTimeBase
        AVRational copiedTimeBase{0, 1};
        bool present() const { return encoder || copied; }
    };

    Status open(const char *format, const QString &path, AVDictionary **options, StreamSource video, StreamSource audio,
                int64_t timestampOffsetMicros = 0)
    {
        const QByteArray file = QFile::encodeName(path);
        int err = avformat_alloc_output_context2(&m_ctx, nullptr, format, file.constData());
        if (err < 0 || !m_ctx)
            return transcodeError(QStringLiteral("Cannot create the %1 output").arg(QString::fromLatin1(format)), err);
        for (const StreamSource &source : {video, audio}) {
            if (!source.present())
                continue;
            AVStream *st = avformat_new_stream(m_ctx, nullptr);
            const int copied = !st ? -1
                : source.encoder ? avcodec_parameters_from_context(st->codecpar, source.encoder)
                                 : avcodec_parameters_copy(st->codecpar, source.copied);
            if (copied < 0)
                return transcodeError(QStringLiteral("Cannot add a stream to the %1 output").arg(QString::fromLatin1(format)));
            if (!source.encoder)
                st->codecpar->codec_tag = 0; // the container picks its own tag
            const AVRational tb = source.encoder ? source.encoder->time_base : source.copiedTimeBase;
            st->time_base = tb;
            m_timeBases.push_back(tb);
        }
        m_ctx->output_ts_offset = timestampOffsetMicros;
        if (!(m_ctx->oformat->flags & AVFMT_NOFILE)) {
            if ((err = avio_open(&m_ctx->pb, file.constData(), AVIO_FLAG_WRITE)) < 0)
                return transcodeError(QStringLiteral("Cannot create %1").arg(path), err);
        }
        if ((err = avformat_write_header(m_ctx, options)) < 0)
            return transcodeError(QStringLiteral("Cannot start %1").arg(path), err);
        return {};
    }

    // Writes a copy of `packet` (in its encoder's time base) to stream `index`.
    Status write(const AVPacket *packet, int index)
    {
        AVPacket *copy = av_packet_clone(packet);
        if (!copy)
            return transcodeError(QStringLiteral("Out of memory while muxing"));
        copy->stream_index = index;
        av_packet_rescale_ts(copy, m_timeBases[size_t(index)], m_ctx->streams[index]->time_base);
        const int err = av_interleaved_write_frame(m_ctx, copy);
        av_packet_free(&copy);
        if (err < 0)
            return transcodeError(QStringLiteral("Cannot write the output"), err);
        return {};
    }

    Status finish()
    {
        const int err = av_write_trailer(m_ctx);
        if (err < 0)
            return transcodeError(QStringLiteral("Cannot finish the output"), err);
        return {};
    }

    void close()
    {
        if (!m_ctx)
            return;
        if (m_ctx->pb && !(m_ctx->oformat->flags & AVFMT_NOFILE))
            avio_closep(&m_ctx->pb);
        avformat_free_context(m_ctx);
        m_ctx = nullptr;
    }

private:
    AVFormatContext *m_ctx = nullptr;
    std::vector<AVRational> m_timeBases;
};

struct BsfFree { void operator()(AVBSFContext *b) const { av_bsf_free(&b); } };
struct BufferPoolFree { void operator()(AVBufferPool *p) const { av_buffer_pool_uninit(&p); } };
using BufferPoolPtr = std::unique_ptr<AVBufferPool, BufferPoolFree>;

// What the reading thread hands a rung's worker, in reading order.
struct RungItem {
    enum class Kind { Picture, SourcePacket, AudioPacket };
    Kind kind = Kind::Picture;
    FramePtr picture;  // at the rung's size, pts and pict_type set
    PacketPtr packet;  // the source's H.264 (for a copied rung) or encoded AAC

    size_t bytes() const
    {
        size_t n = packet ? size_t(std::max(0, packet->size)) : 0;
        for (int i = 0; picture && i < AV_NUM_DATA_POINTERS; ++i) {
            if (picture->buf[i])
                n += picture->buf[i]->size;
        }
        return n;
    }
};

// The hand-off from the reading thread to one rung's worker. At most kRungQueueBytes
// of pictures and packets wait (always at least one item), so memory stays bounded
// whatever the source: the reader waits while a worker is behind.
class RungQueue {
public:
    static constexpr size_t kRungQueueBytes = 6u << 20;

    // False once the queue is aborted (its worker failed, or the job stops).
    bool push(RungItem item)
    {
        const size_t bytes = item.bytes();
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&] { return m_aborted || m_items.empty() || m_bytes + bytes <= kRungQueueBytes; });
        if (m_aborted)
            return false;
        m_bytes += bytes;
        m_items.push_back(std::move(item));
        m_changed.notify_all();
        return true;
    }

    // The next item; nullopt once finished and drained, or aborted.
    std::optional<RungItem> pop()
    {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&] { return m_aborted || m_finished || !m_items.empty(); });
        if (m_aborted || m_items.empty())
            return std::nullopt;
        RungItem item = std::move(m_items.front());
        m_items.pop_front();
        m_bytes -= std::min(m_bytes, item.bytes());
        m_changed.notify_all();
        return item;
    }

    // No more items: the worker drains the rest, then flushes and finishes its files.
    void finish()
    {
        std::lock_guard lock(m_mutex);
        m_finished = true;
        m_changed.notify_all();
    }

    // Stops both sides at once; waiting items are dropped.
    void abort()
    {
        std::deque<RungItem> dropped;
        {
            std::lock_guard lock(m_mutex);
            m_aborted = true;
            dropped.swap(m_items);
            m_bytes = 0;
            m_changed.notify_all();
        }
    }

    bool aborted()
    {
        std::lock_guard lock(m_mutex);
        return m_aborted;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<RungItem> m_items;
    size_t m_bytes = 0;
    bool m_finished = false;
    bool m_aborted = false;
};

// One rung: its encoder (or the copy of the source's packets) and its files, driven
// by its own worker thread from its queue, so the rungs' encoders run side by side
// while the reading thread decodes and scales the next pictures.
struct RungEncoder {
    HlsRung rung;
    // The fast path: the source's H.264 packets are copied (remuxed), not encoded.
    bool remux = false;
    std::unique_ptr<AVBSFContext, BsfFree> toAnnexB; // MPEG-TS wants start codes, MP4 sources have lengths
    CodecPtr encoder;
    SwsPtr scaler;         // used by the reading thread
    BufferPoolPtr pictures; // the scaled pictures' memory, reused once the encoder has copied them
    Muxer hls;
    RungQueue queue;
    std::thread worker;
    Status result;         // the worker's, read after it is joined
};

// A candidate frame for the poster, kept small and already in JPEG's pixel format.
struct PosterCandidate {
    FramePtr frame;
    double interest = -1; // luma standard deviation: flat (black, white) frames score low
    double meanLuma = 0;
};

double lumaStdDev(const AVFrame *f, double *mean)
{
    double sum = 0, sumSq = 0;
    const int w = f->width, h = f->height;
    for (int y = 0; y < h; y += 2) {
        const uint8_t *row = f->data[0] + ptrdiff_t(y) * f->linesize[0];
        for (int x = 0; x < w; x += 2) {
            sum += row[x];
            sumSq += double(row[x]) * row[x];
        }
    }
    const double n = double(((w + 1) / 2) * ((h + 1) / 2));
    *mean = sum / n;
    return std::sqrt(std::max(0.0, sumSq / n - *mean * *mean));
}

Result<FramePtr> scaledCopy(const AVFrame *src, int width, int height, AVPixelFormat format)
{
    FramePtr out(av_frame_alloc());
    out->width = width;
    out->height = height;
    out->format = format;
    if (av_frame_get_buffer(out.get(), 0) < 0)
        return transcodeError(QStringLiteral("Out of memory for a picture"));
    SwsPtr sws(sws_getContext(src->width, src->height, AVPixelFormat(src->format), width, height, format,
                              SWS_BICUBIC, nullptr, nullptr, nullptr));
    if (!sws)
        return transcodeError(QStringLiteral("Cannot scale a picture"));
    sws_scale(sws.get(), src->data, src->linesize, 0, src->height, out->data, out->linesize);
    return out;
}

Status writeJpeg(const AVFrame *frame, const QString &path)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    if (!codec)
        return transcodeError(QStringLiteral("This FFmpeg has no JPEG encoder"));
    CodecPtr enc(avcodec_alloc_context3(codec));
    enc->width = frame->width;
    enc->height = frame->height;
    enc->pix_fmt = AV_PIX_FMT_YUVJ420P;
    enc->time_base = AVRational{1, 25};
    enc->flags |= AV_CODEC_FLAG_QSCALE;
    enc->global_quality = FF_QP2LAMBDA * 3;
    if (int err = avcodec_open2(enc.get(), codec, nullptr); err < 0)
        return transcodeError(QStringLiteral("Cannot open the JPEG encoder"), err);
    PacketPtr pkt(av_packet_alloc());
    if (int err = avcodec_send_frame(enc.get(), frame); err < 0)
        return transcodeError(QStringLiteral("Cannot encode the poster"), err);
    if (int err = avcodec_receive_packet(enc.get(), pkt.get()); err < 0)
        return transcodeError(QStringLiteral("Cannot encode the poster"), err);
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(reinterpret_cast<const char *>(pkt->data), pkt->size) != pkt->size
        || !out.commit())
        return fileWriteError(out, path);
    return {};
}

Status writeTextFile(const QString &path, const QByteArray &text)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size() || !f.commit())
        return fileWriteError(f, path);
    return {};
}

class Transcode {
public:
    // `single` set: one MP4 at that size and bitrate (compress-to-fit) written to
    // `mp4Path`; no HLS, no posters. Else the whole ladder into `outDir`.
    Transcode(const QString &input, const QString &outDir, const HlsOptions &options, const std::atomic<bool> *cancel,
              const ProgressCallback &progress, const Mp4Encoding *single = nullptr, const QString &mp4Path = {})
        : m_input(input), m_dir(outDir), m_options(options), m_cancel(cancel), m_progress(progress),
          m_single(single ? std::optional<Mp4Encoding>(*single) : std::nullopt),
          m_mp4Path(mp4Path.isEmpty() ? QDir(outDir).filePath(HlsTranscoder::downloadName()) : mp4Path)
    {
    }
    ~Transcode() { stopWorkers(); }

    Result<HlsOutput> run();

private:
    bool cancelled() const { return m_cancel && m_cancel->load(std::memory_order_relaxed); }
    Status readAndHandOut();
    Status openInput();
    Status openVideoEncoders();
    Status openAudio();
    Status openOutputs();
    void startWorkers();
    Status finishWorkers();
    void stopWorkers();
    Status handTo(RungEncoder &r, RungItem item);
    Status rungWork(RungEncoder &r, bool top);
    Status onVideoFrame(AVFrame *frame);
    Result<FramePtr> pictureFor(RungEncoder &r, const AVFrame *source);
    Status encodeVideo(RungEncoder &r, const AVFrame *frame, bool top);
    Status copyVideoPacket(RungEncoder &r, const AVPacket *packet, bool top);
    Status writeAudioPacket(RungEncoder &r, const AVPacket *packet, bool top);
    Status onAudioFrame(const AVFrame *frame);
    Status drainAudioFifo(bool flush);
    Status encodeAudio(const AVFrame *frame);
    Status decodeVideo(const AVPacket *packet);
    Status decodeAudio(const AVPacket *packet);
    Status writePosters();
    Status writeMasterPlaylist();

    QString m_input, m_dir;
    HlsOptions m_options;
    const std::atomic<bool> *m_cancel;
    const ProgressCallback &m_progress;
    std::optional<Mp4Encoding> m_single;
    QString m_mp4Path;

    VideoInfo m_info;
    InputPtr m_in;
    int m_videoIndex = -1, m_audioIndex = -1;
    CodecPtr m_videoDecoder, m_audioDecoder;
    AVRational m_frameRate{25, 1};
    std::vector<std::unique_ptr<RungEncoder>> m_rungs;
    Muxer m_mp4;

    CodecPtr m_audioEncoder;
    SwrPtr m_resampler;
    FifoPtr m_fifo;
    int64_t m_audioSamplesOut = 0;
    int64_t m_audioStartPts = AV_NOPTS_VALUE; // in the encoder's time base (1/sample rate)

    bool remuxing() const { return std::any_of(m_rungs.begin(), m_rungs.end(), [](const auto &r) { return r->remux; }); }
    bool sourceFitsARung(const HlsRung &rung) const;

    double m_nextKeyframeAt = 0;   // seconds, source clock
    double m_startSeconds = 0;
    double m_lastProgress = -1;
    qint64 m_framesDecoded = 0;
    std::vector<double> m_posterTimes;
    std::vector<PosterCandidate> m_candidates;
};

Status Transcode::openInput()
{
    auto probed = ffmpegProbe(m_input);
    if (!probed.ok())
        return probed.error();
    m_info = probed.value();
    const QByteArray file = QFile::encodeName(m_input);
    AVFormatContext *ctx = nullptr;
    if (avformat_open_input(&ctx, file.constData(), nullptr, nullptr) < 0)
        return Error(kErrMalformedVideo, QStringLiteral("The video's container cannot be read."), 400);
    m_in.reset(ctx);
    if (avformat_find_stream_info(ctx, nullptr) < 0)
        return Error(kErrMalformedVideo, QStringLiteral("The video's streams cannot be read."), 400);
    m_videoIndex = av_find_best_stream(ctx, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (m_videoIndex < 0)
        return Error(kErrNonVideo, QStringLiteral("The file is not a video."), 400);
    m_audioIndex = av_find_best_stream(ctx, AVMEDIA_TYPE_AUDIO, -1, m_videoIndex, nullptr, 0);

    AVStream *vs = ctx->streams[m_videoIndex];
    const AVCodec *vdec = avcodec_find_decoder(vs->codecpar->codec_id);
    if (!vdec)
        return Error(kErrMalformedVideo, QStringLiteral("The video's codec (%1) is not supported.")
                                             .arg(QString::fromLatin1(avcodec_get_name(vs->codecpar->codec_id))), 400);
    m_videoDecoder.reset(avcodec_alloc_context3(vdec));
    avcodec_parameters_to_context(m_videoDecoder.get(), vs->codecpar);
    m_videoDecoder->pkt_timebase = vs->time_base;
    // Decoding costs a tenth of the encoding it feeds (x264 veryfast, several rungs):
    // one thread keeps up with a few cores' encoders, and each decoding thread holds
    // frames of its own (FFmpeg's default, cores + 1 threads, held ~17 MiB more at 1080p).
    m_videoDecoder->thread_count = 1 + QThread::idealThreadCount() / 4;
    if (avcodec_open2(m_videoDecoder.get(), vdec, nullptr) < 0)
        return Error(kErrMalformedVideo, QStringLiteral("The video's codec cannot be decoded."), 400);
    const AVRational guessed = av_guess_frame_rate(ctx, vs, nullptr);
    if (guessed.num > 0 && guessed.den > 0 && av_q2d(guessed) <= 240)
        m_frameRate = guessed;
    if (vs->start_time != AV_NOPTS_VALUE)
        m_startSeconds = double(vs->start_time) * av_q2d(vs->time_base);
    m_nextKeyframeAt = m_startSeconds;

    if (m_audioIndex >= 0) {
        AVStream *as = ctx->streams[m_audioIndex];
        const AVCodec *adec = avcodec_find_decoder(as->codecpar->codec_id);
        if (adec) {
            m_audioDecoder.reset(avcodec_alloc_context3(adec));
            avcodec_parameters_to_context(m_audioDecoder.get(), as->codecpar);
            m_audioDecoder->pkt_timebase = as->time_base;
            if (avcodec_open2(m_audioDecoder.get(), adec, nullptr) < 0)
                m_audioDecoder.reset();
        }
        if (!m_audioDecoder)
            m_audioIndex = -1; // an undecodable audio track: the video still plays, silent
    }
    // Poster candidates at 10 %, 25 %, 50 %, 75 % of the running time; the most
    // detailed wins, so a fade-in from black never becomes the poster.
    for (double f : {0.10, 0.25, 0.50, 0.75}) {
        if (!m_single)
            m_posterTimes.push_back(m_startSeconds + f * m_info.durationSeconds);
    }
    m_candidates.resize(m_posterTimes.size());
    return {};
}

// x264 frame threads for one rung: the cores shared out by the rung's share of the
// encoded pixels (its share of the work), plus one so a frame waiting on its reference
// rows does not leave a core idle (measured on 2 idle cores, the 720p + 360p
// row: 1.69 cores busy and 0.56x the clip's duration without it, 1.85 and 0.46x with
// it). The rungs' workers already encode side by side, so x264's default of 1.5 x
// cores per encoder would only hold more frames in flight (memory) for no more speed.
int x264ThreadsFor(const HlsRung &rung, qint64 encodedPixels)
{
    const double share = encodedPixels > 0 ? double(rung.width) * rung.height / double(encodedPixels) : 1.0;
    return std::max(1, int(std::ceil(QThread::idealThreadCount() * share - 1e-6))) + 1;
}

Status Transcode::openVideoEncoders()
{
    const AVCodec *x264 = avcodec_find_encoder_by_name("libx264");
    if (!x264)
        return transcodeError(QStringLiteral("This FFmpeg has no libx264 encoder"));
    const double fps = av_q2d(m_frameRate);
    const QList<HlsRung> rungs = m_single
        ? QList<HlsRung>{HlsRung{m_single->width, m_single->height, m_single->videoBitrate, QStringLiteral("mp4")}}
        : ladderFor(m_info.width, m_info.height, m_options.topRungLines);
    qint64 encodedPixels = 0;
    for (const HlsRung &rung : rungs) {
        if (m_single || !sourceFitsARung(rung))
            encodedPixels += qint64(rung.width) * rung.height;
    }
    for (const HlsRung &rung : rungs) {
        auto r = std::make_unique<RungEncoder>();
        r->rung = rung;
        if (!m_single && sourceFitsARung(rung)) {
            r->remux = true;
            const AVBitStreamFilter *filter = av_bsf_get_by_name("h264_mp4toannexb");
            AVBSFContext *bsf = nullptr;
            if (!filter || av_bsf_alloc(filter, &bsf) < 0)
                return transcodeError(QStringLiteral("This FFmpeg cannot repackage H.264"));
            r->toAnnexB.reset(bsf);
            const AVStream *vs = m_in->streams[m_videoIndex];
            avcodec_parameters_copy(bsf->par_in, vs->codecpar);
            bsf->time_base_in = vs->time_base;
            if (int err = av_bsf_init(bsf); err < 0)
                return transcodeError(QStringLiteral("Cannot repackage the H.264 stream"), err);
            m_rungs.push_back(std::move(r));
            continue;
        }
        r->encoder.reset(avcodec_alloc_context3(x264));
        AVCodecContext *enc = r->encoder.get();
        enc->width = rung.width;
        enc->height = rung.height;
        enc->pix_fmt = AV_PIX_FMT_YUV420P;
        enc->sample_aspect_ratio = AVRational{1, 1};
        enc->time_base = m_in->streams[m_videoIndex]->time_base;
        enc->framerate = m_frameRate;
        // Keyframes come where we force them (segment boundaries); x264's own
        // interval is a backstop that counts frames, identically for every rung.
        enc->gop_size = std::max(1, int(std::ceil(fps * m_options.segmentSeconds * 2)));
        AVDictionary *opts = nullptr;
        if (m_single) {
            // A size budget: an average bitrate (ABR), peaks bounded so no stretch overspends.
            enc->bit_rate = rung.videoBitrate;
            enc->rc_max_rate = rung.videoBitrate * 3 / 2;
            enc->rc_buffer_size = rung.videoBitrate * 2;
        } else {
            enc->rc_max_rate = rung.videoBitrate;
            enc->rc_buffer_size = rung.videoBitrate * 2;
            av_dict_set(&opts, "crf", "23", 0);
        }
        av_dict_set(&opts, "preset", m_options.x264Preset.toLatin1().constData(), 0);
        av_dict_set(&opts, "forced-idr", "1", 0);
        av_dict_set(&opts, "x264-params", "scenecut=0:open-gop=0:sync-lookahead=0", 0);
        enc->thread_count = x264ThreadsFor(rung, encodedPixels);
        const int err = avcodec_open2(enc, x264, &opts);
        av_dict_free(&opts);
        if (err < 0)
            return transcodeError(QStringLiteral("Cannot open the H.264 encoder for %1").arg(rung.name), err);
        m_rungs.push_back(std::move(r));
    }
    return {};
}

bool Transcode::sourceFitsARung(const HlsRung &rung) const
{
    // H.264 4:2:0 8-bit at exactly the rung's size, square pixels, from a
    // container with a keyframe index (MP4/MOV) whose keyframes are at most one
    // segment apart (segments then last 1-2 segment lengths, 2-4 s): its packets
    // can be segmented as they are, and the encoded rungs put their IDR frames at
    // the same instants.
    const AVStream *vs = m_in->streams[m_videoIndex];
    const AVCodecParameters *par = vs->codecpar;
    if (par->codec_id != AV_CODEC_ID_H264 || par->format != AV_PIX_FMT_YUV420P || par->width != rung.width
        || par->height != rung.height)
        return false;
    if (par->sample_aspect_ratio.num > 0 && par->sample_aspect_ratio.num != par->sample_aspect_ratio.den)
        return false;
    AVStream *indexed = m_in->streams[m_videoIndex];
    const int entries = avformat_index_get_entries_count(indexed);
    if (entries <= 0)
        return false;
    const double tb = av_q2d(vs->time_base);
    double last = -1;
    int keyframes = 0;
    for (int i = 0; i < entries; ++i) {
        const AVIndexEntry *e = avformat_index_get_entry(indexed, i);
        if (!(e->flags & AVINDEX_KEYFRAME))
            continue;
        const double t = double(e->timestamp) * tb;
        if (last >= 0 && t - last > m_options.segmentSeconds + 1e-3)
            return false;
        last = t;
        ++keyframes;
    }
    const double end = m_startSeconds + m_info.durationSeconds;
    return keyframes > 0 && end - last <= m_options.segmentSeconds + 1e-3;
}

Status Transcode::copyVideoPacket(RungEncoder &r, const AVPacket *packet, bool top)
{
    if (top) {
        if (Status s = m_mp4.write(packet, 0); !s.ok())
            return s;
    }
    PacketPtr copy(av_packet_clone(packet));
    if (!copy)
        return transcodeError(QStringLiteral("Out of memory while muxing"));
    int err = av_bsf_send_packet(r.toAnnexB.get(), copy.get());
    if (err < 0)
        return Error(kErrMalformedVideo, QStringLiteral("The video's H.264 stream is damaged."), 400);
    while ((err = av_bsf_receive_packet(r.toAnnexB.get(), copy.get())) >= 0) {
        Status s = r.hls.write(copy.get(), 0);
        av_packet_unref(copy.get());
        if (!s.ok())
            return s;
    }
    return {};
}

Status Transcode::writeAudioPacket(RungEncoder &r, const AVPacket *packet, bool top)
{
    if (!m_single) {
        if (Status s = r.hls.write(packet, 1); !s.ok())
            return s;
    }
    return top ? m_mp4.write(packet, 1) : Status{};
}

Status Transcode::openAudio()
{
    if (m_audioIndex < 0)
        return {};
    const AVCodec *aac = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!aac)
        return transcodeError(QStringLiteral("This FFmpeg has no AAC encoder"));
    m_audioEncoder.reset(avcodec_alloc_context3(aac));
    AVCodecContext *enc = m_audioEncoder.get();
    const int inRate = m_audioDecoder->sample_rate > 0 ? m_audioDecoder->sample_rate : 48000;
    enc->sample_rate = (inRate == 44100 || inRate == 48000) ? inRate : 48000;
    av_channel_layout_default(&enc->ch_layout, std::min(2, std::max(1, m_audioDecoder->ch_layout.nb_channels)));
    enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    enc->bit_rate = m_single ? m_single->audioBitrate : 128000;
    enc->time_base = AVRational{1, enc->sample_rate};
    if (int err = avcodec_open2(enc, aac, nullptr); err < 0)
        return transcodeError(QStringLiteral("Cannot open the AAC encoder"), err);
    AVChannelLayout inLayout{};
    if (av_channel_layout_check(&m_audioDecoder->ch_layout) && m_audioDecoder->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_copy(&inLayout, &m_audioDecoder->ch_layout);
    else
        av_channel_layout_default(&inLayout, std::max(1, m_audioDecoder->ch_layout.nb_channels));
    SwrContext *swr = nullptr;
    int err = swr_alloc_set_opts2(&swr, &enc->ch_layout, enc->sample_fmt, enc->sample_rate, &inLayout,
                                  m_audioDecoder->sample_fmt, inRate, 0, nullptr);
    av_channel_layout_uninit(&inLayout);
    m_resampler.reset(swr);
    if (err < 0 || (err = swr_init(swr)) < 0)
        return transcodeError(QStringLiteral("Cannot convert the audio"), err);
    m_fifo.reset(av_audio_fifo_alloc(enc->sample_fmt, enc->ch_layout.nb_channels, enc->frame_size * 4));
    if (!m_fifo)
        return transcodeError(QStringLiteral("Out of memory for audio"));
    return {};
}

// Every rung's timestamps are the source's plus this, so a player switching
// rungs finds the same instant at the same PTS. Without it the muxer would shift
// each file by its own earliest negative DTS (B-frames, AAC priming), differently
// for a copied and an encoded rung.
constexpr int64_t kHlsTimestampOffset = AV_TIME_BASE;

Status Transcode::openOutputs()
{
    const QByteArray segment = QByteArray::number(m_options.segmentSeconds, 'f', 3);
    for (auto &r : m_rungs) {
        if (m_single)
            break; // the MP4 alone
        const QString rungDir = QDir(m_dir).filePath(r->rung.name);
        if (!QDir().mkpath(rungDir))
            return errno == ENOSPC ? diskFullError() : transcodeError(QStringLiteral("Cannot create %1").arg(rungDir));
        AVDictionary *opts = nullptr;
        av_dict_set(&opts, "hls_time", segment.constData(), 0);
        av_dict_set(&opts, "hls_playlist_type", "vod", 0);
        av_dict_set(&opts, "hls_list_size", "0", 0);
        av_dict_set(&opts, "hls_flags", "independent_segments", 0);
        av_dict_set(&opts, "hls_segment_filename", QFile::encodeName(QDir(rungDir).filePath(QStringLiteral("seg_%03d.ts"))).constData(), 0);
        // A copy's packets leave the filter in Annex B form, described by its par_out.
        const Muxer::StreamSource video = r->remux
            ? Muxer::StreamSource{nullptr, r->toAnnexB->par_out, r->toAnnexB->time_base_out}
            : Muxer::StreamSource{r->encoder.get(), nullptr, {0, 1}};
        Status s = r->hls.open("hls", QDir(rungDir).filePath(QStringLiteral("index.m3u8")), &opts, video,
                               Muxer::StreamSource{m_audioEncoder.get(), nullptr, {0, 1}}, kHlsTimestampOffset);
        av_dict_free(&opts);
        if (!s.ok())
            return s;
    }
    // The download copy is the top rung; moov goes first (a second pass over the
    // file on disk when it is finished), so players start before the whole file.
    AVDictionary *opts = nullptr;
    av_dict_set(&opts, "movflags", "+faststart", 0);
    const RungEncoder &top = *m_rungs.back();
    const AVStream *source = m_in->streams[m_videoIndex];
    const Muxer::StreamSource video = top.remux ? Muxer::StreamSource{nullptr, source->codecpar, source->time_base}
                                                : Muxer::StreamSource{top.encoder.get(), nullptr, {0, 1}};
    Status s = m_mp4.open("mp4", m_mp4Path, &opts, video,
                          Muxer::StreamSource{m_audioEncoder.get(), nullptr, {0, 1}});
    av_dict_free(&opts);
    return s;
}

Status Transcode::encodeVideo(RungEncoder &r, const AVFrame *frame, bool top)
{
    int err = avcodec_send_frame(r.encoder.get(), frame);
    if (err < 0)
        return transcodeError(QStringLiteral("Cannot encode the %1 rung").arg(r.rung.name), err);
    PacketPtr pkt(av_packet_alloc());
    while ((err = avcodec_receive_packet(r.encoder.get(), pkt.get())) >= 0) {
        // The HLS muxer adds up packet durations for #EXTINF; x264 leaves them 0.
        if (pkt->duration <= 0)
            pkt->duration = av_rescale_q(1, av_inv_q(m_frameRate), r.encoder->time_base);
        Status s = m_single ? Status{} : r.hls.write(pkt.get(), 0);
        if (s.ok() && top)
            s = m_mp4.write(pkt.get(), 0);
        av_packet_unref(pkt.get());
        if (!s.ok())
            return s;
    }
    if (err != AVERROR(EAGAIN) && err != AVERROR_EOF)
        return transcodeError(QStringLiteral("Cannot encode the %1 rung").arg(r.rung.name), err);
    return {};
}

Status Transcode::rungWork(RungEncoder &r, bool top)
{
    while (std::optional<RungItem> item = r.queue.pop()) {
        Status s;
        switch (item->kind) {
        case RungItem::Kind::Picture: s = encodeVideo(r, item->picture.get(), top); break;
        case RungItem::Kind::SourcePacket: s = copyVideoPacket(r, item->packet.get(), top); break;
        case RungItem::Kind::AudioPacket: s = writeAudioPacket(r, item->packet.get(), top); break;
        }
        if (!s.ok())
            return s;
    }
    if (r.queue.aborted())
        return {}; // the job stops; the reading thread knows why
    if (!r.remux) {
        if (Status s = encodeVideo(r, nullptr, top); !s.ok())
            return s;
    }
    if (!m_single) {
        if (Status s = r.hls.finish(); !s.ok())
            return s;
    }
    return top ? m_mp4.finish() : Status{};
}

void Transcode::startWorkers()
{
    for (size_t i = 0; i < m_rungs.size(); ++i) {
        RungEncoder &r = *m_rungs[i];
        const bool top = i + 1 == m_rungs.size(); // its packets also go to the download MP4
        r.worker = std::thread([this, &r, top] {
            r.result = rungWork(r, top);
            if (!r.result.ok())
                r.queue.abort(); // the reading thread stops at its next hand-off
        });
    }
}

// Every worker finishes its files; the first failure is the job's.
Status Transcode::finishWorkers()
{
    for (auto &r : m_rungs)
        r->queue.finish();
    Status first;
    for (auto &r : m_rungs) {
        if (r->worker.joinable())
            r->worker.join();
        if (first.ok() && !r->result.ok())
            first = r->result;
    }
    return first;
}

void Transcode::stopWorkers()
{
    for (auto &r : m_rungs)
        r->queue.abort();
    for (auto &r : m_rungs) {
        if (r->worker.joinable())
            r->worker.join();
    }
}

Status Transcode::handTo(RungEncoder &r, RungItem item)
{
    if (!r.queue.push(std::move(item)))
        return transcodeError(QStringLiteral("The %1 rung stopped").arg(r.rung.name)); // replaced by the worker's reason
    return {};
}

// The picture a rung encodes: the decoded frame itself when it already has the
// rung's size and format, else scaled from `source`.
Result<FramePtr> Transcode::pictureFor(RungEncoder &r, const AVFrame *source)
{
    FramePtr picture(av_frame_alloc());
    if (!picture)
        return transcodeError(QStringLiteral("Out of memory for a picture"));
    if (source->width == r.rung.width && source->height == r.rung.height && source->format == AV_PIX_FMT_YUV420P) {
        if (av_frame_ref(picture.get(), source) < 0)
            return transcodeError(QStringLiteral("Out of memory for a picture"));
        return picture;
    }
    constexpr int kAlign = 64;
    if (!r.pictures) {
        const int size = av_image_get_buffer_size(AV_PIX_FMT_YUV420P, r.rung.width, r.rung.height, kAlign);
        r.pictures.reset(size > 0 ? av_buffer_pool_init(size_t(size), nullptr) : nullptr);
    }
    picture->buf[0] = r.pictures ? av_buffer_pool_get(r.pictures.get()) : nullptr;
    if (!picture->buf[0])
        return transcodeError(QStringLiteral("Out of memory for a picture"));
    av_image_fill_arrays(picture->data, picture->linesize, picture->buf[0]->data, AV_PIX_FMT_YUV420P, r.rung.width,
                         r.rung.height, kAlign);
    picture->width = r.rung.width;
    picture->height = r.rung.height;
    picture->format = AV_PIX_FMT_YUV420P;
    r.scaler.reset(sws_getCachedContext(r.scaler.release(), source->width, source->height, AVPixelFormat(source->format),
                                        r.rung.width, r.rung.height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr,
                                        nullptr));
    if (!r.scaler)
        return transcodeError(QStringLiteral("Cannot scale the video to %1").arg(r.rung.name));
    sws_scale(r.scaler.get(), source->data, source->linesize, 0, source->height, picture->data, picture->linesize);
    return picture;
}

Status Transcode::onVideoFrame(AVFrame *frame)
{
    const AVRational tb = m_in->streams[m_videoIndex]->time_base;
    int64_t pts = frame->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE)
        pts = frame->pts;
    if (pts == AV_NOPTS_VALUE)
        return {}; // a frame with no time cannot be placed in a segment
    const double t = double(pts) * av_q2d(tb);
    ++m_framesDecoded;

    for (size_t i = 0; i < m_posterTimes.size(); ++i) {
        if (m_candidates[i].frame || t < m_posterTimes[i])
            continue;
        const HlsRung &top = m_rungs.back()->rung;
        auto copy = scaledCopy(frame, top.width, top.height, AV_PIX_FMT_YUVJ420P);
        if (!copy.ok())
            return copy.error();
        m_candidates[i].frame = std::move(copy).value();
        m_candidates[i].interest = lumaStdDev(m_candidates[i].frame.get(), &m_candidates[i].meanLuma);
    }

    // One forced IDR per segment boundary, the same frame in every rung; when a
    // rung is a copy of the source, exactly where the source has its keyframes.
    const bool keyframe = m_single ? false // one file: x264 places its own keyframes
        : remuxing() ? frame->key_frame != 0 : t + 1e-6 >= m_nextKeyframeAt;
    if (keyframe) {
        while (m_nextKeyframeAt <= t + 1e-6)
            m_nextKeyframeAt += m_options.segmentSeconds;
    }
    // Top rung first: each smaller rung is scaled from the next bigger picture
    // (360p from 720p), far less work than from the source each time.
    FramePtr bigger; // a reference of its own: the worker may be done with its copy before the next rung is scaled
    for (size_t i = m_rungs.size(); i-- > 0;) {
        RungEncoder &r = *m_rungs[i];
        if (r.remux)
            continue;
        auto picture = pictureFor(r, bigger ? bigger.get() : frame);
        if (!picture.ok())
            return picture.error();
        FramePtr p = std::move(picture).value();
        p->pts = pts;
        p->pict_type = keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
        bigger.reset(av_frame_clone(p.get()));
        if (!bigger)
            return transcodeError(QStringLiteral("Out of memory for a picture"));
        RungItem item;
        item.kind = RungItem::Kind::Picture;
        item.picture = std::move(p);
        if (Status s = handTo(r, std::move(item)); !s.ok())
            return s;
    }

    if (m_progress && m_info.durationSeconds > 0) {
        const double p = std::clamp((t - m_startSeconds) / m_info.durationSeconds, 0.0, 0.99);
        if (p - m_lastProgress >= 0.01) {
            m_lastProgress = p;
            m_progress(p);
        }
    }
    return {};
}

Status Transcode::encodeAudio(const AVFrame *frame)
{
    int err = avcodec_send_frame(m_audioEncoder.get(), frame);
    if (err < 0)
        return transcodeError(QStringLiteral("Cannot encode the audio"), err);
    PacketPtr pkt(av_packet_alloc());
    while ((err = avcodec_receive_packet(m_audioEncoder.get(), pkt.get())) >= 0) {
        // Every rung's files carry the same audio (the MP4 through the top rung's worker).
        for (auto &r : m_rungs) {
            RungItem item;
            item.kind = RungItem::Kind::AudioPacket;
            item.packet.reset(av_packet_clone(pkt.get()));
            if (!item.packet)
                return transcodeError(QStringLiteral("Out of memory while muxing"));
            if (Status s = handTo(*r, std::move(item)); !s.ok())
                return s;
        }
        av_packet_unref(pkt.get());
    }
    if (err != AVERROR(EAGAIN) && err != AVERROR_EOF)
        return transcodeError(QStringLiteral("Cannot encode the audio"), err);
    return {};
}

Status Transcode::drainAudioFifo(bool flush)
{
    AVCodecContext *enc = m_audioEncoder.get();
    while (av_audio_fifo_size(m_fifo.get()) >= enc->frame_size
           || (flush && av_audio_fifo_size(m_fifo.get()) > 0)) {
        const int n = std::min(av_audio_fifo_size(m_fifo.get()), enc->frame_size);
        FramePtr f(av_frame_alloc());
        f->nb_samples = n;
        f->format = enc->sample_fmt;
        f->sample_rate = enc->sample_rate;
        av_channel_layout_copy(&f->ch_layout, &enc->ch_layout);
        if (av_frame_get_buffer(f.get(), 0) < 0)
            return transcodeError(QStringLiteral("Out of memory for audio"));
        av_audio_fifo_read(m_fifo.get(), reinterpret_cast<void **>(f->data), n);
        f->pts = m_audioStartPts + m_audioSamplesOut;
        m_audioSamplesOut += n;
        if (Status s = encodeAudio(f.get()); !s.ok())
            return s;
    }
    return {};
}

Status Transcode::onAudioFrame(const AVFrame *frame)
{
    AVCodecContext *enc = m_audioEncoder.get();
    if (m_audioStartPts == AV_NOPTS_VALUE) {
        const int64_t pts = frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp : 0;
        m_audioStartPts = av_rescale_q(pts, m_in->streams[m_audioIndex]->time_base, enc->time_base);
    }
    const int maxOut = swr_get_out_samples(m_resampler.get(), frame ? frame->nb_samples : 0);
    if (maxOut <= 0)
        return {};
    uint8_t **buffer = nullptr;
    if (av_samples_alloc_array_and_samples(&buffer, nullptr, enc->ch_layout.nb_channels, maxOut, enc->sample_fmt, 0) < 0)
        return transcodeError(QStringLiteral("Out of memory for audio"));
    const int got = swr_convert(m_resampler.get(), buffer, maxOut, frame ? const_cast<const uint8_t **>(frame->extended_data) : nullptr,
                                frame ? frame->nb_samples : 0);
    int err = got;
    if (got > 0)
        err = av_audio_fifo_write(m_fifo.get(), reinterpret_cast<void **>(buffer), got);
    av_freep(&buffer[0]);
    av_freep(&buffer);
    if (err < 0)
        return transcodeError(QStringLiteral("Cannot convert the audio"), err);
    return drainAudioFifo(false);
}

Status Transcode::decodeVideo(const AVPacket *packet)
{
    int err = avcodec_send_packet(m_videoDecoder.get(), packet);
    if (err < 0 && err != AVERROR_EOF && err != AVERROR_INVALIDDATA)
        return Error(kErrMalformedVideo, QStringLiteral("The video stream cannot be decoded."), 400);
    FramePtr frame(av_frame_alloc());
    while ((err = avcodec_receive_frame(m_videoDecoder.get(), frame.get())) >= 0) {
        Status s = onVideoFrame(frame.get());
        av_frame_unref(frame.get());
        if (!s.ok())
            return s;
    }
    return {};
}

Status Transcode::decodeAudio(const AVPacket *packet)
{
    if (avcodec_send_packet(m_audioDecoder.get(), packet) < 0)
        return {}; // a damaged audio packet costs a moment of silence, not the video
    FramePtr frame(av_frame_alloc());
    while (avcodec_receive_frame(m_audioDecoder.get(), frame.get()) >= 0) {
        Status s = onAudioFrame(frame.get());
        av_frame_unref(frame.get());
        if (!s.ok())
            return s;
    }
    return {};
}

Status Transcode::writePosters()
{
    // Most detailed candidate; if none was reached (a very short clip), nothing
    // to choose from is an error the caller sees rather than a missing file.
    int best = -1;
    for (size_t i = 0; i < m_candidates.size(); ++i) {
        if (m_candidates[i].frame && (best < 0 || m_candidates[i].interest > m_candidates[size_t(best)].interest))
            best = int(i);
    }
    if (best < 0)
        return Error(kErrMalformedVideo, QStringLiteral("The video has no picture to make a poster from."), 400);
    if (Status s = writeJpeg(m_candidates[size_t(best)].frame.get(), QDir(m_dir).filePath(HlsTranscoder::posterName())); !s.ok())
        return s;
    int written = 0;
    for (size_t i = 1; i < m_candidates.size() && written < m_options.thumbnailCount; ++i) {
        const AVFrame *f = m_candidates[i].frame.get();
        if (!f)
            continue;
        const int h = std::min(180, f->height);
        auto small = scaledCopy(f, even(double(f->width) * h / f->height), even(h), AV_PIX_FMT_YUVJ420P);
        if (!small.ok())
            return small.error();
        ++written;
        if (Status s = writeJpeg(small->get(), QDir(m_dir).filePath(QStringLiteral("thumb_%1.jpg").arg(written))); !s.ok())
            return s;
    }
    return {};
}

Status Transcode::writeMasterPlaylist()
{
    QByteArray text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n";
    const QByteArray codecs = m_audioEncoder ? "avc1.640028,mp4a.40.2" : "avc1.640028";
    for (auto it = m_rungs.rbegin(); it != m_rungs.rend(); ++it) {
        const HlsRung &r = (*it)->rung;
        const int bandwidth = r.videoBitrate + (m_audioEncoder ? 128000 : 0);
        text += "#EXT-X-STREAM-INF:BANDWIDTH=" + QByteArray::number(bandwidth) + ",RESOLUTION="
                + QByteArray::number(r.width) + 'x' + QByteArray::number(r.height) + ",FRAME-RATE="
                + QByteArray::number(av_q2d(m_frameRate), 'f', 3) + ",CODECS=\"" + codecs + "\"\n";
        text += r.name.toLatin1() + "/index.m3u8\n";
    }
    return writeTextFile(QDir(m_dir).filePath(HlsTranscoder::masterPlaylistName()), text);
}

// The reading thread: demuxes, decodes, scales and encodes the audio; the rungs'
// workers encode and mux. Ends with every queue finished (or a failure).
Status Transcode::readAndHandOut()
{
    PacketPtr pkt(av_packet_alloc());
    int err = 0;
    while ((err = av_read_frame(m_in.get(), pkt.get())) >= 0) {
        if (cancelled())
            return Error(kErrCancelled, QStringLiteral("Processing was cancelled."));
        Status s;
        if (pkt->stream_index == m_videoIndex) {
            for (auto &r : m_rungs) {
                if (!r->remux || !s.ok())
                    continue;
                RungItem item;
                item.kind = RungItem::Kind::SourcePacket;
                item.packet.reset(av_packet_clone(pkt.get()));
                s = item.packet ? handTo(*r, std::move(item)) : transcodeError(QStringLiteral("Out of memory while muxing"));
            }
            // Decoded even when every rung is a copy: the poster needs pictures.
            if (s.ok())
                s = decodeVideo(pkt.get());
        }
        else if (pkt->stream_index == m_audioIndex)
            s = decodeAudio(pkt.get());
        av_packet_unref(pkt.get());
        if (!s.ok())
            return s;
    }
    if (err != AVERROR_EOF && m_framesDecoded == 0)
        return Error(kErrMalformedVideo, QStringLiteral("The video's data cannot be read."), 400);
    // A read error after some frames is a truncated file: what was read is kept,
    // as players do with a cut-short download.
    if (Status s = decodeVideo(nullptr); !s.ok())
        return s;
    if (m_audioEncoder) {
        if (Status s = decodeAudio(nullptr); !s.ok())
            return s;
        if (Status s = onAudioFrame(nullptr); !s.ok())
            return s;
        if (Status s = drainAudioFifo(true); !s.ok())
            return s;
        if (Status s = encodeAudio(nullptr); !s.ok())
            return s;
    }
    if (m_framesDecoded == 0)
        return Error(kErrMalformedVideo, QStringLiteral("The video has no decodable pictures."), 400);
    if (cancelled())
        return Error(kErrCancelled, QStringLiteral("Processing was cancelled."));
    return {};
}

Result<HlsOutput> Transcode::run()
{
    // Cancelled before it began (e.g. its upload was deleted): create nothing.
    if (cancelled())
        return Error(kErrCancelled, QStringLiteral("Processing was cancelled."));
    if (!QDir().mkpath(m_dir))
        return errno == ENOSPC ? diskFullError() : transcodeError(QStringLiteral("Cannot create %1").arg(m_dir));
    for (auto step : {&Transcode::openInput, &Transcode::openVideoEncoders, &Transcode::openAudio, &Transcode::openOutputs}) {
        if (Status s = (this->*step)(); !s.ok())
            return s.error();
    }
    startWorkers();
    if (Status read = readAndHandOut(); !read.ok()) {
        stopWorkers();
        for (auto &r : m_rungs) {
            if (!r->result.ok())
                return r->result.error(); // what stopped a worker (e.g. a full disk) explains the hand-off refused
        }
        return read.error();
    }
    if (Status s = finishWorkers(); !s.ok())
        return s.error();
    if (cancelled())
        return Error(kErrCancelled, QStringLiteral("Processing was cancelled."));
    m_mp4.close();
    if (m_single) {
        HlsOutput out;
        out.downloadPath = m_mp4Path;
        out.source = m_info;
        if (m_progress)
            m_progress(1.0);
        return out;
    }
    if (Status s = writePosters(); !s.ok())
        return s.error();
    if (Status s = writeMasterPlaylist(); !s.ok())
        return s.error();

    HlsOutput out;
    out.directory = m_dir;
    out.masterPlaylist = QDir(m_dir).filePath(HlsTranscoder::masterPlaylistName());
    out.posterPath = QDir(m_dir).filePath(HlsTranscoder::posterName());
    out.downloadPath = QDir(m_dir).filePath(HlsTranscoder::downloadName());
    for (int i = 1; i <= m_options.thumbnailCount; ++i) {
        const QString p = QDir(m_dir).filePath(QStringLiteral("thumb_%1.jpg").arg(i));
        if (QFile::exists(p))
            out.thumbnailPaths.append(p);
    }
    for (auto &r : m_rungs) {
        out.rungs.append(r->rung);
        if (r->remux)
            out.remuxedRungs.append(r->rung.name);
    }
    out.source = m_info;
    if (m_progress)
        m_progress(1.0);
    return out;
}

} // namespace

Result<HlsOutput> ffmpegTranscode(const QString &inputPath, const QString &outputDir, const HlsOptions &options,
                                  const std::atomic<bool> *cancel, const ProgressCallback &progress)
{
    Transcode t(inputPath, outputDir, options, cancel, progress);
    return t.run();
}

Result<VideoInfo> ffmpegEncodeMp4(const QString &inputPath, const QString &outputPath, const Mp4Encoding &encoding,
                                  const std::atomic<bool> *cancel, const ProgressCallback &progress)
{
    if (encoding.width <= 0 || encoding.height <= 0 || encoding.width % 2 || encoding.height % 2 || encoding.videoBitrate <= 0)
        return transcodeError(QStringLiteral("An MP4 needs an even picture size and a bitrate"));
    Transcode t(inputPath, QFileInfo(outputPath).absolutePath(), HlsOptions{}, cancel, progress, &encoding, outputPath);
    auto out = t.run();
    if (!out.ok())
        return out.error();
    return out->source;
}

} // namespace deso::video
