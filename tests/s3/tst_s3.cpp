// The S3 client (core/s3): SigV4 against AWS's published vectors, credentials resolution,
// and every operation against a real s3rver whose launcher checks SigV4 with AWS's own
// JavaScript signer (tests/common/s3rverprocess.h says what s3rver supports).

#include "s3/s3client.h"
#include "s3/s3credentials.h"
#include "s3/sigv4signer.h"

#include "cuttingproxy.h"
#include "eventwait.h"
#include "s3rverprocess.h"
#include "testfiles.h"

#include <QCoreApplication>
#include <QDebug>
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QBuffer>
#include <QProcess>
#include <QtConcurrent>

using namespace deso;
using namespace deso::s3;

namespace {

constexpr qint64 MiB = 1024 * 1024;
const QString kBucket = QStringLiteral("media");

QByteArray readData(const QString &name)
{
    QFile f(QStringLiteral(DESO_TEST_DATA_DIR "/") + name);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Waits for an S3Reply, takes its result and deletes it.
Result<S3Answer> await(S3Reply *reply, int timeoutMs = 120000)
{
    waitUntil([reply] { return reply->isFinished(); }, timeoutMs);
    if (!reply->isFinished()) {
        reply->abort();
        waitUntil([reply] { return reply->isFinished(); }, 5000);
    }
    Result<S3Answer> result = reply->result();
    delete reply;
    return result;
}

QByteArray seededBytes(qint64 size, quint32 seed)
{
    QByteArray out(size, Qt::Uninitialized);
    quint32 x = seed * 2654435761u + 1;
    for (qint64 i = 0; i < size; ++i) {
        x = x * 1664525u + 1013904223u;
        out[i] = char(x >> 24);
    }
    return out;
}

// The peak resident set since the last reset (Linux: writing 5 to clear_refs resets VmHWM).
void resetPeakRss()
{
    QFile f(QStringLiteral("/proc/self/clear_refs"));
    if (f.open(QIODevice::WriteOnly))
        f.write("5");
}

} // namespace

class TestS3 : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    // SigV4, no network
    void awsSuite_data();
    void awsSuite();
    void s3DocumentationExamples();
    void uriEncodingFollowsS3();
    void urlsOnTheWireKeepTheSignedEncoding();
    void parsesS3Locations();

    // credentials
    void credentialsFromFlagsEnvironmentAndFiles();
    void credentialsErrorsAreClearAndSecretFree();

    // against s3rver
    void putHeadGetListCopyDelete();
    void keysWithAwkwardCharacters();
    void rangedGets();
    void listingPagesWithContinuation();
    void streamed64MiBPutAndGetStayBounded();
    void multipartUploadOfThreeParts();
    void devicesAsSourcesAndSinks();
    void cutConnectionIsRetried();
    void abortAndConditionalWritesOnS3rver();
    void blockingClientOnAWorkerThread();
    void wrongSecretIsSignatureDoesNotMatch();
    void unknownKeyIdIsRefused();
    void missingBucketAndKeyAreClear();
    void getIntoBytesIsBounded();
    void deadEndpointIsRetriedThenClear();
    void silentEndpointTimesOut();
    void preconditionFailedIsItsOwnCode();
    void abortCancels();

private:
    S3Config config(const QString &bucket = kBucket) const;
    bool needServer();

    testcommon::S3rverProcess m_server;
    QString m_skip;
    QTemporaryDir m_tmp;
};

void TestS3::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    if (!m_server.start({kBucket, QStringLiteral("other")}, &m_skip))
        qWarning().noquote() << "S3 tests against s3rver will be skipped:" << m_skip;
}

void TestS3::cleanupTestCase()
{
    m_server.stop();
}

bool TestS3::needServer()
{
    return m_skip.isEmpty();
}

#define NEED_S3RVER()                                                                                                  \
    do {                                                                                                               \
        if (!needServer())                                                                                             \
            QSKIP(qPrintable(QStringLiteral("s3rver is not available: ") + m_skip));                                  \
    } while (0)

S3Config TestS3::config(const QString &bucket) const
{
    S3Config c;
    c.endpoint = m_server.endpoint();
    c.region = QStringLiteral("us-east-1");
    c.bucket = bucket;
    c.credentials = {QString::fromLatin1(testcommon::S3rverProcess::kAccessKeyId),
                     QString::fromLatin1(testcommon::S3rverProcess::kSecretAccessKey), {}};
    c.timeoutMs = 20000;
    return c;
}

// ---------------------------------------------------------------------------------------
// SigV4

void TestS3::awsSuite_data()
{
    QTest::addColumn<QString>("name");
    const QDir dir(QStringLiteral(DESO_TEST_DATA_DIR "/aws-sig-v4-test-suite"));
    const QStringList requests = dir.entryList({QStringLiteral("*.req")}, QDir::Files, QDir::Name);
    QVERIFY(requests.size() >= 20);
    for (const QString &file : requests) {
        const QString name = file.chopped(4);
        QTest::newRow(qPrintable(name)) << name;
    }
}

