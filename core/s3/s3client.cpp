#include "s3/s3client.h"

#include "tus/filerangedevice.h"

#include <QBuffer>
#include <QDebug>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QTimer>
#include <QXmlStreamReader>

#include <functional>

namespace deso::s3 {

namespace {

// A bound on the XML answers kept in memory (a ListObjectsV2 page of 1000 keys is ~350 KB).
constexpr qint64 kMaxXmlAnswerBytes = 8LL * 1024 * 1024;
// How much QNetworkAccessManager may hold ahead of a streaming sink.
constexpr qint64 kReadBufferBytes = 1024 * 1024;
constexpr qint64 kReadChunkBytes = 256 * 1024;

enum class BodyKind { None, Bytes, FileRange, Device };
enum class SinkKind { None, Bytes, File, Device };
enum class RetryPolicy {
    Never,         // not idempotent (CreateMultipartUpload)
    WhenRefused,   // conditional writes: only when the request cannot have reached the server
    WhenNoAnswer,  // idempotent: refused, reset, timed out, or a 500/502/503/504
};

QString quoted(const QString &text)
{
    return QLatin1Char('\'') + text + QLatin1Char('\'');
}

// [offset, offset + length) of another device, so a part can come from any QIODevice
// without QNetworkAccessManager reading past it.
class DeviceSlice : public QIODevice {
public:
    DeviceSlice(QIODevice *source, qint64 start, qint64 length, QObject *parent)
        : QIODevice(parent), m_source(source), m_start(start), m_length(length)
    {
        // A sequential source tells when more bytes arrived; pass that on.
        connect(source, &QIODevice::readyRead, this, &QIODevice::readyRead);
    }
    bool isSequential() const override { return m_source->isSequential(); }
    qint64 size() const override { return m_length; }
    bool atEnd() const override { return m_read >= m_length; }
    qint64 bytesAvailable() const override
    {
        return std::min(m_length - m_read, m_source->bytesAvailable()) + QIODevice::bytesAvailable();
    }
    bool seek(qint64 pos) override
    {
        if (isSequential() || pos < 0 || pos > m_length || !m_source->seek(m_start + pos))
            return false;
        m_read = pos;
        return QIODevice::seek(pos);
    }

protected:
    qint64 readData(char *data, qint64 maxSize) override
    {
        const qint64 want = std::min(maxSize, m_length - m_read);
        if (want <= 0)
            return m_read >= m_length ? -1 : 0;
        const qint64 got = m_source->read(data, want);
        if (got > 0)
            m_read += got;
        return got;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    QPointer<QIODevice> m_source;
    qint64 m_start;
    qint64 m_length;
    qint64 m_read = 0;
};

// The text of the first element named `name` anywhere in xml ("" when absent).
QString xmlText(const QByteArray &xml, QStringView name)
{
    QXmlStreamReader reader(xml);
    while (!reader.atEnd()) {
        if (reader.readNext() == QXmlStreamReader::StartElement && reader.name() == name)
            return reader.readElementText(QXmlStreamReader::IncludeChildElements);
    }
    return {};
}

bool isXmlError(const QByteArray &xml)
{
    QXmlStreamReader reader(xml);
    return reader.readNextStartElement() && reader.name() == QLatin1String("Error");
}

QString errorCodeFor(const QString &s3Code, int status)
{
    static const QHash<QString, QString> codes{
        {QStringLiteral("NoSuchKey"), QString::fromLatin1(kNoSuchKeyCode)},
        {QStringLiteral("NoSuchBucket"), QString::fromLatin1(kNoSuchBucketCode)},
        {QStringLiteral("NoSuchUpload"), QString::fromLatin1(kNoSuchUploadCode)},
        {QStringLiteral("PreconditionFailed"), QString::fromLatin1(kPreconditionFailedCode)},
        {QStringLiteral("ConditionalRequestConflict"), QString::fromLatin1(kPreconditionFailedCode)},
        {QStringLiteral("SignatureDoesNotMatch"), QString::fromLatin1(kSignatureMismatchCode)},
        {QStringLiteral("AccessDenied"), QString::fromLatin1(kAccessDeniedCode)},
        {QStringLiteral("InvalidAccessKeyId"), QString::fromLatin1(kAccessDeniedCode)},
        {QStringLiteral("ExpiredToken"), QString::fromLatin1(kAccessDeniedCode)},
        {QStringLiteral("InvalidToken"), QString::fromLatin1(kAccessDeniedCode)},
        {QStringLiteral("InvalidRange"), QString::fromLatin1(kRangeNotSatisfiableCode)},
        {QStringLiteral("EntityTooSmall"), QString::fromLatin1(kEntityTooSmallCode)},
    };
    const auto it = codes.constFind(s3Code);
    if (it != codes.constEnd())
        return *it;
    if (status == 412)
        return QString::fromLatin1(kPreconditionFailedCode);
    if (status == 403)  // HEAD answers carry no <Error> body
        return QString::fromLatin1(kAccessDeniedCode);
    if (status == 416)
        return QString::fromLatin1(kRangeNotSatisfiableCode);
    return QString::fromLatin1(kServerRefusedCode);
}

// S3's <Error><Code><Message> as a sentence naming the operation; a body-less 404 (HEAD)
// is a missing key.
Error s3Error(int status, const QString &reason, const QByteArray &xml, const QString &what, bool isHead)
{
    QString code = xmlText(xml, u"Code");
    QString message = xmlText(xml, u"Message").simplified();
    if (code.isEmpty() && status == 404 && isHead) {
        code = QStringLiteral("NoSuchKey");
        message = QStringLiteral("The object does not exist.");
    }
    if (message.isEmpty())
        message = reason.isEmpty() ? QStringLiteral("no explanation given.") : reason + QLatin1Char('.');
    else if (!message.endsWith(QLatin1Char('.')))
        message += QLatin1Char('.');
    const QString detail = code.isEmpty() ? QStringLiteral("HTTP %1").arg(status)
                                          : QStringLiteral("%1, HTTP %2").arg(code).arg(status);
    return Error(errorCodeFor(code, status), QStringLiteral("S3 refused to %1: %2 (%3)").arg(what, message, detail),
                 status);
}

bool retryableNetworkError(QNetworkReply::NetworkError error, RetryPolicy policy)
{
    if (policy == RetryPolicy::Never)
        return false;
    if (error == QNetworkReply::ConnectionRefusedError || error == QNetworkReply::HostNotFoundError)
        return true;
    if (policy == RetryPolicy::WhenRefused)
        return false;
    switch (error) {
    case QNetworkReply::RemoteHostClosedError:
    case QNetworkReply::TimeoutError:
    case QNetworkReply::OperationCanceledError:  // the transfer timeout
    case QNetworkReply::TemporaryNetworkFailureError:
    case QNetworkReply::NetworkSessionFailedError:
    case QNetworkReply::UnknownNetworkError:
    case QNetworkReply::ProxyConnectionClosedError:
    case QNetworkReply::InternalServerError:
    case QNetworkReply::ServiceUnavailableError:
        return true;
    default:
        return false;
    }
}

ObjectInfo objectInfoFrom(const QNetworkReply *reply, const QString &key)
{
    ObjectInfo info;
    info.key = key;
    info.etag = reply->rawHeader("ETag");
    info.contentType = reply->rawHeader("Content-Type");
    info.lastModified = reply->header(QNetworkRequest::LastModifiedHeader).toDateTime();
    const QByteArray range = reply->rawHeader("Content-Range");  // "bytes 0-9/443"
    const qsizetype slash = range.lastIndexOf('/');
    bool ok = false;
    if (slash >= 0) {
        const qint64 total = range.mid(slash + 1).toLongLong(&ok);
        if (ok)
            info.size = total;
    }
    if (!ok && reply->hasRawHeader("Content-Length"))
        info.size = reply->rawHeader("Content-Length").toLongLong();
    for (const auto &[name, value] : reply->rawHeaderPairs()) {
        const QByteArray lower = name.toLower();
        if (lower.startsWith("x-amz-meta-"))
            info.metadata.insert(lower.mid(11), value);
    }
    return info;
}

QString stripPrefix(const QString &key, const QString &prefix)
{
    return key.startsWith(prefix) ? key.mid(prefix.size()) : key;
}

Result<ListPage> parseListPage(const QByteArray &xml, const QString &keyPrefix)
{
    ListPage page;
    QXmlStreamReader reader(xml);
    if (!reader.readNextStartElement() || reader.name() != QLatin1String("ListBucketResult"))
        return Error(kServerRefusedCode, QStringLiteral("S3 answered a listing with something that is not a ListBucketResult."));
    while (reader.readNextStartElement()) {
        const auto name = reader.name();
        if (name == QLatin1String("Contents")) {
            ObjectInfo info;
            while (reader.readNextStartElement()) {
                const auto field = reader.name();
                const QString text = reader.readElementText(QXmlStreamReader::SkipChildElements);
                if (field == QLatin1String("Key"))
                    info.key = stripPrefix(text, keyPrefix);
                else if (field == QLatin1String("Size"))
                    info.size = text.toLongLong();
                else if (field == QLatin1String("ETag"))
                    info.etag = text.toUtf8();
                else if (field == QLatin1String("LastModified"))
                    info.lastModified = QDateTime::fromString(text, Qt::ISODateWithMs);
            }
            page.objects.append(info);
        } else if (name == QLatin1String("CommonPrefixes")) {
            while (reader.readNextStartElement()) {
                const bool isPrefix = reader.name() == QLatin1String("Prefix");
                const QString text = reader.readElementText(QXmlStreamReader::SkipChildElements);
                if (isPrefix)
                    page.commonPrefixes.append(stripPrefix(text, keyPrefix));
            }
        } else if (name == QLatin1String("IsTruncated")) {
            page.truncated = reader.readElementText() == QLatin1String("true");
        } else if (name == QLatin1String("NextContinuationToken")) {
            page.nextContinuationToken = reader.readElementText();
        } else {
            reader.skipCurrentElement();
        }
    }
    if (reader.hasError())
        return Error(kServerRefusedCode, QStringLiteral("S3's listing could not be read: %1.").arg(reader.errorString()));
    return page;
}

QString normalisedPrefix(QString prefix)
{
    while (prefix.startsWith(QLatin1Char('/')))
        prefix.remove(0, 1);
    if (!prefix.isEmpty() && !prefix.endsWith(QLatin1Char('/')))
        prefix += QLatin1Char('/');
    return prefix;
}

bool isValidBucketName(const QString &bucket)
{
    static const QRegularExpression pattern(QStringLiteral("^[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]$"));
    return pattern.match(bucket).hasMatch();
}

} // namespace

// ---------------------------------------------------------------------------------------
// Locations and configuration

Result<S3Location> parseS3Url(const QString &url)
{
    const QString scheme = QStringLiteral("s3://");
    if (!url.startsWith(scheme, Qt::CaseInsensitive))
        return Error(kBadUrlCode, QStringLiteral("'%1' is not an S3 location (expected s3://BUCKET[/PREFIX]).").arg(url));
    const QString rest = url.mid(scheme.size());
    const qsizetype slash = rest.indexOf(QLatin1Char('/'));
    S3Location location;
    location.bucket = slash < 0 ? rest : rest.left(slash);
    if (!isValidBucketName(location.bucket))
        return Error(kBadUrlCode, QStringLiteral("'%1' has no valid bucket name (3 to 63 lower-case letters, digits, "
                                                 "'.' and '-').").arg(url));
    QString prefix = slash < 0 ? QString() : rest.mid(slash + 1);
    while (prefix.endsWith(QLatin1Char('/')))
        prefix.chop(1);
    location.prefix = normalisedPrefix(prefix);
    return location;
}

Status S3Config::validate() const
{
    if (!isValidBucketName(bucket))
        return Error(kBadUrlCode, QStringLiteral("'%1' is not a valid S3 bucket name (3 to 63 lower-case letters, "
                                                 "digits, '.' and '-').").arg(bucket));
    if (!endpoint.isEmpty()) {
        const QString scheme = endpoint.scheme();
        if (!endpoint.isValid() || endpoint.host().isEmpty()
            || (scheme != QLatin1String("http") && scheme != QLatin1String("https")))
            return Error(kBadUrlCode, QStringLiteral("The S3 endpoint '%1' is not an http:// or https:// URL.")
                                          .arg(endpoint.toString(QUrl::RemoveUserInfo)));
    }
    if (region.isEmpty())
        return Error(kBadUrlCode, QStringLiteral("No S3 region is set."));
    if (!credentials.isComplete())
        return Error(kCredentialsMissingCode, QStringLiteral("The S3 client has no access key id and secret."));
    return {};
}

S3Config S3Config::withLocation(const S3Location &location) const
{
    S3Config out = *this;
    out.bucket = location.bucket;
    out.keyPrefix = location.prefix;
    return out;
}

QDebug operator<<(QDebug debug, const S3Config &config)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "S3Config(endpoint=" << config.endpoint.toString(QUrl::RemoveUserInfo)
                    << ", region=" << config.region << ", bucket=" << config.bucket << ", keyPrefix=" << config.keyPrefix
                    << ", addressing=" << (config.addressing == AddressingStyle::Path ? "path" : "virtual-host") << ", "
                    << config.credentials << ')';
    return debug;
}

// ---------------------------------------------------------------------------------------
// One operation: what to send and how to read the answer.

struct S3Client::Call {
    QByteArray method;
    QString key;                       // full key (prefix applied); empty = the bucket itself
    QList<QueryField> query;
    QList<HeaderField> headers;        // all signed and sent
    BodyKind bodyKind = BodyKind::None;
    QByteArray bytes;
    QString path;                      // FileRange
    qint64 offset = 0;                 // FileRange: in the file; Device: where the device was
    qint64 length = 0;                 // FileRange / Device
    QPointer<QIODevice> device;
    QByteArray payloadHash;
    SinkKind sinkKind = SinkKind::None;
    qint64 maxBytes = 0;               // Bytes sink
    QString sinkPath;
    QPointer<QIODevice> sinkDevice;
    RetryPolicy retry = RetryPolicy::WhenNoAnswer;
    QString what;                      // "read 'a/b' from bucket 'media'"
    bool errorIn200 = false;           // Copy / Complete may answer 200 with an <Error>
    // Fills the answer from a successful reply (headers read already; xml = the body kept).
    std::function<Result<S3Answer>(QNetworkReply *, const QByteArray &xml, S3Answer)> parse;
};

struct S3Reply::Operation {
    std::shared_ptr<S3Client::Call> call;
    QPointer<QNetworkReply> network;
    std::unique_ptr<QFile> sinkFile;
    QByteArray received;               // a Bytes sink, an XML answer, or an error body
    qint64 sinkBytes = 0;
    bool sinkTouched = false;          // a Device sink got bytes: no retry possible
    bool overBound = false;
    int attempt = 0;
    bool aborted = false;
    std::function<void()> onAbort;     // composite operations (probeConditionalWrites)
    std::optional<Error> localError;   // a sink write failure
};

S3Reply::S3Reply(QString description, QObject *parent)
    : QObject(parent), m_description(std::move(description)), m_operation(std::make_unique<Operation>())
{
}

S3Reply::~S3Reply()
{
    if (m_operation && m_operation->network) {
        QNetworkReply *network = m_operation->network;
        QObject::disconnect(network, nullptr, this, nullptr);
        network->abort();
        network->deleteLater();
    }
    if (m_operation && m_operation->sinkFile && !m_finished)
        m_operation->sinkFile->remove();
}

const Result<S3Answer> &S3Reply::result() const
{
    static const Result<S3Answer> unfinished(Error(kBadRequestCode, QStringLiteral("The S3 operation has not finished.")));
    return m_result ? *m_result : unfinished;
}

void S3Reply::abort()
{
    if (m_finished || !m_operation)
        return;
    m_operation->aborted = true;
    if (m_operation->onAbort)
        m_operation->onAbort();
    if (m_operation->network)
        m_operation->network->abort();  // finished() follows through the reply's handler
    else
        finish(Error(kCanceledCode, QStringLiteral("Canceled: %1.").arg(m_description)));
}

void S3Reply::finish(Result<S3Answer> result)
{
    if (m_finished)
        return;
    m_finished = true;
    m_result.emplace(std::move(result));
    emit finished();
}

// ---------------------------------------------------------------------------------------
// The client

S3Client::S3Client(S3Config config, QNetworkAccessManager *network, QObject *parent)
    : QObject(parent), m_config(std::move(config)),
      m_network(network ? network : new QNetworkAccessManager(this)),
      m_signer(m_config.credentials, m_config.region)
{
    m_config.keyPrefix = normalisedPrefix(m_config.keyPrefix);
    if (m_config.endpoint.isEmpty())
        m_config.endpoint = QUrl(QStringLiteral("https://s3.%1.amazonaws.com").arg(m_config.region));
    m_config.maxAttempts = std::max(1, m_config.maxAttempts);
}

S3Client::~S3Client()
{
    // Replies go first, while the config and the network they use still exist: each
    // cancels its request without calling back.
    const QList<S3Reply *> replies = findChildren<S3Reply *>(Qt::FindDirectChildrenOnly);
    qDeleteAll(replies);
}

namespace {

struct Target {
    QString host;          // host[:port] as sent and signed
    QString decodedPath;   // what SigV4 encodes
    QUrl url;
};

Target targetFor(const S3Config &config, const QString &fullKey, const QList<QueryField> &query)
{
    const QUrl &endpoint = config.endpoint;
    QString base = endpoint.path();
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    Target t;
    QString host = endpoint.host();
    if (host.contains(QLatin1Char(':')))
        host = QLatin1Char('[') + host + QLatin1Char(']');  // an IPv6 literal
    if (config.addressing == AddressingStyle::VirtualHost) {
        host = config.bucket + QLatin1Char('.') + host;
        t.decodedPath = base + QLatin1Char('/') + fullKey;
    } else {
        t.decodedPath = base + QLatin1Char('/') + config.bucket;
        if (!fullKey.isEmpty())
            t.decodedPath += QLatin1Char('/') + fullKey;
    }
    const int port = endpoint.port();
    const int defaultPort = endpoint.scheme() == QLatin1String("https") ? 443 : 80;
    t.host = (port < 0 || port == defaultPort) ? host : host + QLatin1Char(':') + QString::number(port);
    QByteArray encoded = endpoint.scheme().toLatin1() + "://" + t.host.toUtf8()
                         + SigV4Signer::uriEncode(t.decodedPath, false);
    const QByteArray queryText = SigV4Signer::canonicalQuery(query);
    if (!queryText.isEmpty())
        encoded += '?' + queryText;
    t.url = QUrl::fromEncoded(encoded, QUrl::StrictMode);
    return t;
}

} // namespace

QUrl S3Client::objectUrl(const QString &key) const
{
    return targetFor(m_config, m_config.keyPrefix + key, {}).url;
}

S3Reply *S3Client::start(std::shared_ptr<Call> call)
{
    auto *reply = new S3Reply(call->what, this);
    reply->m_operation->call = std::move(call);
    // Never finish from inside the call: the caller connects to finished() first.
    QMetaObject::invokeMethod(this, [this, reply = QPointer<S3Reply>(reply)] {
        if (reply && !reply->isFinished())
            send(reply);
    }, Qt::QueuedConnection);
    return reply;
}

S3Reply *S3Client::failed(const QString &what, Error error)
{
    auto *reply = new S3Reply(what, this);
    QMetaObject::invokeMethod(reply, [reply, error = std::move(error)] { reply->finish(error); }, Qt::QueuedConnection);
    return reply;
}

void S3Client::send(S3Reply *reply)
{
    S3Reply::Operation &op = *reply->m_operation;
    const Call &c = *op.call;
    if (op.aborted)
        return reply->finish(Error(kCanceledCode, QStringLiteral("Canceled: %1.").arg(c.what)));
    ++op.attempt;
    op.received.clear();
    op.sinkBytes = 0;
    op.overBound = false;

    // The body, recreated on every attempt (a retry starts it again).
    std::unique_ptr<QIODevice> body;
    qint64 bodyLength = 0;
    switch (c.bodyKind) {
    case BodyKind::None:
        break;
    case BodyKind::Bytes: {
        auto buffer = std::make_unique<QBuffer>();
        buffer->setData(c.bytes);
        buffer->open(QIODevice::ReadOnly);
        bodyLength = c.bytes.size();
        body = std::move(buffer);
        break;
    }
    case BodyKind::FileRange: {
        auto file = std::make_unique<tus::FileRangeDevice>(c.path, c.offset, c.length);
        if (!file->open(QIODevice::ReadOnly))
            return reply->finish(Error(kLocalFileCode, QStringLiteral("Could not %1: %2 could not be read (%3).")
                                                           .arg(c.what, c.path, file->errorString())));
        bodyLength = c.length;
        body = std::move(file);
        break;
    }
    case BodyKind::Device: {
        if (!c.device || !c.device->isReadable())
            return reply->finish(Error(kLocalFileCode, QStringLiteral("Could not %1: the source is not readable.").arg(c.what)));
        if (op.attempt > 1 && !c.device->seek(c.offset))
            return reply->finish(Error(kLocalFileCode, QStringLiteral("Could not %1: the source cannot be rewound.").arg(c.what)));
        auto slice = std::make_unique<DeviceSlice>(c.device.data(), c.offset, c.length, nullptr);
        slice->open(QIODevice::ReadOnly | QIODevice::Unbuffered);  // atEnd() and pos() exact
        bodyLength = c.length;
        body = std::move(slice);
        break;
    }
    }

    // The sink, emptied on every attempt.
    if (c.sinkKind == SinkKind::File) {
        if (!op.sinkFile) {
            op.sinkFile = std::make_unique<QFile>(c.sinkPath);
            if (!op.sinkFile->open(QIODevice::WriteOnly | QIODevice::Truncate)) {
                const QString why = op.sinkFile->errorString();
                op.sinkFile.reset();
                return reply->finish(Error(kLocalFileCode, QStringLiteral("Could not %1: %2 could not be written (%3).")
                                                               .arg(c.what, c.sinkPath, why)));
            }
        } else {
            op.sinkFile->resize(0);
            op.sinkFile->seek(0);
        }
    }

    const Target target = targetFor(m_config, c.key, c.query);
    SigningRequest signing;
    signing.method = c.method;
    signing.path = target.decodedPath;
    signing.query = c.query;
    signing.headers = c.headers;
    signing.headers.prepend(HeaderField{"Host", target.host.toUtf8()});
    signing.payloadHash = c.payloadHash.isEmpty() ? sha256Hex({}) : c.payloadHash;
    Result<Signature> signature = m_signer.signS3(signing, QDateTime::currentDateTimeUtc());
    if (!signature)
        return reply->finish(signature.error());

    QNetworkRequest request(target.url);
    for (const HeaderField &h : signing.headers)
        request.setRawHeader(h.first, h.second);
    // Bytes exactly as S3 has them: no transparent decompression.
    request.setRawHeader("Accept-Encoding", "identity");
    request.setTransferTimeout(m_config.timeoutMs);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    if (body) {
        request.setHeader(QNetworkRequest::ContentLengthHeader, bodyLength);
        // Stream from the device; never copy a part into memory first.
        request.setAttribute(QNetworkRequest::DoNotBufferUploadDataAttribute, true);
    }

    QNetworkReply *network = nullptr;
    if (c.method == "GET")
        network = m_network->get(request);
    else if (c.method == "HEAD")
        network = m_network->head(request);
    else if (c.method == "DELETE")
        network = m_network->deleteResource(request);
    else if (body)
        network = m_network->sendCustomRequest(request, c.method, body.get());
    else
        network = m_network->sendCustomRequest(request, c.method, QByteArray());
    if (body)
        body.release()->setParent(network);  // lives exactly as long as the transfer
    op.network = network;
    if (c.sinkKind == SinkKind::File || c.sinkKind == SinkKind::Device)
        network->setReadBufferSize(kReadBufferBytes);

    connect(network, &QNetworkReply::readyRead, reply, [this, reply, network] { drain(reply, network); });
    connect(network, &QNetworkReply::uploadProgress, reply, [reply](qint64 sent, qint64 total) {
        if (sent > 0)
            emit reply->progress(sent, total);
    });
    connect(network, &QNetworkReply::downloadProgress, reply, [reply](qint64 received, qint64 total) {
        if (received > 0)
            emit reply->progress(received, total);
    });
    connect(network, &QNetworkReply::finished, reply, [this, reply, network] { onNetworkFinished(reply, network); });
}

// Moves what arrived to where it goes: the sink when the answer is a success, else the
// bounded buffer kept for the XML answer or the error.
void S3Client::drain(S3Reply *reply, QNetworkReply *network)
{
    S3Reply::Operation &o = *reply->m_operation;
    const Call &call = *o.call;
    if (o.overBound || o.localError)
        return;
    const int status = network->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const bool success = status >= 200 && status < 300;
    while (network->bytesAvailable() > 0) {
        const QByteArray chunk = network->read(kReadChunkBytes);
        if (chunk.isEmpty())
            break;
        if (success && call.sinkKind == SinkKind::File) {
            if (o.sinkFile->write(chunk) != chunk.size()) {
                o.localError = Error(kLocalFileCode, QStringLiteral("Could not %1: writing %2 failed (%3).")
                                                         .arg(call.what, call.sinkPath, o.sinkFile->errorString()));
                network->abort();
                return;
            }
            o.sinkBytes += chunk.size();
        } else if (success && call.sinkKind == SinkKind::Device) {
            o.sinkTouched = true;
            if (!call.sinkDevice || call.sinkDevice->write(chunk) != chunk.size()) {
                o.localError = Error(kLocalFileCode, QStringLiteral("Could not %1: the destination refused the bytes.")
                                                         .arg(call.what));
                network->abort();
                return;
            }
            o.sinkBytes += chunk.size();
        } else {
            const qint64 bound = success && call.sinkKind == SinkKind::Bytes ? call.maxBytes : kMaxXmlAnswerBytes;
            if (o.received.size() + chunk.size() > bound) {
                o.overBound = true;
                network->abort();
                return;
            }
            o.received.append(chunk);
            o.sinkBytes += chunk.size();
        }
    }
}

void S3Client::onNetworkFinished(S3Reply *reply, QNetworkReply *network)
{
    S3Reply::Operation &op = *reply->m_operation;
    const Call &c = *op.call;
    op.network = nullptr;
    network->deleteLater();
    drain(reply, network);  // what readyRead has not delivered yet

    const int status = network->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QNetworkReply::NetworkError netError = network->error();
    const auto failWith = [&](Error error) {
        if (op.sinkFile) {
            op.sinkFile->close();
            op.sinkFile->remove();
            op.sinkFile.reset();
        }
        reply->finish(std::move(error));
    };

    if (op.aborted)
        return failWith(Error(kCanceledCode, QStringLiteral("Canceled: %1.").arg(c.what)));
    if (op.localError)
        return failWith(*op.localError);
    if (op.overBound) {
        const bool bytesSink = c.sinkKind == SinkKind::Bytes && status >= 200 && status < 300;
        return failWith(Error(kTooLargeCode,
                              QStringLiteral("Could not %1: the answer is larger than %2 bytes; stream it to a file instead.")
                                  .arg(c.what)
                                  .arg(bytesSink ? c.maxBytes : kMaxXmlAnswerBytes)));
    }

    const bool canRepeat = !op.sinkTouched
                           && (c.bodyKind != BodyKind::Device || (c.device && !c.device->isSequential()));
    const bool answered = status >= 300 || (status >= 200 && netError == QNetworkReply::NoError);
    const bool serverTrouble = status == 500 || status == 502 || status == 503 || status == 504;
    const bool retry = op.attempt < m_config.maxAttempts && canRepeat
                       && ((!answered && retryableNetworkError(netError, c.retry))
                           || (serverTrouble && c.retry == RetryPolicy::WhenNoAnswer));
    if (retry) {
        const int delay = m_config.retryDelayMs * (1 << std::min(op.attempt - 1, 6));
        QTimer::singleShot(delay, reply, [this, reply] { send(reply); });
        return;
    }

    const QString endpoint = m_config.endpoint.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery);
    const QString attempts = op.attempt > 1 ? QStringLiteral(" (after %1 attempts)").arg(op.attempt) : QString();
    if (!answered) {
        const bool timedOut = netError == QNetworkReply::TimeoutError || netError == QNetworkReply::OperationCanceledError;
        if (timedOut)
            return failWith(Error(kTimeoutCode, QStringLiteral("Could not %1: the S3 endpoint %2 sent nothing for %3 s%4.")
                                                    .arg(c.what, endpoint)
                                                    .arg(m_config.timeoutMs / 1000.0)
                                                    .arg(attempts)));
        return failWith(Error(kNetworkErrorCode, QStringLiteral("Could not %1: the S3 endpoint %2 could not be reached: %3%4.")
                                                     .arg(c.what, endpoint, network->errorString(), attempts)));
    }
    const QString reason = network->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
    if (status >= 300 || (c.errorIn200 && isXmlError(op.received)))
        return failWith(s3Error(status, reason, op.received, c.what, c.method == "HEAD"));

