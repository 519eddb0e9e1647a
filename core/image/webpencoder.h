#pragma once
// Lossy WebP through libwebp's advanced API (WebPConfig/WebPPicture), which Qt's WebP
// writer hides: the method (speed/size trade-off) and the thread level are ours to
// choose, and nothing but pixels is written (no EXIF, ICC or XMP chunk). Internal to
// core/image.

#include "image/rowresampler.h"

#include <QByteArray>
#include <QImage>

#include <memory>

struct WebPPicture;

namespace deso::image {

struct WebpEncodeSettings {
    int quality = 75;     // 0..100
    int method = 2;       // 0 (fastest) .. 6 (smallest)
    bool multiThreaded = true;
};

// Rows stream straight into the encoder's YUV planes (converted in small strips), so
// the only full-size buffers are the YUV(A) picture itself and the encoder's output.
class WebpRowEncoder final : public RowSink {
public:
    explicit WebpRowEncoder(WebpEncodeSettings settings);
    ~WebpRowEncoder() override;

    Status begin(QSize size, int channels) override;
    void row(int y, const uchar *pixels) override;
    Status finish() override;  // runs the encoder

    QByteArray takeBytes() { return std::move(m_bytes); }

private:
    void flushStrip();

    WebpEncodeSettings m_settings;
    std::unique_ptr<WebPPicture> m_picture;
    QSize m_size;
    int m_channels = 3;
    std::vector<uchar> m_strip;
    int m_stripRows = 0;
    int m_stripTop = 0;
    QByteArray m_bytes;
};

// Encodes a whole QImage (any format; converted to RGB888/RGBA8888 first).
Result<QByteArray> encodeWebp(const QImage &image, const WebpEncodeSettings &settings);

} // namespace deso::image
