#include "image/rowresampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace deso::image {

namespace {

constexpr int kPrecision = 22;  // weights fit: 255 × Σ|w| × 2^22 < 2^31 for these kernels

double sinc(double x)
{
    if (x == 0.0)
        return 1.0;
    x *= M_PI;
    return std::sin(x) / x;
}

double lanczos3(double x)
{
    if (x <= -3.0 || x >= 3.0)
        return 0.0;
    return sinc(x) * sinc(x / 3.0);
}

double catmullRom(double x)
{
    constexpr double a = -0.5;
    x = std::fabs(x);
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    if (x < 2.0)
        return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
    return 0.0;
}

inline uchar clip8(int32_t v)
{
    v >>= kPrecision;
    return uchar(v < 0 ? 0 : (v > 255 ? 255 : v));
}

} // namespace

RowResampler::RowResampler(QSize outSize, RowSink &out, ResampleKernel kernel)
    : m_out(outSize), m_sink(out), m_kernel(kernel)
{
}

RowResampler::Taps RowResampler::computeTaps(int inLen, int outLen, ResampleKernel kernel)
{
    // Same construction as a classic separable resizer (pillow, libvips reduce):
    // the kernel is stretched by the downscale factor so it also low-passes.
    const double scale = double(inLen) / double(outLen);
    const double filterScale = std::max(scale, 1.0);
    const double baseSupport = kernel == ResampleKernel::Lanczos3 ? 3.0 : 2.0;
    const double support = baseSupport * filterScale;
    Taps t;
    t.stride = int(std::ceil(support)) * 2 + 1;
    t.start.resize(size_t(outLen));
    t.count.resize(size_t(outLen));
    t.weights.assign(size_t(outLen) * size_t(t.stride), 0);
    std::vector<double> w(size_t(t.stride));
    for (int o = 0; o < outLen; ++o) {
        const double center = (o + 0.5) * scale;
        int lo = std::max(int(center - support + 0.5), 0);
        int hi = std::min(int(center + support + 0.5), inLen);
        int n = std::min(hi - lo, t.stride);
        double sum = 0.0;
        for (int k = 0; k < n; ++k) {
            const double x = (lo + k - center + 0.5) / filterScale;
            w[size_t(k)] = kernel == ResampleKernel::Lanczos3 ? lanczos3(x) : catmullRom(x);
            sum += w[size_t(k)];
        }
        if (sum == 0.0) {  // cannot happen for these kernels, but never divide by zero
            w[0] = 1.0;
            n = 1;
            sum = 1.0;
        }
        t.start[size_t(o)] = lo;
        t.count[size_t(o)] = n;
        int32_t *dst = t.weights.data() + size_t(o) * size_t(t.stride);
        for (int k = 0; k < n; ++k) {
            const double v = w[size_t(k)] / sum * double(1 << kPrecision);
            dst[k] = int32_t(v < 0 ? v - 0.5 : v + 0.5);
        }
    }
    return t;
}

Status RowResampler::begin(QSize sourceSize, int channels)
{
    m_source = sourceSize;
    m_channels = channels;
    m_rowsIn = 0;
    m_nextOut = 0;
    m_sourceRows = 0;
    m_boxRowsSummed = 0;
    if (m_out.width() <= 0 || m_out.height() <= 0 || m_out.width() > sourceSize.width()
        || m_out.height() > sourceSize.height()) {
        return Error(QStringLiteral("image.internal"),
                     QStringLiteral("Internal error: the resampler only reduces images."), 500);
    }
    // Integer box factor per axis: floor(in/out) keeps the box output ≥ the target.
    m_boxX = std::max(1, sourceSize.width() / m_out.width());
    m_boxY = std::max(1, sourceSize.height() / m_out.height());
    QSize inSize = sourceSize;
    if (m_boxX > 1 || m_boxY > 1) {
        inSize = QSize(sourceSize.width() / m_boxX, sourceSize.height() / m_boxY);
        m_boxSum.assign(size_t(inSize.width()) * size_t(channels), 0);
        m_boxRow.assign(size_t(inSize.width()) * size_t(channels), 0);
    }
    m_in = inSize;
    m_passThrough = m_out == inSize;
    if (m_passThrough && (m_boxX > 1 || m_boxY > 1))
        return m_sink.begin(m_out, channels);
    if (m_passThrough)
        return m_sink.begin(m_out, channels);
    m_h = computeTaps(inSize.width(), m_out.width(), m_kernel);
    m_v = computeTaps(inSize.height(), m_out.height(), m_kernel);
    m_ringRows = *std::max_element(m_v.count.begin(), m_v.count.end()) + 1;
    const size_t outStride = size_t(m_out.width()) * size_t(channels);
    m_ring.assign(outStride * size_t(m_ringRows), 0);
    m_acc.assign(outStride, 0);
    m_outRow.assign(outStride, 0);
    if (channels == 4)
        m_premul.assign(size_t(inSize.width()) * 4, 0);
    return m_sink.begin(m_out, channels);
}