void TestS3::awsSuite()
{
    QFETCH(QString, name);
    const QString base = QStringLiteral("aws-sig-v4-test-suite/") + name;
    const QByteArray req = readData(base + QStringLiteral(".req"));
    const QByteArray creq = readData(base + QStringLiteral(".creq"));
    const QByteArray sts = readData(base + QStringLiteral(".sts"));
    const QByteArray authz = readData(base + QStringLiteral(".authz"));
    QVERIFY(!req.isEmpty() && !creq.isEmpty() && !sts.isEmpty() && !authz.isEmpty());

    // "METHOD PATH?QUERY HTTP/1.1", header lines "Name:value", a blank line, the body.
    const qsizetype headerEnd = req.indexOf("\n\n");
    const QByteArray head = headerEnd < 0 ? req : req.left(headerEnd);
    const QByteArray body = headerEnd < 0 ? QByteArray() : req.mid(headerEnd + 2);
    const QList<QByteArray> lines = head.split('\n');
    const QByteArray requestLine = lines.first();
    const QByteArray method = requestLine.left(requestLine.indexOf(' '));
    const QByteArray target = requestLine.mid(method.size() + 1, requestLine.lastIndexOf(' ') - method.size() - 1);
    const qsizetype q = target.indexOf('?');
    SigningRequest request;
    request.method = method;
    request.path = QString::fromUtf8(QByteArray::fromPercentEncoding(q < 0 ? target : target.left(q)));
    if (q >= 0) {
        for (const QByteArray &pair : target.mid(q + 1).split('&')) {
            const qsizetype eq = pair.indexOf('=');
            const QByteArray n = eq < 0 ? pair : pair.left(eq);
            const QByteArray v = eq < 0 ? QByteArray() : pair.mid(eq + 1);
            request.query.append(QueryField{QString::fromUtf8(QByteArray::fromPercentEncoding(n)),
                                  QString::fromUtf8(QByteArray::fromPercentEncoding(v))});
        }
    }
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        QVERIFY2(colon > 0, lines[i].constData());
        request.headers.append(HeaderField{lines[i].left(colon), lines[i].mid(colon + 1)});
    }
    request.payloadHash = sha256Hex(body);

    Result<QByteArray> canonical = SigV4Signer::canonicalRequest(request);
    QVERIFY(canonical);
    QCOMPARE(canonical.value(), creq);

    const SigV4Signer signer({QStringLiteral("AKIDEXAMPLE"), QStringLiteral("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), {}},
                             QStringLiteral("us-east-1"), QStringLiteral("service"));
    // The signing key chain over the published string to sign gives the published signature.
    const QByteArray key = SigV4Signer::signingKey(QStringLiteral("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), "20150830",
                                                   QStringLiteral("us-east-1"), QStringLiteral("service"));
    QVERIFY(authz.endsWith("Signature=" + SigV4Signer::hmacSha256(key, sts).toHex()));

    // The whole signature, where the published files agree with each other. Two cases of the
    // suite hash a different canonical request into their .sts than their .creq (see
    // SOURCE.md); for those (a) and (b) above are what can be checked.
    if (!sts.endsWith(sha256Hex(creq))) {
        QVERIFY2(name == QLatin1String("post-x-www-form-urlencoded")
                     || name == QLatin1String("post-x-www-form-urlencoded-parameters"),
                 "a new inconsistent case: read it before excusing it");
        return;
    }
    Result<Signature> signature = signer.sign(request);
    QVERIFY2(signature, qPrintable(signature ? QString() : signature.error().toString()));
    QCOMPARE(signature->canonicalRequest, creq);
    QCOMPARE(signature->stringToSign, sts);
    QCOMPARE(signature->authorization, authz);
}

void TestS3::s3DocumentationExamples()
{
    const SigV4Signer signer({QStringLiteral("AKIAIOSFODNN7EXAMPLE"), QStringLiteral("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), {}},
                             QStringLiteral("us-east-1"));
    const QDateTime when(QDate(2013, 5, 24), QTime(0, 0), Qt::UTC);
    int examples = 0;
    for (const QByteArray &line : readData(QStringLiteral("aws-s3-sigv4-examples.txt")).split('\n')) {
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const QList<QByteArray> f = line.split('|');
        QCOMPARE(f.size(), 7);
        SigningRequest request;
        request.method = f[1].trimmed();
        request.path = QString::fromUtf8(f[2].trimmed());
        for (const QByteArray &pair : f[3].trimmed().split('&')) {
            if (!pair.isEmpty())
                request.query.append(QueryField{QString::fromUtf8(pair.left(pair.indexOf('='))),
                                      QString::fromUtf8(pair.mid(pair.indexOf('=') + 1))});
        }
        request.headers.append(HeaderField{"Host", "examplebucket.s3.amazonaws.com"});
        for (const QByteArray &header : f[4].trimmed().split(';')) {
            if (!header.isEmpty())
                request.headers.append(HeaderField{header.left(header.indexOf(':')), header.mid(header.indexOf(':') + 1)});
        }
        request.headers.removeIf([](const HeaderField &h) { return h.first.isEmpty(); });
        request.payloadHash = sha256Hex(f[5].trimmed());
        Result<Signature> signature = signer.signS3(request, when);
        QVERIFY(signature);
        QCOMPARE(signature->signature, f[6].trimmed());
        if (f[0].trimmed() == "get-object-range") {
            QVERIFY(signature->stringToSign.endsWith("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"));
            QVERIFY(signature->authorization.contains("SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"));
        }
        // signS3 added what S3 needs to the headers to send.
        const auto has = [&](QByteArrayView n) {
            return std::any_of(request.headers.cbegin(), request.headers.cend(),
                               [&](const HeaderField &h) { return h.first.compare(n, Qt::CaseInsensitive) == 0; });
        };
        QVERIFY(has("x-amz-date") && has("x-amz-content-sha256") && has("authorization"));
        ++examples;
    }
    QCOMPARE(examples, 4);
}

void TestS3::uriEncodingFollowsS3()
{
    QCOMPARE(SigV4Signer::uriEncode(u"/a b/ü$+&=~._-", false), QByteArray("/a%20b/%C3%BC%24%2B%26%3D~._-"));
    QCOMPARE(SigV4Signer::uriEncode(u"a/b", true), QByteArray("a%2Fb"));
    // S3: no normalisation, no double encoding.
    SigningRequest request;
    request.method = "GET";
    request.path = QStringLiteral("/bucket/a/../b//c%20d");
    request.headers = {{"host", "h"}, {"x-amz-date", "20130524T000000Z"}};
    request.payloadHash = kUnsignedPayload;
    Result<QByteArray> canonical = SigV4Signer::canonicalRequest(request);
    QVERIFY(canonical);
    QVERIFY(canonical->startsWith("GET\n/bucket/a/../b//c%2520d\n"));
    // Query: sorted by encoded name then value; empty values keep '='.
    QCOMPARE(SigV4Signer::canonicalQuery({{QStringLiteral("uploads"), {}}, {QStringLiteral("b"), QStringLiteral("2 3")},
                                          {QStringLiteral("a"), QStringLiteral("x/y")}}),
             QByteArray("a=x%2Fy&b=2%203&uploads="));
}

void TestS3::urlsOnTheWireKeepTheSignedEncoding()
{
    S3Config c;
    c.endpoint = QUrl(QStringLiteral("http://127.0.0.1:9000/base/"));
    c.bucket = QStringLiteral("media");
    c.keyPrefix = QStringLiteral("tenant");
    c.credentials = {QStringLiteral("AK"), QStringLiteral("SECRET"), {}};
    S3Client path(c);
    const QString key = QStringLiteral("a b/ü$+&=!'()*,;:@.mp4");
    QCOMPARE(path.objectUrl(key).toEncoded(),
             QByteArray("http://127.0.0.1:9000/base/media/tenant/") + SigV4Signer::uriEncode(key, false));
    c.addressing = AddressingStyle::VirtualHost;
    c.endpoint = QUrl(QStringLiteral("https://s3.eu-west-1.amazonaws.com"));
    S3Client vhost(c);
    QCOMPARE(vhost.objectUrl(QStringLiteral("x.jpg")).toString(),
             QStringLiteral("https://media.s3.eu-west-1.amazonaws.com/tenant/x.jpg"));
    c.endpoint = QUrl();
    c.region = QStringLiteral("eu-central-1");
    QCOMPARE(S3Client(c).objectUrl(QStringLiteral("x.jpg")).host(), QStringLiteral("media.s3.eu-central-1.amazonaws.com"));
}

void TestS3::parsesS3Locations()
{
    Result<S3Location> a = parseS3Url(QStringLiteral("s3://media"));
    QVERIFY(a);
    QCOMPARE(a->bucket, QStringLiteral("media"));
    QCOMPARE(a->prefix, QString());
    Result<S3Location> b = parseS3Url(QStringLiteral("s3://media-01.x/team/videos/"));
    QVERIFY(b);
    QCOMPARE(b->bucket, QStringLiteral("media-01.x"));
    QCOMPARE(b->prefix, QStringLiteral("team/videos/"));
    // A config made from a location, and what validate() refuses.
    S3Config c;
    c.credentials = {QStringLiteral("AK"), QStringLiteral("validate-secret"), {}};
    c = c.withLocation(b.value());
    QCOMPARE(c.bucket, QStringLiteral("media-01.x"));
    QCOMPARE(c.keyPrefix, QStringLiteral("team/videos/"));
    QVERIFY(c.validate());
    S3Config badEndpoint = c;
    badEndpoint.endpoint = QUrl(QStringLiteral("ftp://example.com"));
    QCOMPARE(badEndpoint.validate().error().code, QString::fromLatin1(kBadUrlCode));
    S3Config noSecret = c;
    noSecret.credentials.secretAccessKey.clear();
    QCOMPARE(noSecret.validate().error().code, QString::fromLatin1(kCredentialsMissingCode));
    S3Config ipv6 = c;
    ipv6.endpoint = QUrl(QStringLiteral("http://[::1]:9000"));
    QCOMPARE(S3Client(ipv6).objectUrl(QStringLiteral("k")).toString(),
             QStringLiteral("http://[::1]:9000/media-01.x/team/videos/k"));

    for (const char *bad : {"http://media", "s3://", "s3://Media", "s3://a", "s3:///prefix", "media"}) {
        Result<S3Location> r = parseS3Url(QString::fromLatin1(bad));
        QVERIFY2(!r, bad);
        QCOMPARE(r.error().code, QString::fromLatin1(kBadUrlCode));
        QVERIFY(r.error().message.contains(QString::fromLatin1(bad)));
    }
}

// ---------------------------------------------------------------------------------------
// Credentials

void TestS3::credentialsFromFlagsEnvironmentAndFiles()
{
    QTemporaryDir home;
    QVERIFY(QDir(home.path()).mkpath(QStringLiteral(".aws")));
    QProcessEnvironment env;
    env.insert(QStringLiteral("HOME"), home.path());

    {
        QFile f(home.path() + QStringLiteral("/.aws/credentials"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("# comment\n[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n\n"
                "[team]\naws_access_key_id=TEAMKEY\naws_secret_access_key=teamsecret\naws_session_token=teamtoken\n");
        QFile g(home.path() + QStringLiteral("/.aws/config"));
        QVERIFY(g.open(QIODevice::WriteOnly));
        g.write("[default]\nregion = eu-west-1\n[profile team]\nregion = ap-south-1\ns3 =\n  addressing_style = path\n");
    }

    // Files: default profile, region from config.
    Result<ResolvedCredentials> r = resolveCredentials({}, env);
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(r->credentials.accessKeyId, QStringLiteral("FILEKEY"));
    QCOMPARE(r->credentials.secretAccessKey, QStringLiteral("filesecret"));
    QCOMPARE(r->region, QStringLiteral("eu-west-1"));
    QVERIFY(r->credentialsSource.endsWith(QStringLiteral("/.aws/credentials [default]")));

    // AWS_PROFILE picks the section in both files.
    env.insert(QStringLiteral("AWS_PROFILE"), QStringLiteral("team"));
    r = resolveCredentials({}, env);
    QVERIFY(r);
    QCOMPARE(r->credentials.accessKeyId, QStringLiteral("TEAMKEY"));
    QCOMPARE(r->credentials.sessionToken, QStringLiteral("teamtoken"));
    QCOMPARE(r->region, QStringLiteral("ap-south-1"));

    // The environment beats the files.
    env.insert(QStringLiteral("AWS_ACCESS_KEY_ID"), QStringLiteral("ENVKEY"));
    env.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"), QStringLiteral("envsecret"));
    env.insert(QStringLiteral("AWS_SESSION_TOKEN"), QStringLiteral("envtoken"));
    env.insert(QStringLiteral("AWS_REGION"), QStringLiteral("us-west-2"));
    r = resolveCredentials({}, env);
    QVERIFY(r);
    QCOMPARE(r->credentials.accessKeyId, QStringLiteral("ENVKEY"));
    QCOMPARE(r->credentials.sessionToken, QStringLiteral("envtoken"));
    QCOMPARE(r->credentialsSource, QStringLiteral("environment"));
    QCOMPARE(r->region, QStringLiteral("us-west-2"));

    // Flags beat everything.
    CredentialFlags flags;
    flags.accessKeyId = QStringLiteral("FLAGKEY");
    flags.secretAccessKey = QStringLiteral("flagsecret");
    flags.region = QStringLiteral("sa-east-1");
    r = resolveCredentials(flags, env);
    QVERIFY(r);
    QCOMPARE(r->credentials.accessKeyId, QStringLiteral("FLAGKEY"));
    QCOMPARE(r->credentials.sessionToken, QString());
    QCOMPARE(r->credentialsSource, QStringLiteral("flags"));
    QCOMPARE(r->region, QStringLiteral("sa-east-1"));

    // No region anywhere: us-east-1.
    QProcessEnvironment bare;
    bare.insert(QStringLiteral("HOME"), home.path() + QStringLiteral("/nowhere"));
    flags.region.clear();
    r = resolveCredentials(flags, bare);
    QVERIFY(r);
    QCOMPARE(r->region, QStringLiteral("us-east-1"));
    QCOMPARE(r->regionSource, QStringLiteral("default"));
}

void TestS3::credentialsErrorsAreClearAndSecretFree()
{
    QTemporaryDir home;
    QProcessEnvironment env;
    env.insert(QStringLiteral("HOME"), home.path());

    // Nothing anywhere.
    Result<ResolvedCredentials> r = resolveCredentials({}, env);
    QVERIFY(!r);
    QCOMPARE(r.error().code, QString::fromLatin1(kCredentialsMissingCode));
    QVERIFY(r.error().message.contains(QStringLiteral("AWS_ACCESS_KEY_ID")));
    QVERIFY(r.error().message.contains(home.path() + QStringLiteral("/.aws/credentials")));

    // Half a pair, from flags and from the environment: an error naming the gap, not the secret.
    CredentialFlags flags;
    flags.secretAccessKey = QStringLiteral("s3cr3t-flag-value");
    r = resolveCredentials(flags, env);
    QVERIFY(!r);
    QCOMPARE(r.error().code, QString::fromLatin1(kCredentialsInvalidCode));
    QVERIFY(!r.error().message.contains(flags.secretAccessKey));
    QProcessEnvironment half = env;
    half.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"), QStringLiteral("s3cr3t-env-value"));
    r = resolveCredentials({}, half);
    QVERIFY(!r);
    QVERIFY(!r.error().message.contains(QStringLiteral("s3cr3t-env-value")));

    // A profile asked for that the file lacks.
    QVERIFY(QDir(home.path()).mkpath(QStringLiteral(".aws")));
    QFile f(home.path() + QStringLiteral("/.aws/credentials"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("[default]\naws_access_key_id = K\naws_secret_access_key = s3cr3t-file-value\n");
    f.close();
    env.insert(QStringLiteral("AWS_PROFILE"), QStringLiteral("absent"));
    r = resolveCredentials({}, env);
    QVERIFY(!r);
    QVERIFY(r.error().message.contains(QStringLiteral("'absent'")));
    QVERIFY(!r.error().message.contains(QStringLiteral("s3cr3t-file-value")));

    // QDebug of credentials and of a whole client config never shows the secret or token.
    AwsCredentials credentials{QStringLiteral("AKIDVISIBLE"), QStringLiteral("s3cr3t-debug-value"), QStringLiteral("t0ken-value")};
    S3Config config;
    config.bucket = QStringLiteral("media");
    config.credentials = credentials;
    QString printed;
    QDebug(&printed) << credentials << config;
    QVERIFY(printed.contains(QStringLiteral("AKIDVISIBLE")));
    QVERIFY(printed.contains(QStringLiteral("<hidden>")));
    QVERIFY(!printed.contains(QStringLiteral("s3cr3t-debug-value")));
    QVERIFY(!printed.contains(QStringLiteral("t0ken-value")));
}

// ---------------------------------------------------------------------------------------
// Against s3rver

void TestS3::putHeadGetListCopyDelete()
{
    NEED_S3RVER();
    S3Config c = config();
    c.keyPrefix = QStringLiteral("tenant");
    S3Client client(c);
    const QByteArray bytes = seededBytes(1000, 1);

    PutOptions options;
    options.contentType = "image/webp";
    options.metadata.insert("Owner", "BC1YLexample");
    Result<S3Answer> put = await(client.putObject(QStringLiteral("images/a.webp"), bytes, options));
    QVERIFY2(put, qPrintable(put ? QString() : put.error().toString()));
    QVERIFY(!put->object.etag.isEmpty());
    QCOMPARE(put->bytesTransferred, 1000);

    Result<S3Answer> head = await(client.headObject(QStringLiteral("images/a.webp")));
    QVERIFY2(head, qPrintable(head ? QString() : head.error().toString()));
    QCOMPARE(head->object.size, 1000);
    QCOMPARE(head->object.etag, put->object.etag);
    QCOMPARE(head->object.contentType, QByteArray("image/webp"));
    QCOMPARE(head->object.metadata.value("owner"), QByteArray("BC1YLexample"));
    QVERIFY(head->object.lastModified.isValid());

    Result<S3Answer> get = await(client.getObject(QStringLiteral("images/a.webp")));
    QVERIFY(get);
    QCOMPARE(get->body, bytes);
    QCOMPARE(get->object.size, 1000);

    // Stored under the prefix (seen by a client without it), listed without it.
    S3Client unprefixed(config());
    QVERIFY(await(unprefixed.headObject(QStringLiteral("tenant/images/a.webp"))));
    Result<S3Answer> copy = await(client.copyObject(QStringLiteral("images/a.webp"), QStringLiteral("images/b.webp")));
    QVERIFY2(copy, qPrintable(copy ? QString() : copy.error().toString()));
    QCOMPARE(copy->object.etag, put->object.etag);
    Result<S3Answer> copied = await(client.getObject(QStringLiteral("images/b.webp")));
    QVERIFY(copied);
    QCOMPARE(copied->body, bytes);
    QCOMPARE(copied->object.metadata.value("owner"), QByteArray("BC1YLexample"));

    ListOptions list;
    list.prefix = QStringLiteral("images/");
    Result<S3Answer> listed = await(client.listObjects(list));
    QVERIFY2(listed, qPrintable(listed ? QString() : listed.error().toString()));
    QCOMPARE(listed->list.objects.size(), 2);
    QCOMPARE(listed->list.objects[0].key, QStringLiteral("images/a.webp"));
    QCOMPARE(listed->list.objects[1].key, QStringLiteral("images/b.webp"));
    QCOMPARE(listed->list.objects[0].size, 1000);
    QVERIFY(!listed->list.truncated);
    ListOptions delimited;
    delimited.delimiter = QStringLiteral("/");
    Result<S3Answer> folders = await(client.listObjects(delimited));
    QVERIFY(folders);
    QCOMPARE(folders->list.commonPrefixes, QStringList{QStringLiteral("images/")});

    QVERIFY(await(client.deleteObject(QStringLiteral("images/a.webp"))));
    Result<S3Answer> gone = await(client.headObject(QStringLiteral("images/a.webp")));
    QVERIFY(!gone);
    QCOMPARE(gone.error().code, QString::fromLatin1(kNoSuchKeyCode));
    QCOMPARE(gone.error().httpStatus, 404);
    // Deleting what is not there is not an error (S3 answers 204 either way).
    QVERIFY(await(client.deleteObject(QStringLiteral("images/a.webp"))));
}

void TestS3::keysWithAwkwardCharacters()
{
    NEED_S3RVER();
    S3Client client(config());
    // Each is signed by us and re-signed from the wire by AWS's signer in the launcher.
    const QStringList keys{QStringLiteral("a b/c d.txt"), QStringLiteral("ü/ñ/日本.mp4"), QStringLiteral("x$y+z&w=v.bin"),
                           QStringLiteral("p!q'r(s)t*u,v;w:x@y~z.txt"), QStringLiteral("percent%20literal.txt")};
    for (const QString &key : keys) {
        const QByteArray bytes = key.toUtf8().repeated(3);
        Result<S3Answer> put = await(client.putObject(key, bytes));
        QVERIFY2(put, qPrintable(key + QStringLiteral(": ") + (put ? QString() : put.error().toString())));
        Result<S3Answer> get = await(client.getObject(key));
        QVERIFY2(get, qPrintable(key + QStringLiteral(": ") + (get ? QString() : get.error().toString())));
        QCOMPARE(get->body, bytes);
        ListOptions list;
        list.prefix = key;
        Result<S3Answer> listed = await(client.listObjects(list));
        QVERIFY2(listed, qPrintable(key));
        QCOMPARE(listed->list.objects.value(0).key, key);
        QVERIFY(await(client.deleteObject(key)));
    }
}

void TestS3::rangedGets()
{
    NEED_S3RVER();
    S3Client client(config());
    const QByteArray bytes = seededBytes(1000, 2);
    QVERIFY(await(client.putObject(QStringLiteral("ranged.bin"), bytes)));

    GetOptions middle;
    middle.range = ByteRange{100, 199};
    Result<S3Answer> part = await(client.getObject(QStringLiteral("ranged.bin"), middle));
    QVERIFY2(part, qPrintable(part ? QString() : part.error().toString()));
    QCOMPARE(part->httpStatus, 206);
    QCOMPARE(part->body, bytes.mid(100, 100));
    QCOMPARE(part->object.size, 1000);  // the whole object's, from Content-Range

    GetOptions tail;
    tail.range = ByteRange{990, -1};
    const QString file = m_tmp.filePath(QStringLiteral("tail.bin"));
    Result<S3Answer> toFile = await(client.getObjectToFile(QStringLiteral("ranged.bin"), file, tail));
    QVERIFY(toFile);
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), bytes.mid(990));

    GetOptions outside;
    outside.range = ByteRange{5000, 6000};
    Result<S3Answer> refused = await(client.getObject(QStringLiteral("ranged.bin"), outside));
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, QString::fromLatin1(kRangeNotSatisfiableCode));

    GetOptions backwards;
    backwards.range = ByteRange{10, 5};
    Result<S3Answer> bad = await(client.getObject(QStringLiteral("ranged.bin"), backwards));
    QVERIFY(!bad);
    QCOMPARE(bad.error().code, QString::fromLatin1(kBadRequestCode));
}

void TestS3::listingPagesWithContinuation()
{
    NEED_S3RVER();
    S3Config c = config();
    c.keyPrefix = QStringLiteral("paged/");
    S3Client client(c);
    for (int i = 0; i < 5; ++i)
        QVERIFY(await(client.putObject(QStringLiteral("k%1").arg(i), QByteArray::number(i))));
    QStringList seen;
    ListOptions options;
    options.maxKeys = 2;
    int pages = 0;
    do {
        Result<S3Answer> page = await(client.listObjects(options));
        QVERIFY2(page, qPrintable(page ? QString() : page.error().toString()));
        QVERIFY(page->list.objects.size() <= 2);
        for (const ObjectInfo &o : page->list.objects)
            seen << o.key;
        options.continuationToken = page->list.nextContinuationToken;
        QCOMPARE(page->list.truncated, !options.continuationToken.isEmpty());
        ++pages;
    } while (!options.continuationToken.isEmpty() && pages < 10);
    QCOMPARE(pages, 3);
    QCOMPARE(seen, (QStringList{QStringLiteral("k0"), QStringLiteral("k1"), QStringLiteral("k2"), QStringLiteral("k3"),
                                QStringLiteral("k4")}));
}

void TestS3::streamed64MiBPutAndGetStayBounded()
{
    NEED_S3RVER();
    const QString source = m_tmp.filePath(QStringLiteral("big.bin"));
    const QString back = m_tmp.filePath(QStringLiteral("big-back.bin"));
    QVERIFY(testcommon::writeRandomFile(source, 64 * MiB, 64));
    S3Client client(config());

    const qint64 pid = QCoreApplication::applicationPid();
    resetPeakRss();
    const qint64 before = testcommon::procStatusBytes(pid, "VmRSS");
    Result<S3Answer> put = await(client.putObjectFromFile(QStringLiteral("big.bin"), source));
    QVERIFY2(put, qPrintable(put ? QString() : put.error().toString()));
    QCOMPARE(put->bytesTransferred, 64 * MiB);
    Result<S3Answer> get = await(client.getObjectToFile(QStringLiteral("big.bin"), back));
    QVERIFY2(get, qPrintable(get ? QString() : get.error().toString()));
    QCOMPARE(get->bytesTransferred, 64 * MiB);
    const qint64 peak = testcommon::procStatusBytes(pid, "VmHWM");

    QCOMPARE(testcommon::sha256Of(back), testcommon::sha256Of(source));
    const qint64 growth = peak - before;
    qInfo().noquote() << QStringLiteral("64 MiB put + get: VmRSS before %1 MiB, VmHWM during %2 MiB (growth %3 MiB)")
                             .arg(before / double(MiB), 0, 'f', 1)
                             .arg(peak / double(MiB), 0, 'f', 1)
                             .arg(growth / double(MiB), 0, 'f', 1);
    // The object never sits in memory: growth stays well under its 64 MiB.
    QVERIFY2(growth < 24 * MiB, qPrintable(QStringLiteral("peak RSS grew by %1 MiB").arg(growth / MiB)));
    QFile::remove(back);
}

void TestS3::multipartUploadOfThreeParts()
{
    NEED_S3RVER();
    const QString source = m_tmp.filePath(QStringLiteral("parts.bin"));
    const qint64 size = 2 * kMinPartSize + 1234567;
    QVERIFY(testcommon::writeRandomFile(source, size, 3));
    S3Client client(config());
    const QString key = QStringLiteral("videos/upload.mp4");

    PutOptions options;
    options.contentType = "video/mp4";
    Result<S3Answer> created = await(client.createMultipartUpload(key, options));
    QVERIFY2(created, qPrintable(created ? QString() : created.error().toString()));
    const QString uploadId = created->uploadId;
    QVERIFY(!uploadId.isEmpty());

    QList<CompletedPart> parts;
    for (int n = 1; n <= 2; ++n) {
        Result<S3Answer> part = await(client.uploadPartFromFile(key, uploadId, n, source, (n - 1) * kMinPartSize, kMinPartSize));
        QVERIFY2(part, qPrintable(part ? QString() : part.error().toString()));
        QVERIFY(!part->object.etag.isEmpty());
        QCOMPARE(part->bytesTransferred, kMinPartSize);
        parts.append({n, part->object.etag});
    }
    // The last part from a device, positioned at its first byte.
    QFile device(source);
    QVERIFY(device.open(QIODevice::ReadOnly));
    QVERIFY(device.seek(2 * kMinPartSize));
    Result<S3Answer> last = await(client.uploadPartFromDevice(key, uploadId, 3, &device, size - 2 * kMinPartSize));
    QVERIFY2(last, qPrintable(last ? QString() : last.error().toString()));
    parts.append({3, last->object.etag});

    Result<S3Answer> done = await(client.completeMultipartUpload(key, uploadId, parts));
    QVERIFY2(done, qPrintable(done ? QString() : done.error().toString()));
    QVERIFY(!done->object.etag.isEmpty());

    Result<S3Answer> head = await(client.headObject(key));
    QVERIFY(head);
    QCOMPARE(head->object.size, size);
    const QString back = m_tmp.filePath(QStringLiteral("parts-back.bin"));
    QVERIFY(await(client.getObjectToFile(key, back)));
    QCOMPARE(testcommon::sha256Of(back), testcommon::sha256Of(source));

    // Wrong order or a missing ETag is refused before anything is sent.
    Result<S3Answer> unordered = await(client.completeMultipartUpload(key, uploadId, {parts[1], parts[0]}));
    QVERIFY(!unordered);
    QCOMPARE(unordered.error().code, QString::fromLatin1(kBadRequestCode));
    // An upload id the server does not know: AWS answers NoSuchUpload (s3.no_such_upload);
    // s3rver 3.7.1 an InternalError (HTTP 500, retried, then reported).
    Result<S3Answer> unknown = await(client.completeMultipartUpload(key, QStringLiteral("no-such-upload"), parts));
    QVERIFY(!unknown);
    QVERIFY2(unknown.error().message.startsWith(QStringLiteral("S3 refused to complete the multipart upload of "
                                                               "'videos/upload.mp4' to bucket 'media': ")),
             qPrintable(unknown.error().toString()));
    QVERIFY(unknown.error().code == QLatin1String(kNoSuchUploadCode) || unknown.error().httpStatus == 500);
}

void TestS3::devicesAsSourcesAndSinks()
{
    NEED_S3RVER();
    const QString source = m_tmp.filePath(QStringLiteral("devices.bin"));
    const qint64 first = kMinPartSize + 12345;
    const qint64 second = 777777;
    QVERIFY(testcommon::writeRandomFile(source, first, 21));
    S3Client client(config());
    const QString key = QStringLiteral("devices/joined.bin");
    Result<S3Answer> created = await(client.createMultipartUpload(key));
    QVERIFY(created);

    // Part 1 from a sequential device: a child process's stdout (bytes arrive as it writes).
    QProcess cat;
    cat.start(QStringLiteral("cat"), {source});
    QVERIFY(cat.waitForStarted());
    QVERIFY(cat.isSequential());
    Result<S3Answer> part1 = await(client.uploadPartFromDevice(key, created->uploadId, 1, &cat, first));
    QVERIFY2(part1, qPrintable(part1 ? QString() : part1.error().toString()));
    QCOMPARE(part1->bytesTransferred, first);
    cat.waitForFinished();
    // Part 2 from memory (a QBuffer), the last part.
    const QByteArray tail = seededBytes(second, 22);
    QBuffer buffer;
    buffer.setData(tail);
    QVERIFY(buffer.open(QIODevice::ReadOnly));
    Result<S3Answer> part2 = await(client.uploadPartFromDevice(key, created->uploadId, 2, &buffer, second));
    QVERIFY2(part2, qPrintable(part2 ? QString() : part2.error().toString()));
    QVERIFY(await(client.completeMultipartUpload(key, created->uploadId,
                                                 {{1, part1->object.etag}, {2, part2->object.etag}})));

    // Read back into a device, and a range of it into another.
    QBuffer whole;
    QVERIFY(whole.open(QIODevice::WriteOnly));
    Result<S3Answer> got = await(client.getObjectToDevice(key, &whole));
    QVERIFY2(got, qPrintable(got ? QString() : got.error().toString()));
    QCOMPARE(got->bytesTransferred, first + second);
    QFile original(source);
    QVERIFY(original.open(QIODevice::ReadOnly));
    QCOMPARE(whole.data(), original.readAll() + tail);
    QBuffer slice;
    QVERIFY(slice.open(QIODevice::WriteOnly));
    GetOptions range;
    range.range = ByteRange{first - 10, first + 9};
    QVERIFY(await(client.getObjectToDevice(key, &slice, range)));
    QCOMPARE(slice.data(), whole.data().mid(first - 10, 20));
    // A whole object from a device: 1000 bytes from position 5 of a buffer.
    QBuffer source2;
    source2.setData(tail);
    QVERIFY(source2.open(QIODevice::ReadOnly) && source2.seek(5));
    Result<S3Answer> fromDevice = await(client.putObjectFromDevice(QStringLiteral("devices/small.bin"), &source2, 1000));
    QVERIFY2(fromDevice, qPrintable(fromDevice ? QString() : fromDevice.error().toString()));
    Result<S3Answer> small = await(client.getObject(QStringLiteral("devices/small.bin")));
    QVERIFY(small);
    QCOMPARE(small->body, tail.mid(5, 1000));
    // A sink that cannot be written is refused before sending.
    QBuffer closed;
    Result<S3Answer> refused = await(client.getObjectToDevice(key, &closed));
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, QString::fromLatin1(kBadRequestCode));
}

void TestS3::cutConnectionIsRetried()
{
    NEED_S3RVER();
    // The link drops 1 MiB into a 4 MiB put and stays down for two connections (longer than
    // Qt's own silent resend): the client's retry sends the object again from the file.
    CuttingProxy proxy;
    QVERIFY(proxy.start(m_server.port()));
    S3Config c = config();
    c.endpoint = proxy.url();
    c.maxAttempts = 5;
    c.retryDelayMs = 50;
    S3Client client(c);
    const QString source = m_tmp.filePath(QStringLiteral("cut.bin"));
    QVERIFY(testcommon::writeRandomFile(source, 4 * MiB, 31));
    proxy.cutAfter({MiB}, 2);
    Result<S3Answer> put = await(client.putObjectFromFile(QStringLiteral("cut.bin"), source));
    QVERIFY2(put, qPrintable(put ? QString() : put.error().toString()));
    QCOMPARE(proxy.cutsDone(), 1);
    QVERIFY2(put->attempts >= 2, qPrintable(QStringLiteral("attempts: %1").arg(put->attempts)));
    const QString back = m_tmp.filePath(QStringLiteral("cut-back.bin"));
    QVERIFY(await(S3Client(config()).getObjectToFile(QStringLiteral("cut.bin"), back)));
    QCOMPARE(testcommon::sha256Of(back), testcommon::sha256Of(source));
}

void TestS3::abortAndConditionalWritesOnS3rver()
{
    NEED_S3RVER();
    S3Client client(config());
    // s3rver 3.7.1 has no AbortMultipartUpload: DELETE ?uploadId is MethodNotAllowed. The
    // client reports it as a clear refusal (callers must not depend on abort).
    Result<S3Answer> created = await(client.createMultipartUpload(QStringLiteral("aborted.bin")));
    QVERIFY(created);
    Result<S3Answer> aborted = await(client.abortMultipartUpload(QStringLiteral("aborted.bin"), created->uploadId));
    if (aborted) {
        qInfo() << "s3rver now implements AbortMultipartUpload";
    } else {
        QCOMPARE(aborted.error().code, QString::fromLatin1(kServerRefusedCode));
        QVERIFY2(aborted.error().message.startsWith(QStringLiteral("S3 refused to abort the multipart upload of 'aborted.bin'")),
                 qPrintable(aborted.error().message));
        qInfo().noquote() << "AbortMultipartUpload on s3rver:" << aborted.error().message;
    }

    // s3rver ignores If-None-Match on PUT: the probe finds out instead of assuming.
    Result<S3Answer> probe = await(client.probeConditionalWrites(QStringLiteral(".probe")));
    QVERIFY2(probe, qPrintable(probe ? QString() : probe.error().toString()));
    QVERIFY(!probe->conditionalWritesHonoured);
    QVERIFY(!await(client.headObject(QStringLiteral(".probe"))));  // cleaned up
}

void TestS3::blockingClientOnAWorkerThread()
{
    NEED_S3RVER();
    const S3Config c = config();
    const QString file = m_tmp.filePath(QStringLiteral("worker.bin"));
    QVERIFY(testcommon::writeRandomFile(file, 3 * MiB, 9));
    QFuture<QString> job = QtConcurrent::run([c, file]() -> QString {
        BlockingS3Client client(c);
        Result<S3Answer> put = client.putObjectFromFile(QStringLiteral("worker/out.bin"), file, MiB, MiB);
        if (!put)
            return put.error().toString();
        Result<S3Answer> head = client.headObject(QStringLiteral("worker/out.bin"));
        if (!head || head->object.size != MiB)
            return QStringLiteral("head: wrong size");
        const QString back = file + QStringLiteral(".back");
        Result<S3Answer> get = client.getObjectToFile(QStringLiteral("worker/out.bin"), back);
        if (!get)
            return get.error().toString();
        QFile a(file), b(back);
        if (!a.open(QIODevice::ReadOnly) || !b.open(QIODevice::ReadOnly) || !a.seek(MiB))
            return QStringLiteral("files unreadable");
        if (a.read(MiB) != b.readAll())
            return QStringLiteral("bytes differ");
        Result<S3Answer> missing = client.getObject(QStringLiteral("worker/missing.bin"));
        if (missing || missing.error().code != QLatin1String(kNoSuchKeyCode))
            return QStringLiteral("missing key not reported");
        return {};
    });
    DESO_WAIT_VERIFY(job.isFinished(), 60000);
    QCOMPARE(job.result(), QString());
}

void TestS3::wrongSecretIsSignatureDoesNotMatch()
{
    NEED_S3RVER();
    S3Config c = config();
    const QString secret = QStringLiteral("wrong-secret-Zq7x");
    c.credentials.secretAccessKey = secret;
    S3Client client(c);
    Result<S3Answer> put = await(client.putObject(QStringLiteral("denied.txt"), "x"));
    QVERIFY(!put);
    QCOMPARE(put.error().code, QString::fromLatin1(kSignatureMismatchCode));
    QCOMPARE(put.error().httpStatus, 403);
    QVERIFY2(put.error().message.startsWith(QStringLiteral("S3 refused to write 'denied.txt' to bucket 'media': The request "
                                                           "signature we calculated does not match")),
             qPrintable(put.error().message));
    QVERIFY(put.error().message.endsWith(QStringLiteral("(SignatureDoesNotMatch, HTTP 403)")));
    QVERIFY(!put.error().message.contains(secret));
    QVERIFY(!put.error().toString().contains(secret));
    // Nothing was written.
    QVERIFY(!await(S3Client(config()).headObject(QStringLiteral("denied.txt"))));
}

void TestS3::unknownKeyIdIsRefused()
{
    NEED_S3RVER();
    S3Config c = config();
    c.credentials.accessKeyId = QStringLiteral("NOSUCHKEY");
    S3Client client(c);
    Result<S3Answer> get = await(client.getObject(QStringLiteral("x")));
    QVERIFY(!get);
    QCOMPARE(get.error().code, QString::fromLatin1(kAccessDeniedCode));
    QVERIFY2(get.error().message.contains(QStringLiteral("InvalidAccessKeyId")), qPrintable(get.error().message));
}

void TestS3::missingBucketAndKeyAreClear()
{
    NEED_S3RVER();
    S3Client noBucket(config(QStringLiteral("no-such-bucket")));
    Result<S3Answer> get = await(noBucket.getObject(QStringLiteral("a.txt")));
    QVERIFY(!get);
    QCOMPARE(get.error().code, QString::fromLatin1(kNoSuchBucketCode));
    QCOMPARE(get.error().httpStatus, 404);
    QVERIFY2(get.error().message == QStringLiteral("S3 refused to read 'a.txt' from bucket 'no-such-bucket': The specified "
                                                   "bucket does not exist. (NoSuchBucket, HTTP 404)"),
             qPrintable(get.error().message));
    Result<S3Answer> list = await(noBucket.listObjects());
    QVERIFY(!list);
    QCOMPARE(list.error().code, QString::fromLatin1(kNoSuchBucketCode));

    S3Client client(config());
    Result<S3Answer> key = await(client.getObject(QStringLiteral("never/written.txt")));
    QVERIFY(!key);
    QCOMPARE(key.error().code, QString::fromLatin1(kNoSuchKeyCode));
    QVERIFY2(key.error().message == QStringLiteral("S3 refused to read 'never/written.txt' from bucket 'media': The "
                                                   "specified key does not exist. (NoSuchKey, HTTP 404)"),
             qPrintable(key.error().message));
    // A failed get into a file leaves no file behind.
    const QString file = m_tmp.filePath(QStringLiteral("never.txt"));
    QVERIFY(!await(client.getObjectToFile(QStringLiteral("never/written.txt"), file)));
    QVERIFY(!QFile::exists(file));
    // Bad arguments are refused before sending.
    Result<S3Answer> empty = await(client.putObject(QString(), "x"));
    QVERIFY(!empty);
    QCOMPARE(empty.error().code, QString::fromLatin1(kBadRequestCode));
    Result<S3Answer> noFile = await(client.putObjectFromFile(QStringLiteral("k"), m_tmp.filePath(QStringLiteral("absent"))));
    QVERIFY(!noFile);
    QCOMPARE(noFile.error().code, QString::fromLatin1(kLocalFileCode));
}

void TestS3::getIntoBytesIsBounded()
{
    NEED_S3RVER();
    S3Client client(config());
    QVERIFY(await(client.putObject(QStringLiteral("bounded.bin"), seededBytes(100000, 5))));
    GetOptions options;
    options.maxBytes = 4096;
    Result<S3Answer> get = await(client.getObject(QStringLiteral("bounded.bin"), options));
    QVERIFY(!get);
    QCOMPARE(get.error().code, QString::fromLatin1(kTooLargeCode));
    QVERIFY(get.error().message.contains(QStringLiteral("4096")));
}

void TestS3::deadEndpointIsRetriedThenClear()
{
    S3Config c;
    c.endpoint = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(testcommon::freeLoopbackPort()));
    c.bucket = kBucket;
    c.credentials = {QStringLiteral("AK"), QStringLiteral("dead-endpoint-secret"), {}};
    c.maxAttempts = 3;
    c.retryDelayMs = 20;
    S3Client client(c);
    Result<S3Answer> get = await(client.getObject(QStringLiteral("a.txt")));
    QVERIFY(!get);
    QCOMPARE(get.error().code, QString::fromLatin1(kNetworkErrorCode));
    QVERIFY2(get.error().message.startsWith(QStringLiteral("Could not read 'a.txt' from bucket 'media': the S3 endpoint "
                                                           "%1 could not be reached").arg(c.endpoint.toString())),
             qPrintable(get.error().message));
    QVERIFY(get.error().message.contains(QStringLiteral("after 3 attempts")));
    QVERIFY(!get.error().message.contains(QStringLiteral("dead-endpoint-secret")));
    // Not idempotent: CreateMultipartUpload is tried once.
    Result<S3Answer> create = await(client.createMultipartUpload(QStringLiteral("a.txt")));
    QVERIFY(!create);
    QVERIFY(!create.error().message.contains(QStringLiteral("attempts")));
}

void TestS3::silentEndpointTimesOut()
{
    // Accepts connections and never answers.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost));
    QList<QTcpSocket *> held;
    connect(&silent, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *s = silent.nextPendingConnection())
            held << s;
    });
    S3Config c;
    c.endpoint = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(silent.serverPort()));
    c.bucket = kBucket;
    c.credentials = {QStringLiteral("AK"), QStringLiteral("SK"), {}};
    c.timeoutMs = 300;
    c.maxAttempts = 2;
    c.retryDelayMs = 10;
    S3Client client(c);
    Result<S3Answer> head = await(client.headObject(QStringLiteral("slow.txt")), 10000);
    QVERIFY(!head);
    QCOMPARE(head.error().code, QString::fromLatin1(kTimeoutCode));
    QVERIFY2(head.error().message.contains(QStringLiteral("sent nothing for 0.3 s (after 2 attempts)")),
             qPrintable(head.error().message));
    QCOMPARE(held.size(), 2);
}

