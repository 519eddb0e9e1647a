#pragma once
// AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html)
// for S3 and S3-compatible servers. Debian 12 has no maintained C++ S3 SDK (libs3 predates
// SigV4), so requests are signed here and sent over QNetworkAccessManager. Digests and the
// HMAC chain use OpenSSL's libcrypto, like core/tus/incrementaldigest.
//
// S3 rules (which differ from the other AWS services): the path is URI-encoded exactly once
// (never double-encoded) and never normalised ("/a/../b" and "//" stay as they are).
// Tested against AWS's published aws-sig-v4-test-suite and the S3 SigV4 examples
// (tests/s3/data).

#include "common/result.h"
#include "s3/s3credentials.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QString>

#include <utility>

namespace deso::s3 {

// x-amz-content-sha256 for a body streamed without hashing it first (allowed by S3 over
// both http and https).
inline constexpr char kUnsignedPayload[] = "UNSIGNED-PAYLOAD";

// The lower-case hex SHA-256 of data (the payload hash of a body known in full).
QByteArray sha256Hex(QByteArrayView data);

// One header to sign: name as sent (case does not matter), value as sent (leading,
// trailing and repeated inner spaces are folded as SigV4 says). Duplicates are allowed:
// their values join with ',' in the order given.
using HeaderField = std::pair<QByteArray, QByteArray>;
// One query parameter, decoded (the signer encodes it). Empty value = "name=".
using QueryField = std::pair<QString, QString>;

struct SigningRequest {
    QByteArray method;                // "GET", "PUT", ...
    QString path = QStringLiteral("/"); // decoded absolute path, e.g. "/bucket/my key.mp4"
    QList<QueryField> query;          // decoded; the signer sorts and encodes
    QList<HeaderField> headers;       // every header to sign; must include host and x-amz-date
    QByteArray payloadHash;           // lower-hex SHA-256 of the body, or kUnsignedPayload
};

struct Signature {
    QByteArray canonicalRequest;
    QByteArray stringToSign;
    QByteArray signature;             // lower-hex
    QByteArray authorization;         // the whole Authorization header value
    QByteArray amzDate;               // x-amz-date used, "YYYYMMDDTHHMMSSZ"
};

class SigV4Signer {
public:
    SigV4Signer(AwsCredentials credentials, QString region, QString service = QStringLiteral("s3"));

    const QString &region() const { return m_region; }
    const QString &service() const { return m_service; }
    const QString &accessKeyId() const { return m_credentials.accessKeyId; }

    // Signs request exactly as given: its headers must include host and x-amz-date (the
    // signing time is read from x-amz-date). Errors: s3.bad_request when either is missing
    // or the date is malformed.
    Result<Signature> sign(const SigningRequest &request) const;

    // The S3 flavour: adds x-amz-date (from `when`, UTC), x-amz-content-sha256 (the payload
    // hash) and x-amz-security-token (with a session token) to request.headers, signs, and
    // adds Authorization. The headers to send are then request.headers (host included).
    Result<Signature> signS3(SigningRequest &request, const QDateTime &when) const;

    // Building blocks, public for the test vectors.
    // AWS's UriEncode: A-Z a-z 0-9 - . _ ~ as they are, every other UTF-8 byte as %XX
    // (upper-case hex); '/' kept when encodeSlash is false (paths).
    static QByteArray uriEncode(QStringView text, bool encodeSlash);
    static QByteArray canonicalQuery(const QList<QueryField> &query);
    static Result<QByteArray> canonicalRequest(const SigningRequest &request, QByteArray *signedHeaders = nullptr);
    // kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    static QByteArray signingKey(const QString &secret, const QByteArray &date8, const QString &region,
                                 const QString &service);
    static QByteArray hmacSha256(QByteArrayView key, QByteArrayView data);
    // "YYYYMMDDTHHMMSSZ" of when (converted to UTC).
    static QByteArray amzDate(const QDateTime &when);

private:
    AwsCredentials m_credentials;
    QString m_region;
    QString m_service;
};

} // namespace deso::s3