void RowResampler::horizontal(const uchar *in, uchar *out) const
{
    const int outW = m_out.width();
    const int stride = m_h.stride;
    if (m_channels == 3) {
        for (int o = 0; o < outW; ++o) {
            const int32_t *w = m_h.weights.data() + size_t(o) * size_t(stride);
            const uchar *s = in + size_t(m_h.start[size_t(o)]) * 3;
            int32_t r = 1 << (kPrecision - 1), g = r, b = r;
            for (int k = 0, n = m_h.count[size_t(o)]; k < n; ++k, s += 3) {
                r += s[0] * w[k];
                g += s[1] * w[k];
                b += s[2] * w[k];
            }
            out[0] = clip8(r);
            out[1] = clip8(g);
            out[2] = clip8(b);
            out += 3;
        }
    } else {
        for (int o = 0; o < outW; ++o) {
            const int32_t *w = m_h.weights.data() + size_t(o) * size_t(stride);
            const uchar *s = in + size_t(m_h.start[size_t(o)]) * 4;
            int32_t r = 1 << (kPrecision - 1), g = r, b = r, a = r;
            for (int k = 0, n = m_h.count[size_t(o)]; k < n; ++k, s += 4) {
                r += s[0] * w[k];
                g += s[1] * w[k];
                b += s[2] * w[k];
                a += s[3] * w[k];
            }
            out[0] = clip8(r);
            out[1] = clip8(g);
            out[2] = clip8(b);
            out[3] = clip8(a);
            out += 4;
        }
    }
}

void RowResampler::row(int y, const uchar *pixels)
{
    Q_UNUSED(y);
    if (m_sourceRows++ >= m_source.height())
        return;
    if (m_boxX == 1 && m_boxY == 1) {
        kernelRow(pixels);
        return;
    }
    if (m_rowsIn >= m_in.height())
        return;  // the last source rows that do not fill a whole box are dropped
    const int c = m_channels;
    const int bw = m_in.width();
    uint32_t *sum = m_boxSum.data();
    if (c == 3) {
        for (int o = 0; o < bw; ++o) {
            const uchar *s = pixels + size_t(o) * size_t(m_boxX) * 3;
            uint32_t r = 0, g = 0, b = 0;
            for (int k = 0; k < m_boxX; ++k, s += 3) {
                r += s[0];
                g += s[1];
                b += s[2];
            }
            sum[o * 3] += r;
            sum[o * 3 + 1] += g;
            sum[o * 3 + 2] += b;
        }
    } else {
        // Premultiplied sums, so transparent pixels do not bleed their colour.
        for (int o = 0; o < bw; ++o) {
            const uchar *s = pixels + size_t(o) * size_t(m_boxX) * 4;
            uint32_t r = 0, g = 0, b = 0, a = 0;
            for (int k = 0; k < m_boxX; ++k, s += 4) {
                r += s[0] * s[3];
                g += s[1] * s[3];
                b += s[2] * s[3];
                a += s[3];
            }
            sum[o * 4] += r;
            sum[o * 4 + 1] += g;
            sum[o * 4 + 2] += b;
            sum[o * 4 + 3] += a;
        }
    }
    if (++m_boxRowsSummed < m_boxY)
        return;
    const uint32_t n = uint32_t(m_boxX) * uint32_t(m_boxY);
    uchar *out = m_boxRow.data();
    if (c == 3) {
        for (size_t i = 0, e = m_boxRow.size(); i < e; ++i)
            out[i] = uchar((sum[i] + n / 2) / n);
    } else {
        for (int o = 0; o < bw; ++o) {
            const uint32_t a = sum[o * 4 + 3];
            out[o * 4 + 3] = uchar((a + n / 2) / n);
            for (int k = 0; k < 3; ++k)
                out[o * 4 + k] = a ? uchar(std::min<uint32_t>(255, (sum[o * 4 + k] + a / 2) / a)) : 0;
        }
    }
    std::fill(m_boxSum.begin(), m_boxSum.end(), 0);
    m_boxRowsSummed = 0;
    kernelRow(out);
}