void TestS3::preconditionFailedIsItsOwnCode()
{
    // s3rver has no conditional writes, so a minimal S3 stand-in answers the way AWS does
    // when If-None-Match: * finds the key (412 PreconditionFailed), to check the mapping
    // the host's leases rely on, and that the header was sent and signed.
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    QByteArray request;
    connect(&server, &QTcpServer::newConnection, this, [&] {
        QTcpSocket *s = server.nextPendingConnection();
        connect(s, &QTcpSocket::readyRead, s, [&, s] {
            request += s->readAll();
            if (!request.contains("\r\n\r\n") || !request.endsWith("x"))
                return;
            const QByteArray body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PreconditionFailed</Code>"
                                    "<Message>At least one of the pre-conditions you specified did not hold</Message>"
                                    "<Condition>If-None-Match</Condition></Error>";
            s->write("HTTP/1.1 412 Precondition Failed\r\nContent-Type: application/xml\r\nContent-Length: "
                     + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
            s->disconnectFromHost();
        });
    });
    S3Config c;
    c.endpoint = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(server.serverPort()));
    c.bucket = kBucket;
    c.credentials = {QStringLiteral("AK"), QStringLiteral("SK"), {}};
    S3Client client(c);
    PutOptions createOnly;
    createOnly.ifNoneMatchAny = true;
    Result<S3Answer> put = await(client.putObject(QStringLiteral("lease"), "x", createOnly));
    QVERIFY(!put);
    QCOMPARE(put.error().code, QString::fromLatin1(kPreconditionFailedCode));
    QCOMPARE(put.error().httpStatus, 412);
    QVERIFY(put.error().message.contains(QStringLiteral("(PreconditionFailed, HTTP 412)")));
    const QByteArray lower = request.toLower();
    QVERIFY(lower.contains("\r\nif-none-match: *\r\n"));
    QVERIFY(lower.contains("signedheaders=content-type;host;if-none-match;x-amz-content-sha256;x-amz-date,"));
}

