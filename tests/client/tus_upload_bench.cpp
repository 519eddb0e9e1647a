// Benchmark (not a test): peak memory and throughput of `deso-media upload-video` for a
// large file against a loopback tus server, relative to a 1 MiB reference upload in the
// same run. The client streams chunks from disk, so its peak RSS should not grow with
// the file size. Run with ./dev.sh bench (or build/tests/bench/tus_upload_bench [MiB]).
#include "eventwait.h"
#include "minitusserver.h"
#include "testfiles.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTextStream>

namespace {

using testcommon::MiB;

struct Measure {
    bool ok = false;
    double seconds = 0;
    qint64 peakKiB = 0;
};

Measure upload(const QString &file, const QUrl &node, const QString &chunk, const QString &dataHome)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_DATA_HOME"), dataHome);
    p.setProcessEnvironment(env);
    QElapsedTimer clock;
    clock.start();
    p.start(QStringLiteral(DESO_MEDIA_BIN), {QStringLiteral("upload-video"), file, QStringLiteral("--node"), node.toString(),
                                            QStringLiteral("--chunk-size"), chunk, QStringLiteral("--no-resume"),
                                            QStringLiteral("--json")});
    Measure m;
    if (!p.waitForStarted())
        return m;
    const qint64 pid = p.processId();
    // Sample the high-water mark while it runs (the kernel keeps the peak for us).
    waitUntil([&] {
        if (p.state() == QProcess::NotRunning)
            return true;
        m.peakKiB = qMax(m.peakKiB, testcommon::procStatusBytes(pid, "VmHWM") / 1024);
        return false;
    }, 600000);
    m.seconds = double(clock.nsecsElapsed()) / 1e9;
    m.ok = p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    if (!m.ok)
        QTextStream(stderr) << p.readAllStandardError();
    return m;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    const qint64 bigMiB = argc > 1 ? QByteArray(argv[1]).toLongLong() : 200;
    if (bigMiB <= 0) {
        out << "usage: tus_upload_bench [MIB]   size of the large upload, default 200\n";
        return 2;
    }
    QTemporaryDir dir;
    MiniTusServer server;
    if (!dir.isValid() || !server.start()) {
        out << "tus_upload_bench: cannot set up\n";
        return 1;
    }
    const QString small = dir.filePath(QStringLiteral("small.bin"));
    const QString big = dir.filePath(QStringLiteral("big.bin"));
    if (!testcommon::writeRandomFile(small, MiB, 1) || !testcommon::writeRandomFile(big, bigMiB * MiB, 2)) {
        out << "tus_upload_bench: cannot write the test files\n";
        return 1;
    }
    const QString dataHome = dir.filePath(QStringLiteral("xdg"));
    out << "tus_upload_bench: deso-media upload-video to a loopback tus server (peak RSS of the client process)\n";
    const Measure ref = upload(small, server.url(), QStringLiteral("50M"), dataHome);
    if (!ref.ok)
        return 1;
    out << QStringLiteral("  reference   1 MiB file, 50 MiB chunks: peak RSS %1 MiB, %2 s\n")
               .arg(ref.peakKiB / 1024.0, 0, 'f', 1).arg(ref.seconds, 0, 'f', 2);
    for (const char *chunk : {"5M", "50M"}) {
        const Measure m = upload(big, server.url(), QString::fromLatin1(chunk), dataHome);
        if (!m.ok)
            return 1;
        out << QStringLiteral("  %1 MiB file, %2 chunks: peak RSS %3 MiB (%4x the reference, %5 of the file size), "
                              "%6 MiB/s\n")
                   .arg(bigMiB).arg(QString::fromLatin1(chunk))
                   .arg(m.peakKiB / 1024.0, 0, 'f', 1)
                   .arg(double(m.peakKiB) / double(ref.peakKiB), 0, 'f', 2)
                   .arg(QStringLiteral("%1%").arg(100.0 * double(m.peakKiB) * 1024 / double(bigMiB * MiB), 0, 'f', 1))
                   .arg(double(bigMiB) / m.seconds, 0, 'f', 1);
    }
    return 0;
}
