#include "hostpanel.h"

#include "host/endpointhost.h"
#include "mediaqueuemodel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTableView>
#include <QVBoxLayout>

#include <limits>

using deso::host::EndpointHost;
using deso::host::HostConfig;
using deso::host::RequestLogEntry;

HostPanel::HostPanel(QWidget *parent)
    : QWidget(parent), m_host(new EndpointHost(this)), m_bind(new QComboBox), m_port(new QSpinBox),
      m_dataDir(new QLineEdit), m_browse(new QPushButton(tr("Browse…"))), m_startStop(new QPushButton),
      m_useForClient(new QCheckBox(tr("Use this host for uploads (the client talks to it)"))),
      m_autostart(new QCheckBox(tr("Start this host when the app starts"))), m_status(new QLabel),
      m_bindWarning(new QLabel), m_headTimeout(new QSpinBox), m_bodyTimeout(new QSpinBox), m_sendTimeout(new QSpinBox),
      m_keepAlive(new QSpinBox), m_maxConnections(new QSpinBox), m_allowedOrigins(new QLineEdit),
      m_allowedHosts(new QLineEdit), m_maxStorage(new QSpinBox), m_storageKind(new QComboBox), m_s3Location(new QLineEdit),
      m_s3Endpoint(new QLineEdit), m_s3Region(new QLineEdit), m_publicBaseUrl(new QLineEdit), m_s3Credentials(new QLabel),
      m_maxUnfinished(new QSpinBox),
      m_log(new QStandardItemModel(0, 6, this)),
      m_logView(new QTableView)
{
    m_bind->setEditable(true);
    m_bind->addItems({QStringLiteral("127.0.0.1"), QStringLiteral("::1"), QStringLiteral("0.0.0.0")});
    m_port->setRange(0, 65535);
    m_port->setSpecialValueText(tr("any free port"));
    m_startStop->setObjectName(QStringLiteral("hostStartStop"));
    m_status->setObjectName(QStringLiteral("hostStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_bindWarning->setWordWrap(true);
    m_bindWarning->setStyleSheet(QStringLiteral("color: #9a6700;"));

    QSettings s;
    m_bind->setCurrentText(s.value(QStringLiteral("host/bind"), QStringLiteral("127.0.0.1")).toString());
    m_port->setValue(s.value(QStringLiteral("host/port"), kDefaultPort).toInt());
    m_dataDir->setText(s.value(QStringLiteral("host/dataDir"), defaultDataDir()).toString());
    m_useForClient->setChecked(s.value(QStringLiteral("host/useForClient"), true).toBool());
    m_autostart->setChecked(s.value(QStringLiteral("host/autostart"), true).toBool());

    const deso::host::HttpLimits defaults;
    auto seconds = [&s](QSpinBox *box, const char *name, int defaultMs) {
        box->setRange(1, 24 * 3600);
        box->setSuffix(tr(" s"));
        box->setValue(s.value(QLatin1String(name), defaultMs / 1000).toInt());
        box->setMaximumWidth(160);
    };
    seconds(m_headTimeout, "host/headTimeout", defaults.headTimeoutMs);
    seconds(m_bodyTimeout, "host/bodyTimeout", defaults.bodyStallTimeoutMs);
    seconds(m_sendTimeout, "host/sendTimeout", defaults.sendStallTimeoutMs);
    seconds(m_keepAlive, "host/keepAliveTimeout", defaults.keepAliveIdleMs);
    m_headTimeout->setObjectName(QStringLiteral("hostHeadTimeout"));
    m_maxConnections->setObjectName(QStringLiteral("hostMaxConnections"));
    m_maxConnections->setRange(1, 100000);
    m_maxConnections->setValue(s.value(QStringLiteral("host/maxConnections"), defaults.maxConnections).toInt());
    m_maxConnections->setMaximumWidth(160);
    m_allowedOrigins->setObjectName(QStringLiteral("hostAllowedOrigins"));
    m_allowedOrigins->setPlaceholderText(tr("e.g. https://app.example, or * for every site"));
    m_allowedOrigins->setText(s.value(QStringLiteral("host/allowedOrigins")).toStringList().join(QStringLiteral(", ")));
    m_allowedOrigins->setToolTip(tr("Web pages from these sites may use the host (besides pages served from this "
                                    "machine). Other pages get no CORS answer, and their uploads are refused."));
    m_allowedHosts->setPlaceholderText(tr("e.g. media.lan"));
    m_allowedHosts->setText(s.value(QStringLiteral("host/allowedHosts")).toStringList().join(QStringLiteral(", ")));
    m_allowedHosts->setToolTip(tr("Names the host answers to besides localhost and loopback addresses "
                                  "(requests for other names are refused: the DNS-rebinding guard)."));
    m_maxStorage->setObjectName(QStringLiteral("hostMaxStorage"));
    m_maxStorage->setRange(-1, std::numeric_limits<int>::max());
    m_maxStorage->setSpecialValueText(tr("half of the free space"));
    m_maxStorage->setSuffix(tr(" MiB"));
    m_maxStorage->setValue(s.value(QStringLiteral("host/maxStorageMiB"), -1).toInt());
    m_maxStorage->setToolTip(tr("Uploads that would take the data folder past this are refused (0: no bound)."));
    m_maxStorage->setMaximumWidth(260);
    m_maxUnfinished->setObjectName(QStringLiteral("hostMaxUnfinishedUploads"));
    m_maxUnfinished->setRange(0, 1000000);
    m_maxUnfinished->setSpecialValueText(tr("no limit"));
    m_maxUnfinished->setValue(s.value(QStringLiteral("host/maxUnfinishedUploads"), HostConfig().maxUnfinishedUploadsPerClient).toInt());
    m_maxUnfinished->setToolTip(tr("A client address holding this many unfinished uploads gets 429 for one more."));
    m_maxUnfinished->setMaximumWidth(160);

    // Storage (README "S3 storage"). Only where, never the key: the host reads
    // AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or ~/.aws/credentials itself.
    m_storageKind->setObjectName(QStringLiteral("hostStorageKind"));
    m_storageKind->addItem(tr("Data folder"), QStringLiteral("dir"));
    m_storageKind->addItem(tr("S3 bucket (several hosts may share it)"), QStringLiteral("s3"));
    m_storageKind->setCurrentIndex(s.value(QStringLiteral("host/storageKind")).toString() == QLatin1String("s3") ? 1 : 0);
    m_s3Location->setObjectName(QStringLiteral("hostS3Location"));
    m_s3Location->setPlaceholderText(tr("s3://bucket/prefix"));
    m_s3Location->setText(s.value(QStringLiteral("host/s3Location")).toString());
    m_s3Endpoint->setPlaceholderText(tr("e.g. http://127.0.0.1:9000 (empty: AWS)"));
    m_s3Endpoint->setText(s.value(QStringLiteral("host/s3Endpoint")).toString());
    m_s3Region->setPlaceholderText(tr("empty: AWS_REGION, ~/.aws/config or us-east-1"));
    m_s3Region->setText(s.value(QStringLiteral("host/s3Region")).toString());
    m_publicBaseUrl->setPlaceholderText(tr("optional: ImageURLs start with this (a CDN or the bucket's public address)"));
    m_publicBaseUrl->setText(s.value(QStringLiteral("host/publicBaseUrl")).toString());
    m_s3Credentials->setWordWrap(true);
    m_s3Credentials->setText(tr("The access key is read from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or ~/.aws/credentials "
                                "when the host starts; it is never saved by this app. The data folder then holds only "
                                "temporary files."));
    for (QLineEdit *edit : {m_s3Location, m_s3Endpoint, m_s3Region, m_publicBaseUrl})
        edit->setMinimumWidth(420);

    m_bind->setMaximumWidth(260);
    m_port->setMaximumWidth(160);
    m_dataDir->setMinimumWidth(420);
    auto *settingsBox = new QGroupBox(tr("Local endpoint host"));
    auto *dirRow = new QHBoxLayout;
    dirRow->addWidget(m_dataDir, 1);
    dirRow->addWidget(m_browse);
    dirRow->addStretch(0);
    auto *form = new QFormLayout(settingsBox);
    form->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
    form->addRow(tr("Bind address"), m_bind);
    form->addRow(QString(), m_bindWarning);
    form->addRow(tr("Port"), m_port);
    form->addRow(tr("Data folder"), dirRow);
    form->addRow(tr("Storage"), m_storageKind);
    form->addRow(tr("Bucket"), m_s3Location);
    form->addRow(tr("S3 endpoint"), m_s3Endpoint);
    form->addRow(tr("S3 region"), m_s3Region);
    form->addRow(tr("Public base URL"), m_publicBaseUrl);
    form->addRow(QString(), m_s3Credentials);
    auto *runRow = new QHBoxLayout;
    runRow->addWidget(m_startStop);
    runRow->addWidget(m_status, 1);
    form->addRow(runRow);
    form->addRow(m_useForClient);
    form->addRow(m_autostart);

    // The same bounds as deso-media --serve's flags (README "Hostile conditions").
    auto *limitsBox = new QGroupBox(tr("Limits and web pages"));
    auto *limits = new QFormLayout(limitsBox);
    limits->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
    limits->addRow(tr("Request head within"), m_headTimeout);
    limits->addRow(tr("Body may stall for"), m_bodyTimeout);
    limits->addRow(tr("Client may stop reading for"), m_sendTimeout);
    limits->addRow(tr("Idle connections close after"), m_keepAlive);
    limits->addRow(tr("Connections at most"), m_maxConnections);
    // One row for both bounds on what clients may store: another row would make the window taller.
    auto *storage = new QHBoxLayout;
    storage->addWidget(m_maxStorage);
    storage->addSpacing(16);
    storage->addWidget(new QLabel(tr("Unfinished uploads per client")));
    storage->addWidget(m_maxUnfinished);
    storage->addStretch();
    limits->addRow(tr("Storage at most"), storage);
    m_allowedOrigins->setMinimumWidth(420);
    m_allowedHosts->setMinimumWidth(420);
    limits->addRow(tr("Web pages allowed from"), m_allowedOrigins);
    limits->addRow(tr("Also answer to names"), m_allowedHosts);

    m_log->setHorizontalHeaderLabels({tr("Time"), tr("Method"), tr("Path"), tr("Status"), tr("Size"), tr("Duration")});
    m_logView->setObjectName(QStringLiteral("requestLog"));
    m_logView->setModel(m_log);
    m_logView->verticalHeader()->hide();
    m_logView->verticalHeader()->setDefaultSectionSize(22);
    m_logView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_logView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_logView->setAlternatingRowColors(true);
    m_logView->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    for (int c : {0, 1, 3, 4, 5})
        m_logView->horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    auto *clear = new QPushButton(tr("Clear log"));
    auto *logBox = new QGroupBox(tr("Requests"));
    auto *logLayout = new QVBoxLayout(logBox);
    logLayout->addWidget(m_logView, 1);
    logLayout->addWidget(clear, 0, Qt::AlignRight);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(settingsBox);
    layout->addWidget(limitsBox);
    layout->addWidget(logBox, 1);

    connect(m_startStop, &QPushButton::clicked, this, [this] {
        if (isRunning()) {
            stopHost();
        } else if (deso::Status st = startHost(); !st) {
            emit message(st.error().message, true);
        }
    });
    connect(m_browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Data folder for the local host"), dataDir());
        if (!dir.isEmpty())
            setDataDir(dir);
    });
    connect(m_useForClient, &QCheckBox::toggled, this, [this](bool on) {
        saveSettings();
        emit useForClientChanged(on);
    });
    connect(m_autostart, &QCheckBox::toggled, this, [](bool on) {
        QSettings().setValue(QStringLiteral("host/autostart"), on);
    });
    connect(m_bind, &QComboBox::currentTextChanged, this, &HostPanel::updateUi);
    connect(m_storageKind, &QComboBox::currentIndexChanged, this, &HostPanel::updateUi);
    connect(clear, &QPushButton::clicked, this, [this] { m_log->removeRows(0, m_log->rowCount()); });
    connect(m_host, &EndpointHost::requestLogged, this, &HostPanel::appendLog);
    updateUi();
}

HostPanel::~HostPanel() = default;

QString HostPanel::defaultDataDir()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).filePath(QStringLiteral("host"));
}

