#pragma once
// An unlinked temporary file for decodes that cannot keep their whole working set in
// memory (progressive JPEG coefficients, interlaced PNG passes): pages go out with
// pwrite and come back with pread, so only a small window stays resident. libvips does
// the same above its disc threshold. The file has no name once open (O_TMPFILE, or
// mkstemp + unlink), so nothing is left behind if the process dies. Internal to
// core/image.

#include "common/result.h"

#include <QString>

#include <cstddef>

namespace deso::image {

class ScratchFile {
public:
    ScratchFile() = default;
    ~ScratchFile();
    ScratchFile(const ScratchFile &) = delete;
    ScratchFile &operator=(const ScratchFile &) = delete;

    // In `dir`, or QDir::tempPath() (which honours TMPDIR) when empty.
    // Error: image.temp_file (500) when the file cannot be created.
    Status open(const QString &dir = {});
    bool isOpen() const { return m_fd >= 0; }

    // Whole transfers (short writes and EINTR retried). Errors: image.no_space (500) when
    // the disc is full or a file size limit is hit (ENOSPC, EDQUOT, EFBIG), image.temp_file
    // (500) for any other I/O error or a read past what was written.
    Status write(qint64 offset, const void *data, size_t bytes);
    Status read(qint64 offset, void *data, size_t bytes) const;

private:
    int m_fd = -1;
    QString m_dir;
};

// The errors above, for callers that report them from inside a C library's callback.
Error noSpaceError();

} // namespace deso::image
