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
#include <QSettings>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTableView>
#include <QVBoxLayout>

using deso::host::EndpointHost;
using deso::host::HostConfig;
using deso::host::RequestLogEntry;

HostPanel::HostPanel(QWidget *parent)
    : QWidget(parent), m_host(new EndpointHost(this)), m_bind(new QComboBox), m_port(new QSpinBox),
      m_dataDir(new QLineEdit), m_browse(new QPushButton(tr("Browse…"))), m_startStop(new QPushButton),
      m_useForClient(new QCheckBox(tr("Use this host for uploads (the client talks to it)"))),
      m_autostart(new QCheckBox(tr("Start this host when the app starts"))), m_status(new QLabel),
      m_bindWarning(new QLabel), m_log(new QStandardItemModel(0, 6, this)), m_logView(new QTableView)
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
    auto *runRow = new QHBoxLayout;
    runRow->addWidget(m_startStop);
    runRow->addWidget(m_status, 1);
    form->addRow(runRow);
    form->addRow(m_useForClient);
    form->addRow(m_autostart);

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
    connect(clear, &QPushButton::clicked, this, [this] { m_log->removeRows(0, m_log->rowCount()); });
    connect(m_host, &EndpointHost::requestLogged, this, &HostPanel::appendLog);
    updateUi();
}

HostPanel::~HostPanel() = default;

QString HostPanel::defaultDataDir()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).filePath(QStringLiteral("host"));
}

deso::Status HostPanel::startHost()
{
    if (isRunning())
        return {};
    HostConfig config;
    const QString bindText = m_bind->currentText().trimmed();
    if (!config.bindAddress.setAddress(bindText))
        return deso::Error(QStringLiteral("host.bad_address"), tr("\"%1\" is not an IP address.").arg(bindText));
    // The user typed a non-loopback address in this field on purpose; the warning says what it means.
    config.allowNonLoopback = !config.bindAddress.isLoopback();
    config.port = quint16(m_port->value());
    config.dataDir = dataDir();
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
}

void HostPanel::updateUi()
{
    const bool running = isRunning();
    m_startStop->setText(running ? tr("Stop host") : tr("Start host"));
    for (QWidget *w : std::initializer_list<QWidget *>{m_bind, m_port, m_dataDir, m_browse})
        w->setEnabled(!running);
    if (running) {
        m_status->setText(tr("Running at <a href=\"%1\">%1</a>").arg(m_host->baseUrl().toString()));
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
