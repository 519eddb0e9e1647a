#include "image/jpegpagedcoefficients.h"

#include "image/scratchfile.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include <jerror.h>

namespace deso::image {

namespace {

// Resident window for all arrays together. A few block rows of each component are
// what one iMCU row needs (maxaccess); more only saves system calls, and 8 MB is a
// 4,000-pixel-wide band's worth at 16,383 px.
constexpr qint64 kWindowBytes = 8ll * 1024 * 1024;
// libjpeg-turbo's ALIGN_SIZE with SIMD (32, for AVX2), rounded up to a cache line.
constexpr size_t kWindowAlignment = 64;

struct PagedArray {
    JDIMENSION rowsInArray = 0;
    JDIMENSION blocksPerRow = 0;
    JDIMENSION maxAccess = 0;
    JDIMENSION rowsInMem = 0;
    JDIMENSION curStartRow = 0;    // first array row held in the window
    JDIMENSION firstUndefRow = 0;  // rows from here on were never written
    bool preZero = false;
    bool dirty = false;
    qint64 fileOffset = 0;         // where row 0 lives in the scratch file
    // rowsInMem × blocksPerRow blocks, aligned as jmemmgr.c aligns its own (the SIMD
    // IDCTs load blocks with aligned instructions).
    std::unique_ptr<JCOEF[], decltype(&std::free)> window {nullptr, &std::free};
    size_t windowBytes = 0;
    std::vector<JBLOCKROW> rows;

    size_t bytesPerRow() const { return size_t(blocksPerRow) * sizeof(JBLOCK); }
};

} // namespace

struct JpegPagedCoefficients::State {
    ScratchFile file;
    std::vector<std::unique_ptr<PagedArray>> arrays;
    std::optional<Error> failure;
    jpeg_memory_mgr original {};

    static State &of(j_common_ptr c) { return *static_cast<JpegPagedCoefficients *>(c->client_data)->m_state; }

    void release()
    {
        arrays.clear();
        arrays.shrink_to_fit();
    }

