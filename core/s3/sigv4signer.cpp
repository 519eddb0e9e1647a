#include "s3/sigv4signer.h"

#include <QTimeZone>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

namespace deso::s3 {

namespace {

constexpr char kAlgorithm[] = "AWS4-HMAC-SHA256";

QByteArray sha256(QByteArrayView data)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), size_t(data.size()), digest, &length, EVP_sha256(), nullptr) != 1)
        return {};
    return QByteArray(reinterpret_cast<const char *>(digest), int(length));
}

bool isUnreserved(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
           || c == '_' || c == '~';
}

// SigV4's header value rule: trim, and fold every run of spaces into one.
QByteArray foldedValue(const QByteArray &value)
{
    QByteArray out;
    out.reserve(value.size());
    bool inSpace = false;
    for (char c : value.trimmed()) {
        const bool space = c == ' ' || c == '\t';
        if (space) {
            if (!inSpace)
                out.append(' ');
            inSpace = true;
        } else {
            out.append(c);
            inSpace = false;
        }
    }
    return out;
}

QByteArray headerValue(const QList<HeaderField> &headers, QByteArrayView name)
{
    for (const HeaderField &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second.trimmed();
    }
    return {};
}

bool isAmzDate(const QByteArray &date)
{
    if (date.size() != 16 || date[8] != 'T' || date[15] != 'Z')
        return false;
    for (int i = 0; i < 15; ++i) {
        if (i != 8 && (date[i] < '0' || date[i] > '9'))
            return false;
    }
    return true;
}

} // namespace

QByteArray sha256Hex(QByteArrayView data)
{
    return sha256(data).toHex();
}

SigV4Signer::SigV4Signer(AwsCredentials credentials, QString region, QString service)
    : m_credentials(std::move(credentials)), m_region(std::move(region)), m_service(std::move(service))
{
}

QByteArray SigV4Signer::uriEncode(QStringView text, bool encodeSlash)
{
    static const char hex[] = "0123456789ABCDEF";
    const QByteArray utf8 = text.toUtf8();
    QByteArray out;
    out.reserve(utf8.size() * 3);
    for (char c : utf8) {
        if (isUnreserved(c) || (c == '/' && !encodeSlash)) {
            out.append(c);
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out.append('%');
            out.append(hex[byte >> 4]);
            out.append(hex[byte & 0xF]);
        }
    }
    return out;
}

QByteArray SigV4Signer::canonicalQuery(const QList<QueryField> &query)
{
    QList<std::pair<QByteArray, QByteArray>> encoded;
    encoded.reserve(query.size());
    for (const QueryField &q : query)
        encoded.append({uriEncode(q.first, true), uriEncode(q.second, true)});
    // Sorted by encoded name, then value (byte order, as AWS compares).
    std::sort(encoded.begin(), encoded.end());
    QByteArray out;
    for (const auto &[name, value] : encoded) {
        if (!out.isEmpty())
            out.append('&');
        out.append(name).append('=').append(value);
    }
    return out;
}

Result<QByteArray> SigV4Signer::canonicalRequest(const SigningRequest &request, QByteArray *signedHeaders)
{
    if (request.method.isEmpty())
        return Error(QStringLiteral("s3.bad_request"), QStringLiteral("A request to sign has no method."));
    if (!request.path.startsWith(QLatin1Char('/')))
        return Error(QStringLiteral("s3.bad_request"),
                     QStringLiteral("A request to sign has a path that does not start with '/'."));

    // Lower-case names; duplicates join with ',' in the order given; sorted by name.
    QList<std::pair<QByteArray, QByteArray>> headers;
    for (const HeaderField &h : request.headers) {
        const QByteArray name = h.first.trimmed().toLower();
        const QByteArray value = foldedValue(h.second);
        auto it = std::find_if(headers.begin(), headers.end(), [&](const auto &e) { return e.first == name; });
        if (it == headers.end())
            headers.append(HeaderField{name, value});
        else
            it->second.append(',').append(value);
    }
    std::stable_sort(headers.begin(), headers.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });

    QByteArray canonicalHeaders;
    QByteArray names;
    for (const auto &[name, value] : headers) {
        canonicalHeaders.append(name).append(':').append(value).append('\n');
        if (!names.isEmpty())
            names.append(';');
        names.append(name);
    }
    if (signedHeaders)
        *signedHeaders = names;

    QByteArray out = request.method;
    out.append('\n').append(uriEncode(request.path, false));
    out.append('\n').append(canonicalQuery(request.query));
    out.append('\n').append(canonicalHeaders);
    out.append('\n').append(names);
    out.append('\n').append(request.payloadHash);
    return out;
}

