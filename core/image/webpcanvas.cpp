#include "image/webpcanvas.h"

#include "image/scaleddecoder.h"

#include <QRect>

#include <webp/decode.h>
#include <webp/demux.h>

#include <cstring>
#include <memory>
#include <vector>

namespace deso::image {

namespace {

const QString kWebp = QStringLiteral("WebP");

struct DecodedFrame {
    WebPDecoderConfig config;
    bool decoded = false;
    ~DecodedFrame()
    {
        if (decoded)
            WebPFreeDecBuffer(&config.output);
    }
};

// Decodes one ANMF fragment (ALPH + VP8, or VP8L) to RGB or straight RGBA, scaled to
// `size` when it differs from the frame's own size.
Status decodeFragment(const WebPIterator &frame, QSize size, bool alpha, DecodedFrame &out)
{
    if (!WebPInitDecoderConfig(&out.config))
        return corruptError(kWebp, QStringLiteral("libwebp version mismatch"));
    out.config.output.colorspace = alpha ? MODE_RGBA : MODE_RGB;
    out.config.options.use_threads = 1;
    if (size != QSize(frame.width, frame.height)) {
        out.config.options.use_scaling = 1;
        out.config.options.scaled_width = size.width();
        out.config.options.scaled_height = size.height();
    }
    const VP8StatusCode st = WebPDecode(frame.fragment.bytes, frame.fragment.size, &out.config);
    out.decoded = true;
    if (st == VP8_STATUS_NOT_ENOUGH_DATA)
        return truncatedError();
    if (st != VP8_STATUS_OK)
        return corruptError(kWebp, QStringLiteral("the first frame does not decode (status %1)").arg(int(st)));
    if (out.config.output.width != size.width() || out.config.output.height != size.height())
        return corruptError(kWebp, QStringLiteral("unexpected decoded frame size"));
    return {};
}

} // namespace

Status decodeWebpCanvas(const QByteArray &bytes, const ImageHeader &header, QSize outSize, RowSink &sink,
                        ResampleKernel kernel)
{
    // WebPDemuxPartial tells a cut-off file (state short of DONE) from a malformed one.
    const WebPData data {reinterpret_cast<const uint8_t *>(bytes.constData()), size_t(bytes.size())};
    WebPDemuxState state = WEBP_DEMUX_PARSE_ERROR;
    const std::unique_ptr<WebPDemuxer, void (*)(WebPDemuxer *)> demux(WebPDemuxPartial(&data, &state),
                                                                       WebPDemuxDelete);
    if (state == WEBP_DEMUX_PARSING_HEADER || (demux && state != WEBP_DEMUX_DONE))
        return truncatedError();
    if (!demux)
        return corruptError(kWebp, QStringLiteral("the animation container is malformed"));

    const QSize canvas(int(WebPDemuxGetI(demux.get(), WEBP_FF_CANVAS_WIDTH)),
                       int(WebPDemuxGetI(demux.get(), WEBP_FF_CANVAS_HEIGHT)));
    if (canvas != header.size)
        return corruptError(kWebp, QStringLiteral("the canvas size disagrees with the file header"));

    // libvips decides from every frame: alpha when the file says so, or any frame has
    // alpha or leaves part of the canvas uncovered; shrink-on-load only when every
    // frame covers the canvas (a partial frame could not be placed exactly).
    bool alpha = WebPDemuxGetI(demux.get(), WEBP_FF_FORMAT_FLAGS) & ALPHA_FLAG;
    bool everyFrameCoversCanvas = true;
    WebPIterator frame {};
    if (!WebPDemuxGetFrame(demux.get(), 1, &frame))
        return corruptError(kWebp, QStringLiteral("the animation has no frame"));
    const struct IterRelease {
        WebPIterator *it;
        ~IterRelease() { WebPDemuxReleaseIterator(it); }
    } releaseFrame {&frame};
    do {
        const bool covers = frame.width == canvas.width() && frame.height == canvas.height();
        alpha = alpha || frame.has_alpha || !covers;
        everyFrameCoversCanvas = everyFrameCoversCanvas && covers;
    } while (WebPDemuxNextFrame(&frame));
    if (!WebPDemuxGetFrame(demux.get(), 1, &frame))
        return corruptError(kWebp, QStringLiteral("the animation has no frame"));

    const QRect area(frame.x_offset, frame.y_offset, frame.width, frame.height);
    if (area.isEmpty() || !QRect(QPoint(0, 0), canvas).contains(area))
        return corruptError(kWebp, QStringLiteral("the first frame lies outside the canvas"));

    // What libwebp allocates for the frame: the RGB(A) output, plus the ARGB plane of a
    // lossless frame or the alpha plane of a lossy one.
    WebPBitstreamFeatures features {};
    const VP8StatusCode st = WebPGetFeatures(frame.fragment.bytes, frame.fragment.size, &features);
    if (st == VP8_STATUS_NOT_ENOUGH_DATA)
        return truncatedError();
    if (st != VP8_STATUS_OK)
        return corruptError(kWebp, QStringLiteral("the first frame is malformed"));
    const QSize decodeSize = everyFrameCoversCanvas ? outSize : area.size();
    const int channels = alpha ? 4 : 3;
    const qint64 framePixels = qint64(area.width()) * area.height();
    const qint64 need = qint64(decodeSize.width()) * decodeSize.height() * channels
        + (features.format == 2 ? framePixels * 4 : features.has_alpha ? framePixels : 0);
    auto lease = DecodeMemoryBudget::instance().admit(header, QStringLiteral("decoding this animated WebP's first frame"),
                                                      need);
    if (!lease.ok())
        return lease.error();

    DecodedFrame decoded;
    if (Status s = decodeFragment(frame, decodeSize, alpha, decoded); !s.ok())
        return s;
    const WebPRGBABuffer &pixels = decoded.config.output.u.RGBA;

    if (everyFrameCoversCanvas) {
        // The frame is the canvas, already at the target size; RGB when libvips would
        // drop the (all-opaque) alpha band.
        if (Status s = sink.begin(outSize, channels); !s.ok())
            return s;
        for (int y = 0; y < outSize.height(); ++y)
            sink.row(y, pixels.rgba + size_t(y) * size_t(pixels.stride));
        return sink.finish();
    }

    // A partial frame: the canvas is transparent around it (so `alpha` is set), and is
    // built one row at a time at full size for the resampler.
    std::unique_ptr<RowResampler> resampler;
    RowSink *target = &sink;
    if (canvas != outSize) {
        resampler = std::make_unique<RowResampler>(outSize, sink, kernel);
        target = resampler.get();
    }
    if (Status s = target->begin(canvas, 4); !s.ok())
        return s;
    const std::vector<uchar> clear(size_t(canvas.width()) * 4, 0);
    std::vector<uchar> framed = clear;
    uchar *inFrame = framed.data() + size_t(area.x()) * 4;
    for (int y = 0; y < canvas.height(); ++y) {
        if (y < area.top() || y > area.bottom()) {
            target->row(y, clear.data());
            continue;
        }
        const uchar *src = pixels.rgba + size_t(y - area.top()) * size_t(pixels.stride);
        std::memcpy(inFrame, src, size_t(area.width()) * 4);
        target->row(y, framed.data());
    }
    return target->finish();
}

} // namespace deso::image