    S3Answer answer;
    answer.httpStatus = status;
    answer.attempts = op.attempt;
    answer.object = objectInfoFrom(network, stripPrefix(c.key, m_config.keyPrefix));
    if (c.sinkKind == SinkKind::Bytes) {
        answer.body = std::move(op.received);
        answer.bytesTransferred = answer.body.size();
    } else if (c.sinkKind != SinkKind::None) {
        answer.bytesTransferred = op.sinkBytes;
    } else if (c.bodyKind != BodyKind::None) {
        answer.bytesTransferred = c.bodyKind == BodyKind::Bytes ? c.bytes.size() : c.length;
    }
    if (op.sinkFile) {
        if (!op.sinkFile->flush()) {
            return failWith(Error(kLocalFileCode, QStringLiteral("Could not %1: writing %2 failed (%3).")
                                                      .arg(c.what, c.sinkPath, op.sinkFile->errorString())));
        }
        op.sinkFile->close();
        op.sinkFile.reset();
    }
    if (c.parse) {
        Result<S3Answer> parsed = c.parse(network, op.received, std::move(answer));
        if (!parsed)
            return failWith(parsed.error());
        return reply->finish(std::move(parsed).value());
    }
    reply->finish(std::move(answer));
}

// ---------------------------------------------------------------------------------------
// Operations

