#pragma once
// Streaming, separable resampler: rows go in as a decoder produces them and output
// rows come out as soon as the filter window below them is complete, so a
// 16383-pixel-tall image is scaled with a few dozen rows in memory instead of the
// whole bitmap. Like libvips' thumbnail, a large reduction is done in two steps: an
// integer box shrink (each input pixel touched once) down to less than 2× the target,
// then the kernel for the remainder. The kernel runs vertically first (one output
// row from a window of input rows), then horizontally on that single row, so the
// costlier horizontal pass runs once per output row, not once per input row. Both
// passes use 16-bit fixed-point weights; on CPUs with AVX2 they run as pmaddwd loops,
// with integer results identical to the portable loops. Internal to core/image.

#include "common/result.h"

#include <QSize>

#include <cstdint>
#include <memory>
#include <vector>

namespace deso::image {

// Receives 8-bit interleaved rows (3 = RGB, 4 = RGBA straight alpha), top to bottom.
class RowSink {
public:
    virtual ~RowSink() = default;
    virtual Status begin(QSize size, int channels) = 0;
    virtual void row(int y, const uchar *pixels) = 0;
    virtual Status finish() { return {}; }
};

enum class ResampleKernel {
    Lanczos3,  // what libvips' reduce uses by default: sharpest, 6×scale taps
    Bicubic,   // Catmull-Rom: 4×scale taps, a little softer
};

class RowResampler final : public RowSink {
public:
    RowResampler(QSize outSize, RowSink &out, ResampleKernel kernel = ResampleKernel::Lanczos3);

    Status begin(QSize inSize, int channels) override;
    void row(int y, const uchar *pixels) override;
    Status finish() override;

private:
    struct Taps {
        std::vector<int> start;         // first source index per output index
        std::vector<int> count;         // taps per output index
        std::vector<int16_t> weights;   // fixed point, `stride` per output index, summing to 1.0
        int stride = 0;
    };
    static Taps computeTaps(int inLen, int outLen, ResampleKernel kernel);
    void horizontal(const int16_t *in, uchar *out) const;
    void vertical(const uchar *const *rows, const int16_t *weights, int taps, int16_t *out) const;
    void kernelRow(const uchar *pixels);
    void emitReadyRows();

    QSize m_out;
    QSize m_in;        // size entering the kernel stage (after the box shrink)
    QSize m_source;    // size entering row()
    int m_boxX = 1, m_boxY = 1;
    std::vector<uint32_t> m_boxSum;   // one box-shrunk row being summed
    std::vector<uchar> m_boxRow;
    int m_boxRowsSummed = 0;
    int m_sourceRows = 0;
    RowSink &m_sink;
    ResampleKernel m_kernel;
    int m_channels = 3;
    bool m_passThrough = false;
    Taps m_h, m_v;
    bool m_simd = false;              // AVX2 loops
    // Horizontal weights laid out for the AVX2 loop: per output pixel, groups of 4
    // taps as 16 int16 (w0 w1 repeated 4×, then w2 w3 repeated 4×).
    std::vector<int16_t> m_hWide;
    int m_hGroups = 0;                // groups per output pixel in m_hWide
    int m_ringRows = 0;
    std::vector<uchar> m_ring;        // kernel-input rows (premultiplied for RGBA), m_ringRows of them
    // One vertically resampled row at input width, in 1/64 steps and not yet clamped,
    // so the only rounding to 8 bits is the final one; zero-padded.
    std::vector<int16_t> m_column;
    std::vector<uchar> m_outRow;
    int m_rowsIn = 0;
    int m_nextOut = 0;
};

// Hands rows to `downstream` on a second thread, in batches, so that a decoder (this
// thread) and the resampler/colour conversion (the other) run on two cores at once.
// Memory: a few batches of rows. finish() joins the worker before returning.
class PipelinedRowSink final : public RowSink {
public:
    explicit PipelinedRowSink(RowSink &downstream, int batchRows = 32, int batches = 4);
    ~PipelinedRowSink() override;

    Status begin(QSize size, int channels) override;
    void row(int y, const uchar *pixels) override;
    Status finish() override;

private:
    struct Shared;
    void work();
    void submitCurrent();
    void stopWorker();

    RowSink &m_downstream;
    int m_batchRows;
    int m_batchCount;
    size_t m_rowBytes = 0;
    std::unique_ptr<Shared> m_shared;
};

} // namespace deso::image
