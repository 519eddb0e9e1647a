#include "image/scaleddecoder.h"

#include "image/jpegpagedcoefficients.h"
#include "image/scratchfile.h"
#include "image/webpcanvas.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <webp/decode.h>

namespace deso::image {

Error truncatedError()
{
    return Error(QStringLiteral("image.truncated"),
                 QStringLiteral("The image data ends early (the file is truncated or incomplete)."), 400);
}

Error corruptError(const QString &format, const QString &detail)
{
    return Error(QStringLiteral("image.corrupt"),
                 QStringLiteral("The %1 image could not be decoded: %2.").arg(format, detail), 400);
}

namespace {

// ---------------------------------------------------------------- JPEG

struct JpegErrorManager {
    jpeg_error_mgr pub;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX] = {};
    bool truncated = false;
};

[[noreturn]] void jpegErrorExit(j_common_ptr cinfo)
{
    auto *err = reinterpret_cast<JpegErrorManager *>(cinfo->err);
    cinfo->err->format_message(cinfo, err->message);
    std::longjmp(err->jump, 1);
}

void jpegEmitMessage(j_common_ptr cinfo, int level)
{
    auto *err = reinterpret_cast<JpegErrorManager *>(cinfo->err);
    if (level == -1) {
        // libjpeg pads a truncated file with grey and only warns; the pipeline must not
        // publish half an image, so premature end of data is an error here.
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
            err->truncated = true;
            cinfo->err->format_message(cinfo, err->message);
            std::longjmp(err->jump, 1);
        }
        cinfo->err->num_warnings++;
    }
}

// Everything the JPEG decode touches lives here, created before setjmp, so a longjmp
// out of libjpeg skips no C++ destructor and leaves no stale register copy.
struct JpegJob {
    jpeg_decompress_struct cinfo {};
    JpegErrorManager err;
    bool created = false;
    std::vector<uchar> scan;     // rec_outbuf_height rows as libjpeg writes them
    std::vector<uchar> rgb;      // one converted row (CMYK sources)
    std::unique_ptr<RowResampler> resampler;
    std::unique_ptr<PipelinedRowSink> pipe;  // after resampler: destroyed (joined) first
    RowSink *target = nullptr;
    int rowsDelivered = 0;
    // Found by libjpeg through cinfo.client_data until jpeg_destroy_decompress, which
    // ~JpegJob calls before any member is destroyed.
    JpegPagedCoefficients paged;

    ~JpegJob()
    {
        if (created)
            jpeg_destroy_decompress(&cinfo);
    }
};

// Progressive JPEGs whose coefficients fit in this stay in libjpeg's own memory (the
// fast path); larger ones page to a scratch file. Chosen so that the in-memory case
// plus the resampler and the encoder stays under the 64 MB peak asked for any input.
constexpr qint64 kInMemoryCoefficientBytes = 16ll * 1024 * 1024;

