#include "image/scratchfile.h"

#include <QDir>
#include <QFile>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

namespace deso::image {

namespace {

Error tempFileError(const QString &dir, int err)
{
    return Error(QStringLiteral("image.temp_file"),
                 QStringLiteral("A temporary file for decoding this image could not be used in %1: %2.")
                     .arg(QDir::toNativeSeparators(dir), QString::fromLocal8Bit(std::strerror(err))),
                 500);
}

} // namespace

Error noSpaceError()
{
    return Error(QStringLiteral("image.no_space"),
                 QStringLiteral("There is not enough disk space to decode this image."), 500);
}

ScratchFile::~ScratchFile()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

Status ScratchFile::open(const QString &dir)
{
    m_dir = dir.isEmpty() ? QDir::tempPath() : dir;
    // QDir::tempPath() is empty when TMPDIR names no directory: say which one it named.
    if (m_dir.isEmpty())
        m_dir = qEnvironmentVariable("TMPDIR");
    const QByteArray path = QFile::encodeName(m_dir);
#ifdef O_TMPFILE
    m_fd = ::open(path.constData(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (m_fd >= 0)
        return {};
    // Filesystems without O_TMPFILE say EOPNOTSUPP/EISDIR: fall back to a named file.
    if (errno != EOPNOTSUPP && errno != EISDIR)
        return tempFileError(m_dir, errno);
#endif
    QByteArray templ = path + "/deso-decode-XXXXXX";
    m_fd = ::mkostemp(templ.data(), O_CLOEXEC);
    if (m_fd < 0)
        return tempFileError(m_dir, errno);
    ::unlink(templ.constData());
    return {};
}

Status ScratchFile::write(qint64 offset, const void *data, size_t bytes)
{
    const auto *p = static_cast<const char *>(data);
    while (bytes > 0) {
        const ssize_t n = ::pwrite(m_fd, p, bytes, off_t(offset));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ENOSPC || errno == EDQUOT || errno == EFBIG)
                return noSpaceError();
            return tempFileError(m_dir, errno);
        }
        p += n;
        offset += n;
        bytes -= size_t(n);
    }
    return {};
}

Status ScratchFile::read(qint64 offset, void *data, size_t bytes) const
{
    auto *p = static_cast<char *>(data);
    while (bytes > 0) {
        const ssize_t n = ::pread(m_fd, p, bytes, off_t(offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return tempFileError(m_dir, n < 0 ? errno : EIO);
        p += n;
        offset += n;
        bytes -= size_t(n);
    }
    return {};
}

} // namespace deso::image