namespace {

constexpr qint64 kMaxKeyBytes = 1024;  // S3's limit on a key's UTF-8 length

void addPutHeaders(QList<HeaderField> &headers, const PutOptions &options)
{
    headers.append(HeaderField{"Content-Type", options.contentType.isEmpty() ? QByteArray("application/octet-stream")
                                                                  : options.contentType});
    for (auto it = options.metadata.cbegin(); it != options.metadata.cend(); ++it)
        headers.append(HeaderField{"x-amz-meta-" + it.key().toLower(), it.value()});
    if (options.ifNoneMatchAny)
        headers.append(HeaderField{"If-None-Match", "*"});
    if (!options.ifMatch.isEmpty())
        headers.append(HeaderField{"If-Match", options.ifMatch});
}

RetryPolicy putRetry(const PutOptions &options)
{
    return options.ifNoneMatchAny || !options.ifMatch.isEmpty() ? RetryPolicy::WhenRefused : RetryPolicy::WhenNoAnswer;
}

Status checkRange(const GetOptions &options)
{
    if (options.range && (options.range->first < 0 || (options.range->last >= 0 && options.range->last < options.range->first)
                          || options.range->last < -1))
        return Error(kBadRequestCode, QStringLiteral("The byte range %1-%2 is not valid.")
                                          .arg(options.range->first)
                                          .arg(options.range->last));
    return {};
}

void addGetHeaders(QList<HeaderField> &headers, const GetOptions &options)
{
    if (options.range) {
        QByteArray value = "bytes=" + QByteArray::number(options.range->first) + '-';
        if (options.range->last >= 0)
            value += QByteArray::number(options.range->last);
        headers.append(HeaderField{"Range", value});
    }
    if (!options.ifMatch.isEmpty())
        headers.append(HeaderField{"If-Match", options.ifMatch});
}

QString partWhat(int partNumber, const QString &key, const QString &bucket)
{
    return QStringLiteral("send part %1 of %2 to bucket %3").arg(partNumber).arg(quoted(key), quoted(bucket));
}

} // namespace

