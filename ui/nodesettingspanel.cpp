#include "nodesettingspanel.h"

#include "identity/jwt.h"
#include "identity/keystore.h"
#include "upload/uploadfile.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QSettings>
#include <QStackedWidget>
#include <QTimer>
#include <QVBoxLayout>

using namespace deso::identity;
using deso::Status;

namespace {
const QString kLocalPreset = QStringLiteral("local");
const QString kMediaAuto = QStringLiteral("auto");
const QString kMediaLegacy = QStringLiteral("legacy");
const QString kDeSoMediaServer = QStringLiteral("https://media.deso.org");
constexpr qint64 kJwtWarnSeconds = 120;     // warn this long before a pasted JWT expires

QString countdown(qint64 seconds)
{
    return QStringLiteral("%1:%2").arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
}

void setTone(QLabel *label, const char *tone)
{
    label->setProperty("tone", tone);
    const QString color = qstrcmp(tone, "error") == 0 ? QStringLiteral("#b42318")
                          : qstrcmp(tone, "warn") == 0 ? QStringLiteral("#9a6700")
                          : qstrcmp(tone, "ok") == 0   ? QStringLiteral("#1a7f37")
                                                       : QString();
    label->setStyleSheet(color.isEmpty() ? QString() : QStringLiteral("color: %1;").arg(color));
}
} // namespace

NodeSettingsPanel::NodeSettingsPanel(QWidget *parent) : QWidget(parent), m_countdown(new QTimer(this))
{
    buildUi();
    loadSettings();
    m_countdown->setInterval(1000);
    connect(m_countdown, &QTimer::timeout, this, &NodeSettingsPanel::updateJwtStatus);
    m_countdown->start();
}

NodeSettingsPanel::~NodeSettingsPanel() = default;

