#pragma once
// The local endpoint host: start/stop, port, bind address, data folder or S3
// bucket (credentials from the environment or ~/.aws, never stored here), the front
// door's limits, which web pages may use it and how much it may store, a live
// request log, and the "use this host" switch for the client side.

#include "common/result.h"

#include <QUrl>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QStandardItemModel;
class QTableView;

namespace deso::host {
class EndpointHost;
struct HostConfig;
struct RequestLogEntry;
}

class HostPanel : public QWidget {
    Q_OBJECT
public:
    explicit HostPanel(QWidget *parent = nullptr);
    ~HostPanel() override;

    deso::Status startHost();
    void stopHost();
    bool isRunning() const;
    QUrl baseUrl() const;  // empty while stopped
    deso::host::EndpointHost *host() const { return m_host; }

    void setPort(int port);          // 0 = any free port
    void setBindAddress(const QString &address);
    void setDataDir(const QString &dir);
    QString dataDir() const;
    bool useForClient() const;
    void setUseForClient(bool on);

    QStandardItemModel *requestLog() const { return m_log; }
    QPushButton *startStopButton() const { return m_startStop; }
    QString statusText() const;

    // The configuration "Start host" uses (what the fields say now).
    deso::Result<deso::host::HostConfig> hostConfig() const;
    // Seconds / counts, as on `deso-media --serve`.
    void setHeadTimeoutSeconds(int s);
    void setMaxConnections(int n);
    void setAllowedOrigins(const QStringList &origins);
    void setMaxStorageMiB(int mib); // -1: half the free space; 0: no bound
    // Where the host keeps things: the data folder, or an S3 bucket (s3://BUCKET[/PREFIX]).
    void setS3Storage(const QString &location, const QString &endpoint, const QString &region = {});
    void setDataFolderStorage();

    static QString defaultDataDir();
    static constexpr int kDefaultPort = 8089;  // the same as deso-media --serve
    static constexpr int kMaxLogRows = 2000;

signals:
    void runningChanged(bool running, const QUrl &baseUrl);
    void useForClientChanged(bool on);
    void message(const QString &text, bool isError);

private:
    void updateUi();
    void appendLog(const deso::host::RequestLogEntry &entry);
    void saveSettings() const;

    deso::host::EndpointHost *m_host;
    QComboBox *m_bind;
    QSpinBox *m_port;
    QLineEdit *m_dataDir;
    QPushButton *m_browse;
    QPushButton *m_startStop;
    QCheckBox *m_useForClient;
    QCheckBox *m_autostart;
    QLabel *m_status;
    QLabel *m_bindWarning;
    QSpinBox *m_headTimeout;
    QSpinBox *m_bodyTimeout;
    QSpinBox *m_sendTimeout;
    QSpinBox *m_keepAlive;
    QSpinBox *m_maxConnections;
    QLineEdit *m_allowedOrigins;
    QLineEdit *m_allowedHosts;
    QSpinBox *m_maxStorage;
    QComboBox *m_storageKind;
    QLineEdit *m_s3Location;
    QLineEdit *m_s3Endpoint;
    QLineEdit *m_s3Region;
    QLineEdit *m_publicBaseUrl;
    QLabel *m_s3Credentials;
    QSpinBox *m_maxUnfinished; // unfinished tus uploads per client address; 0: no limit
    QStandardItemModel *m_log;
    QTableView *m_logView;
};
