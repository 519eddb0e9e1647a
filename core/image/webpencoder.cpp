#include "image/webpencoder.h"

#include <algorithm>
#include <cstring>

#include <webp/encode.h>

namespace deso::image {

namespace {

constexpr int kStripRows = 16;  // even, so chroma rows pair up exactly as in a full import

Error encodeError(const QString &detail)
{
    return Error(QStringLiteral("image.encode_failed"),
                 QStringLiteral("The WebP encoder failed: %1.").arg(detail), 500);
}

int writeToByteArray(const uint8_t *data, size_t size, const WebPPicture *picture)
{
    auto *out = static_cast<QByteArray *>(picture->custom_ptr);
    out->append(reinterpret_cast<const char *>(data), qsizetype(size));
    return 1;
}

QString encodingErrorText(WebPEncodingError e)
{
    switch (e) {
    case VP8_ENC_ERROR_OUT_OF_MEMORY: return QStringLiteral("out of memory");
    case VP8_ENC_ERROR_BITSTREAM_OUT_OF_MEMORY: return QStringLiteral("out of memory for the bitstream");
    case VP8_ENC_ERROR_BAD_DIMENSION: return QStringLiteral("bad dimensions");
    case VP8_ENC_ERROR_PARTITION0_OVERFLOW: return QStringLiteral("partition 0 overflow");
    case VP8_ENC_ERROR_FILE_TOO_BIG: return QStringLiteral("file too big");
    default: return QStringLiteral("error %1").arg(int(e));
    }
}

} // namespace

WebpRowEncoder::WebpRowEncoder(WebpEncodeSettings settings, int exifOrientation)
    : m_settings(settings), m_picture(std::make_unique<WebPPicture>())
{
    WebPPictureInit(m_picture.get());
    // Same mapping as applyOrientation (Qt's EXIF transformations), per stored pixel:
    // 2 (W-1-x, y)  3 (W-1-x, H-1-y)  4 (x, H-1-y)  5 (y, x)  6 (H-1-y, x)
    // 7 (H-1-y, W-1-x)  8 (y, W-1-x).
    switch (exifOrientation) {
    case 2: m_mirrorX = true; break;
    case 3: m_mirrorX = m_flipY = true; break;
    case 4: m_flipY = true; break;
    case 5: m_transpose = true; break;
    case 6: m_transpose = m_flipY = true; break;
    case 7: m_transpose = m_flipY = m_mirrorX = true; break;
    case 8: m_transpose = m_mirrorX = true; break;
    default: break;
    }
}

WebpRowEncoder::~WebpRowEncoder()
{
    WebPPictureFree(m_picture.get());
}

Status WebpRowEncoder::begin(QSize storedSize, int channels)
{
    m_size = storedSize;
    m_channels = channels;
    WebPPicture &pic = *m_picture;
    pic.use_argb = 0;
    pic.width = m_transpose ? storedSize.height() : storedSize.width();
    pic.height = m_transpose ? storedSize.width() : storedSize.height();
    pic.colorspace = channels == 4 ? WEBP_YUV420A : WEBP_YUV420;
    if (!WebPPictureAlloc(&pic))
        return encodeError(QStringLiteral("cannot allocate a %1×%2 picture").arg(pic.width).arg(pic.height));
    m_strip.assign(size_t(storedSize.width()) * size_t(channels) * kStripRows, 0);
    m_stripRows = 0;
    m_stripTop = 0;
    // Chroma pairs stored rows (0,1), (2,3)...; flipped, an odd height must pair them as
    // the displayed image does — (H-1,H-2)... with row 0 alone — so row 0 is a strip of its own.
    m_stripTarget = m_flipY && (storedSize.height() & 1) ? 1 : kStripRows;
    return {};
}

void WebpRowEncoder::row(int y, const uchar *pixels)
{
    Q_UNUSED(y);
    const size_t stride = size_t(m_size.width()) * size_t(m_channels);
    uchar *dst = m_strip.data() + stride * size_t(m_stripRows);
    if (!m_mirrorX) {
        std::memcpy(dst, pixels, stride);
    } else {
        const int w = m_size.width(), c = m_channels;
        const uchar *src = pixels + size_t(w - 1) * size_t(c);
        for (int x = 0; x < w; ++x, src -= c, dst += c)
            std::memcpy(dst, src, size_t(c));
    }
    if (++m_stripRows == m_stripTarget)
        flushStrip();
}

namespace {

// Copies an n-row plane strip into a picture plane: row r of the strip is displayed
// row/column `line(r)`; transposed, strip row r becomes column line(r).
template <typename Line>
void placePlane(const uint8_t *src, int srcStride, int width, int rows, uint8_t *dst, int dstStride, bool transpose,
                Line line)
{
    if (!transpose) {
        for (int r = 0; r < rows; ++r)
            std::memcpy(dst + size_t(line(r)) * size_t(dstStride), src + size_t(r) * size_t(srcStride), size_t(width));
        return;
    }
    // Stored x becomes the displayed row: walk it outermost so each displayed row gets
    // its `rows` bytes in one go.
    int cols[kStripRows];
    for (int r = 0; r < rows; ++r)
        cols[r] = line(r);
    for (int x = 0; x < width; ++x) {
        uint8_t *d = dst + size_t(x) * size_t(dstStride);
        const uint8_t *s = src + x;
        for (int r = 0; r < rows; ++r)
            d[cols[r]] = s[size_t(r) * size_t(srcStride)];
    }
}

} // namespace

void WebpRowEncoder::placeStrip(const WebPPicture &strip)
{
    WebPPicture &pic = *m_picture;
    const int W = m_size.width(), H = m_size.height();
    const int top = m_stripTop, rows = m_stripRows;
    auto lumaLine = [&](int r) { return m_flipY ? H - 1 - (top + r) : top + r; };
    placePlane(strip.y, strip.y_stride, W, rows, pic.y, pic.y_stride, m_transpose, lumaLine);
    // Chroma row r covers stored rows top+2r and (when there) top+2r+1; flipped, the
    // displayed pair starts at the lower one's image.
    const int uvW = (W + 1) / 2;
    const int uvRows = (rows + 1) / 2;
    auto chromaLine = [&](int r) {
        const int y0 = top + 2 * r, y1 = std::min(y0 + 1, top + rows - 1);
        return m_flipY ? (H - 1 - y1) / 2 : y0 / 2;
    };
    placePlane(strip.u, strip.uv_stride, uvW, uvRows, pic.u, pic.uv_stride, m_transpose, chromaLine);
    placePlane(strip.v, strip.uv_stride, uvW, uvRows, pic.v, pic.uv_stride, m_transpose, chromaLine);
    if (m_channels != 4 || !pic.a)
        return;
    if (strip.a) {
        placePlane(strip.a, strip.a_stride, W, rows, pic.a, pic.a_stride, m_transpose, lumaLine);
    } else {
        // The strip was fully opaque, so libwebp dropped its alpha plane.
        for (int r = 0; r < rows; ++r) {
            const int line = lumaLine(r);
            if (!m_transpose) {
                std::memset(pic.a + size_t(line) * size_t(pic.a_stride), 0xff, size_t(W));
            } else {
                for (int x = 0; x < W; ++x)
                    pic.a[size_t(x) * size_t(pic.a_stride) + size_t(line)] = 0xff;
            }
        }
    }
}

void WebpRowEncoder::flushStrip()
{
    if (m_stripRows == 0)
        return;
    // libwebp's own RGB→YUV import on a strip-sized picture, then copied into place:
    // identical output to importing the whole (oriented) image, without a full-size RGB buffer.
    WebPPicture strip;
    WebPPictureInit(&strip);
    strip.use_argb = 0;
    strip.width = m_size.width();
    strip.height = m_stripRows;
    const int stride = m_size.width() * m_channels;
    const int ok = m_channels == 4 ? WebPPictureImportRGBA(&strip, m_strip.data(), stride)
                                   : WebPPictureImportRGB(&strip, m_strip.data(), stride);
    if (ok)
        placeStrip(strip);
    else
        m_importFailed = true;
    WebPPictureFree(&strip);
    m_stripTop += m_stripRows;
    m_stripRows = 0;
    m_stripTarget = kStripRows;
}

Status WebpRowEncoder::finish()
{
    flushStrip();
    if (m_importFailed)
        return encodeError(QStringLiteral("out of memory converting rows to YUV"));
    if (m_stripTop != m_size.height())
        return encodeError(QStringLiteral("received %1 of %2 rows").arg(m_stripTop).arg(m_size.height()));
    WebPConfig config;
    if (!WebPConfigInit(&config))
        return encodeError(QStringLiteral("libwebp version mismatch"));
    config.quality = float(std::clamp(m_settings.quality, 0, 100));
    config.method = std::clamp(m_settings.method, 0, 6);
    config.thread_level = m_settings.multiThreaded ? 1 : 0;
    if (!WebPValidateConfig(&config))
        return encodeError(QStringLiteral("invalid configuration"));
    WebPPicture &pic = *m_picture;
    m_bytes.clear();
    m_bytes.reserve(qsizetype(pic.width) * pic.height / 8);
    pic.writer = writeToByteArray;
    pic.custom_ptr = &m_bytes;
    if (!WebPEncode(&config, &pic))
        return encodeError(encodingErrorText(pic.error_code));
    m_bytes.squeeze();
    return {};
}

Result<QByteArray> encodeWebp(const QImage &image, const WebpEncodeSettings &settings)
{
    if (image.isNull())
        return encodeError(QStringLiteral("empty image"));
    const bool alpha = image.hasAlphaChannel();
    const QImage src = image.convertToFormat(alpha ? QImage::Format_RGBA8888 : QImage::Format_RGB888);
    WebpRowEncoder enc(settings);
    if (Status s = enc.begin(src.size(), alpha ? 4 : 3); !s.ok())
        return s.error();
    for (int y = 0; y < src.height(); ++y)
        enc.row(y, src.constScanLine(y));
    if (Status s = enc.finish(); !s.ok())
        return s.error();
    return enc.takeBytes();
}

} // namespace deso::image
