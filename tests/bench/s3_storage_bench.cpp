// s3_storage_bench: the same upload into the host's two storage backends (issue 16).
// One 250 MiB random file goes, with the app's own tus client (deso-media upload-video,
// 50 MiB PATCHes), to a `deso-media --serve` on the local data dir and to one on an S3
// bucket (s3rver on loopback, behind its SigV4-checking launcher), best of --rounds each.
// Prints MiB/s for both, their ratio (S3 / dir), the host process's peak RSS (VmHWM) for
// both, and whether the stored bytes have the source's SHA-256. Prints, never asserts
// (exit 1 only when an upload fails or stored bytes differ).
//
// Usage: s3_storage_bench [--mib N] [--rounds N]

#include "s3rverprocess.h"
#include "testfiles.h"

#include "s3/s3client.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTextStream>

#include "eventwait.h"

namespace {

QTextStream out(stdout);

struct Host {
    QProcess process;
    QUrl base;
    QByteArray log;
};

bool startHost(Host &host, const QStringList &storageArgs, const QProcessEnvironment &env)
{
    host.process.setProcessEnvironment(env);
    host.process.start(QStringLiteral(DESO_MEDIA_BIN),
                       QStringList{QStringLiteral("--serve"), QStringLiteral("--port"), QStringLiteral("0")} + storageArgs);
    if (!host.process.waitForStarted(10000))
        return false;
    // The host logs every request: drain the pipe so it never fills.
    QObject::connect(&host.process, &QProcess::readyReadStandardOutput, [&host] { host.log += host.process.readAllStandardOutput(); });
    static const QRegularExpression re(QStringLiteral("listening on (http://127\\.0\\.0\\.1:\\d+)"));
    waitUntil([&] {
        const auto m = re.match(QString::fromUtf8(host.log));
        if (m.hasMatch())
            host.base = QUrl(m.captured(1));
        return m.hasMatch() || host.process.state() == QProcess::NotRunning;
    }, 20000);
    return host.base.isValid();
}

struct Upload {
    double seconds = -1;
    QString mediaId;
    QString problem;
};

Upload upload(const QString &file, const QUrl &node, const QProcessEnvironment &env)
{
    QProcess client;
    client.setProcessEnvironment(env);
    QElapsedTimer clock;
    clock.start();
    client.start(QStringLiteral(DESO_MEDIA_BIN), {QStringLiteral("upload-video"), file, QStringLiteral("--node"), node.toString(),
                                                  QStringLiteral("--chunk-size"), QStringLiteral("50M"), QStringLiteral("--no-resume")});
    Upload u;
    if (!client.waitForStarted(10000) || !waitUntil([&] { return client.state() == QProcess::NotRunning; }, 600000)) {
        u.problem = QStringLiteral("the client did not run to its end");
        client.kill();
        return u;
    }
    const double seconds = clock.elapsed() / 1000.0;
    const QString stdoutText = QString::fromUtf8(client.readAllStandardOutput());
    if (client.exitStatus() != QProcess::NormalExit || client.exitCode() != 0) {
        u.problem = QStringLiteral("the client failed: %1").arg(QString::fromUtf8(client.readAllStandardError()).right(300));
        return u;
    }
    u.mediaId = QRegularExpression(QStringLiteral("[0-9a-f]{32}")).match(stdoutText).captured(0);
    u.seconds = seconds;
    return u;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    qint64 mib = 250;
    int rounds = 2;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--mib"))
            mib = args[i + 1].toLongLong();
        if (args[i] == QLatin1String("--rounds"))
            rounds = qMax(1, args[i + 1].toInt());
    }
    QTemporaryDir dir;
    const QString source = dir.filePath(QStringLiteral("source.bin"));
    if (!testcommon::writeRandomFile(source, mib * testcommon::MiB, 16)) {
        out << "s3_storage_bench: cannot write " << source << Qt::endl;
        return 1;
    }
    const QByteArray sourceSha = testcommon::sha256Of(source);

