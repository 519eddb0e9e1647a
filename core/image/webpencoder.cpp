#include "image/webpencoder.h"

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

WebpRowEncoder::WebpRowEncoder(WebpEncodeSettings settings)
    : m_settings(settings), m_picture(std::make_unique<WebPPicture>())
{
    WebPPictureInit(m_picture.get());
}

WebpRowEncoder::~WebpRowEncoder()
{
    WebPPictureFree(m_picture.get());
}

Status WebpRowEncoder::begin(QSize size, int channels)
{
    m_size = size;
    m_channels = channels;
    WebPPicture &pic = *m_picture;
    pic.use_argb = 0;
    pic.width = size.width();
    pic.height = size.height();
    pic.colorspace = channels == 4 ? WEBP_YUV420A : WEBP_YUV420;
    if (!WebPPictureAlloc(&pic))
        return encodeError(QStringLiteral("cannot allocate a %1×%2 picture").arg(size.width()).arg(size.height()));
    m_strip.assign(size_t(size.width()) * size_t(channels) * kStripRows, 0);
    m_stripRows = 0;
    m_stripTop = 0;
    return {};
}

void WebpRowEncoder::row(int y, const uchar *pixels)
{
    Q_UNUSED(y);
    const size_t stride = size_t(m_size.width()) * size_t(m_channels);
    std::memcpy(m_strip.data() + stride * size_t(m_stripRows), pixels, stride);
    if (++m_stripRows == kStripRows)
        flushStrip();
}

void WebpRowEncoder::flushStrip()
{
    if (m_stripRows == 0)
        return;
    // libwebp's own RGB→YUV import on a strip-sized picture, then copied into place:
    // identical output to importing the whole image, without a full-size RGB buffer.
    WebPPicture strip;
    WebPPictureInit(&strip);
    strip.use_argb = 0;
    strip.width = m_size.width();
    strip.height = m_stripRows;
    const int stride = m_size.width() * m_channels;
    const int ok = m_channels == 4 ? WebPPictureImportRGBA(&strip, m_strip.data(), stride)
                                   : WebPPictureImportRGB(&strip, m_strip.data(), stride);
    WebPPicture &pic = *m_picture;
    if (ok) {
        for (int r = 0; r < m_stripRows; ++r)
            std::memcpy(pic.y + size_t(m_stripTop + r) * size_t(pic.y_stride), strip.y + size_t(r) * size_t(strip.y_stride),
                        size_t(pic.width));
        const int uvW = (pic.width + 1) / 2;
        const int uvRows = (m_stripRows + 1) / 2;
        const int uvTop = m_stripTop / 2;
        for (int r = 0; r < uvRows; ++r) {
            std::memcpy(pic.u + size_t(uvTop + r) * size_t(pic.uv_stride), strip.u + size_t(r) * size_t(strip.uv_stride), size_t(uvW));
            std::memcpy(pic.v + size_t(uvTop + r) * size_t(pic.uv_stride), strip.v + size_t(r) * size_t(strip.uv_stride), size_t(uvW));
        }
        if (m_channels == 4 && pic.a && strip.a) {
            for (int r = 0; r < m_stripRows; ++r)
                std::memcpy(pic.a + size_t(m_stripTop + r) * size_t(pic.a_stride), strip.a + size_t(r) * size_t(strip.a_stride),
                            size_t(pic.width));
        } else if (m_channels == 4 && pic.a) {
            // The strip was fully opaque, so libwebp dropped its alpha plane.
            for (int r = 0; r < m_stripRows; ++r)
                std::memset(pic.a + size_t(m_stripTop + r) * size_t(pic.a_stride), 0xff, size_t(pic.width));
        }
    }
    WebPPictureFree(&strip);
    m_stripTop += m_stripRows;
    m_stripRows = 0;
}

Status WebpRowEncoder::finish()
{
    flushStrip();
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