Result<std::shared_ptr<S3Client::Call>> S3Client::objectCall(const char *method, const QString &key, const QString &what)
{
    const QString fullKey = m_config.keyPrefix + key;
    if (key.isEmpty())
        return Error(kBadRequestCode, QStringLiteral("Could not %1: the object key is empty.").arg(what));
    if (fullKey.toUtf8().size() > kMaxKeyBytes)
        return Error(kBadRequestCode, QStringLiteral("Could not %1: the key is longer than S3's %2 bytes.").arg(what).arg(kMaxKeyBytes));
    auto call = std::make_shared<Call>();
    call->method = method;
    call->key = fullKey;
    call->what = what;
    return call;
}

S3Reply *S3Client::putObject(const QString &key, const QByteArray &bytes, const PutOptions &options)
{
    const QString what = QStringLiteral("write %1 to bucket %2").arg(quoted(m_config.keyPrefix + key), quoted(m_config.bucket));
    auto call = objectCall("PUT", key, what);
    if (!call)
        return failed(what, call.error());
    Call &c = *call.value();
    c.bodyKind = BodyKind::Bytes;
    c.bytes = bytes;
    c.payloadHash = sha256Hex(bytes);
    c.retry = putRetry(options);
    addPutHeaders(c.headers, options);
    return start(call.value());
}

