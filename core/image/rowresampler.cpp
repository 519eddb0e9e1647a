#include "image/rowresampler.h"

#include <QtGlobal>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DESO_RESAMPLER_AVX2 1
#endif

namespace deso::image {

namespace {

// 16-bit weights (so SIMD can multiply-add pairs of them: pmaddwd); 14 bits keep the
// largest one (≤ 1.0) in range and the rounding error far below one 8-bit level.
constexpr int kPrecision = 14;
// The vertical pass keeps 6 fractional bits for the horizontal one: values up to
// 255 × Σ|w| × 64 fit int16 (Σ|w| < 1.4 for these kernels; clamped beyond), and the
// horizontal sums (int16 × 14-bit weights) fit int32.
constexpr int kColumnBits = 6;
constexpr int kColumnShift = kPrecision - kColumnBits;
constexpr int kOutShift = kPrecision + kColumnBits;

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

bool haveAvx2()
{
#ifdef DESO_RESAMPLER_AVX2
    // DESO_RESAMPLER_PORTABLE: the portable loops even on AVX2 CPUs (tests compare both).
    static const bool have = __builtin_cpu_supports("avx2") && !qEnvironmentVariableIsSet("DESO_RESAMPLER_PORTABLE");
    return have;
#else
    return false;
#endif
}

inline uchar clip8(int32_t v)
{
    v >>= kOutShift;
    return uchar(v < 0 ? 0 : (v > 255 ? 255 : v));
}

inline int16_t clip16(int32_t v)
{
    v >>= kColumnShift;
    return int16_t(v < -32768 ? -32768 : (v > 32767 ? 32767 : v));
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
        int16_t *dst = t.weights.data() + size_t(o) * size_t(t.stride);
        int total = 0, biggest = 0;
        for (int k = 0; k < n; ++k) {
            const double v = w[size_t(k)] / sum * double(1 << kPrecision);
            dst[k] = int16_t(std::lround(v));
            total += dst[k];
            if (dst[k] > dst[biggest])
                biggest = k;
        }
        // Exactly 1.0 in fixed point, so a flat colour stays that colour.
        dst[biggest] = int16_t(dst[biggest] + ((1 << kPrecision) - total));
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
    m_simd = haveAvx2();
    if (m_simd) {
        m_hGroups = (m_h.stride + 3) / 4;
        m_hWide.assign(size_t(m_out.width()) * size_t(m_hGroups) * 16, 0);
        for (int o = 0; o < m_out.width(); ++o) {
            const int16_t *w = m_h.weights.data() + size_t(o) * size_t(m_h.stride);
            const int n = m_h.count[size_t(o)];
            int16_t *d = m_hWide.data() + size_t(o) * size_t(m_hGroups) * 16;
            for (int k = 0; k < n; ++k) {
                // Tap k sits in group k/4; within it, half (k%4)/2, pair slot k%2.
                const int g = k / 4, half = (k % 4) / 2, slot = k % 2;
                for (int c = 0; c < 4; ++c)
                    d[g * 16 + half * 8 + c * 2 + slot] = w[k];
            }
        }
    }
    m_ringRows = *std::max_element(m_v.count.begin(), m_v.count.end()) + 1;
    const size_t inStride = size_t(inSize.width()) * size_t(channels);
    m_ring.assign(inStride * size_t(m_ringRows), 0);
    // The AVX2 horizontal loop reads whole groups of 4 taps, 16 bytes at a time, past
    // the last pixel (with zero weights): padding keeps those reads inside the buffer.
    m_column.assign(inStride + 32, 0);
    m_outRow.assign(size_t(m_out.width()) * size_t(channels) + 4, 0);
    return m_sink.begin(m_out, channels);
}

namespace {

// The portable loops. The AVX2 ones below compute the very same integer sums (integer
// addition is exact in any order), so the output does not depend on the CPU.
template <int C>
void horizontalPass(const int16_t *__restrict in, uchar *__restrict out, int outW, const int *__restrict start,
                    const int *__restrict count, const int16_t *__restrict weights, int stride)
{
    for (int o = 0; o < outW; ++o) {
        const int16_t *__restrict w = weights + size_t(o) * size_t(stride);
        const int16_t *__restrict s = in + size_t(start[o]) * C;
        int32_t acc[C];
        for (int c = 0; c < C; ++c)
            acc[c] = 1 << (kOutShift - 1);
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

void verticalPass(const uchar *const *__restrict rows, const int16_t *__restrict w, int taps, int from, int n,
                  int16_t *__restrict out)
{
    for (int i = from; i < n; ++i) {
        int32_t acc = 1 << (kColumnShift - 1);
        for (int k = 0; k < taps; ++k)
            acc += int32_t(rows[k][i]) * w[k];
        out[i] = clip16(acc);
    }
}

#ifdef DESO_RESAMPLER_AVX2

// Output values [0, n & ~31) of a vertical pass; returns how many were done.
__attribute__((target("avx2"))) int verticalAvx2(const uchar *const *rows, const int16_t *w, int taps, int n,
                                                 int16_t *out)
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i round = _mm256_set1_epi32(1 << (kColumnShift - 1));
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i a0 = round, a1 = round, a2 = round, a3 = round;
        for (int k = 0; k < taps; k += 2) {
            // Rows k and k+1 interleaved as int16 pairs, times (w[k], w[k+1]): pmaddwd.
            const bool pair = k + 1 < taps;
            const __m256i wp = _mm256_set1_epi32(int32_t(uint16_t(w[k])) | (pair ? int32_t(w[k + 1]) << 16 : 0));
            const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(rows[k] + i));
            const __m256i y = pair ? _mm256_loadu_si256(reinterpret_cast<const __m256i *>(rows[k + 1] + i)) : zero;
            const __m256i lo = _mm256_unpacklo_epi8(x, y), hi = _mm256_unpackhi_epi8(x, y);
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_unpacklo_epi8(lo, zero), wp));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_unpackhi_epi8(lo, zero), wp));
            a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_unpacklo_epi8(hi, zero), wp));
            a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_unpackhi_epi8(hi, zero), wp));
        }
        // Per 128-bit lane, a0..a3 hold values 0-3, 4-7, 8-11, 12-15 of that lane's 16.
        const __m256i s01 = _mm256_packs_epi32(_mm256_srai_epi32(a0, kColumnShift), _mm256_srai_epi32(a1, kColumnShift));
        const __m256i s23 = _mm256_packs_epi32(_mm256_srai_epi32(a2, kColumnShift), _mm256_srai_epi32(a3, kColumnShift));
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(out + i), _mm256_permute2x128_si256(s01, s23, 0x20));
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(out + i + 16), _mm256_permute2x128_si256(s01, s23, 0x31));
    }
    return i;
}

