#include "tus/filerangedevice.h"

namespace deso::tus {

FileRangeDevice::FileRangeDevice(const QString &path, qint64 offset, qint64 length, QObject *parent)
    : QIODevice(parent), m_file(path), m_offset(offset), m_length(length)
{
}

bool FileRangeDevice::open(OpenMode mode)
{
    if ((mode & WriteOnly) || m_offset < 0 || m_length < 0)
        return false;
    if (!m_file.open(QIODevice::ReadOnly)) {
        setErrorString(m_file.errorString());
        return false;
    }
    if (m_offset + m_length > m_file.size() || !m_file.seek(m_offset)) {
        setErrorString(QStringLiteral("The file is shorter than the range to send."));
        m_file.close();
        return false;
    }
    return QIODevice::open(mode | Unbuffered);
}

void FileRangeDevice::close()
{
    QIODevice::close();
    m_file.close();
}

bool FileRangeDevice::seek(qint64 pos)
{
    if (pos < 0 || pos > m_length || !m_file.seek(m_offset + pos))
        return false;
    return QIODevice::seek(pos);
}

qint64 FileRangeDevice::readData(char *data, qint64 maxSize)
{
    const qint64 left = m_length - pos();
    if (left <= 0)
        return 0;
    if (m_file.pos() != m_offset + pos() && !m_file.seek(m_offset + pos()))
        return -1;
    return m_file.read(data, qMin(maxSize, left));
}

} // namespace deso::tus
