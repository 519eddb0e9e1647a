#include "host/controllers/imagecontroller.h"

#include "host/multipartform.h"
#include "image/imagepipeline.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStorageInfo>
#include <QUrlQuery>
#include <QtConcurrent>

namespace deso::host {

ImageController::ImageController(const HostSite &site, HostStorage &storage,
                                 const identity::DerivedKeyAuthorizations &authorizations, QObject *context)
    : m_site(site), m_storage(storage), m_authorizations(authorizations), m_context(context)
{
}

Admission ImageController::upload(const HttpRequest &request)
{
    return Admission::buffered(kUploadBodyLimit, [this, request](const QByteArray &body, Responder responder) {
        process(request, body, std::move(responder));
    });
}

void ImageController::process(const HttpRequest &request, const QByteArray &body, Responder responder)
{
    const auto fail = [&](const QString &message) { responder.send(HttpResponse::error(400, message)); };
    auto form = parseMultipartForm(request.header("content-type"), body);
    if (!form.ok())
        return fail(QStringLiteral("UploadImage: Problem parsing multipart form data: %1").arg(form.error().message));
    const QUrlQuery query(QString::fromLatin1(request.query()));
    auto formOrQuery = [&](const QString &name) {
        const QString v = form->value(name);
        return v.isNull() && query.hasQueryItem(name) ? query.queryItemValue(name, QUrl::FullyDecoded) : v;
    };
    const QString jwt = formOrQuery(QStringLiteral("JWT"));
    const QString publicKey = formOrQuery(QStringLiteral("UserPublicKeyBase58Check"));
    if (jwt.isNull())
        return fail(QStringLiteral("No JWT provided"));
    if (publicKey.isNull())
        return fail(QStringLiteral("No public key provided"));
    identity::JwtVerifyOptions verify;
    verify.authorizations = &m_authorizations;
    if (auto claims = identity::verifyJwt(jwt, publicKey, verify); !claims.ok())
        return fail(QStringLiteral("UploadImage: Invalid token: %1").arg(claims.error().message));
    const FormFile *file = form->file(QStringLiteral("file"));
    if (!file)
        return fail(QStringLiteral("UploadImage: Problem getting file from form data: http: no such file"));
    if (file->data.size() > image::kMaxUploadBytes)
        return fail(QStringLiteral("File too large."));
    static const QList<QByteArray> accepted{"image/gif", "image/jpeg", "image/png", "image/webp"};
    if (!accepted.contains(file->contentType))
        return fail(QStringLiteral("UploadImage: problem extracting file extension: Mime type not supported: %1")
                        .arg(QString::fromLatin1(file->contentType)));

    const QByteArray bytes = file->data;
    const QString declared = QString::fromLatin1(file->contentType);
    HostStorage *storage = &m_storage; // outlives the pool's work: the host stops the pool's users first
    const QByteArray base = m_site.mediaBaseUrlFor(request);
    const StorageQuota quota = m_site.quota;
    QtConcurrent::run([bytes, declared, storage, quota]() -> Result<image::ProcessedImage> {
        auto processed = image::ImagePipeline::process(bytes, declared);
        if (!processed.ok())
            return processed;
        // Content-addressed: an existing object with this name holds these bytes.
        const QString key = imageKey(processed->name);
        auto exists = storage->exists(key);
        if (!exists.ok())
            return exists.error();
        if (!exists.value()) {
            if (auto s = quota.admit(processed->bytes.size(), 0); !s.ok())
                return s.error();
            if (auto s = storage->put(key, processed->bytes, processed->mimeType.toLatin1()); !s.ok())
                return s.error();
        }
        return processed;
    }).then(m_context, [responder, base](Result<image::ProcessedImage> result) {
        if (!result.ok()) {
            responder.send(HttpResponse::error(result.error().httpStatus ? result.error().httpStatus : 400,
                                               QStringLiteral("UploadImage: problem uploading image: %1").arg(result.error().message)));
            return;
        }
        responder.send(HttpResponse::json(200, QJsonObject{{QStringLiteral("ImageURL"),
                                                            QString::fromLatin1(base) + QStringLiteral("/images/") + result->name}}));
    });
}

namespace {
const QRegularExpression &storedImageName()
{
    static const QRegularExpression re(QStringLiteral("^[0-9a-f]{64}\\.(webp|gif)$"));
    return re;
}
} // namespace

QStringList ImageController::removeUnfinished(const QString &imagesDir)
{
    QStringList removed;
    const QDir dir(imagesDir);
    for (const QString &name : dir.entryList(QDir::Files | QDir::Hidden | QDir::System)) {
        if (!storedImageName().match(name).hasMatch() && QFile::remove(dir.filePath(name)))
            removed << name;
    }
    return removed;
}

Admission ImageController::image(const HttpRequest &request, const QString &name) const
{
    const auto m = storedImageName().match(name);
    const QString notFound = QStringLiteral("No image named %1.").arg(name.left(80));
    if (!m.hasMatch())
        return Admission::answer(HttpResponse::error(404, notFound));
    const QByteArray type = m.captured(1) == QLatin1String("gif") ? "image/gif" : "image/webp";
    // Names are content addresses: the bytes behind a name never change.
    return m_storage.serve(request, imageKey(name), type,
                           {{"Cache-Control", "public, max-age=31536000, immutable"}, {"ETag", '"' + name.toLatin1() + '"'}},
                           notFound);
}

} // namespace deso::host
