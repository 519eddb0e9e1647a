#pragma once
// Small tools the test areas and benchmarks share: seeded test files, SHA-256 of a
// file, a loopback port nobody listens on, and memory figures from /proc.

#include <QByteArray>
#include <QCryptographicHash>
#include <QFile>
#include <QRandomGenerator>
#include <QString>
#include <QTcpServer>

namespace testcommon {

constexpr qint64 MiB = 1024 * 1024;

// Pseudo-random bytes from a seed, written 1 MiB at a time: every MiB differs, so a
// misplaced chunk changes the hash, and a large file never sits in memory.
inline bool writeRandomFile(const QString &path, qint64 size, quint32 seed)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    QRandomGenerator gen(seed);
    QByteArray block(int(MiB), Qt::Uninitialized);
    for (qint64 left = size; left > 0;) {
        gen.fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
        const qint64 n = qMin<qint64>(left, block.size());
        if (f.write(block.constData(), n) != n)
            return false;
        left -= n;
    }
    return true;
}

// The tus "crc32" digest (CRC-32 of zlib/gzip, 4 bytes big-endian, base64) computed bit by
// bit: a reference independent of the library the client and host use. Slow (~100 MB/s):
// for test-sized bodies only.
inline QByteArray crc32Base64(QByteArrayView data)
{
    quint32 crc = 0xffffffffu;
    for (char c : data) {
        crc ^= quint8(c);
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    crc ^= 0xffffffffu;
    const char bigEndian[4] = {char(crc >> 24), char(crc >> 16), char(crc >> 8), char(crc)};
    return QByteArray(bigEndian, 4).toBase64();
}

// Hex SHA-256 of a file, read streaming; empty when the file can't be read.
inline QByteArray sha256Of(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&f);
    return hash.result().toHex();
}

// A loopback port that was free a moment ago: for a server to start on, or for a
// client to find nobody listening (connection refused).
inline quint16 freeLoopbackPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

// A "VmRSS" / "VmHWM"-style field of /proc/<pid>/status, in bytes (-1 when unreadable).
inline qint64 procStatusBytes(qint64 pid, const QByteArray &field)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(field + ':')) {
            const QList<QByteArray> parts = line.mid(field.size() + 1).simplified().split(' ');
            return parts.value(0).toLongLong() * 1024; // the kernel reports kB
        }
    }
    return -1;
}

} // namespace testcommon