void NodeSettingsPanel::buildUi()
{
    auto *nodeBox = new QGroupBox(tr("Node"));
    m_node = new QComboBox;
    m_node->setObjectName(QStringLiteral("nodeUrl"));
    m_node->setEditable(true);
    m_node->setInsertPolicy(QComboBox::NoInsert);
    m_node->addItem(tr("This app's local host"), kLocalPreset);
    m_node->addItem(QStringLiteral("https://node.deso.org"), QStringLiteral("https://node.deso.org"));
    m_node->addItem(QStringLiteral("https://test.deso.org"), QStringLiteral("https://test.deso.org"));
    m_node->setMinimumWidth(420);
    m_nodeEffective = new QLabel;
    m_nodeEffective->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_media = new QComboBox;
    m_media->setObjectName(QStringLiteral("mediaServerUrl"));
    m_media->setEditable(true);
    m_media->setInsertPolicy(QComboBox::NoInsert);
    m_media->addItem(tr("Automatic (media.deso.org for DeSo's nodes)"), kMediaAuto);
    m_media->addItem(tr("None: the node's tus upload (legacy)"), kMediaLegacy);
    m_media->addItem(tr("This app's local host"), kLocalPreset);
    m_media->addItem(kDeSoMediaServer, kDeSoMediaServer);
    m_media->setMinimumWidth(420);
    m_mediaEffective = new QLabel;
    m_mediaEffective->setObjectName(QStringLiteral("mediaServerEffective"));
    m_mediaEffective->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_mediaServerLimit = new QSpinBox;
    m_mediaServerLimit->setObjectName(QStringLiteral("mediaServerVideoLimit"));
    m_mediaServerLimit->setRange(1, 1024 * 1024);
    m_mediaServerLimit->setSuffix(tr(" MiB"));
    m_mediaServerLimit->setToolTip(tr("Videos over this size are not sent to the media server as they are: a smaller "
                                      "copy that fits is offered. DeSo's web app refuses videos over 65 MB; the node "
                                      "itself takes 250 MB."));
    m_fitUnasked = new QCheckBox(tr("Make a smaller copy of a video over the limit without asking (no preview)"));
    m_fitUnasked->setObjectName(QStringLiteral("makeFitCopiesUnasked"));
    m_fitUnasked->setToolTip(tr("Off: a video over the limit waits with an offer to make a copy that fits, which you can "
                                "preview before it is sent. The original file is never changed either way."));
    m_mainnet = new QRadioButton(tr("Mainnet"));
    m_testnet = new QRadioButton(tr("Testnet"));
    auto *net = new QHBoxLayout;
    net->addWidget(m_mainnet);
    net->addWidget(m_testnet);
    net->addStretch();
    auto *nodeForm = new QFormLayout(nodeBox);
    nodeForm->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
    nodeForm->addRow(tr("Node URL"), m_node);
    nodeForm->addRow(QString(), m_nodeEffective);
    nodeForm->addRow(tr("Media server (videos)"), m_media);
    nodeForm->addRow(QString(), m_mediaEffective);
    nodeForm->addRow(tr("Media server takes videos up to"), m_mediaServerLimit);
    nodeForm->addRow(tr("Videos over the limit"), m_fitUnasked);
    nodeForm->addRow(tr("Network"), net);

    auto *idBox = new QGroupBox(tr("Identity (who signs image uploads)"));
    m_modeTestKey = new QRadioButton(tr("A local test key"));
    m_modeJwt = new QRadioButton(tr("A public key and a JWT pasted from elsewhere"));
    m_identityStack = new QStackedWidget;

    // Test keys.
    auto *keysPage = new QWidget;
    m_storage = new QComboBox;
    m_storage->addItem(tr("OS keychain"));
    m_storage->addItem(tr("This session only (memory)"));
    m_storageInfo = new QLabel;
    m_storageInfo->setWordWrap(true);
    m_keyList = new QListWidget;
    m_keyList->setObjectName(QStringLiteral("testKeys"));
    m_keyList->setMinimumHeight(70);
    m_keyList->setMaximumHeight(130);
    m_keyList->setMinimumWidth(640);
    m_storage->setMinimumWidth(300);
    m_newKeyName = new QLineEdit;
    m_newKeyName->setPlaceholderText(tr("name, e.g. tester-1"));
    m_newKeyName->setMaximumWidth(280);
    m_createKey = new QPushButton(tr("Create key"));
    m_deleteKey = new QPushButton(tr("Delete key"));
    m_keyStatus = new QLabel;
    m_keyStatus->setObjectName(QStringLiteral("keyStatus"));
    m_keyStatus->setWordWrap(true);
    m_keyStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *keyButtons = new QHBoxLayout;
    keyButtons->addWidget(m_newKeyName, 1);
    keyButtons->addWidget(m_createKey);
    keyButtons->addWidget(m_deleteKey);
    keyButtons->addStretch();
    auto *keysForm = new QFormLayout(keysPage);
    keysForm->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
    keysForm->setContentsMargins(0, 0, 0, 0);
    keysForm->addRow(tr("Stored in"), m_storage);
    keysForm->addRow(QString(), m_storageInfo);
    keysForm->addRow(tr("Keys"), m_keyList);
    keysForm->addRow(QString(), keyButtons);
    keysForm->addRow(QString(), m_keyStatus);

    // Pasted JWT.
    auto *jwtPage = new QWidget;
    m_publicKey = new QLineEdit;
    m_publicKey->setObjectName(QStringLiteral("publicKey"));
    m_publicKey->setPlaceholderText(tr("BC1YL… (mainnet) or tBCK… (testnet)"));
    m_publicKeyStatus = new QLabel;
    m_jwt = new QPlainTextEdit;
    m_jwt->setObjectName(QStringLiteral("jwt"));
    m_jwt->setPlaceholderText(tr("Paste the JWT here (kept in memory only, never saved)"));
    m_jwt->setMaximumHeight(80);
    m_jwt->setMinimumWidth(640);
    m_publicKey->setMinimumWidth(480);
    m_jwtStatus = new QLabel;
    m_jwtStatus->setObjectName(QStringLiteral("jwtStatus"));
    m_jwtStatus->setWordWrap(true);
    auto *jwtForm = new QFormLayout(jwtPage);
    jwtForm->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
    jwtForm->setContentsMargins(0, 0, 0, 0);
    jwtForm->addRow(tr("Public key"), m_publicKey);
    jwtForm->addRow(QString(), m_publicKeyStatus);
    jwtForm->addRow(tr("JWT"), m_jwt);
    jwtForm->addRow(QString(), m_jwtStatus);

    m_identityStack->addWidget(keysPage);
    m_identityStack->addWidget(jwtPage);
    // Sentences under the fields wrap at the fields' width, not at their own short hint.
    for (QLabel *l : {m_nodeEffective, m_mediaEffective, m_storageInfo, m_keyStatus, m_publicKeyStatus, m_jwtStatus})
        l->setMinimumWidth(640);
    m_newKeyName->setMinimumWidth(220);
    auto *idLayout = new QVBoxLayout(idBox);
    auto *modes = new QHBoxLayout;
    modes->addWidget(m_modeTestKey);
    modes->addWidget(m_modeJwt);
    modes->addStretch();
    idLayout->addLayout(modes);
    idLayout->addWidget(m_identityStack);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(nodeBox);
    layout->addWidget(idBox);
    layout->addStretch();

    connect(m_node, &QComboBox::currentIndexChanged, this, [this] {
        updateNodeLabel();
        saveSettings();
        emit useLocalHostChanged(usesLocalHost());
        emit nodeUrlChanged(nodeUrl());
        updateMediaLabel(); // "automatic" follows the node
        emit mediaServerUrlChanged(mediaServerUrl());
    });
    connect(m_media, &QComboBox::currentIndexChanged, this, [this] {
        updateMediaLabel();
        saveSettings();
        emit mediaServerUrlChanged(mediaServerUrl());
    });
    connect(m_mediaServerLimit, &QSpinBox::valueChanged, this, [this] {
        saveSettings();
        emit mediaServerVideoLimitChanged(mediaServerVideoLimit());
    });
    connect(m_fitUnasked, &QCheckBox::toggled, this, [this](bool on) {
        saveSettings();
        emit makeFitCopiesUnaskedChanged(on);
    });
    connect(m_media->lineEdit(), &QLineEdit::editingFinished, this, [this] {
        const QString text = m_media->currentText().trimmed();
        if (m_media->findText(text) < 0 && !text.isEmpty())
            setMediaServerChoice(text);
    });
    connect(m_node->lineEdit(), &QLineEdit::editingFinished, this, [this] {
        const QString text = m_node->currentText().trimmed();
        if (m_node->findText(text) < 0 && !text.isEmpty())
            setCustomNodeUrl(text);
    });
    for (QRadioButton *b : {m_mainnet, m_testnet})
        connect(b, &QRadioButton::toggled, this, [this](bool on) {
            if (!on)
                return;
            saveSettings();
            if (!m_loadedKey.isNull())
                m_keyStatus->setText(tr("Signing as %1").arg(m_loadedKey.publicKey().toBase58Check(network())));
            updateJwtStatus();
            emit identityChanged();
        });
    for (QRadioButton *b : {m_modeTestKey, m_modeJwt})
        connect(b, &QRadioButton::toggled, this, [this](bool on) {
            if (!on)
                return;
            m_identityStack->setCurrentIndex(m_modeJwt->isChecked() ? 1 : 0);
            saveSettings();
            emit identityChanged();
        });
    connect(m_storage, &QComboBox::currentIndexChanged, this, [this] {
        saveSettings();
        openKeyStore();
    });
    connect(m_createKey, &QPushButton::clicked, this, [this] { createTestKey(m_newKeyName->text().trimmed()); });
    connect(m_newKeyName, &QLineEdit::returnPressed, m_createKey, &QPushButton::click);
    connect(m_deleteKey, &QPushButton::clicked, this, &NodeSettingsPanel::deleteSelectedTestKey);
    connect(m_keyList, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0)
            selectTestKey(m_keyList->item(row)->data(Qt::UserRole).toString());
    });
    connect(m_publicKey, &QLineEdit::textChanged, this, [this] {
        saveSettings();
        updateJwtStatus();
        emit identityChanged();
    });
    connect(m_jwt, &QPlainTextEdit::textChanged, this, [this] {
        updateJwtStatus();
        emit identityChanged();
    });
}

