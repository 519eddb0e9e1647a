#include "identity/keystore.h"

#include <qt6keychain/keychain.h>

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSettings>
#include <QTimer>

#include <memory>
#include <optional>

namespace deso::identity {

namespace {

constexpr auto kIndexGroup = "identity/testKeys";
constexpr auto kFileFormat = "deso-media-companion-test-keys";
constexpr qint64 kMaxFileSize = 1 << 20;

Error storeError(const QString &code, const QString &message)
{
    return Error(QStringLiteral("keystore.") + code, message);
}

Error notFound(const QString &name)
{
    return storeError(QStringLiteral("not_found"), QStringLiteral("There is no test key named \"%1\".").arg(name));
}

Error alreadyExists(const QString &name)
{
    return storeError(QStringLiteral("exists"),
                      QStringLiteral("A test key named \"%1\" already exists; remove it first or pick another name.")
                          .arg(name));
}

// QtKeychain often reports just "Unknown error"; add what we can tell the user.
QString keychainDetail(const QKeychain::Job &job)
{
    QStringList parts;
    if (job.error() == QKeychain::NoBackendAvailable)
        parts << QStringLiteral("no keychain backend found");
    const QString said = job.errorString();
    if (!said.isEmpty() && said.compare(QLatin1String("Unknown error"), Qt::CaseInsensitive) != 0)
        parts << said;
#if defined(Q_OS_UNIX) && !defined(Q_OS_DARWIN)
    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
        parts << QStringLiteral("no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set");
#endif
    if (parts.isEmpty()) {
#if defined(Q_OS_UNIX) && !defined(Q_OS_DARWIN)
        parts << QStringLiteral("no Secret Service or KWallet answered on the D-Bus session bus");
#else
        parts << QStringLiteral("QtKeychain error %1").arg(int(job.error()));
#endif
    }
    return parts.join(QLatin1String("; "));
}

Error keychainError(const QKeychain::Job &job)
{
    switch (job.error()) {
    case QKeychain::EntryNotFound:
        return notFound(job.key());
    case QKeychain::AccessDenied:
    case QKeychain::AccessDeniedByUser:
        return storeError(QStringLiteral("access_denied"),
                          QStringLiteral("The OS keychain refused access to the test key \"%1\" (%2).")
                              .arg(job.key(), job.errorString()));
    case QKeychain::CouldNotDeleteEntry:
        return storeError(QStringLiteral("delete_failed"),
                          QStringLiteral("The OS keychain could not delete the test key \"%1\" (%2).")
                              .arg(job.key(), job.errorString()));
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
    case QKeychain::OtherError:
    default:
        return storeError(QStringLiteral("keychain_unavailable"),
                          QStringLiteral("No usable OS keychain service (%1). Start one (e.g. gnome-keyring "
                                         "or KWallet on the D-Bus session bus of a desktop session), or choose a fallback explicitly: "
                                         "--key-store memory (this run only) or --key-store file:PATH "
                                         "(plain text, for testing only).")
                              .arg(keychainDetail(job)));
    }
}

std::optional<Network> parseNetwork(const QString &s)
{
    if (s == QLatin1String("mainnet"))
        return Network::Mainnet;
    if (s == QLatin1String("testnet"))
        return Network::Testnet;
    return std::nullopt;
}

} // namespace

TestKeyStore::TestKeyStore(KeyStoreBackend backend) : m_backend(backend) {}

TestKeyStore::~TestKeyStore() = default;

QString TestKeyStore::defaultKeychainService()
{
    return QStringLiteral("DeSo Media Companion test keys");
}

std::unique_ptr<TestKeyStore> TestKeyStore::keychain(const QString &settingsFile, const QString &keychainService)
{
    std::unique_ptr<TestKeyStore> store(new TestKeyStore(KeyStoreBackend::Keychain));
    store->m_service = keychainService;
    store->m_settings = settingsFile.isEmpty() ? std::make_unique<QSettings>()
                                               : std::make_unique<QSettings>(settingsFile, QSettings::IniFormat);
    return store;
}

std::unique_ptr<TestKeyStore> TestKeyStore::inMemory()
{
    return std::unique_ptr<TestKeyStore>(new TestKeyStore(KeyStoreBackend::Memory));
}

Result<std::unique_ptr<TestKeyStore>> TestKeyStore::inFile(const QString &path)
{
    if (path.isEmpty())
        return storeError(QStringLiteral("file_path"), QStringLiteral("No path was given for the test key file."));
    std::unique_ptr<TestKeyStore> store(new TestKeyStore(KeyStoreBackend::File));
    store->m_path = QFileInfo(path).absoluteFilePath();
    if (!QFileInfo(store->m_path).absoluteDir().exists())
        return storeError(QStringLiteral("file_path"),
                          QStringLiteral("The folder for the test key file %1 does not exist.").arg(store->m_path));
    // Validate an existing file now, so a bad file is reported before any work.
    Result<QMap<QString, Secret>> existing = store->readFile();
    if (!existing)
        return existing.error();
    return store;
}

Result<std::unique_ptr<TestKeyStore>> TestKeyStore::fromSpec(const QString &spec)
{
    if (spec == QLatin1String("keychain"))
        return keychain();
    if (spec == QLatin1String("memory"))
        return inMemory();
    if (spec.startsWith(QLatin1String("file:")))
        return inFile(spec.mid(5));
    return storeError(QStringLiteral("spec"),
                      QStringLiteral("Unknown key store \"%1\"; use keychain, memory or file:PATH.").arg(spec));
}

QString TestKeyStore::description() const
{
    switch (m_backend) {
    case KeyStoreBackend::Keychain:
        return QStringLiteral("OS keychain (service \"%1\")").arg(m_service);
    case KeyStoreBackend::Memory:
        return QStringLiteral("memory (keys are lost when the program exits)");
    case KeyStoreBackend::File:
        return QStringLiteral("file %1 (plain text, for testing only)").arg(m_path);
    }
    return {};
}

Status TestKeyStore::checkName(const QString &name)
{
    static const QRegularExpression valid(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    if (!valid.match(name).hasMatch())
        return storeError(QStringLiteral("name"),
                          QStringLiteral("\"%1\" is not a valid test key name; use 1 to 64 of A-Z a-z 0-9 . _ -")
                              .arg(name.left(80)));
    return {};
}

// ---------------------------------------------------------------- listing

QList<TestKeyEntry> TestKeyStore::list() const
{
    QList<TestKeyEntry> out;
    switch (m_backend) {
    case KeyStoreBackend::Keychain: {
        m_settings->beginGroup(QLatin1String(kIndexGroup));
        const QStringList names = m_settings->childGroups();
        for (const QString &name : names) {
            const auto network = parseNetwork(m_settings->value(name + QLatin1String("/network")).toString());
            const QString pub = m_settings->value(name + QLatin1String("/publicKey")).toString();
            if (network && !pub.isEmpty())
                out.append({name, pub, *network});
        }
        m_settings->endGroup();
        break;
    }
    case KeyStoreBackend::Memory:
        for (const Secret &s : m_memory)
            out.append(s.entry);
        break;
    case KeyStoreBackend::File: {
        Result<QMap<QString, Secret>> secrets = readFile();
        if (secrets) {
            for (const Secret &s : secrets.value())
                out.append(s.entry);
        }
        break;
    }
    }
    std::sort(out.begin(), out.end(), [](const TestKeyEntry &a, const TestKeyEntry &b) { return a.name < b.name; });
    return out;
}

Result<TestKeyEntry> TestKeyStore::find(const QString &name) const
{
    for (const TestKeyEntry &e : list()) {
        if (e.name == name)
            return e;
    }
    return notFound(name);
}

void TestKeyStore::writeIndex(const TestKeyEntry &entry)
{
    m_settings->beginGroup(QLatin1String(kIndexGroup) + QLatin1Char('/') + entry.name);
    m_settings->setValue(QStringLiteral("publicKey"), entry.publicKeyBase58Check);
    m_settings->setValue(QStringLiteral("network"), networkName(entry.network));
    m_settings->endGroup();
    m_settings->sync();
}

void TestKeyStore::removeIndex(const QString &name)
{
    m_settings->remove(QLatin1String(kIndexGroup) + QLatin1Char('/') + name);
    m_settings->sync();
}

// ---------------------------------------------------------------- async API

namespace {

template <typename JobType>
JobType *newJob(const QString &service, const QString &name, QObject *parent)
{
    auto *job = new JobType(service, parent);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);  // never let QtKeychain put a secret in plain settings
    job->setKey(name);
    return job;
}

} // namespace

void TestKeyStore::storeAsync(const QString &name, const PrivateKey &key, Network network, StatusCallback done)
{
    auto finish = [this, done](Status st) {
        QTimer::singleShot(0, this, [done, st] { done(st); });
    };
    if (Status st = checkName(name); !st)
        return finish(st);
    if (key.isNull())
        return finish(storeError(QStringLiteral("empty_key"), QStringLiteral("There is no private key to store.")));
    if (m_backend != KeyStoreBackend::Keychain)
        return finish(storeLocal(name, key, network));
    if (find(name))
        return finish(alreadyExists(name));

    // The keychain may hold this name even when our index does not (settings reset):
    // look first, so that a key is never overwritten.
    const TestKeyEntry entry{name, key.publicKey().toBase58Check(network), network};
    const QString secret = key.toBase58Check(network);
    auto *probe = newJob<QKeychain::ReadPasswordJob>(m_service, name, this);
    connect(probe, &QKeychain::Job::finished, this, [this, entry, secret, done](QKeychain::Job *p) {
        if (p->error() == QKeychain::NoError)
            return done(alreadyExists(entry.name));
        if (p->error() != QKeychain::EntryNotFound)
            return done(keychainError(*p));
        auto *write = newJob<QKeychain::WritePasswordJob>(m_service, entry.name, this);
        write->setTextData(secret);
        connect(write, &QKeychain::Job::finished, this, [this, entry, done](QKeychain::Job *w) {
            if (w->error() != QKeychain::NoError)
                return done(keychainError(*w));
            writeIndex(entry);
            done(Status());
        });
        write->start();
    });
    probe->start();
}

void TestKeyStore::loadAsync(const QString &name, KeyCallback done)
{
    auto finish = [this, done](Result<PrivateKey> r) {
        QTimer::singleShot(0, this, [done, r] { done(r); });
    };
    if (Status st = checkName(name); !st)
        return finish(st.error());
    if (m_backend != KeyStoreBackend::Keychain)
        return finish(loadLocal(name));

    auto *job = newJob<QKeychain::ReadPasswordJob>(m_service, name, this);
    connect(job, &QKeychain::Job::finished, this, [done](QKeychain::Job *j) {
        if (j->error() != QKeychain::NoError)
            return done(keychainError(*j));
        Result<PrivateKey> key = PrivateKey::fromBase58Check(static_cast<QKeychain::ReadPasswordJob *>(j)->textData());
        if (!key)
            return done(storeError(QStringLiteral("corrupt"),
                                   QStringLiteral("The keychain entry \"%1\" is not a DeSo private key.").arg(j->key())));
        done(key);
    });
    job->start();
}

void TestKeyStore::removeAsync(const QString &name, StatusCallback done)
{
    auto finish = [this, done](Status st) {
        QTimer::singleShot(0, this, [done, st] { done(st); });
    };
    if (Status st = checkName(name); !st)
        return finish(st);
    if (m_backend != KeyStoreBackend::Keychain)
        return finish(removeLocal(name));

    // Look first: some keychains (Secret Service) report success when deleting nothing.
    auto *probe = newJob<QKeychain::ReadPasswordJob>(m_service, name, this);
    connect(probe, &QKeychain::Job::finished, this, [this, name, done](QKeychain::Job *p) {
        const bool listed = bool(find(name));
        if (p->error() == QKeychain::EntryNotFound) {
            // A secret deleted elsewhere still leaves a stale index entry to clean up.
            removeIndex(name);
            return done(listed ? Status() : Status(notFound(name)));
        }
        if (p->error() != QKeychain::NoError)
            return done(keychainError(*p));
        auto *job = newJob<QKeychain::DeletePasswordJob>(m_service, name, this);
        connect(job, &QKeychain::Job::finished, this, [this, name, done](QKeychain::Job *j) {
            if (j->error() != QKeychain::NoError && j->error() != QKeychain::EntryNotFound)
                return done(keychainError(*j));
            removeIndex(name);
            done(Status());
        });
        job->start();
    });
    probe->start();
}

// ---------------------------------------------------------------- blocking API

namespace {

// Runs an asynchronous keychain operation to completion on a local event loop,
// bounded by timeoutMs (a locked keychain may be waiting for the user).
template <typename R, typename Start>
R waitFor(int timeoutMs, Start start)
{
    // Shared with the callback: after a timeout it may still fire, and must not touch this frame.
    auto result = std::make_shared<std::optional<R>>();
    QEventLoop loop;
    QPointer<QEventLoop> guard(&loop);
    start([result, guard](R r) {
        *result = std::move(r);
        if (guard)
            guard->quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (!result->has_value())
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    if (!result->has_value())
        return storeError(QStringLiteral("keychain_timeout"),
                          QStringLiteral("The OS keychain did not answer within %1 seconds.").arg(timeoutMs / 1000));
    return std::move(**result);
}

} // namespace

Status TestKeyStore::store(const QString &name, const PrivateKey &key, Network network)
{
    if (m_backend != KeyStoreBackend::Keychain) {
        if (Status st = checkName(name); !st)
            return st;
        if (key.isNull())
            return storeError(QStringLiteral("empty_key"), QStringLiteral("There is no private key to store."));
        return storeLocal(name, key, network);
    }
    return waitFor<Status>(m_timeoutMs, [&](StatusCallback done) { storeAsync(name, key, network, done); });
}

Result<PrivateKey> TestKeyStore::load(const QString &name)
{
    if (m_backend != KeyStoreBackend::Keychain) {
        if (Status st = checkName(name); !st)
            return st.error();
        return loadLocal(name);
    }
    return waitFor<Result<PrivateKey>>(m_timeoutMs, [&](KeyCallback done) { loadAsync(name, done); });
}

Status TestKeyStore::remove(const QString &name)
{
    if (m_backend != KeyStoreBackend::Keychain) {
        if (Status st = checkName(name); !st)
            return st;
        return removeLocal(name);
    }
    return waitFor<Status>(m_timeoutMs, [&](StatusCallback done) { removeAsync(name, done); });
}

Result<TestKeyEntry> TestKeyStore::create(const QString &name, Network network)
{
    const PrivateKey key = PrivateKey::generate();
    if (Status st = store(name, key, network); !st)
        return st.error();
    return TestKeyEntry{name, key.publicKey().toBase58Check(network), network};
}

// ---------------------------------------------------------------- memory and file backends

Status TestKeyStore::storeLocal(const QString &name, const PrivateKey &key, Network network)
{
    Secret secret{{name, key.publicKey().toBase58Check(network), network}, key.toBase58Check(network)};
    if (m_backend == KeyStoreBackend::Memory) {
        if (m_memory.contains(name))
            return alreadyExists(name);
        m_memory.insert(name, secret);
        return {};
    }
    Result<QMap<QString, Secret>> secrets = readFile();
    if (!secrets)
        return secrets.error();
    if (secrets->contains(name))
        return alreadyExists(name);
    secrets->insert(name, secret);
    return writeFile(secrets.value());
}

Result<PrivateKey> TestKeyStore::loadLocal(const QString &name)
{
    QString text;
    if (m_backend == KeyStoreBackend::Memory) {
        if (!m_memory.contains(name))
            return notFound(name);
        text = m_memory.value(name).privateKeyBase58Check;
    } else {
        Result<QMap<QString, Secret>> secrets = readFile();
        if (!secrets)
            return secrets.error();
        if (!secrets->contains(name))
            return notFound(name);
        text = secrets->value(name).privateKeyBase58Check;
    }
    return PrivateKey::fromBase58Check(text);
}

Status TestKeyStore::removeLocal(const QString &name)
{
    if (m_backend == KeyStoreBackend::Memory) {
        return m_memory.remove(name) ? Status() : Status(notFound(name));
    }
    Result<QMap<QString, Secret>> secrets = readFile();
    if (!secrets)
        return secrets.error();
    if (!secrets->remove(name))
        return notFound(name);
    return writeFile(secrets.value());
}

Result<QMap<QString, TestKeyStore::Secret>> TestKeyStore::readFile() const
{
    QMap<QString, Secret> out;
    QFile file(m_path);
    if (!file.exists())
        return out;
    const QFileDevice::Permissions others = QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup
        | QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther;
    if (file.permissions() & others)
        return storeError(QStringLiteral("file_permissions"),
                          QStringLiteral("The test key file %1 is accessible by other users; "
                                         "restrict it with chmod 600 first.")
                              .arg(m_path));
    if (!file.open(QIODevice::ReadOnly))
        return storeError(QStringLiteral("file_read"),
                          QStringLiteral("Cannot read the test key file %1: %2.").arg(m_path, file.errorString()));
    if (file.size() > kMaxFileSize)
        return storeError(QStringLiteral("file_format"),
                          QStringLiteral("The test key file %1 is too large to be a test key file.").arg(m_path));
    const QByteArray data = file.readAll();
    const QJsonDocument doc = QJsonDocument::fromJson(data);
    const QJsonObject root = doc.object();
    if (!doc.isObject() || root.value(QStringLiteral("format")).toString() != QLatin1String(kFileFormat))
        return storeError(QStringLiteral("file_format"),
                          QStringLiteral("%1 is not a DeSo Media Companion test key file.").arg(m_path));
    const QJsonObject keys = root.value(QStringLiteral("keys")).toObject();
    for (auto it = keys.begin(); it != keys.end(); ++it) {
        const QJsonObject o = it.value().toObject();
        Result<PrivateKey> key = PrivateKey::fromBase58Check(o.value(QStringLiteral("privateKey")).toString());
        const auto network = parseNetwork(o.value(QStringLiteral("network")).toString());
        if (!checkName(it.key()) || !key || !network)
            return storeError(QStringLiteral("file_format"),
                              QStringLiteral("The entry \"%1\" in the test key file %2 is damaged.")
                                  .arg(it.key().left(80), m_path));
        out.insert(it.key(),
                   Secret{{it.key(), key->publicKey().toBase58Check(*network), *network},
                          o.value(QStringLiteral("privateKey")).toString()});
    }
    return out;
}

Status TestKeyStore::writeFile(const QMap<QString, Secret> &secrets) const
{
    QJsonObject keys;
    for (const Secret &s : secrets) {
        keys.insert(s.entry.name, QJsonObject{{QStringLiteral("network"), networkName(s.entry.network)},
                                              {QStringLiteral("publicKey"), s.entry.publicKeyBase58Check},
                                              {QStringLiteral("privateKey"), s.privateKeyBase58Check}});
    }
    const QJsonObject root{
        {QStringLiteral("format"), QLatin1String(kFileFormat)},
        {QStringLiteral("version"), 1},
        {QStringLiteral("warning"), QStringLiteral("Plain-text private keys, for testing only. Never put real funds behind them.")},
        {QStringLiteral("keys"), keys}};
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly))
        return storeError(QStringLiteral("file_write"),
                          QStringLiteral("Cannot write the test key file %1: %2.").arg(m_path, file.errorString()));
    // Restrict the temporary file before any secret is written to it; rename keeps the mode.
    if (!file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        file.cancelWriting();
        return storeError(QStringLiteral("file_write"),
                          QStringLiteral("Cannot restrict the permissions of the test key file %1.").arg(m_path));
    }
    file.write(QJsonDocument(root).toJson(QJsonDocument::Indented));
    if (!file.commit())
        return storeError(QStringLiteral("file_write"),
                          QStringLiteral("Cannot write the test key file %1: %2.").arg(m_path, file.errorString()));
    return {};
}

} // namespace deso::identity
