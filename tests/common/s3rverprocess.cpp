#include "s3rverprocess.h"

#include "testfiles.h"

#include <QDeadlineTimer>
#include <QFileInfo>
#include <QStandardPaths>

namespace testcommon {

QString S3rverProcess::packageDirectory()
{
    return QStringLiteral(DESO_S3RVER_DIR);
}

S3rverProcess::~S3rverProcess()
{
    stop();
}

void S3rverProcess::stop()
{
    if (m_process) {
        m_process->kill();
        m_process->waitForFinished(5000);
        m_process.reset();
    }
}

QUrl S3rverProcess::endpoint() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port));
}

bool S3rverProcess::start(const QStringList &buckets, QString *why)
{
    const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
    if (node.isEmpty()) {
        *why = QStringLiteral("node is not installed (the S3 test server s3rver runs on Node.js; "
                              "./dev.sh test installs it)");
        return false;
    }
    const QString dir = packageDirectory();
    if (!QFileInfo::exists(dir + QStringLiteral("/node_modules/s3rver/package.json"))
        || !QFileInfo::exists(dir + QStringLiteral("/node_modules/@smithy/signature-v4/package.json"))) {
        QProcess install;
        install.setProcessChannelMode(QProcess::MergedChannels);
        install.start(QStringLiteral(DESO_SOURCE_ROOT "/packaging/install-s3rver.sh"), {dir});
        if (!install.waitForFinished(300000) || install.exitStatus() != QProcess::NormalExit || install.exitCode() != 0) {
            install.kill();
            *why = QStringLiteral("s3rver could not be installed into %1: %2")
                       .arg(dir, QString::fromUtf8(install.readAll()).simplified().left(300));
            return false;
        }
    }

    m_data = std::make_unique<QTemporaryDir>();
    if (!m_data->isValid()) {
        *why = QStringLiteral("no temporary directory for s3rver's data");
        return false;
    }
    // A free port can be taken between the probe and the listen: try a few.
    for (int attempt = 0; attempt < 3; ++attempt) {
        m_port = freeLoopbackPort();
        // s3rver's ListObjectsV2 continuation tokens use DES, which Node 17+ (OpenSSL 3) only
        // has in its legacy provider: without it every truncated listing is an InternalError.
        QStringList args{QStringLiteral("--openssl-legacy-provider"),
                         QStringLiteral(DESO_SOURCE_ROOT "/tests/common/s3rver/s3rver-sigv4.js"),
                         QStringLiteral("--port"), QString::number(m_port), QStringLiteral("--directory"), m_data->path(),
                         QStringLiteral("--access-key-id"), QString::fromLatin1(kAccessKeyId), QStringLiteral("--secret"),
                         QString::fromLatin1(kSecretAccessKey)};
        for (const QString &bucket : buckets)
            args << QStringLiteral("--bucket") << bucket;
        m_process = std::make_unique<QProcess>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("NODE_PATH"), dir + QStringLiteral("/node_modules"));
        m_process->setProcessEnvironment(env);
        m_process->start(node, args);
        QByteArray out;
        QDeadlineTimer deadline(20000);
        while (!out.contains("listening") && m_process->state() != QProcess::NotRunning && !deadline.hasExpired()) {
            m_process->waitForReadyRead(200);
            out += m_process->readAllStandardOutput();
        }
        if (out.contains("listening"))
            return true;
        *why = QStringLiteral("s3rver did not start: %1")
                   .arg(QString::fromUtf8(m_process->readAllStandardError()).simplified().left(300));
        stop();
    }
    return false;
}

} // namespace testcommon