void NodeSettingsPanel::loadSettings()
{
    QSettings s;
    const QString preset = s.value(QStringLiteral("node/url"), kLocalPreset).toString();
    const QSignalBlocker block(m_node);
    if (preset == kLocalPreset) {
        m_node->setCurrentIndex(0);
    } else {
        int i = m_node->findData(preset);
        if (i < 0) {
            m_node->addItem(preset, preset);
            i = m_node->count() - 1;
        }
        m_node->setCurrentIndex(i);
    }
    {
        const QSignalBlocker blockMedia(m_media);
        const QString media = s.value(QStringLiteral("node/mediaServer"), kMediaAuto).toString();
        int i = m_media->findData(media);
        if (i < 0) {
            m_media->addItem(media, media);
            i = m_media->count() - 1;
        }
        m_media->setCurrentIndex(i);
    }
    {
        const QSignalBlocker blockLimit(m_mediaServerLimit);
        const QSignalBlocker blockUnasked(m_fitUnasked);
        m_mediaServerLimit->setValue(s.value(QStringLiteral("upload/mediaServerVideoMiB"),
                                             int(deso::upload::kDefaultMediaServerVideoBytes >> 20)).toInt());
        m_fitUnasked->setChecked(s.value(QStringLiteral("upload/makeFitCopiesUnasked"), false).toBool());
    }
    (s.value(QStringLiteral("node/network"), QStringLiteral("mainnet")).toString() == QLatin1String("testnet")
         ? m_testnet : m_mainnet)->setChecked(true);
    const bool jwtMode = s.value(QStringLiteral("identity/mode")).toString() == QLatin1String("jwt");
    (jwtMode ? m_modeJwt : m_modeTestKey)->setChecked(true);
    m_identityStack->setCurrentIndex(jwtMode ? 1 : 0);
    m_publicKey->setText(s.value(QStringLiteral("identity/publicKey")).toString());
    {
        const QSignalBlocker b(m_storage);
        m_storage->setCurrentIndex(s.value(QStringLiteral("identity/keyStorage")).toString() == QLatin1String("memory") ? 1 : 0);
    }
    updateNodeLabel();
    updateMediaLabel();
    updateJwtStatus();
    openKeyStore();
}