Status decodeJpeg(const QByteArray &bytes, const ImageHeader &, QSize outSize, RowSink &sink,
                  ResampleKernel kernel, bool twoThreads)
{
    JpegJob job;
    job.cinfo.err = jpeg_std_error(&job.err.pub);
    job.err.pub.error_exit = jpegErrorExit;
    job.err.pub.emit_message = jpegEmitMessage;
    if (setjmp(job.err.jump)) {
        if (job.paged.failure())
            return *job.paged.failure();
        if (job.err.truncated)
            return truncatedError();
        return corruptError(QStringLiteral("JPEG"), QString::fromLocal8Bit(job.err.message));
    }
    jpeg_create_decompress(&job.cinfo);
    job.created = true;
    job.cinfo.mem->max_memory_to_use = long(kDecodeMemoryBound);
    jpeg_mem_src(&job.cinfo, reinterpret_cast<const unsigned char *>(bytes.constData()),
                 static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(&job.cinfo, TRUE);

    // Progressive: libjpeg keeps every DCT coefficient of the full-size image; above
    // the in-memory threshold they live in a scratch file with a small window resident.
    if (jpeg_has_multiple_scans(&job.cinfo) && jpegCoefficientBytes(job.cinfo) > kInMemoryCoefficientBytes) {
        if (Status s = job.paged.install(&job.cinfo); !s.ok())
            return s;
    }

    const bool cmyk = job.cinfo.jpeg_color_space == JCS_CMYK || job.cinfo.jpeg_color_space == JCS_YCCK;
    job.cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;

    // Shrink-on-load: the smallest M/8 whose output still covers the target with a
    // margin. libjpeg's reduced IDCT is a crude per-block low-pass; decoding right down
    // to the target (6000 → 4500 for 4000) cost 0.003 SSIM against libvips, so the
    // Lanczos stage is left ≥ 1.25× to do. Only 1/8, 2/8, 4/8 and 8/8: libjpeg-turbo's
    // 8/8 IDCT and upsampling are SIMD, while 5/8–7/8 run its plain C 7×7/14×14 IDCTs
    // (6000 → 5250 decoded in 424 ms of CPU, 6000 → 6000 in 112 ms).
    const int W = int(job.cinfo.image_width), H = int(job.cinfo.image_height);
    int num = 8;
    for (int m = 1; m <= 8; m *= 2) {
        const qint64 sw = (qint64(W) * m + 7) / 8, sh = (qint64(H) * m + 7) / 8;
        if (sw * 4 >= qint64(outSize.width()) * 5 && sh * 4 >= qint64(outSize.height()) * 5) {
            num = m;
            break;
        }
    }
    job.cinfo.scale_num = unsigned(num);
    job.cinfo.scale_denom = 8;
    jpeg_start_decompress(&job.cinfo);

    const int ow = int(job.cinfo.output_width), oh = int(job.cinfo.output_height);
    const int comps = job.cinfo.output_components;
    if (ow < outSize.width() || oh < outSize.height())
        return corruptError(QStringLiteral("JPEG"), QStringLiteral("unexpected scaled size"));

    job.target = &sink;
    if (QSize(ow, oh) != outSize) {
        job.resampler = std::make_unique<RowResampler>(outSize, sink, kernel);
        job.target = job.resampler.get();
    }
    if (twoThreads) {
        job.pipe = std::make_unique<PipelinedRowSink>(*job.target);
        job.target = job.pipe.get();
    }
    if (Status s = job.target->begin(QSize(ow, oh), 3); !s.ok())
        return s;

    const int batch = std::max(1, job.cinfo.rec_outbuf_height);
    const size_t stride = size_t(ow) * size_t(comps);
    job.scan.resize(stride * size_t(batch));
    if (cmyk)
        job.rgb.resize(size_t(ow) * 3);
    JSAMPROW rows[16];
    for (int i = 0; i < batch && i < 16; ++i)
        rows[i] = job.scan.data() + stride * size_t(i);
    const bool adobeInverted = job.cinfo.saw_Adobe_marker;
    while (job.cinfo.output_scanline < job.cinfo.output_height) {
        const int got = int(jpeg_read_scanlines(&job.cinfo, rows, JDIMENSION(std::min(batch, 16))));
        for (int i = 0; i < got; ++i) {
            const uchar *src = rows[i];
            if (cmyk) {
                uchar *d = job.rgb.data();
                for (int x = 0; x < ow; ++x) {
                    int c = src[x * 4], m = src[x * 4 + 1], y = src[x * 4 + 2], k = src[x * 4 + 3];
                    if (!adobeInverted) {
                        c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k;
                    }
                    d[x * 3] = uchar(c * k / 255);
                    d[x * 3 + 1] = uchar(m * k / 255);
                    d[x * 3 + 2] = uchar(y * k / 255);
                }
                src = d;
            }
            job.target->row(job.rowsDelivered++, src);
        }
    }
    jpeg_finish_decompress(&job.cinfo);
    return job.target->finish();
}

// ---------------------------------------------------------------- PNG

// Interlaced PNGs up to this many decoded bytes are deinterlaced in memory; see
// kInMemoryCoefficientBytes for why.
constexpr qint64 kInMemoryInterlacedBytes = 16ll * 1024 * 1024;

struct PngJob {
    png_structp png = nullptr;
    png_infop info = nullptr;
    const uchar *data = nullptr;
    size_t size = 0;
    size_t pos = 0;
    char message[256] = {};
    bool truncated = false;
    std::vector<uchar> row;
    std::vector<uchar> whole;  // interlaced images only (paged: one pass row)
    ScratchFile scratch;       // large interlaced images: the passes' rows
    Status scratchStatus;      // set before png_* can longjmp past a local
    std::unique_ptr<RowResampler> resampler;
    std::unique_ptr<PipelinedRowSink> pipe;  // after resampler: destroyed (joined) first
    RowSink *target = nullptr;

    ~PngJob()
    {
        if (png)
            png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    }
};

[[noreturn]] void pngError(png_structp png, png_const_charp msg)
{
    auto *job = static_cast<PngJob *>(png_get_error_ptr(png));
    std::snprintf(job->message, sizeof job->message, "%s", msg ? msg : "unknown error");
    png_longjmp(png, 1);
}

void pngWarning(png_structp, png_const_charp) {}

void pngRead(png_structp png, png_bytep out, size_t len)
{
    auto *job = static_cast<PngJob *>(png_get_io_ptr(png));
    if (len > job->size - job->pos) {
        job->truncated = true;
        png_error(png, "truncated");
    }
    std::memcpy(out, job->data + job->pos, len);
    job->pos += len;
}

Status decodePng(const QByteArray &bytes, const ImageHeader &header, QSize outSize, RowSink &sink,
                 ResampleKernel kernel, bool twoThreads)
{
    PngJob job;
    job.data = reinterpret_cast<const uchar *>(bytes.constData());
    job.size = size_t(bytes.size());
    job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, pngError, pngWarning);
    if (!job.png)
        return corruptError(QStringLiteral("PNG"), QStringLiteral("out of memory"));
    job.info = png_create_info_struct(job.png);
    if (!job.info)
        return corruptError(QStringLiteral("PNG"), QStringLiteral("out of memory"));
    if (setjmp(png_jmpbuf(job.png))) {
        if (job.truncated)
            return truncatedError();
        return corruptError(QStringLiteral("PNG"), QString::fromLocal8Bit(job.message));
    }
    png_set_read_fn(job.png, &job, pngRead);
    // The caller has checked the header; libpng re-checks against the same numbers.
    png_set_user_limits(job.png, png_uint_32(header.size.width()), png_uint_32(header.size.height()));
    // Bounds ancillary chunks (iCCP, zTXt, ...) that would be inflated into memory.
    png_set_chunk_malloc_max(job.png, 8 * 1024 * 1024);
    png_read_info(job.png, job.info);

    png_uint_32 w = 0, h = 0;
    int depth = 0, colorType = 0, interlace = 0;
    png_get_IHDR(job.png, job.info, &w, &h, &depth, &colorType, &interlace, nullptr, nullptr);
    const bool alpha = (colorType & PNG_COLOR_MASK_ALPHA) || png_get_valid(job.png, job.info, PNG_INFO_tRNS);
    png_set_expand(job.png);
    png_set_scale_16(job.png);
    if (!(colorType & PNG_COLOR_MASK_COLOR))
        png_set_gray_to_rgb(job.png);
    // Adam7 needs the whole image before any row is final. Small ones are deinterlaced
    // by libpng in memory; larger ones keep each pass's reduced rows in a scratch file
    // and assemble every final row from the passes that hold its pixels.
    const bool interlaced = interlace != PNG_INTERLACE_NONE;
    const bool paged = interlaced && qint64(w) * qint64(h) * (alpha ? 4 : 3) > kInMemoryInterlacedBytes;
    const int passes = interlaced && !paged ? png_set_interlace_handling(job.png) : 1;
    png_read_update_info(job.png, job.info);
    const int channels = png_get_channels(job.png, job.info);
    if (channels != (alpha ? 4 : 3) || png_get_rowbytes(job.png, job.info) != size_t(w) * size_t(channels))
        return corruptError(QStringLiteral("PNG"), QStringLiteral("unexpected pixel layout"));

    job.target = &sink;
    if (QSize(int(w), int(h)) != outSize) {
        job.resampler = std::make_unique<RowResampler>(outSize, sink, kernel);
        job.target = job.resampler.get();
    }
    if (twoThreads && passes == 1) {
        job.pipe = std::make_unique<PipelinedRowSink>(*job.target);
        job.target = job.pipe.get();
    }
    const size_t stride = size_t(w) * size_t(channels);
    if (paged) {
        if (Status s = job.scratch.open(); !s.ok())
            return s;
    }
    if (Status s = job.target->begin(QSize(int(w), int(h)), channels); !s.ok())
        return s;
    job.row.resize(stride);
    if (paged) {
        // Pass p's reduced image, PNG_PASS_COLS × PNG_PASS_ROWS pixels, at passOffset[p].
        qint64 passOffset[7] = {};
        qint64 offset = 0;
        for (int p = 0; p < 7; ++p) {
            const png_uint_32 cols = PNG_PASS_COLS(w, p), rows = PNG_PASS_ROWS(h, p);
            passOffset[p] = offset;
            if (cols == 0 || rows == 0)
                continue;  // libpng skips empty passes too
            const size_t passStride = size_t(cols) * size_t(channels);
            for (png_uint_32 r = 0; r < rows; ++r) {
                png_read_row(job.png, job.row.data(), nullptr);
                job.scratchStatus = job.scratch.write(offset, job.row.data(), passStride);
                if (!job.scratchStatus.ok())
                    return job.scratchStatus;
                offset += qint64(passStride);
            }
        }
        job.whole.resize(stride);  // one pass row at a time
        for (png_uint_32 y = 0; y < h; ++y) {
            for (int p = 0; p < 7; ++p) {
                const png_uint_32 cols = PNG_PASS_COLS(w, p);
                if (cols == 0 || !PNG_ROW_IN_INTERLACE_PASS(y, p))
                    continue;
                const png_uint_32 passRow = (y - PNG_PASS_START_ROW(p)) >> PNG_PASS_ROW_SHIFT(p);
                const size_t passStride = size_t(cols) * size_t(channels);
                job.scratchStatus = job.scratch.read(passOffset[p] + qint64(passRow) * qint64(passStride),
                                                     job.whole.data(), passStride);
                if (!job.scratchStatus.ok())
                    return job.scratchStatus;
                const png_uint_32 x0 = PNG_PASS_START_COL(p), dx = png_uint_32(1) << PNG_PASS_COL_SHIFT(p);
                const uchar *src = job.whole.data();
                uchar *dst = job.row.data() + size_t(x0) * size_t(channels);
                const size_t step = size_t(dx) * size_t(channels);
                for (png_uint_32 i = 0; i < cols; ++i, src += channels, dst += step)
                    std::memcpy(dst, src, size_t(channels));
            }
            job.target->row(int(y), job.row.data());
        }
    } else if (passes > 1) {
        job.whole.assign(stride * h, 0);
        for (int p = 0; p < passes; ++p)
            for (png_uint_32 y = 0; y < h; ++y)
                png_read_row(job.png, job.whole.data() + stride * y, nullptr);
        for (png_uint_32 y = 0; y < h; ++y)
            job.target->row(int(y), job.whole.data() + stride * y);
    } else {
        for (png_uint_32 y = 0; y < h; ++y) {
            png_read_row(job.png, job.row.data(), nullptr);
            job.target->row(int(y), job.row.data());
        }
    }
    return job.target->finish();
}

