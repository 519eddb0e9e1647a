#pragma once
// One process-wide budget, in bytes, for the decodes that cannot stream: libwebp's
// lossless decoder and alpha planes hold the whole image, Qt's GIF reader a whole
// canvas. The node (libvips) accepts these, so they are not refused for their size:
// a decode that needs more than kDecodeMemoryBound waits until the budget has room
// for it, so several large uploads at once cannot add up to more than the budget.
// Only a decode needing more than the whole budget is refused (image.memory_bound).
// Waiting happens on the caller's thread; the host runs the pipeline on a worker pool,
// never on the server's thread. Internal to core/image.

#include "common/result.h"
#include "image/imageformat.h"

#include <QString>

#include <condition_variable>
#include <mutex>

namespace deso::image {

// Decodes that need up to this much run without asking the budget.
inline constexpr qint64 kDecodeMemoryBound = 160ll * 1024 * 1024;
// Room for the largest decode the 16,383 px guard lets in: a GIF whose frames restore
// the previous canvas (two 16,383² ARGB32 canvases, 2,048 MB in Qt's reader); a 16,383²
// lossless WebP needs 1,024 MB plus its output.
inline constexpr qint64 kDefaultDecodeMemoryBudget = 2304ll * 1024 * 1024;

class DecodeMemoryBudget {
public:
    explicit DecodeMemoryBudget(qint64 totalBytes);

    // The process's budget: kDefaultDecodeMemoryBudget, or DESO_DECODE_MEMORY_BUDGET_MB
    // from the environment when set to a positive number (read once).
    static DecodeMemoryBudget &instance();

    // Holds its bytes until destroyed (or moved from).
    class Lease {
    public:
        Lease() = default;
        Lease(Lease &&other) noexcept;
        Lease &operator=(Lease &&other) noexcept;
        ~Lease();
        qint64 bytes() const { return m_bytes; }

    private:
        friend class DecodeMemoryBudget;
        Lease(DecodeMemoryBudget *budget, qint64 bytes) : m_budget(budget), m_bytes(bytes) {}
        void release();
        DecodeMemoryBudget *m_budget = nullptr;
        qint64 m_bytes = 0;
    };

    // `need` bytes for decoding `header`'s image (`why`: "decoding this lossless WebP").
    // Up to kDecodeMemoryBound: an empty lease at once. Above: waits until the budget has
    // room. More than total(): image.memory_bound (400), at once.
    Result<Lease> admit(const ImageHeader &header, const QString &why, qint64 need);

    qint64 total() const { return m_total; }
    qint64 inUse() const;

private:
    void release(qint64 bytes);

    const qint64 m_total;
    mutable std::mutex m_mutex;
    std::condition_variable m_freed;
    qint64 m_used = 0;
};

} // namespace deso::image