S3Reply *S3Client::putObjectFromFile(const QString &key, const QString &path, qint64 offset, qint64 length,
                                     const PutOptions &options)
{
    const QString what = QStringLiteral("write %1 to bucket %2").arg(quoted(m_config.keyPrefix + key), quoted(m_config.bucket));
    auto call = objectCall("PUT", key, what);
    if (!call)
        return failed(what, call.error());
    const QFileInfo info(path);
    if (!info.isFile())
        return failed(what, Error(kLocalFileCode, QStringLiteral("Could not %1: %2 is not a readable file.").arg(what, path)));
    if (length < 0)
        length = info.size() - offset;
    if (offset < 0 || length < 0 || offset + length > info.size())
        return failed(what, Error(kBadRequestCode, QStringLiteral("Could not %1: bytes %2 to %3 are not inside %4 (%5 bytes).")
                                                       .arg(what).arg(offset).arg(offset + length).arg(path).arg(info.size())));
    Call &c = *call.value();
    c.bodyKind = BodyKind::FileRange;
    c.path = path;
    c.offset = offset;
    c.length = length;
    c.payloadHash = options.payloadSha256.isEmpty() ? QByteArray(kUnsignedPayload) : options.payloadSha256;
    c.retry = putRetry(options);
    addPutHeaders(c.headers, options);
    return start(call.value());
}