// ---------------------------------------------------------------- WebP

// Row y of a decoded YUV 4:2:0 picture as RGB, the way libwebp's own RGB output makes it:
// chroma upsampled with its "fancy" 9-3-3-1 filter (each chroma sample sits between four
// luma samples), then BT.601 with its 14-bit constants (VP8YuvToRgb in src/dsp/yuv.h).
void yuv420RowToRgb(const WebPYUVABuffer &b, QSize size, int y, uchar *rgb)
{
    const int cw = (size.width() + 1) / 2, ch = (size.height() + 1) / 2;
    // The chroma row nearest to luma row y, and the one on its other side (clamped).
    const int near = y / 2;
    const int far = std::clamp((y & 1) ? near + 1 : near - 1, 0, ch - 1);
    const uint8_t *un = b.u + size_t(near) * size_t(b.u_stride), *uf = b.u + size_t(far) * size_t(b.u_stride);
    const uint8_t *vn = b.v + size_t(near) * size_t(b.v_stride), *vf = b.v + size_t(far) * size_t(b.v_stride);
    const uint8_t *luma = b.y + size_t(y) * size_t(b.y_stride);
    const auto multHi = [](int v, int coeff) { return (v * coeff) >> 8; };
    const auto clip8 = [](int v) { return uchar((v & ~16383) == 0 ? (v >> 6) : v < 0 ? 0 : 255); };
    for (int x = 0; x < size.width(); ++x) {
        const int cn = x / 2;
        const int cf = std::clamp((x & 1) ? cn + 1 : cn - 1, 0, cw - 1);
        // 9 × nearest, 3 × each neighbour, 1 × the diagonal one, rounded.
        const int u = (9 * un[cn] + 3 * un[cf] + 3 * uf[cn] + uf[cf] + 8) >> 4;
        const int v = (9 * vn[cn] + 3 * vn[cf] + 3 * vf[cn] + vf[cf] + 8) >> 4;
        const int yy = multHi(luma[x], 19077);
        rgb[3 * x] = clip8(yy + multHi(v, 26149) - 14234);
        rgb[3 * x + 1] = clip8(yy - multHi(u, 6419) - multHi(v, 13320) + 8708);
        rgb[3 * x + 2] = clip8(yy + multHi(u, 33050) - 17685);
    }
}

