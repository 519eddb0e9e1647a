// deso-media's test-key commands (--create-test-key, --sign-jwt, --verify-jwt, ...),
// run as real processes; the tokens they print are checked with core/identity.
#include "identity/jwt.h"
#include "processrun.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace deso;
using namespace deso::identity;

class TestTestKeysCli : public QObject {
    Q_OBJECT

    using Run = testcommon::ProcessRun;

    static Run run(const QStringList &args)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        // Never reach a developer's real keychain from a test.
        env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), QStringLiteral("unix:path=/nonexistent/deso-media-test-bus"));
        return testcommon::runProcess(QStringLiteral(DESO_MEDIA_BIN), args, env);
    }

private slots:
    void memoryStoreCreatesAndSignsInOneRun()
    {
        const Run r = run({QStringLiteral("--key-store"), QStringLiteral("memory"), QStringLiteral("--create-test-key"),
                           QStringLiteral("alice"), QStringLiteral("--key-network"), QStringLiteral("testnet"),
                           QStringLiteral("--sign-jwt"), QStringLiteral("alice")});
        QCOMPARE(r.exitCode, 0);
        const QStringList lines = r.out.trimmed().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 2);
        const QStringList entry = lines[0].split(QLatin1Char('\t'));
        QCOMPARE(entry.size(), 3);
        QCOMPARE(entry[0], QStringLiteral("alice"));
        QCOMPARE(entry[1], QStringLiteral("testnet"));
        QVERIFY(entry[2].startsWith(QLatin1String("tBCK")));
        Result<JwtClaims> c = verifyJwt(lines[1], entry[2]);
        QVERIFY2(c.ok(), c.ok() ? "" : qPrintable(c.error().toString()));
        QCOMPARE(c->exp - c->iat, 1800);
        QVERIFY(r.err.contains(QLatin1String("memory")));

        // The host-side check in the executable agrees, and refuses a tampered token.
        const Run ok = run({QStringLiteral("--verify-jwt"), lines[1], QStringLiteral("--jwt-public-key"), entry[2]});
        QCOMPARE(ok.exitCode, 0);
        QVERIFY(ok.out.startsWith(QLatin1String("valid:")));
        QString tampered = lines[1];
        tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');
        const Run bad = run({QStringLiteral("--verify-jwt"), tampered, QStringLiteral("--jwt-public-key"), entry[2]});
        QCOMPARE(bad.exitCode, 1);
        const QJsonObject body = QJsonDocument::fromJson(bad.out.toUtf8()).object();
        QVERIFY2(!body.value(QStringLiteral("error")).toString().isEmpty(), qPrintable(bad.out));
        QVERIFY(bad.err.contains(QLatin1String("(jwt.")));
    }

    void fileStorePersistsAcrossRunsAndNeverPrintsPrivateKeys()
    {
        QTemporaryDir dir;
        const QString spec = QStringLiteral("file:") + dir.filePath(QStringLiteral("keys.json"));
        const Run created = run({QStringLiteral("--key-store"), spec, QStringLiteral("--create-test-key"), QStringLiteral("bob")});
        QCOMPARE(created.exitCode, 0);
        const QString pub = created.out.trimmed().split(QLatin1Char('\t')).value(2);
        QVERIFY(pub.startsWith(QLatin1String("BC1YL")));
        QVERIFY(created.err.contains(QLatin1String("plain text")));

        const Run signedRun = run({QStringLiteral("--key-store"), spec, QStringLiteral("--sign-jwt"), QStringLiteral("bob"),
                                   QStringLiteral("--list-test-keys")});
        QCOMPARE(signedRun.exitCode, 0);
        const QStringList lines = signedRun.out.trimmed().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 2);
        QVERIFY(verifyJwt(lines[0], pub).ok());
        QCOMPARE(lines[1], QStringLiteral("bob\tmainnet\t") + pub);

        // The private key is in the file only, never on stdout or stderr.
        QFile f(dir.filePath(QStringLiteral("keys.json")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString priv = QJsonDocument::fromJson(f.readAll())
                                 .object()
                                 .value(QStringLiteral("keys"))
                                 .toObject()
                                 .value(QStringLiteral("bob"))
                                 .toObject()
                                 .value(QStringLiteral("privateKey"))
                                 .toString();
        QVERIFY(!priv.isEmpty());
        for (const Run &r : {created, signedRun}) {
            QVERIFY(!r.out.contains(priv));
            QVERIFY(!r.err.contains(priv));
        }

        const Run deleted = run({QStringLiteral("--key-store"), spec, QStringLiteral("--delete-test-key"), QStringLiteral("bob"),
                                 QStringLiteral("--list-test-keys")});
        QCOMPARE(deleted.exitCode, 0);
        QVERIFY(deleted.out.trimmed().isEmpty());
        const Run gone = run({QStringLiteral("--key-store"), spec, QStringLiteral("--sign-jwt"), QStringLiteral("bob")});
        QCOMPARE(gone.exitCode, 2);
        QVERIFY(gone.err.contains(QLatin1String("keystore.not_found")));
    }

    void keychainIsTheDefaultAndFailsClearlyHere()
    {
        const Run r = run({QStringLiteral("--create-test-key"), QStringLiteral("carol")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QLatin1String("keystore.keychain_unavailable")), qPrintable(r.err));
        QVERIFY(r.err.contains(QLatin1String("--key-store memory")));
        QVERIFY(r.out.isEmpty());
    }

    void badOptionsAreUsageErrors()
    {
        Run r = run({QStringLiteral("--key-store"), QStringLiteral("vault"), QStringLiteral("--list-test-keys")});
        QCOMPARE(r.exitCode, 64);
        QVERIFY(r.err.contains(QLatin1String("keystore.spec")));
        r = run({QStringLiteral("--key-store"), QStringLiteral("memory"), QStringLiteral("--key-network"),
                 QStringLiteral("regtest"), QStringLiteral("--create-test-key"), QStringLiteral("x")});
        QCOMPARE(r.exitCode, 64);
        r = run({QStringLiteral("--verify-jwt"), QStringLiteral("a.b.c")});
        QCOMPARE(r.exitCode, 1);
    }
};

QTEST_GUILESS_MAIN(TestTestKeysCli)
#include "tst_testkeys_cli.moc"