S3Reply *S3Client::putObjectFromDevice(const QString &key, QIODevice *source, qint64 length, const PutOptions &options)
{
    const QString what = QStringLiteral("write %1 to bucket %2").arg(quoted(m_config.keyPrefix + key), quoted(m_config.bucket));
    auto call = objectCall("PUT", key, what);
    if (!call)
        return failed(what, call.error());
    if (!source || !source->isReadable() || length < 0)
        return failed(what, Error(kLocalFileCode, QStringLiteral("Could not %1: the source is not readable.").arg(what)));
    Call &c = *call.value();
    c.bodyKind = BodyKind::Device;
    c.device = source;
    c.offset = source->isSequential() ? 0 : source->pos();
    c.length = length;
    c.payloadHash = options.payloadSha256.isEmpty() ? QByteArray(kUnsignedPayload) : options.payloadSha256;
    c.retry = putRetry(options);
    addPutHeaders(c.headers, options);
    return start(call.value());
}

S3Reply *S3Client::getObject(const QString &key, const GetOptions &options)
{
    const QString what = QStringLiteral("read %1 from bucket %2").arg(quoted(m_config.keyPrefix + key), quoted(m_config.bucket));
    auto call = objectCall("GET", key, what);
    if (!call)
        return failed(what, call.error());
    if (Status range = checkRange(options); !range)
        return failed(what, range.error());
    Call &c = *call.value();
    c.sinkKind = SinkKind::Bytes;
    c.maxBytes = std::max<qint64>(0, options.maxBytes);
    addGetHeaders(c.headers, options);
    return start(call.value());
}

S3Reply *S3Client::getObjectToFile(const QString &key, const QString &path, const GetOptions &options)
{
    const QString what = QStringLiteral("read %1 from bucket %2").arg(quoted(m_config.keyPrefix + key), quoted(m_config.bucket));
    auto call = objectCall("GET", key, what);
    if (!call)
        return failed(what, call.error());
    if (Status range = checkRange(options); !range)
        return failed(what, range.error());
    Call &c = *call.value();
    c.sinkKind = SinkKind::File;
    c.sinkPath = path;
    addGetHeaders(c.headers, options);
    return start(call.value());
}

S3Reply *S3Client::getObjectToDevice(const QString &key, QIODevice *sink, const GetOptions &options)
{
    const QString what = QStringLiteral("read %1 from bucket %2").arg(quoted(m_config.keyPrefix + key), quoted(m_config.bucket));
    auto call = objectCall("GET", key, what);
    if (!call)
        return failed(what, call.error());
    if (Status range = checkRange(options); !range)
        return failed(what, range.error());
    if (!sink || !sink->isWritable())
        return failed(what, Error(kBadRequestCode, QStringLiteral("Could not %1: the destination is not writable.").arg(what)));
    Call &c = *call.value();
    c.sinkKind = SinkKind::Device;
    c.sinkDevice = sink;
    addGetHeaders(c.headers, options);
    return start(call.value());
}

S3Reply *S3Client::headObject(const QString &key)
{
    const QString what = QStringLiteral("look up %1 in bucket %2").arg(quoted(m_config.keyPrefix + key), quoted(m_config.bucket));
    auto call = objectCall("HEAD", key, what);
    if (!call)
        return failed(what, call.error());
    return start(call.value());
}

S3Reply *S3Client::deleteObject(const QString &key)
{
    const QString what = QStringLiteral("delete %1 from bucket %2").arg(quoted(m_config.keyPrefix + key), quoted(m_config.bucket));
    auto call = objectCall("DELETE", key, what);
    if (!call)
        return failed(what, call.error());
    return start(call.value());
}

S3Reply *S3Client::listObjects(const ListOptions &options)
{
    const QString prefix = m_config.keyPrefix + options.prefix;
    const QString what = QStringLiteral("list %1 in bucket %2").arg(quoted(prefix), quoted(m_config.bucket));
    auto call = std::make_shared<Call>();
    call->method = "GET";
    call->what = what;
    call->query.append(QueryField{QStringLiteral("list-type"), QStringLiteral("2")});
    if (!prefix.isEmpty())
        call->query.append(QueryField{QStringLiteral("prefix"), prefix});
    if (!options.delimiter.isEmpty())
        call->query.append(QueryField{QStringLiteral("delimiter"), options.delimiter});
    if (!options.continuationToken.isEmpty())
        call->query.append(QueryField{QStringLiteral("continuation-token"), options.continuationToken});
    if (options.maxKeys > 0)
        call->query.append(QueryField{QStringLiteral("max-keys"), QString::number(std::min(options.maxKeys, 1000))});
    const QString keyPrefix = m_config.keyPrefix;
    call->parse = [keyPrefix](QNetworkReply *, const QByteArray &xml, S3Answer answer) -> Result<S3Answer> {
        Result<ListPage> page = parseListPage(xml, keyPrefix);
        if (!page)
            return page.error();
        answer.object = {};
        answer.list = std::move(page).value();
        return answer;
    };
    return start(call);
}