namespace {
QStringList listOf(const QLineEdit *edit)
{
    QStringList out;
    for (const QString &part : edit->text().split(QRegularExpression(QStringLiteral("[,\\s]+")), Qt::SkipEmptyParts))
        out << part;
    return out;
}
} // namespace

void HostPanel::setHeadTimeoutSeconds(int s)
{
    m_headTimeout->setValue(s);
}

void HostPanel::setMaxConnections(int n)
{
    m_maxConnections->setValue(n);
}

void HostPanel::setAllowedOrigins(const QStringList &origins)
{
    m_allowedOrigins->setText(origins.join(QStringLiteral(", ")));
}

void HostPanel::setMaxStorageMiB(int mib)
{
    m_maxStorage->setValue(mib);
}

void HostPanel::setS3Storage(const QString &location, const QString &endpoint, const QString &region)
{
    m_storageKind->setCurrentIndex(1);
    m_s3Location->setText(location);
    m_s3Endpoint->setText(endpoint);
    m_s3Region->setText(region);
}

void HostPanel::setDataFolderStorage()
{
    m_storageKind->setCurrentIndex(0);
}

deso::Result<HostConfig> HostPanel::hostConfig() const
{
    HostConfig config;
    const QString bindText = m_bind->currentText().trimmed();
    if (!config.bindAddress.setAddress(bindText))
        return deso::Error(QStringLiteral("host.bad_address"), tr("\"%1\" is not an IP address.").arg(bindText));
    // The user typed a non-loopback address in this field on purpose; the warning says what it means.
    config.allowNonLoopback = !config.bindAddress.isLoopback();
    config.port = quint16(m_port->value());
    config.dataDir = dataDir();
    config.httpLimits.headTimeoutMs = m_headTimeout->value() * 1000;
    config.httpLimits.bodyStallTimeoutMs = m_bodyTimeout->value() * 1000;
    config.httpLimits.sendStallTimeoutMs = m_sendTimeout->value() * 1000;
    config.httpLimits.keepAliveIdleMs = m_keepAlive->value() * 1000;
    config.httpLimits.maxConnections = m_maxConnections->value();
    config.allowedOrigins = listOf(m_allowedOrigins);
    config.allowedHosts = listOf(m_allowedHosts);
    config.maxStorageBytes = m_maxStorage->value() < 0 ? -1 : qint64(m_maxStorage->value()) * 1024 * 1024;
    config.maxUnfinishedUploadsPerClient = m_maxUnfinished->value();
    if (const QString base = m_publicBaseUrl->text().trimmed(); !base.isEmpty()) {
        config.publicBaseUrl = QUrl(base, QUrl::StrictMode);
        if (!config.publicBaseUrl.isValid() || config.publicBaseUrl.host().isEmpty())
            return deso::Error(QStringLiteral("host.bad_url"), tr("The public base URL \"%1\" is not a URL.").arg(base));
    }
    if (m_storageKind->currentData().toString() == QLatin1String("s3")) {
        config.storage = m_s3Location->text().trimmed();
        if (!config.storage.startsWith(QLatin1String("s3://")))
            return deso::Error(QStringLiteral("host.storage_spec"), tr("The bucket must be written s3://BUCKET or s3://BUCKET/PREFIX."));
        config.s3Endpoint = QUrl(m_s3Endpoint->text().trimmed());
        config.s3Region = m_s3Region->text().trimmed();
    }
    return config;
}