QByteArray SigV4Signer::hmacSha256(QByteArrayView key, QByteArrayView data)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char *>(data.data()),
              size_t(data.size()), mac, &length))
        return {};
    return QByteArray(reinterpret_cast<const char *>(mac), int(length));
}

QByteArray SigV4Signer::signingKey(const QString &secret, const QByteArray &date8, const QString &region,
                                   const QString &service)
{
    const QByteArray dateKey = hmacSha256(QByteArray("AWS4") + secret.toUtf8(), date8);
    const QByteArray regionKey = hmacSha256(dateKey, region.toUtf8());
    const QByteArray serviceKey = hmacSha256(regionKey, service.toUtf8());
    return hmacSha256(serviceKey, "aws4_request");
}

QByteArray SigV4Signer::amzDate(const QDateTime &when)
{
    return when.toUTC().toString(QStringLiteral("yyyyMMdd'T'HHmmss'Z'")).toLatin1();
}

Result<Signature> SigV4Signer::sign(const SigningRequest &request) const
{
    if (headerValue(request.headers, "host").isEmpty())
        return Error(QStringLiteral("s3.bad_request"), QStringLiteral("A request to sign has no Host header."));
    const QByteArray date = headerValue(request.headers, "x-amz-date");
    if (!isAmzDate(date))
        return Error(QStringLiteral("s3.bad_request"),
                     QStringLiteral("A request to sign has no valid x-amz-date header (YYYYMMDDTHHMMSSZ)."));
    if (request.payloadHash.isEmpty())
        return Error(QStringLiteral("s3.bad_request"), QStringLiteral("A request to sign has no payload hash."));

    QByteArray signedHeaders;
    Result<QByteArray> canonical = canonicalRequest(request, &signedHeaders);
    if (!canonical)
        return canonical.error();

    const QByteArray date8 = date.left(8);
    const QByteArray scope = date8 + '/' + m_region.toUtf8() + '/' + m_service.toUtf8() + "/aws4_request";
    Signature out;
    out.amzDate = date;
    out.canonicalRequest = canonical.value();
    out.stringToSign = QByteArray(kAlgorithm) + '\n' + date + '\n' + scope + '\n' + sha256Hex(out.canonicalRequest);
    const QByteArray key = signingKey(m_credentials.secretAccessKey, date8, m_region, m_service);
    const QByteArray mac = hmacSha256(key, out.stringToSign);
    if (key.isEmpty() || mac.isEmpty())
        return Error(QStringLiteral("s3.bad_request"), QStringLiteral("libcrypto could not compute the request's signature."));
    out.signature = mac.toHex();
    out.authorization = QByteArray(kAlgorithm) + " Credential=" + m_credentials.accessKeyId.toUtf8() + '/' + scope
                        + ", SignedHeaders=" + signedHeaders + ", Signature=" + out.signature;
    return out;
}

Result<Signature> SigV4Signer::signS3(SigningRequest &request, const QDateTime &when) const
{
    const auto drop = [&request](QByteArrayView name) {
        request.headers.removeIf([name](const HeaderField &h) { return h.first.compare(name, Qt::CaseInsensitive) == 0; });
    };
    drop("x-amz-date");
    drop("x-amz-content-sha256");
    drop("x-amz-security-token");
    drop("authorization");
    request.headers.append(HeaderField{"x-amz-date", amzDate(when)});
    request.headers.append(HeaderField{"x-amz-content-sha256", request.payloadHash});
    if (!m_credentials.sessionToken.isEmpty())
        request.headers.append(HeaderField{"x-amz-security-token", m_credentials.sessionToken.toUtf8()});
    Result<Signature> signature = sign(request);
    if (signature)
        request.headers.append(HeaderField{"Authorization", signature->authorization});
    return signature;
}

} // namespace deso::s3
