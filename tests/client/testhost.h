#pragma once
// The project's real EndpointHost on loopback for the client tests, with a count of the
// requests it answered (by method) and where it keeps an upload's bytes.

#include "host/endpointhost.h"

#include <QMap>
#include <QTemporaryDir>

class TestHost {
public:
    deso::host::HostConfig config;
    deso::host::EndpointHost host;
    QMap<QString, int> requests; // by method, answered requests

    TestHost()
    {
        config.dataDir = m_dir.path();
        QObject::connect(&host, &deso::host::EndpointHost::requestLogged, &host,
                         [this](const deso::host::RequestLogEntry &e) { ++requests[e.method]; });
    }

    deso::Status start()
    {
        if (!m_dir.isValid())
            return deso::Error(QStringLiteral("test.dir"), QStringLiteral("no temporary directory"));
        return host.start(config);
    }

    QUrl url() const { return host.baseUrl(); }
    quint16 port() const { return host.port(); }
    QUrl uploadEndpoint() const { return url().resolved(QUrl(QStringLiteral("/api/v0/upload-video"))); }
    int count(const char *method) const { return requests.value(QString::fromLatin1(method)); }
    // uploads/<id>/data under the data directory (see core/host/uploadstore.h).
    QString storedFile(const QString &mediaId) const
    {
        return m_dir.filePath(QStringLiteral("uploads/") + mediaId + QStringLiteral("/data"));
    }
    QString dataDir() const { return m_dir.path(); }

private:
    QTemporaryDir m_dir;
};