deso::Status HostPanel::startHost()
{
    if (isRunning())
        return {};
    auto built = hostConfig();
    if (!built.ok())
        return built.error();
    const HostConfig config = built.value();
    if (!QDir().mkpath(config.dataDir))
        return deso::Error(QStringLiteral("host.data_dir"), tr("Cannot create the data folder %1.").arg(config.dataDir));
    deso::Status st = m_host->start(config);
    if (!st) {
        updateUi();
        return st;
    }
    saveSettings();
    updateUi();
    emit runningChanged(true, baseUrl());
    return {};
}

void HostPanel::stopHost()
{
    if (!isRunning())
        return;
    m_host->stop();
    updateUi();
    emit runningChanged(false, {});
}

bool HostPanel::isRunning() const
{
    return m_host->isRunning();
}

QUrl HostPanel::baseUrl() const
{
    return isRunning() ? m_host->baseUrl() : QUrl();
}

void HostPanel::setPort(int port)
{
    m_port->setValue(port);
}

void HostPanel::setBindAddress(const QString &address)
{
    m_bind->setCurrentText(address);
}

void HostPanel::setDataDir(const QString &dir)
{
    m_dataDir->setText(dir);
}

QString HostPanel::dataDir() const
{
    return m_dataDir->text().trimmed().isEmpty() ? defaultDataDir() : m_dataDir->text().trimmed();
}

