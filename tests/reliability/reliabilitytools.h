#pragma once
// Tools shared by the reliability tests: a scratch directory on tmpfs when there
// is one (gigabytes go through these tests; the host's fdatasync calls are then
// cheap) and a `deso-media --serve` child process with its memory read from /proc.
// Test files, hashes, ports and /proc figures come from tests/common/testfiles.h.

#include "testfiles.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStorageInfo>
#include <QTemporaryDir>
#include <QUrl>

#include <memory>

namespace reliability {

using testcommon::MiB;
using testcommon::procStatusBytes;
using testcommon::sha256Of;
using testcommon::writeRandomFile;
using testcommon::freeLoopbackPort;

// A scratch directory, on /dev/shm when it exists and has room.
inline std::unique_ptr<QTemporaryDir> scratchDir(qint64 neededBytes)
{
    if (QDir(QStringLiteral("/dev/shm")).exists()) {
        QStorageInfo shm(QStringLiteral("/dev/shm"));
        if (shm.isValid() && shm.bytesAvailable() > neededBytes + 512 * MiB)
            return std::make_unique<QTemporaryDir>(QStringLiteral("/dev/shm/deso-reliability-XXXXXX"));
    }
    return std::make_unique<QTemporaryDir>();
}

#ifdef DESO_MEDIA_BIN
// `deso-media --serve` as a child process.
class ServeProcess {
public:
    explicit ServeProcess(QString dataDir) : m_dataDir(std::move(dataDir)) {}
    ~ServeProcess() { kill(); }

    // Starts on `port` (0 = any) and waits until the host says where it listens.
    bool start(quint16 port, QString *why, const QStringList &extraArgs = {})
    {
        m_out.clear();
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::MergedChannels);
        m_process->start(QStringLiteral(DESO_MEDIA_BIN),
                         QStringList{QStringLiteral("--serve"), QStringLiteral("--port"), QString::number(port),
                                     QStringLiteral("--data-dir"), m_dataDir} + extraArgs);
        if (!m_process->waitForStarted(10000)) {
            *why = QStringLiteral("deso-media did not start: ") + m_process->errorString();
            return false;
        }
        static const QRegularExpression re(QStringLiteral("listening on (http://127\\.0\\.0\\.1:\\d+)"));
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 20000) {
            m_process->waitForReadyRead(100);
            m_out += m_process->readAll();
            const auto m = re.match(QString::fromUtf8(m_out));
            if (m.hasMatch()) {
                m_url = QUrl(m.captured(1));
                return true;
            }
            if (m_process->state() == QProcess::NotRunning)
                break;
        }
        *why = QStringLiteral("deso-media --serve did not come up: ") + QString::fromUtf8(m_out.right(2000));
        return false;
    }

    QUrl url() const { return m_url; }
    qint64 pid() const { return m_process ? m_process->processId() : 0; }
    qint64 rssBytes() const { return procStatusBytes(pid(), "VmRSS"); }
    qint64 peakRssBytes() const { return procStatusBytes(pid(), "VmHWM"); }
    // Open file descriptors of the host (sockets included), from /proc/<pid>/fd.
    int openFiles() const
    {
        return int(QDir(QStringLiteral("/proc/%1/fd").arg(pid())).entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::System).size());
    }
    bool running() const { return m_process && m_process->state() == QProcess::Running; }
    // Drops the request log it printed so far (it can be long) and returns its tail.
    QByteArray drainOutput()
    {
        if (m_process)
            m_out += m_process->readAll();
        const QByteArray tail = m_out.right(4000);
        m_out.clear();
        return tail;
    }

    // SIGKILL: no clean-up, no flush; what the host answered must already be on disk.
    void kill()
    {
        if (!m_process)
            return;
        if (m_process->state() != QProcess::NotRunning) {
            m_process->kill();
            m_process->waitForFinished(10000);
        }
        m_process.reset();
    }

private:
    QString m_dataDir;
    std::unique_ptr<QProcess> m_process;
    QByteArray m_out;
    QUrl m_url;
};
#endif

} // namespace reliability