// Four taps per step: taps 0-1 in the low lane, 2-3 in the high one, shuffled to
// (r0 r1 g0 g1 b0 b1 [a0 a1]) and multiplied by the matching weight pairs (pmaddwd).
// `in` must be readable 16 bytes past the start of the last group's second half.
template <int C>
__attribute__((target("avx2"))) void horizontalAvx2(const int16_t *in, uchar *out, int outW, const int *start,
                                                    const int *count, const int16_t *wide, int groups)
{
    const __m256i mask = C == 3
        ? _mm256_setr_epi8(0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, -1, -1, -1, -1,
                           0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, -1, -1, -1, -1)
        : _mm256_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15,
                           0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
    const __m128i round = _mm_set1_epi32(1 << (kOutShift - 1));
    for (int o = 0; o < outW; ++o) {
        const int16_t *s = in + size_t(start[o]) * C;
        const auto *w = reinterpret_cast<const __m256i *>(wide + size_t(o) * size_t(groups) * 16);
        const int used = (count[o] + 3) / 4;
        __m256i acc = _mm256_setzero_si256();
        for (int g = 0; g < used; ++g, s += 4 * C) {
            const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i *>(s));
            const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i *>(s + 2 * C));
            const __m256i p = _mm256_shuffle_epi8(_mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1), mask);
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_loadu_si256(w + g)));
        }
        __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        sum = _mm_srai_epi32(_mm_add_epi32(sum, round), kOutShift);
        sum = _mm_packus_epi16(_mm_packs_epi32(sum, sum), sum);
        const int32_t v = _mm_cvtsi128_si32(sum);
        std::memcpy(out, &v, 4);  // C == 3: the 4th byte is overwritten by the next pixel (m_outRow has room)
        out += C;
    }
}

#endif

} // namespace

void RowResampler::horizontal(const int16_t *in, uchar *out) const
{
#ifdef DESO_RESAMPLER_AVX2
    if (m_simd) {
        if (m_channels == 3)
            horizontalAvx2<3>(in, out, m_out.width(), m_h.start.data(), m_h.count.data(), m_hWide.data(), m_hGroups);
        else
            horizontalAvx2<4>(in, out, m_out.width(), m_h.start.data(), m_h.count.data(), m_hWide.data(), m_hGroups);
        return;
    }
#endif
    if (m_channels == 3)
        horizontalPass<3>(in, out, m_out.width(), m_h.start.data(), m_h.count.data(), m_h.weights.data(), m_h.stride);
    else
        horizontalPass<4>(in, out, m_out.width(), m_h.start.data(), m_h.count.data(), m_h.weights.data(), m_h.stride);
}

void RowResampler::vertical(const uchar *const *rows, const int16_t *weights, int taps, int16_t *out) const
{
    const int n = m_in.width() * m_channels;
    int done = 0;
#ifdef DESO_RESAMPLER_AVX2
    if (m_simd)
        done = verticalAvx2(rows, weights, taps, n, out);
#endif
    verticalPass(rows, weights, taps, done, n, out);
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
    const size_t inStride = size_t(m_in.width()) * size_t(m_channels);
    uchar *slot = m_ring.data() + size_t(m_rowsIn % m_ringRows) * inStride;
    if (m_channels == 4) {
        // Premultiply so transparent pixels do not bleed their colour into neighbours.
        const int w = m_in.width();
        for (int x = 0; x < w; ++x) {
            const int a = pixels[x * 4 + 3];
            slot[x * 4 + 0] = uchar((pixels[x * 4 + 0] * a + 127) / 255);
            slot[x * 4 + 1] = uchar((pixels[x * 4 + 1] * a + 127) / 255);
            slot[x * 4 + 2] = uchar((pixels[x * 4 + 2] * a + 127) / 255);
            slot[x * 4 + 3] = uchar(a);
        }
    } else {
        std::memcpy(slot, pixels, inStride);
    }
    ++m_rowsIn;
    emitReadyRows();
}

void RowResampler::emitReadyRows()
{
    const size_t inStride = size_t(m_in.width()) * size_t(m_channels);
    while (m_nextOut < m_out.height()) {
        const int lo = m_v.start[size_t(m_nextOut)];
        const int cnt = m_v.count[size_t(m_nextOut)];
        if (lo + cnt > m_rowsIn)
            return;
        const int16_t *w = m_v.weights.data() + size_t(m_nextOut) * size_t(m_v.stride);
        const uchar *rows[64];
        const int taps = std::min(cnt, 64);
        for (int k = 0; k < taps; ++k)
            rows[k] = m_ring.data() + size_t((lo + k) % m_ringRows) * inStride;
        vertical(rows, w, taps, m_column.data());
        uchar *o = m_outRow.data();
        horizontal(m_column.data(), o);
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