bool HostPanel::useForClient() const
{
    return m_useForClient->isChecked();
}

void HostPanel::setUseForClient(bool on)
{
    m_useForClient->setChecked(on);
}

QString HostPanel::statusText() const
{
    return m_status->text();
}

void HostPanel::saveSettings() const
{
    QSettings s;
    s.setValue(QStringLiteral("host/bind"), m_bind->currentText().trimmed());
    s.setValue(QStringLiteral("host/port"), m_port->value());
    s.setValue(QStringLiteral("host/dataDir"), m_dataDir->text().trimmed());
    s.setValue(QStringLiteral("host/useForClient"), m_useForClient->isChecked());
    s.setValue(QStringLiteral("host/headTimeout"), m_headTimeout->value());
    s.setValue(QStringLiteral("host/bodyTimeout"), m_bodyTimeout->value());
    s.setValue(QStringLiteral("host/sendTimeout"), m_sendTimeout->value());
    s.setValue(QStringLiteral("host/keepAliveTimeout"), m_keepAlive->value());
    s.setValue(QStringLiteral("host/maxConnections"), m_maxConnections->value());
    s.setValue(QStringLiteral("host/allowedOrigins"), listOf(m_allowedOrigins));
    s.setValue(QStringLiteral("host/allowedHosts"), listOf(m_allowedHosts));
    s.setValue(QStringLiteral("host/maxStorageMiB"), m_maxStorage->value());
    s.setValue(QStringLiteral("host/maxUnfinishedUploads"), m_maxUnfinished->value());
    s.setValue(QStringLiteral("host/storageKind"), m_storageKind->currentData().toString());
    s.setValue(QStringLiteral("host/s3Location"), m_s3Location->text().trimmed());
    s.setValue(QStringLiteral("host/s3Endpoint"), m_s3Endpoint->text().trimmed());
    s.setValue(QStringLiteral("host/s3Region"), m_s3Region->text().trimmed());
    s.setValue(QStringLiteral("host/publicBaseUrl"), m_publicBaseUrl->text().trimmed());
}

