#pragma once
// Progressive JPEGs with bounded memory. libjpeg-turbo keeps every DCT coefficient of a
// multi-scan image in "virtual block arrays" (a 16,383 × 16,383 4:2:0 image: 805 MB)
// and is built without a backing store (jmemnobs), so it would need them all in RAM.
// Its memory manager is a public table of function pointers, though: install() replaces
// request/realize/access of the block arrays with arrays that keep a window of a few
// block rows in memory and page the rest to an unlinked scratch file, with the same
// semantics as jmemmgr.c's backing store (window of at least maxaccess rows, rows never
// written read back as zeros when pre-zeroed, written back only when dirty).
// Internal to core/image.

#include "common/result.h"

#include <QString>

#include <cstdio>
#include <memory>
#include <optional>

#include <jpeglib.h>

namespace deso::image {

class JpegPagedCoefficients {
public:
    JpegPagedCoefficients();
    ~JpegPagedCoefficients();
    JpegPagedCoefficients(const JpegPagedCoefficients &) = delete;
    JpegPagedCoefficients &operator=(const JpegPagedCoefficients &) = delete;

    // Call after jpeg_read_header() and before jpeg_start_decompress(); this object must
    // outlive `cinfo` (it is found through cinfo->client_data). The scratch file goes in
    // `dir` (QDir::tempPath() when empty). Error: image.temp_file (500).
    Status install(j_decompress_ptr cinfo, const QString &dir = {});

    // When libjpeg stopped because paging failed (image.no_space, image.temp_file): why.
    // libjpeg reports it through error_exit like any of its own errors.
    const std::optional<Error> &failure() const;

    struct State;

private:
    std::unique_ptr<State> m_state;
};

// Coefficient bytes libjpeg would keep for a multi-scan image (all components, padded
// to whole MCUs), from the header alone.
qint64 jpegCoefficientBytes(const jpeg_decompress_struct &cinfo);

} // namespace deso::image
