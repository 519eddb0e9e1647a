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

ImageController::ImageController(const HostSite &site, QString imagesDir,
                                 const identity::DerivedKeyAuthorizations &authorizations, QObject *context)
    : m_site(site), m_imagesDir(std::move(imagesDir)), m_authorizations(authorizations), m_context(context)
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
    const QString dir = m_imagesDir;
    const QByteArray base = m_site.baseUrlFor(request);
    const StorageQuota quota = m_site.quota;
    QtConcurrent::run([bytes, declared, dir, quota]() -> Result<image::ProcessedImage> {
        auto processed = image::ImagePipeline::process(bytes, declared);
        if (!processed.ok())
            return processed;
        // Content-addressed: an existing file with this name holds these bytes.
        const QString path = QDir(dir).filePath(processed->name);
        if (!QFileInfo::exists(path)) {
            if (auto s = quota.admit(processed->bytes.size(), 0); !s.ok())
                return s.error();
            // QSaveFile writes a temporary file and renames it only when all of it
            // is on disk; a failed write (a full disk) removes the temporary file,
            // so no partial image is ever visible under its name.
            QSaveFile f(path);
            if (!f.open(QIODevice::WriteOnly) || f.write(processed->bytes) != processed->bytes.size() || !f.commit()) {
                // Qt reports ENOSPC as ResourceError; the free space says it too.
                if (f.error() == QFileDevice::ResourceError || QStorageInfo(dir).bytesAvailable() < processed->bytes.size())
                    return Error(QStringLiteral("host.disk_full"),
                                 QStringLiteral("the host's disk is full; free some space and upload the image again"), 507);
                return Error(QStringLiteral("host.storage"), QStringLiteral("could not store the image"), 500);
            }
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

HttpResponse ImageController::image(const HttpRequest &request, const QString &name) const
{
    const auto m = storedImageName().match(name);
    const QFileInfo info(QDir(m_imagesDir).filePath(name));
    if (!m.hasMatch() || !info.isFile())
        return HttpResponse::error(404, QStringLiteral("No image named %1.").arg(name.left(80)));
    const QByteArray type = m.captured(1) == QLatin1String("gif") ? "image/gif" : "image/webp";
    HttpResponse r = HttpResponse::file(info.filePath(), info.size(), type, request.header("range"));
    // Names are content addresses: the bytes behind a name never change.
    r.setHeader("Cache-Control", "public, max-age=31536000, immutable");
    r.setHeader("ETag", '"' + name.toLatin1() + '"');
    return r;
}

} // namespace deso::host
