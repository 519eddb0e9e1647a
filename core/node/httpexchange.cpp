#include "node/httpexchange.h"

#include <QNetworkReply>
#include <QNetworkRequest>

namespace deso::node {

namespace {

bool isSecretHeader(const QByteArray &name)
{
    const QByteArray n = name.toLower();
    return n == "authorization" || n == "cookie" || n == "set-cookie" || n == "proxy-authorization";
}

QString headerLines(const HeaderList &headers)
{
    QString text;
    for (const auto &[name, value] : headers)
        text += QString::fromLatin1(name) + QStringLiteral(": ")
            + (isSecretHeader(name) ? QStringLiteral("(not shown)") : QString::fromLatin1(value)) + QLatin1Char('\n');
    return text;
}

} // namespace

QString redactedToken(const QString &token)
{
    return QStringLiteral("(JWT, %1 characters, not shown)").arg(token.size());
}

QString HttpExchange::toText() const
{
    QString text = QString::fromLatin1(method) + QLatin1Char(' ') + url.toString(QUrl::RemoveUserInfo) + QLatin1Char('\n');
    text += headerLines(requestHeaders);
    if (!requestBody.isEmpty())
        text += QLatin1Char('\n') + requestBody + QLatin1Char('\n');
    if (status == 0) {
        text += QStringLiteral("-> no answer after %1 ms: %2\n").arg(elapsedMs).arg(networkError);
        return text;
    }
    text += QStringLiteral("-> HTTP/1.1 %1 %2 (%3 ms)\n").arg(status).arg(QString::fromLatin1(reason)).arg(elapsedMs);
    text += headerLines(responseHeaders);
    if (!responseBody.isEmpty()) {
        text += QLatin1Char('\n') + QString::fromUtf8(responseBody);
        if (!text.endsWith(QLatin1Char('\n')))
            text += QLatin1Char('\n');
        if (responseBodyTruncated)
            text += QStringLiteral("(answer cut after %1 bytes)\n").arg(kMaxRecordedBody);
    }
    return text;
}

HttpExchange recordExchange(const QNetworkReply *reply, const QByteArray &method, const QByteArray &responseBody,
                            qint64 elapsedMs, QString requestBody)
{
    HttpExchange x;
    x.method = method;
    x.url = reply->url();
    const QNetworkRequest request = reply->request();
    for (const QByteArray &name : request.rawHeaderList())
        x.requestHeaders.append({name, request.rawHeader(name)});
    x.requestBody = std::move(requestBody);
    x.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    x.reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toByteArray();
    for (const auto &pair : reply->rawHeaderPairs())
        x.responseHeaders.append({pair.first, pair.second});
    x.responseBody = responseBody.left(kMaxRecordedBody);
    x.responseBodyTruncated = responseBody.size() > kMaxRecordedBody;
    if (reply->error() != QNetworkReply::NoError && x.status == 0)
        x.networkError = reply->errorString();
    x.elapsedMs = elapsedMs;
    return x;
}

} // namespace deso::node