Status decodeWebp(const QByteArray &bytes, const ImageHeader &header, QSize outSize, RowSink &sink,
                  ResampleKernel kernel)
{
    const auto *data = reinterpret_cast<const uint8_t *>(bytes.constData());
    size_t size = size_t(bytes.size());

    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config))
        return corruptError(QStringLiteral("WebP"), QStringLiteral("libwebp version mismatch"));
    VP8StatusCode st = WebPGetFeatures(data, size, &config.input);
    if (st == VP8_STATUS_NOT_ENOUGH_DATA)
        return truncatedError();
    if (st != VP8_STATUS_OK)
        return corruptError(QStringLiteral("WebP"), QStringLiteral("invalid bitstream header (status %1)").arg(int(st)));

    // Animated (ANMF frames with offsets, blending, disposal): the first frame on its canvas.
    if (config.input.has_animation)
        return decodeWebpCanvas(bytes, header, outSize, sink, kernel);

    // libwebp's lossless decoder holds the whole ARGB image, a lossy one with alpha the
    // whole alpha plane, besides the (scaled) output: admitted under the decode budget.
    const bool alpha = config.input.has_alpha;
    const int channels = alpha ? 4 : 3;
    const qint64 pixels = qint64(config.input.width) * config.input.height;
    const bool lossless = config.input.format == 2;
    const qint64 need = qint64(outSize.width()) * outSize.height() * (!alpha && !lossless ? 2 : channels)
        + (lossless ? pixels * 4 : alpha ? pixels : 0);
    auto lease = DecodeMemoryBudget::instance().admit(
        header, lossless ? QStringLiteral("decoding this lossless WebP") : QStringLiteral("decoding this WebP"), need);
    if (!lease.ok())
        return lease.error();

    // An opaque lossy WebP is decoded to YUV 4:2:0, half the bytes of RGB (a 4000×4000
    // output: 24 MB instead of 48 MB, which kept a 16,383² WebP over the 64 MB bound), and
    // each row is converted to RGB as the sink takes it.
    const bool yuv = !alpha && !lossless;
    config.output.colorspace = alpha ? MODE_RGBA : yuv ? MODE_YUV : MODE_RGB;
    config.options.use_threads = 1;
    if (QSize(config.input.width, config.input.height) != outSize) {
        config.options.use_scaling = 1;
        config.options.scaled_width = outSize.width();
        config.options.scaled_height = outSize.height();
    }
    st = WebPDecode(data, size, &config);
    struct BufferRelease {
        WebPDecBuffer *b;
        ~BufferRelease() { WebPFreeDecBuffer(b); }
    } releaseBuffer {&config.output};
    if (st == VP8_STATUS_NOT_ENOUGH_DATA)
        return truncatedError();
    if (st != VP8_STATUS_OK)
        return corruptError(QStringLiteral("WebP"), QStringLiteral("bitstream error (status %1)").arg(int(st)));
    if (config.output.width != outSize.width() || config.output.height != outSize.height())
        return corruptError(QStringLiteral("WebP"), QStringLiteral("unexpected decoded size"));
    if (Status s = sink.begin(outSize, channels); !s.ok())
        return s;
    if (yuv) {
        std::vector<uchar> row(size_t(outSize.width()) * 3);
        for (int y = 0; y < outSize.height(); ++y) {
            yuv420RowToRgb(config.output.u.YUVA, outSize, y, row.data());
            sink.row(y, row.data());
        }
        return sink.finish();
    }
    const WebPRGBABuffer &buf = config.output.u.RGBA;
    for (int y = 0; y < outSize.height(); ++y)
        sink.row(y, buf.rgba + size_t(y) * size_t(buf.stride));
    return sink.finish();
}

} // namespace