void NodeSettingsPanel::saveSettings() const
{
    QSettings s;
    s.setValue(QStringLiteral("node/url"), m_node->currentData().toString());
    s.setValue(QStringLiteral("node/mediaServer"), m_media->currentData().toString());
    s.setValue(QStringLiteral("upload/mediaServerVideoMiB"), m_mediaServerLimit->value());
    s.setValue(QStringLiteral("upload/makeFitCopiesUnasked"), m_fitUnasked->isChecked());
    s.setValue(QStringLiteral("node/network"), m_testnet->isChecked() ? QStringLiteral("testnet") : QStringLiteral("mainnet"));
    s.setValue(QStringLiteral("identity/mode"), m_modeJwt->isChecked() ? QStringLiteral("jwt") : QStringLiteral("testkey"));
    s.setValue(QStringLiteral("identity/publicKey"), m_publicKey->text().trimmed());
    s.setValue(QStringLiteral("identity/keyStorage"), keyStorage() == KeyStorage::Memory ? QStringLiteral("memory")
                                                                                         : QStringLiteral("keychain"));
    if (!m_loadedKeyName.isEmpty())
        s.setValue(QStringLiteral("identity/testKey"), m_loadedKeyName);
}

qint64 NodeSettingsPanel::mediaServerVideoLimit() const
{
    return qint64(m_mediaServerLimit->value()) << 20;
}

void NodeSettingsPanel::setMediaServerVideoLimit(qint64 bytes)
{
    m_mediaServerLimit->setValue(int(std::max<qint64>(1, bytes >> 20)));
}

bool NodeSettingsPanel::makesFitCopiesUnasked() const
{
    return m_fitUnasked->isChecked();
}

void NodeSettingsPanel::setMakeFitCopiesUnasked(bool on)
{
    m_fitUnasked->setChecked(on);
}

QUrl NodeSettingsPanel::nodeUrl() const
{
    if (usesLocalHost())
        return m_localHostUrl;
    return QUrl(m_node->currentData().toString());
}