void RowResampler::kernelRow(const uchar *pixels)
{
    if (m_passThrough) {
        if (m_rowsIn < m_out.height())
            m_sink.row(m_rowsIn++, pixels);
        return;
    }
    if (m_rowsIn >= m_in.height())
        return;
    const uchar *src = pixels;
    if (m_channels == 4) {
        // Premultiply so transparent pixels do not bleed their colour into neighbours.
        const int w = m_in.width();
        uchar *d = m_premul.data();
        for (int x = 0; x < w; ++x) {
            const int a = pixels[x * 4 + 3];
            d[x * 4 + 0] = uchar((pixels[x * 4 + 0] * a + 127) / 255);
            d[x * 4 + 1] = uchar((pixels[x * 4 + 1] * a + 127) / 255);
            d[x * 4 + 2] = uchar((pixels[x * 4 + 2] * a + 127) / 255);
            d[x * 4 + 3] = uchar(a);
        }
        src = d;
    }
    const size_t outStride = size_t(m_out.width()) * size_t(m_channels);
    horizontal(src, m_ring.data() + size_t(m_rowsIn % m_ringRows) * outStride);
    ++m_rowsIn;
    emitReadyRows();
}

void RowResampler::emitReadyRows()
{
    const size_t outStride = size_t(m_out.width()) * size_t(m_channels);
    const int n = int(outStride);
    while (m_nextOut < m_out.height()) {
        const int lo = m_v.start[size_t(m_nextOut)];
        const int cnt = m_v.count[size_t(m_nextOut)];
        if (lo + cnt > m_rowsIn)
            return;
        const int32_t *w = m_v.weights.data() + size_t(m_nextOut) * size_t(m_v.stride);
        int32_t *acc = m_acc.data();
        std::fill(m_acc.begin(), m_acc.end(), int32_t(1) << (kPrecision - 1));
        for (int k = 0; k < cnt; ++k) {
            const uchar *r = m_ring.data() + size_t((lo + k) % m_ringRows) * outStride;
            const int32_t wk = w[k];
            for (int i = 0; i < n; ++i)  // vectorises: one weight for the whole row
                acc[i] += r[i] * wk;
        }
        uchar *o = m_outRow.data();
        for (int i = 0; i < n; ++i)
            o[i] = clip8(acc[i]);
        if (m_channels == 4) {
            for (int x = 0, w4 = m_out.width(); x < w4; ++x) {
                const int a = o[x * 4 + 3];
                if (a == 0) {
                    o[x * 4 + 0] = o[x * 4 + 1] = o[x * 4 + 2] = 0;
                } else if (a < 255) {
                    for (int c = 0; c < 3; ++c)
                        o[x * 4 + c] = uchar(std::min(255, (o[x * 4 + c] * 255 + a / 2) / a));
                }
            }
        }
        m_sink.row(m_nextOut, o);
        ++m_nextOut;
    }
}

Status RowResampler::finish()
{
    const int expected = m_source.height();
    if (m_sourceRows < expected) {
        return Error(QStringLiteral("image.truncated"),
                     QStringLiteral("The image data ends early (only %1 of %2 rows decoded).").arg(m_sourceRows).arg(expected),
                     400);
    }
    return m_sink.finish();
}

} // namespace deso::image