    testcommon::S3rverProcess s3rver;
    QString why;
    if (!s3rver.start({QStringLiteral("bench")}, &why)) {
        out << "s3_storage_bench: s3rver cannot run here, so there is nothing to compare: " << why << Qt::endl;
        return 0;
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("AWS_ACCESS_KEY_ID"), QString::fromLatin1(testcommon::S3rverProcess::kAccessKeyId));
    env.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"), QString::fromLatin1(testcommon::S3rverProcess::kSecretAccessKey));
    env.insert(QStringLiteral("HOME"), dir.path());
    env.insert(QStringLiteral("XDG_DATA_HOME"), dir.filePath(QStringLiteral("xdg-data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("xdg-config")));

    deso::s3::S3Config bucket;
    bucket.endpoint = s3rver.endpoint();
    bucket.bucket = QStringLiteral("bench");
    bucket.keyPrefix = QStringLiteral("run");
    bucket.credentials.accessKeyId = QString::fromLatin1(testcommon::S3rverProcess::kAccessKeyId);
    bucket.credentials.secretAccessKey = QString::fromLatin1(testcommon::S3rverProcess::kSecretAccessKey);

    struct Row {
        QString name;
        QStringList storageArgs;
        double best = -1;
        qint64 peakKiB = 0;
        bool identical = true;
    };
    Row local{QStringLiteral("local data dir"), {QStringLiteral("--data-dir"), dir.filePath(QStringLiteral("dir-host"))}};
    Row bucketRow{QStringLiteral("S3 (s3rver)"),
                  {QStringLiteral("--data-dir"), dir.filePath(QStringLiteral("s3-host")), QStringLiteral("--storage"),
                   QStringLiteral("s3://bench/run"), QStringLiteral("--s3-endpoint"), s3rver.endpoint().toString()}};
    bool failed = false;
    for (Row *row : {&local, &bucketRow}) {
        Host host;
        if (!startHost(host, row->storageArgs, env)) {
            out << "s3_storage_bench: the host (" << row->name << ") did not start:\n" << host.log << Qt::endl;
            return 1;
        }
        for (int round = 0; round < rounds; ++round) {
            const Upload u = upload(source, host.base, env);
            if (u.seconds < 0) {
                out << "s3_storage_bench: " << row->name << ": " << u.problem << Qt::endl;
                failed = true;
                break;
            }
            row->best = row->best < 0 ? u.seconds : qMin(row->best, u.seconds);
            QByteArray stored;
            if (row == &local) {
                stored = testcommon::sha256Of(QDir(dir.filePath(QStringLiteral("dir-host"))).filePath(QStringLiteral("uploads/%1/data").arg(u.mediaId)));
            } else {
                deso::s3::BlockingS3Client client(bucket);
                const QString fetched = dir.filePath(QStringLiteral("fetched.bin"));
                if (client.getObjectToFile(QStringLiteral("uploads/%1/data").arg(u.mediaId), fetched).ok())
                    stored = testcommon::sha256Of(fetched);
                QFile::remove(fetched);
            }
            row->identical = row->identical && stored == sourceSha;
        }
        row->peakKiB = testcommon::procStatusBytes(host.process.processId(), "VmHWM") / 1024;
        host.process.terminate();
        host.process.waitForFinished(15000);
    }
    const double mibf = double(mib);
    for (const Row *row : {&local, &bucketRow}) {
        out << QStringLiteral("%1: %2 MiB in %3 s = %4 MiB/s; host peak RSS %5 MiB; stored bytes %6\n")
                   .arg(row->name.leftJustified(16), QString::number(mib), QString::number(row->best, 'f', 2),
                        QString::number(row->best > 0 ? mibf / row->best : 0, 'f', 1), QString::number(row->peakKiB / 1024),
                        row->identical ? QStringLiteral("identical") : QStringLiteral("DIFFER"));
    }
    if (local.best > 0 && bucketRow.best > 0)
        out << QStringLiteral("ratio S3 / local dir (throughput): %1\n").arg(local.best / bucketRow.best, 0, 'f', 2);
    out.flush();
    return failed || !local.identical || !bucketRow.identical ? 1 : 0;
}