QUrl NodeSettingsPanel::mediaServerUrl() const
{
    const QString choice = m_media->currentData().toString();
    if (choice == kMediaLegacy)
        return {};
    if (choice == kLocalPreset)
        return m_localHostUrl;
    if (choice == kMediaAuto) {
        // As current DeSo apps do: DeSo's own nodes send videos to DeSo's media server.
        const QString host = usesLocalHost() ? QString() : nodeUrl().host();
        return host == QLatin1String("deso.org") || host.endsWith(QLatin1String(".deso.org")) ? QUrl(kDeSoMediaServer) : QUrl();
    }
    return QUrl(choice);
}

void NodeSettingsPanel::setMediaServerChoice(const QString &choice)
{
    int i = m_media->findData(choice);
    if (i < 0) {
        const QUrl url = QUrl::fromUserInput(choice);
        if (!url.isValid() || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))) {
            emit message(tr("\"%1\" is not an http(s) URL.").arg(choice), true);
            return;
        }
        const QString clean = url.toString(QUrl::StripTrailingSlash);
        i = m_media->findData(clean);
        if (i < 0) {
            m_media->addItem(clean, clean);
            i = m_media->count() - 1;
        }
    }
    m_media->setCurrentIndex(i);
}

void NodeSettingsPanel::updateMediaLabel()
{
    const QUrl url = mediaServerUrl();
    if (url.isEmpty() && m_media->currentData().toString() == kLocalPreset)
        m_mediaEffective->setText(tr("The local host is stopped: start it in Local host."));
    else
        m_mediaEffective->setText(url.isEmpty() ? tr("Videos go to the node with tus (legacy).")
                                                : tr("Videos go to the media server %1").arg(url.toString()));
    setTone(m_mediaEffective, url.isEmpty() && m_media->currentData().toString() == kLocalPreset ? "warn" : "");
}

bool NodeSettingsPanel::usesLocalHost() const
{
    return m_node->currentData().toString() == kLocalPreset;
}

void NodeSettingsPanel::setUseLocalHost(bool on)
{
    if (on == usesLocalHost())
        return;
    if (on) {
        m_node->setCurrentIndex(0);
    } else {
        QSettings s;
        const QString last = s.value(QStringLiteral("node/lastRemote"), QStringLiteral("https://node.deso.org")).toString();
        const int i = m_node->findData(last);
        m_node->setCurrentIndex(i >= 0 ? i : 1);
    }
}

void NodeSettingsPanel::setCustomNodeUrl(const QString &text)
{
    const QUrl url = QUrl::fromUserInput(text);
    if (!url.isValid() || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))) {
        emit message(tr("\"%1\" is not an http(s) URL.").arg(text), true);
        return;
    }
    const QString clean = url.toString(QUrl::StripTrailingSlash);
    int i = m_node->findData(clean);
    if (i < 0) {
        m_node->addItem(clean, clean);
        i = m_node->count() - 1;
    }
    QSettings().setValue(QStringLiteral("node/lastRemote"), clean);
    m_node->setCurrentIndex(i);
}

void NodeSettingsPanel::setLocalHostUrl(const QUrl &url)
{
    m_localHostUrl = url;
    updateNodeLabel();
    updateMediaLabel();
    if (usesLocalHost())
        emit nodeUrlChanged(nodeUrl());
    if (m_media->currentData().toString() == kLocalPreset)
        emit mediaServerUrlChanged(mediaServerUrl());
}

void NodeSettingsPanel::updateNodeLabel()
{
    if (usesLocalHost()) {
        m_nodeEffective->setText(m_localHostUrl.isEmpty()
                                     ? tr("The local host is stopped: start it in Local host.")
                                     : tr("Uploads go to %1").arg(m_localHostUrl.toString()));
        setTone(m_nodeEffective, m_localHostUrl.isEmpty() ? "warn" : "ok");
    } else {
        m_nodeEffective->setText(tr("Uploads go to %1").arg(nodeUrl().toString()));
        setTone(m_nodeEffective, "");
        QSettings().setValue(QStringLiteral("node/lastRemote"), m_node->currentData().toString());
    }
}

Network NodeSettingsPanel::network() const
{
    return m_testnet->isChecked() ? Network::Testnet : Network::Mainnet;
}

void NodeSettingsPanel::setNetwork(Network n)
{
    (n == Network::Testnet ? m_testnet : m_mainnet)->setChecked(true);
}

