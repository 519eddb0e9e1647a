#include "host/controllers/tiktokcontroller.h"

#include "tiktok/tiktokresolver.h"

#include <QJsonDocument>

namespace deso::host {

Admission TikTokController::resolve(qint64 maxBodyBytes)
{
    return Admission::buffered(maxBodyBytes, [this](const QByteArray &body, Responder responder) {
        QJsonParseError parseError{};
        const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
        if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
            responder.send(HttpResponse::error(
                400, QStringLiteral("GetFullTikTokURL: Problem parsing request body: %1")
                         .arg(parseError.error != QJsonParseError::NoError ? parseError.errorString()
                                                                           : QStringLiteral("not a JSON object"))));
            return;
        }
        const QString shortId = doc.object().value(QStringLiteral("TikTokShortVideoID")).toString();
        // The answer comes on the resolver's (the server's) thread; a client that
        // gave up meanwhile is simply not answered.
        m_resolver->resolve(shortId, [responder](Result<QString> result) {
            responder.send(result.ok() ? HttpResponse::json(200, QJsonObject{{QStringLiteral("FullTikTokURL"), result.value()}})
                                       : HttpResponse::error(result.error().httpStatus ? result.error().httpStatus : 400,
                                                             result.error().message));
        });
    });
}

} // namespace deso::host
