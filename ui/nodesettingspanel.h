#pragma once
// Node and identity settings: which node the client talks to (presets: this app's
// local host, node.deso.org, test.deso.org, or a custom URL), the network, and who
// signs uploads: a pasted public key + JWT (with an expiry countdown) or a local test
// key from core/identity's TestKeyStore (private keys stay in the OS keychain).
// The JWT is kept in memory only; everything else is remembered in QSettings.

#include "common/result.h"
#include "identity/keys.h"
#include "upload/credentials.h"

#include <QUrl>
#include <QWidget>

#include <memory>

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QStackedWidget;
class QTimer;

namespace deso::identity {
class TestKeyStore;
}

class NodeSettingsPanel : public QWidget {
    Q_OBJECT
public:
    enum class IdentityMode { TestKey, PastedJwt };
    enum class KeyStorage { Keychain, Memory };

    explicit NodeSettingsPanel(QWidget *parent = nullptr);
    ~NodeSettingsPanel() override;

    // The node the client uses. With the local-host preset this is the host's URL, or
    // an invalid URL while the host is not running.
    QUrl nodeUrl() const;
    bool usesLocalHost() const;
    void setUseLocalHost(bool on);
    void setCustomNodeUrl(const QString &url);
    void setLocalHostUrl(const QUrl &url);  // from the host panel; empty when stopped
    // Where videos go with the media-server contract of current DeSo apps, or an empty
    // URL for the node's tus flow (legacy). Automatic: https://media.deso.org for DeSo's
    // nodes, the node's tus flow otherwise; or this app's host, or any URL.
    QUrl mediaServerUrl() const;
    void setMediaServerChoice(const QString &choice); // "auto", "legacy", "local" or a URL
    deso::identity::Network network() const;
    void setNetwork(deso::identity::Network network);

    IdentityMode identityMode() const;
    void setIdentityMode(IdentityMode mode);
    void setPublicKey(const QString &key);
    void setJwt(const QString &jwt);
    QString jwtStatusText() const;

    KeyStorage keyStorage() const;
    void setKeyStorage(KeyStorage storage);
    // Creates a test key and selects it once stored (asynchronous: the keychain may ask).
    void createTestKey(const QString &name);
    void selectTestKey(const QString &name);
    void deleteSelectedTestKey();
    // First run: with test keys chosen and none stored yet, creates "local-default" so
    // image uploads to the app's own host work at once (the keychain may refuse; that
    // error is shown, nothing falls back silently).
    void ensureTestKey();
    QString selectedTestKey() const;
    bool hasLoadedTestKey() const { return !m_loadedKey.isNull(); }
    QListWidget *testKeyList() const { return m_keyList; }

    // The media server's video limit (bytes, whole MiB; default core's 65 MiB): a video
    // over it, sent to a media server, gets the offer of a copy that fits.
    qint64 mediaServerVideoLimit() const;
    void setMediaServerVideoLimit(qint64 bytes);
    // On: that copy is made unasked when the upload starts. Off (default): offered.
    bool makesFitCopiesUnasked() const;
    void setMakeFitCopiesUnasked(bool on);

    // What an image upload signs with right now, or why there is nothing.
    deso::Result<deso::upload::Credentials> credentials() const;

signals:
    void nodeUrlChanged(const QUrl &url);
    void mediaServerUrlChanged(const QUrl &url);
    void useLocalHostChanged(bool on);
    void identityChanged();
    void mediaServerVideoLimitChanged(qint64 bytes);
    void makeFitCopiesUnaskedChanged(bool on);
    void message(const QString &text, bool isError);

private:
    void buildUi();
    void loadSettings();
    void saveSettings() const;
    void refreshKeys();
    void updateJwtStatus();
    void updateNodeLabel();
    void updateMediaLabel();
    void openKeyStore();

    QComboBox *m_node;
    QLabel *m_nodeEffective;
    QComboBox *m_media;
    QLabel *m_mediaEffective;
    QSpinBox *m_mediaServerLimit; // MiB
    QCheckBox *m_fitUnasked;
    QRadioButton *m_mainnet;
    QRadioButton *m_testnet;
    QRadioButton *m_modeTestKey;
    QRadioButton *m_modeJwt;
    QStackedWidget *m_identityStack;
    QComboBox *m_storage;
    QLabel *m_storageInfo;
    QListWidget *m_keyList;
    QLineEdit *m_newKeyName;
    QPushButton *m_createKey;
    QPushButton *m_deleteKey;
    QLabel *m_keyStatus;
    QLineEdit *m_publicKey;
    QLabel *m_publicKeyStatus;
    QPlainTextEdit *m_jwt;
    QLabel *m_jwtStatus;
    QTimer *m_countdown;
    QUrl m_localHostUrl;
    std::unique_ptr<deso::identity::TestKeyStore> m_store;
    deso::identity::PrivateKey m_loadedKey;  // the selected test key, in memory while selected
    QString m_loadedKeyName;
    bool m_loading = false;
};