NodeSettingsPanel::IdentityMode NodeSettingsPanel::identityMode() const
{
    return m_modeJwt->isChecked() ? IdentityMode::PastedJwt : IdentityMode::TestKey;
}

void NodeSettingsPanel::setIdentityMode(IdentityMode mode)
{
    (mode == IdentityMode::PastedJwt ? m_modeJwt : m_modeTestKey)->setChecked(true);
}

void NodeSettingsPanel::setPublicKey(const QString &key)
{
    m_publicKey->setText(key);
}

void NodeSettingsPanel::setJwt(const QString &jwt)
{
    m_jwt->setPlainText(jwt);
}

QString NodeSettingsPanel::jwtStatusText() const
{
    return m_jwtStatus->text();
}

NodeSettingsPanel::KeyStorage NodeSettingsPanel::keyStorage() const
{
    return m_storage->currentIndex() == 1 ? KeyStorage::Memory : KeyStorage::Keychain;
}

void NodeSettingsPanel::setKeyStorage(KeyStorage storage)
{
    m_storage->setCurrentIndex(storage == KeyStorage::Memory ? 1 : 0);
}

void NodeSettingsPanel::openKeyStore()
{
    m_loadedKey = {};
    m_loadedKeyName.clear();
    m_store = keyStorage() == KeyStorage::Memory ? TestKeyStore::inMemory() : TestKeyStore::keychain();
    m_storageInfo->setText(tr("Private keys go to: %1.").arg(m_store->description()));
    refreshKeys();
    const QString wanted = QSettings().value(QStringLiteral("identity/testKey")).toString();
    if (!wanted.isEmpty() && m_store->find(wanted))
        selectTestKey(wanted);
    else
        m_keyStatus->setText(m_keyList->count() == 0 ? tr("No test key yet: give it a name and press Create key.")
                                                     : tr("Select the key to sign with."));
    emit identityChanged();
}

void NodeSettingsPanel::refreshKeys()
{
    const QSignalBlocker block(m_keyList);
    m_keyList->clear();
    for (const TestKeyEntry &e : m_store->list()) {
        auto *item = new QListWidgetItem(QStringLiteral("%1 — %2 (%3)").arg(e.name, e.publicKeyBase58Check,
                                                                            networkName(e.network)));
        item->setData(Qt::UserRole, e.name);
        m_keyList->addItem(item);
        if (e.name == m_loadedKeyName)
            m_keyList->setCurrentItem(item);
    }
    m_deleteKey->setEnabled(m_keyList->count() > 0);
}

void NodeSettingsPanel::createTestKey(const QString &name)
{
    if (Status st = TestKeyStore::checkName(name); !st) {
        m_keyStatus->setText(st.error().message);
        setTone(m_keyStatus, "error");
        return;
    }
    m_keyStatus->setText(tr("Creating %1…").arg(name));
    setTone(m_keyStatus, "");
    const PrivateKey key = PrivateKey::generate();
    m_store->storeAsync(name, key, network(), [this, name](Status st) {
        if (!st) {
            m_keyStatus->setText(tr("Could not store the key: %1").arg(st.error().message));
            setTone(m_keyStatus, "error");
            emit message(m_keyStatus->text(), true);
            return;
        }
        m_newKeyName->clear();
        refreshKeys();
        selectTestKey(name);
    });
}

void NodeSettingsPanel::selectTestKey(const QString &name)
{
    m_loadedKey = {};
    m_loadedKeyName = name;
    m_loading = true;
    for (int i = 0; i < m_keyList->count(); ++i)
        if (m_keyList->item(i)->data(Qt::UserRole).toString() == name) {
            const QSignalBlocker block(m_keyList);
            m_keyList->setCurrentRow(i);
        }
    m_keyStatus->setText(tr("Loading %1 from %2…").arg(name, m_store->description()));
    setTone(m_keyStatus, "");
    m_store->loadAsync(name, [this, name](deso::Result<PrivateKey> key) {
        if (name != m_loadedKeyName)
            return;  // another key was chosen meanwhile
        m_loading = false;
        if (!key) {
            m_keyStatus->setText(tr("Cannot load %1: %2").arg(name, key.error().message));
            setTone(m_keyStatus, "error");
            emit message(m_keyStatus->text(), true);
            return;
        }
        m_loadedKey = key.value();
        saveSettings();
        m_keyStatus->setText(tr("Signing as %1 with key \"%2\"; each upload gets a fresh 30-minute JWT.")
                                 .arg(m_loadedKey.publicKey().toBase58Check(network()), name));
        setTone(m_keyStatus, "ok");
        emit identityChanged();
    });
}

