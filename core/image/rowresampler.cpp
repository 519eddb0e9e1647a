#include "image/rowresampler.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

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

namespace {

// The hot loops take plain restrict pointers: writes through a uchar* may alias any
// member, which otherwise forces the compiler to reload every pointer per pixel.
template <int C>
void horizontalPass(const uchar *__restrict in, uchar *__restrict out, int outW, const int *__restrict start,
                    const int *__restrict count, const int32_t *__restrict weights, int stride)
{
    for (int o = 0; o < outW; ++o) {
        const int32_t *__restrict w = weights + size_t(o) * size_t(stride);
        const uchar *__restrict s = in + size_t(start[o]) * C;
        int32_t acc[C];
        for (int c = 0; c < C; ++c)
            acc[c] = 1 << (kPrecision - 1);
        const int n = count[o];
        for (int k = 0; k < n; ++k, s += C) {
            const int32_t wk = w[k];
            for (int c = 0; c < C; ++c)
                acc[c] += s[c] * wk;
        }
        for (int c = 0; c < C; ++c)
            out[c] = clip8(acc[c]);
        out += C;
    }
}

void verticalPass(const uchar *const *__restrict rows, const int32_t *__restrict w, int taps, int n,
                  int32_t *__restrict acc, uchar *__restrict out)
{
    for (int i = 0; i < n; ++i)
        acc[i] = 1 << (kPrecision - 1);
    for (int k = 0; k < taps; ++k) {
        const uchar *__restrict r = rows[k];
        const int32_t wk = w[k];
        for (int i = 0; i < n; ++i)  // vectorises: one weight for the whole row
            acc[i] += int32_t(r[i]) * wk;
    }
    for (int i = 0; i < n; ++i)
        out[i] = clip8(acc[i]);
}

} // namespace

void RowResampler::horizontal(const uchar *in, uchar *out) const
{
    if (m_channels == 3)
        horizontalPass<3>(in, out, m_out.width(), m_h.start.data(), m_h.count.data(), m_h.weights.data(), m_h.stride);
    else
        horizontalPass<4>(in, out, m_out.width(), m_h.start.data(), m_h.count.data(), m_h.weights.data(), m_h.stride);
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
        const uchar *rows[64];
        const int taps = std::min(cnt, 64);
        for (int k = 0; k < taps; ++k)
            rows[k] = m_ring.data() + size_t((lo + k) % m_ringRows) * outStride;
        uchar *o = m_outRow.data();
        verticalPass(rows, w, taps, n, m_acc.data(), o);
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

// ---------------------------------------------------------------- PipelinedRowSink

struct PipelinedRowSink::Shared {
    struct Batch {
        std::vector<uchar> pixels;
        int firstRow = 0;
        int rows = 0;
    };
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<Batch> batches;
    std::deque<int> full;   // indexes into batches, in row order
    std::deque<int> empty;
    int current = -1;       // batch being filled by the producer
    bool done = false;      // producer finished (or gave up)
    std::thread worker;
};

PipelinedRowSink::PipelinedRowSink(RowSink &downstream, int batchRows, int batches)
    : m_downstream(downstream), m_batchRows(std::max(1, batchRows)), m_batchCount(std::max(2, batches)),
      m_shared(std::make_unique<Shared>())
{
}

PipelinedRowSink::~PipelinedRowSink()
{
    stopWorker();  // error paths: the decoder gave up half way
}

Status PipelinedRowSink::begin(QSize size, int channels)
{
    if (Status s = m_downstream.begin(size, channels); !s.ok())
        return s;
    m_rowBytes = size_t(size.width()) * size_t(channels);
    Shared &sh = *m_shared;
    sh.batches.resize(size_t(m_batchCount));
    for (int i = 0; i < m_batchCount; ++i) {
        sh.batches[size_t(i)].pixels.resize(m_rowBytes * size_t(m_batchRows));
        sh.empty.push_back(i);
    }
    sh.worker = std::thread([this] { work(); });
    return {};
}

void PipelinedRowSink::row(int y, const uchar *pixels)
{
    Shared &sh = *m_shared;
    if (sh.current < 0) {
        std::unique_lock lock(sh.mutex);
        sh.changed.wait(lock, [&] { return !sh.empty.empty(); });
        sh.current = sh.empty.front();
        sh.empty.pop_front();
        sh.batches[size_t(sh.current)].rows = 0;
        sh.batches[size_t(sh.current)].firstRow = y;
    }
    auto &b = sh.batches[size_t(sh.current)];
    std::memcpy(b.pixels.data() + m_rowBytes * size_t(b.rows), pixels, m_rowBytes);
    if (++b.rows == m_batchRows)
        submitCurrent();
}

void PipelinedRowSink::submitCurrent()
{
    Shared &sh = *m_shared;
    if (sh.current < 0)
        return;
    {
        std::lock_guard lock(sh.mutex);
        sh.full.push_back(sh.current);
    }
    sh.current = -1;
    sh.changed.notify_all();
}

void PipelinedRowSink::work()
{
    Shared &sh = *m_shared;
    while (true) {
        int index;
        {
            std::unique_lock lock(sh.mutex);
            sh.changed.wait(lock, [&] { return !sh.full.empty() || sh.done; });
            if (sh.full.empty())
                return;
            index = sh.full.front();
            sh.full.pop_front();
        }
        const auto &b = sh.batches[size_t(index)];
        for (int r = 0; r < b.rows; ++r)
            m_downstream.row(b.firstRow + r, b.pixels.data() + m_rowBytes * size_t(r));
        {
            std::lock_guard lock(sh.mutex);
            sh.empty.push_back(index);
        }
        sh.changed.notify_all();
    }
}

void PipelinedRowSink::stopWorker()
{
    Shared &sh = *m_shared;
    if (!sh.worker.joinable())
        return;
    {
        std::lock_guard lock(sh.mutex);
        sh.done = true;
    }
    sh.changed.notify_all();
    sh.worker.join();
}

Status PipelinedRowSink::finish()
{
    submitCurrent();
    stopWorker();  // drains every submitted batch before returning
    return m_downstream.finish();
}

} // namespace deso::image