    // jmemmgr.c's do_barray_io: only rows that were ever written travel. On failure the
    // reason is kept for the caller and false returned; the caller leaves through
    // error_exit (a longjmp), after this frame and its Status are gone.
    bool transfer(PagedArray &a, bool writing)
    {
        const JDIMENSION last = std::min({a.curStartRow + a.rowsInMem, a.firstUndefRow, a.rowsInArray});
        if (last <= a.curStartRow)
            return true;
        const size_t bytes = size_t(last - a.curStartRow) * a.bytesPerRow();
        const qint64 offset = a.fileOffset + qint64(a.curStartRow) * qint64(a.bytesPerRow());
        const Status s = writing ? file.write(offset, a.window.get(), bytes) : file.read(offset, a.window.get(), bytes);
        if (!s.ok()) {
            failure = s.error();
            return false;
        }
        return true;
    }
};

namespace {

using State = JpegPagedCoefficients::State;

jvirt_barray_ptr requestBarray(j_common_ptr cinfo, int poolId, boolean preZero, JDIMENSION blocksPerRow,
                               JDIMENSION numRows, JDIMENSION maxAccess)
{
    State &st = State::of(cinfo);
    if (poolId != JPOOL_IMAGE)
        ERREXIT1(cinfo, JERR_BAD_POOL_ID, poolId);
    PagedArray *array = nullptr;
    try {
        auto a = std::make_unique<PagedArray>();
        a->rowsInArray = numRows;
        a->blocksPerRow = blocksPerRow;
        a->maxAccess = maxAccess;
        a->preZero = preZero;
        array = a.get();
        st.arrays.push_back(std::move(a));
    } catch (const std::bad_alloc &) {
        array = nullptr;
    }
    if (!array)
        ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
    return reinterpret_cast<jvirt_barray_ptr>(array);
}

void realizeArrays(j_common_ptr cinfo)
{
    State &st = State::of(cinfo);
    (*st.original.realize_virt_arrays)(cinfo);  // its own (sample) arrays, if any
    qint64 total = 0;
    for (const auto &a : st.arrays)
        total += qint64(a->rowsInArray) * qint64(a->bytesPerRow());
    qint64 offset = 0;
    bool allocated = true;
    for (auto &a : st.arrays) {
        if (!a->rows.empty() || a->rowsInArray == 0 || a->blocksPerRow == 0)
            continue;
        // The window is shared in proportion to each array's size, never below what one
        // access needs.
        const qint64 arrayBytes = qint64(a->rowsInArray) * qint64(a->bytesPerRow());
        const qint64 share = total > 0 ? kWindowBytes * arrayBytes / total : kWindowBytes;
        a->rowsInMem = JDIMENSION(std::clamp<qint64>(share / qint64(a->bytesPerRow()), a->maxAccess, a->rowsInArray));
        a->fileOffset = offset;
        offset += arrayBytes;
        a->windowBytes = size_t(a->rowsInMem) * a->bytesPerRow();  // a multiple of 128
        a->window.reset(static_cast<JCOEF *>(std::aligned_alloc(kWindowAlignment, a->windowBytes)));
        try {
            a->rows.resize(a->rowsInMem);
        } catch (const std::bad_alloc &) {
            allocated = false;
        }
        if (!allocated || !a->window) {
            allocated = false;
            break;
        }
        for (JDIMENSION r = 0; r < a->rowsInMem; ++r)
            a->rows[r] = reinterpret_cast<JBLOCKROW>(a->window.get() + size_t(r) * a->blocksPerRow * DCTSIZE2);
    }
    if (!allocated)
        ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 1);
}

// jmemmgr.c's access_virt_barray, with the scratch file as backing store.
JBLOCKARRAY accessBarray(j_common_ptr cinfo, jvirt_barray_ptr ptr, JDIMENSION startRow, JDIMENSION numRows,
                         boolean writable)
{
    State &st = State::of(cinfo);
    PagedArray &a = *reinterpret_cast<PagedArray *>(ptr);
    const JDIMENSION endRow = startRow + numRows;
    if (endRow > a.rowsInArray || numRows > a.maxAccess || a.rows.empty())
        ERREXIT(cinfo, JERR_BAD_VIRTUAL_ACCESS);

    if (startRow < a.curStartRow || endRow > a.curStartRow + a.rowsInMem) {
        if (a.dirty) {
            if (!st.transfer(a, true))
                ERREXIT(cinfo, JERR_FILE_WRITE);
            a.dirty = false;
        }
        // Moving forward: the window starts at the requested row; moving back (block
        // smoothing looks one iMCU row up): it ends at the requested end.
        if (startRow > a.curStartRow)
            a.curStartRow = startRow;
        else
            a.curStartRow = endRow > a.rowsInMem ? endRow - a.rowsInMem : 0;
        if (!st.transfer(a, false))
            ERREXIT(cinfo, JERR_FILE_READ);
    }

    if (a.firstUndefRow < endRow) {
        JDIMENSION undefRow;
        if (a.firstUndefRow < startRow) {
            if (writable)  // writing out of order would leave a hole
                ERREXIT(cinfo, JERR_BAD_VIRTUAL_ACCESS);
            undefRow = startRow;
        } else {
            undefRow = a.firstUndefRow;
        }
        if (writable)
            a.firstUndefRow = endRow;
        if (a.preZero) {
            for (JDIMENSION r = undefRow; r < endRow; ++r)
                std::memset(a.rows[r - a.curStartRow], 0, a.bytesPerRow());
        } else if (!writable) {
            ERREXIT(cinfo, JERR_BAD_VIRTUAL_ACCESS);
        }
    }
    if (writable)
        a.dirty = true;
    return a.rows.data() + (startRow - a.curStartRow);
}

void freePool(j_common_ptr cinfo, int poolId)
{
    State &st = State::of(cinfo);
    if (poolId == JPOOL_IMAGE)
        st.release();
    (*st.original.free_pool)(cinfo, poolId);
}

void selfDestruct(j_common_ptr cinfo)
{
    State &st = State::of(cinfo);
    st.release();
    // The manager being destroyed holds the table we patched; nothing calls us after.
    const auto destruct = st.original.self_destruct;
    (*destruct)(cinfo);
}

} // namespace

JpegPagedCoefficients::JpegPagedCoefficients() : m_state(std::make_unique<State>()) {}

JpegPagedCoefficients::~JpegPagedCoefficients() = default;

Status JpegPagedCoefficients::install(j_decompress_ptr cinfo, const QString &dir)
{
    if (Status s = m_state->file.open(dir); !s.ok())
        return s;
    m_state->original = *cinfo->mem;
    cinfo->client_data = this;
    cinfo->mem->request_virt_barray = requestBarray;
    cinfo->mem->realize_virt_arrays = realizeArrays;
    cinfo->mem->access_virt_barray = accessBarray;
    cinfo->mem->free_pool = freePool;
    cinfo->mem->self_destruct = selfDestruct;
    return {};
}

const std::optional<Error> &JpegPagedCoefficients::failure() const
{
    return m_state->failure;
}

qint64 jpegCoefficientBytes(const jpeg_decompress_struct &c)
{
    qint64 total = 0;
    const int maxH = std::max(1, c.max_h_samp_factor);
    const int maxV = std::max(1, c.max_v_samp_factor);
    for (int i = 0; i < c.num_components; ++i) {
        const jpeg_component_info &comp = c.comp_info[i];
        const qint64 w = (qint64(c.image_width) * comp.h_samp_factor + maxH * 8 - 1) / (maxH * 8);
        const qint64 h = (qint64(c.image_height) * comp.v_samp_factor + maxV * 8 - 1) / (maxV * 8);
        total += (w + comp.h_samp_factor) * (h + comp.v_samp_factor) * 64 * qint64(sizeof(JCOEF));
    }
    return total;
}

} // namespace deso::image