void NodeSettingsPanel::deleteSelectedTestKey()
{
    QListWidgetItem *item = m_keyList->currentItem();
    if (!item)
        return;
    const QString name = item->data(Qt::UserRole).toString();
    m_store->removeAsync(name, [this, name](Status st) {
        if (!st) {
            m_keyStatus->setText(tr("Could not delete %1: %2").arg(name, st.error().message));
            setTone(m_keyStatus, "error");
            return;
        }
        if (m_loadedKeyName == name) {
            m_loadedKey = {};
            m_loadedKeyName.clear();
            QSettings().remove(QStringLiteral("identity/testKey"));
        }
        refreshKeys();
        m_keyStatus->setText(tr("Deleted %1.").arg(name));
        setTone(m_keyStatus, "");
        emit identityChanged();
    });
}

void NodeSettingsPanel::ensureTestKey()
{
    if (identityMode() != IdentityMode::TestKey || !m_loadedKeyName.isEmpty() || !m_store->list().isEmpty())
        return;
    createTestKey(QStringLiteral("local-default"));
}

QString NodeSettingsPanel::selectedTestKey() const
{
    return m_loadedKeyName;
}

void NodeSettingsPanel::updateJwtStatus()
{
    const QString key = m_publicKey->text().trimmed();
    if (key.isEmpty()) {
        m_publicKeyStatus->clear();
    } else if (auto pk = PublicKey::fromBase58Check(key); !pk) {
        m_publicKeyStatus->setText(pk.error().message);
        setTone(m_publicKeyStatus, "error");
    } else {
        m_publicKeyStatus->setText(tr("A valid public key."));
        setTone(m_publicKeyStatus, "ok");
    }

    const QString jwt = m_jwt->toPlainText().trimmed();
    if (jwt.isEmpty()) {
        m_jwtStatus->setText(tr("No JWT pasted."));
        setTone(m_jwtStatus, "");
        return;
    }
    if (key.isEmpty()) {
        m_jwtStatus->setText(tr("Enter the public key that signed this JWT to check it."));
        setTone(m_jwtStatus, "warn");
        return;
    }
    const auto claims = verifyJwt(jwt, key, JwtVerifyOptions{QDateTime::currentSecsSinceEpoch(), 0, nullptr});
    if (!claims) {
        m_jwtStatus->setText(claims.error().message);
        setTone(m_jwtStatus, "error");
        return;
    }
    const qint64 left = claims->exp - QDateTime::currentSecsSinceEpoch();
    const QString at = QDateTime::fromSecsSinceEpoch(claims->exp).toString(QStringLiteral("HH:mm:ss"));
    if (left <= kJwtWarnSeconds) {
        m_jwtStatus->setText(tr("Expires in %1 (at %2): paste a fresh JWT soon.").arg(countdown(left), at));
        if (m_jwtStatus->property("tone").toString() != QLatin1String("warn"))
            emit message(tr("The pasted JWT expires in %1.").arg(countdown(left)), false);
        setTone(m_jwtStatus, "warn");
    } else {
        m_jwtStatus->setText(tr("Valid for %1 (until %2).").arg(countdown(left), at));
        setTone(m_jwtStatus, "ok");
    }
}

deso::Result<deso::upload::Credentials> NodeSettingsPanel::credentials() const
{
    if (identityMode() == IdentityMode::TestKey) {
        if (m_loadedKey.isNull())
            return deso::Error(QStringLiteral("identity.no_key"),
                               m_loading ? tr("The test key is still loading; try again in a moment.")
                                         : tr("No test key is selected: create or select one in Node & identity."));
        return deso::upload::signWithKey(m_loadedKey, m_loadedKey.publicKey().toBase58Check(network()));
    }
    return deso::upload::checkPasted(m_publicKey->text(), m_jwt->toPlainText());
}