Status decodeScaled(const QByteArray &bytes, const ImageHeader &header, QSize outSize, RowSink &sink,
                    ResampleKernel kernel, bool twoThreads)
{
    if (outSize.isEmpty() || outSize.width() > header.size.width() || outSize.height() > header.size.height())
        return Error(QStringLiteral("image.internal"), QStringLiteral("Internal error: invalid decode size."), 500);
    switch (header.format) {
    case Format::Jpeg: return decodeJpeg(bytes, header, outSize, sink, kernel, twoThreads);
    case Format::Png: return decodePng(bytes, header, outSize, sink, kernel, twoThreads);
    case Format::Webp: return decodeWebp(bytes, header, outSize, sink, kernel);
    case Format::Gif: break;
    }
    return Error(QStringLiteral("image.unsupported"),
                 QStringLiteral("GIF images are not re-encoded; they are stored unchanged."), 400);
}

Status ImageRowSink::begin(QSize size, int channels)
{
    m_image = QImage(size, channels == 4 ? QImage::Format_RGBA8888 : QImage::Format_RGB888);
    if (m_image.isNull())
        return Error(QStringLiteral("image.out_of_memory"),
                     QStringLiteral("Not enough memory for a %1×%2 image.").arg(size.width()).arg(size.height()), 500);
    return {};
}

void ImageRowSink::row(int y, const uchar *pixels)
{
    if (y < 0 || y >= m_image.height())
        return;
    const qsizetype n = qsizetype(m_image.width()) * (m_image.format() == QImage::Format_RGBA8888 ? 4 : 3);
    std::memcpy(m_image.scanLine(y), pixels, size_t(n));
}

Result<QImage> decodeToImage(const QByteArray &bytes, const ImageHeader &header, QSize outSize, ResampleKernel kernel)
{
    ImageRowSink sink;
    if (Status s = decodeScaled(bytes, header, outSize, sink, kernel); !s.ok())
        return s.error();
    return sink.takeImage();
}

} // namespace deso::image