S3Reply *S3Client::copyObject(const QString &sourceKey, const QString &destinationKey, const PutOptions &options)
{
    const QString what = QStringLiteral("copy %1 to %2 in bucket %3")
                             .arg(quoted(m_config.keyPrefix + sourceKey), quoted(m_config.keyPrefix + destinationKey),
                                  quoted(m_config.bucket));
    auto call = objectCall("PUT", destinationKey, what);
    if (!call)
        return failed(what, call.error());
    if (sourceKey.isEmpty())
        return failed(what, Error(kBadRequestCode, QStringLiteral("Could not %1: the source key is empty.").arg(what)));
    Call &c = *call.value();
    c.headers.append(HeaderField{"x-amz-copy-source",
                      SigV4Signer::uriEncode(QLatin1Char('/') + m_config.bucket + QLatin1Char('/') + m_config.keyPrefix + sourceKey,
                                             false)});
    if (!options.metadata.isEmpty()) {
        c.headers.append(HeaderField{"x-amz-metadata-directive", "REPLACE"});
        addPutHeaders(c.headers, options);
    } else {
        if (options.ifNoneMatchAny)
            c.headers.append(HeaderField{"If-None-Match", "*"});
        if (!options.ifMatch.isEmpty())
            c.headers.append(HeaderField{"If-Match", options.ifMatch});
    }
    c.retry = putRetry(options);
    c.errorIn200 = true;
    c.parse = [](QNetworkReply *, const QByteArray &xml, S3Answer answer) -> Result<S3Answer> {
        const QString etag = xmlText(xml, u"ETag");
        if (!etag.isEmpty())
            answer.object.etag = etag.toUtf8();
        answer.object.size = -1;  // the answer's Content-Length is the XML's
        return answer;
    };
    return start(call.value());
}

S3Reply *S3Client::createMultipartUpload(const QString &key, const PutOptions &options)
{
    const QString what = QStringLiteral("start a multipart upload of %1 to bucket %2")
                             .arg(quoted(m_config.keyPrefix + key), quoted(m_config.bucket));
    auto call = objectCall("POST", key, what);
    if (!call)
        return failed(what, call.error());
    Call &c = *call.value();
    c.query.append(QueryField{QStringLiteral("uploads"), QString()});
    c.retry = RetryPolicy::Never;
    PutOptions headerOptions = options;
    headerOptions.ifMatch.clear();
    headerOptions.ifNoneMatchAny = false;
    addPutHeaders(c.headers, headerOptions);
    c.parse = [what](QNetworkReply *, const QByteArray &xml, S3Answer answer) -> Result<S3Answer> {
        answer.uploadId = xmlText(xml, u"UploadId");
        if (answer.uploadId.isEmpty())
            return Error(kServerRefusedCode, QStringLiteral("Could not %1: S3's answer has no UploadId.").arg(what));
        answer.object.size = -1;
        return answer;
    };
    return start(call.value());
}

S3Reply *S3Client::uploadPartFromFile(const QString &key, const QString &uploadId, int partNumber, const QString &path,
                                      qint64 offset, qint64 length)
{
    const QString what = partWhat(partNumber, m_config.keyPrefix + key, m_config.bucket);
    auto call = objectCall("PUT", key, what);
    if (!call)
        return failed(what, call.error());
    if (uploadId.isEmpty() || partNumber < 1 || partNumber > kMaxPartNumber || length < 0 || length > kMaxPartSize)
        return failed(what, Error(kBadRequestCode, QStringLiteral("Could not %1: the upload id, part number (1 to %2) or "
                                                                  "length (up to 5 GiB) is not valid.").arg(what).arg(kMaxPartNumber)));
    const QFileInfo info(path);
    if (!info.isFile() || offset < 0 || offset + length > info.size())
        return failed(what, Error(kLocalFileCode, QStringLiteral("Could not %1: bytes %2 to %3 are not inside the file %4.")
                                                      .arg(what).arg(offset).arg(offset + length).arg(path)));
    Call &c = *call.value();
    c.query = {{QStringLiteral("partNumber"), QString::number(partNumber)}, {QStringLiteral("uploadId"), uploadId}};
    c.bodyKind = BodyKind::FileRange;
    c.path = path;
    c.offset = offset;
    c.length = length;
    c.payloadHash = kUnsignedPayload;
    c.parse = [uploadId](QNetworkReply *, const QByteArray &, S3Answer answer) -> Result<S3Answer> {
        answer.uploadId = uploadId;
        answer.object.size = -1;
        return answer;
    };
    return start(call.value());
}

S3Reply *S3Client::uploadPartFromDevice(const QString &key, const QString &uploadId, int partNumber, QIODevice *source,
                                        qint64 length)
{
    const QString what = partWhat(partNumber, m_config.keyPrefix + key, m_config.bucket);
    auto call = objectCall("PUT", key, what);
    if (!call)
        return failed(what, call.error());
    if (uploadId.isEmpty() || partNumber < 1 || partNumber > kMaxPartNumber || length < 0 || length > kMaxPartSize)
        return failed(what, Error(kBadRequestCode, QStringLiteral("Could not %1: the upload id, part number (1 to %2) or "
                                                                  "length (up to 5 GiB) is not valid.").arg(what).arg(kMaxPartNumber)));
    if (!source || !source->isReadable())
        return failed(what, Error(kLocalFileCode, QStringLiteral("Could not %1: the source is not readable.").arg(what)));
    Call &c = *call.value();
    c.query = {{QStringLiteral("partNumber"), QString::number(partNumber)}, {QStringLiteral("uploadId"), uploadId}};
    c.bodyKind = BodyKind::Device;
    c.device = source;
    c.offset = source->isSequential() ? 0 : source->pos();
    c.length = length;
    c.payloadHash = kUnsignedPayload;
    c.parse = [uploadId](QNetworkReply *, const QByteArray &, S3Answer answer) -> Result<S3Answer> {
        answer.uploadId = uploadId;
        answer.object.size = -1;
        return answer;
    };
    return start(call.value());
}

S3Reply *S3Client::completeMultipartUpload(const QString &key, const QString &uploadId, const QList<CompletedPart> &parts)
{
    const QString what = QStringLiteral("complete the multipart upload of %1 to bucket %2")
                             .arg(quoted(m_config.keyPrefix + key), quoted(m_config.bucket));
    auto call = objectCall("POST", key, what);
    if (!call)
        return failed(what, call.error());
    if (uploadId.isEmpty() || parts.isEmpty())
        return failed(what, Error(kBadRequestCode, QStringLiteral("Could not %1: no upload id or no parts.").arg(what)));
    QByteArray xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    int previous = 0;
    for (const CompletedPart &part : parts) {
        if (part.partNumber <= previous || part.partNumber > kMaxPartNumber || part.etag.isEmpty())
            return failed(what, Error(kBadRequestCode, QStringLiteral("Could not %1: parts must be in ascending order with "
                                                                      "their ETags.").arg(what)));
        previous = part.partNumber;
        xml += "<Part><PartNumber>" + QByteArray::number(part.partNumber) + "</PartNumber><ETag>"
               + QString::fromUtf8(part.etag).toHtmlEscaped().toUtf8() + "</ETag></Part>";
    }
    xml += "</CompleteMultipartUpload>";
    Call &c = *call.value();
    c.query = {{QStringLiteral("uploadId"), uploadId}};
    c.bodyKind = BodyKind::Bytes;
    c.bytes = xml;
    c.payloadHash = sha256Hex(xml);
    c.headers.append(HeaderField{"Content-Type", "application/xml"});
    c.errorIn200 = true;
    c.parse = [uploadId](QNetworkReply *, const QByteArray &xml, S3Answer answer) -> Result<S3Answer> {
        answer.uploadId = uploadId;
        answer.object.etag = xmlText(xml, u"ETag").toUtf8();
        answer.object.size = -1;
        return answer;
    };
    return start(call.value());
}