void HostPanel::updateUi()
{
    const bool running = isRunning();
    m_startStop->setText(running ? tr("Stop host") : tr("Start host"));
    for (QWidget *w : std::initializer_list<QWidget *>{m_bind, m_port, m_dataDir, m_browse, m_headTimeout, m_bodyTimeout,
                                                       m_sendTimeout, m_keepAlive, m_maxConnections, m_allowedOrigins,
                                                       m_allowedHosts, m_maxStorage, m_storageKind, m_publicBaseUrl,
                                                       m_maxUnfinished})
        w->setEnabled(!running);
    const bool s3 = m_storageKind->currentData().toString() == QLatin1String("s3");
    for (QWidget *w : std::initializer_list<QWidget *>{m_s3Location, m_s3Endpoint, m_s3Region})
        w->setEnabled(!running && s3);
    m_s3Credentials->setVisible(s3);
    if (running) {
        m_status->setText(tr("Running at <a href=\"%1\">%1</a>, storing in %2")
                              .arg(m_host->baseUrl().toString(), m_host->storageDescription().toHtmlEscaped()));
        m_status->setStyleSheet(QStringLiteral("color: #1a7f37;"));
    } else {
        m_status->setText(tr("Stopped"));
        m_status->setStyleSheet(QString());
    }
    QHostAddress address;
    const bool exposed = address.setAddress(m_bind->currentText().trimmed()) && !address.isLoopback();
    m_bindWarning->setVisible(exposed);
    m_bindWarning->setText(tr("This address exposes the host to other machines on the network. "
                              "Uploads there need a valid JWT, but anyone who can reach it can read what is stored."));
}

void HostPanel::appendLog(const RequestLogEntry &e)
{
    auto cell = [](const QString &text, Qt::Alignment align = Qt::AlignLeft | Qt::AlignVCenter) {
        auto *item = new QStandardItem(text);
        item->setTextAlignment(align);
        return item;
    };
    const Qt::Alignment right = Qt::AlignRight | Qt::AlignVCenter;
    auto *status = cell(QString::number(e.status), right);
    status->setForeground(e.status >= 400 ? QColor(0xb4, 0x23, 0x18) : QColor(0x1a, 0x7f, 0x37));
    m_log->appendRow({cell((e.at.isValid() ? e.at.toLocalTime() : QDateTime::currentDateTime()).toString(QStringLiteral("HH:mm:ss.zzz"))),
                      cell(e.method), cell(e.path), status, cell(MediaQueueModel::humanSize(e.bytes), right),
                      cell(QStringLiteral("%1 ms").arg(e.durationMs), right)});
    if (m_log->rowCount() > kMaxLogRows)
        m_log->removeRows(0, m_log->rowCount() - kMaxLogRows);
    m_logView->scrollToBottom();
}