void TestS3::abortCancels()
{
    NEED_S3RVER();
    const QString source = m_tmp.filePath(QStringLiteral("abort.bin"));
    QVERIFY(testcommon::writeRandomFile(source, 32 * MiB, 11));
    S3Client client(config());
    S3Reply *reply = client.putObjectFromFile(QStringLiteral("aborted-put.bin"), source);
    bool finishedOnce = false;
    int finishedCount = 0;
    connect(reply, &S3Reply::finished, this, [&] { finishedOnce = true, ++finishedCount; });
    connect(reply, &S3Reply::progress, reply, [reply](qint64 done, qint64) {
        if (done > 0)
            reply->abort();
    });
    Result<S3Answer> r = await(reply);
    QVERIFY(!r);
    QCOMPARE(r.error().code, QString::fromLatin1(kCanceledCode));
    QVERIFY(finishedOnce);
    QCOMPARE(finishedCount, 1);

    // A client destroyed with requests in flight (one streaming, one retrying against a
    // dead endpoint) cancels them without calling back.
    auto *doomed = new S3Client(config());
    S3Reply *streaming = doomed->putObjectFromFile(QStringLiteral("doomed.bin"), source);
    bool called = false;
    connect(streaming, &S3Reply::finished, this, [&] { called = true; });
    bool started = false;
    connect(streaming, &S3Reply::progress, this, [&] { started = true; });
    DESO_WAIT_VERIFY(started, 20000);
    S3Config dead = config();
    dead.endpoint = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(testcommon::freeLoopbackPort()));
    auto *deadClient = new S3Client(dead);
    S3Reply *retrying = deadClient->getObject(QStringLiteral("x"));
    connect(retrying, &S3Reply::finished, this, [&] { called = true; });
    QTest::qWait(50);
    delete doomed;
    delete deadClient;
    QTest::qWait(300);
    QVERIFY(!called);
}

QTEST_MAIN(TestS3)
#include "tst_s3.moc"