S3Reply *S3Client::abortMultipartUpload(const QString &key, const QString &uploadId)
{
    const QString what = QStringLiteral("abort the multipart upload of %1 in bucket %2")
                             .arg(quoted(m_config.keyPrefix + key), quoted(m_config.bucket));
    auto call = objectCall("DELETE", key, what);
    if (!call)
        return failed(what, call.error());
    if (uploadId.isEmpty())
        return failed(what, Error(kBadRequestCode, QStringLiteral("Could not %1: no upload id.").arg(what)));
    call.value()->query = {{QStringLiteral("uploadId"), uploadId}};
    return start(call.value());
}

S3Reply *S3Client::probeConditionalWrites(const QString &probeKey)
{
    const QString what = QStringLiteral("probe conditional writes with %1 in bucket %2")
                             .arg(quoted(m_config.keyPrefix + probeKey), quoted(m_config.bucket));
    auto *outer = new S3Reply(what, this);
    PutOptions createOnly;
    createOnly.ifNoneMatchAny = true;
    const QByteArray marker = QByteArray::number(QDateTime::currentMSecsSinceEpoch());
    // 1: make sure the key exists (a plain put); 2: a create-only put must now be refused;
    // 3: delete the probe either way.
    S3Reply *first = putObject(probeKey, marker);
    outer->m_operation->onAbort = [first = QPointer<S3Reply>(first)] { if (first) first->abort(); };
    connect(first, &S3Reply::finished, outer, [this, outer, first, probeKey, createOnly, marker] {
        first->deleteLater();
        if (!first->result())
            return outer->finish(first->result().error());
        S3Reply *second = putObject(probeKey, marker, createOnly);
        outer->m_operation->onAbort = [second = QPointer<S3Reply>(second)] { if (second) second->abort(); };
        connect(second, &S3Reply::finished, outer, [this, outer, second, probeKey] {
            second->deleteLater();
            const Result<S3Answer> &r = second->result();
            if (!r && r.error().code != QLatin1String(kPreconditionFailedCode))
                return outer->finish(r.error());
            S3Answer answer;
            answer.httpStatus = r ? r->httpStatus : r.error().httpStatus;
            answer.conditionalWritesHonoured = !r;
            S3Reply *cleanup = deleteObject(probeKey);
            connect(cleanup, &S3Reply::finished, outer, [outer, cleanup, answer] {
                cleanup->deleteLater();
                if (!cleanup->result())
                    return outer->finish(cleanup->result().error());
                outer->finish(answer);
            });
        });
    });
    return outer;
}

// ---------------------------------------------------------------------------------------
// Blocking form

BlockingS3Client::BlockingS3Client(S3Config config) : m_client(std::make_unique<S3Client>(std::move(config))) {}
BlockingS3Client::~BlockingS3Client() = default;

const S3Config &BlockingS3Client::config() const
{
    return m_client->config();
}

Result<S3Answer> BlockingS3Client::wait(S3Reply *reply)
{
    if (!reply->isFinished()) {
        QEventLoop loop;
        QObject::connect(reply, &S3Reply::finished, &loop, &QEventLoop::quit);
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    }
    Result<S3Answer> result = reply->result();
    delete reply;
    return result;
}

Result<S3Answer> BlockingS3Client::putObject(const QString &key, const QByteArray &bytes, const PutOptions &options)
{
    return wait(m_client->putObject(key, bytes, options));
}
Result<S3Answer> BlockingS3Client::putObjectFromFile(const QString &key, const QString &path, qint64 offset, qint64 length,
                                                     const PutOptions &options)
{
    return wait(m_client->putObjectFromFile(key, path, offset, length, options));
}
Result<S3Answer> BlockingS3Client::putObjectFromDevice(const QString &key, QIODevice *source, qint64 length,
                                                       const PutOptions &options)
{
    return wait(m_client->putObjectFromDevice(key, source, length, options));
}
Result<S3Answer> BlockingS3Client::getObject(const QString &key, const GetOptions &options)
{
    return wait(m_client->getObject(key, options));
}
Result<S3Answer> BlockingS3Client::getObjectToFile(const QString &key, const QString &path, const GetOptions &options)
{
    return wait(m_client->getObjectToFile(key, path, options));
}
Result<S3Answer> BlockingS3Client::headObject(const QString &key)
{
    return wait(m_client->headObject(key));
}
Result<S3Answer> BlockingS3Client::deleteObject(const QString &key)
{
    return wait(m_client->deleteObject(key));
}
Result<S3Answer> BlockingS3Client::listObjects(const ListOptions &options)
{
    return wait(m_client->listObjects(options));
}
Result<S3Answer> BlockingS3Client::copyObject(const QString &sourceKey, const QString &destinationKey,
                                              const PutOptions &options)
{
    return wait(m_client->copyObject(sourceKey, destinationKey, options));
}
Result<S3Answer> BlockingS3Client::createMultipartUpload(const QString &key, const PutOptions &options)
{
    return wait(m_client->createMultipartUpload(key, options));
}
Result<S3Answer> BlockingS3Client::uploadPartFromFile(const QString &key, const QString &uploadId, int partNumber,
                                                      const QString &path, qint64 offset, qint64 length)
{
    return wait(m_client->uploadPartFromFile(key, uploadId, partNumber, path, offset, length));
}
Result<S3Answer> BlockingS3Client::completeMultipartUpload(const QString &key, const QString &uploadId,
                                                           const QList<CompletedPart> &parts)
{
    return wait(m_client->completeMultipartUpload(key, uploadId, parts));
}
Result<S3Answer> BlockingS3Client::abortMultipartUpload(const QString &key, const QString &uploadId)
{
    return wait(m_client->abortMultipartUpload(key, uploadId));
}
Result<S3Answer> BlockingS3Client::getObjectToDevice(const QString &key, QIODevice *sink, const GetOptions &options)
{
    return wait(m_client->getObjectToDevice(key, sink, options));
}
Result<S3Answer> BlockingS3Client::uploadPartFromDevice(const QString &key, const QString &uploadId, int partNumber,
                                                        QIODevice *source, qint64 length)
{
    return wait(m_client->uploadPartFromDevice(key, uploadId, partNumber, source, length));
}
Result<S3Answer> BlockingS3Client::probeConditionalWrites(const QString &probeKey)
{
    return wait(m_client->probeConditionalWrites(probeKey));
}

} // namespace deso::s3
