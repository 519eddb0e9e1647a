#pragma once
// POST /api/v0/upload-image and GET /images/<name>: the node's checks in the
// node's order with its sentences, then the image pipeline (magic bytes,
// pixel-flood guard, WebP) off the server thread; images are stored under
// their content address in the host's storage (hoststorage.h) and served from it.

#include "host/hostsite.h"
#include "host/hoststorage.h"
#include "host/http/httphandler.h"
#include "identity/jwt.h"

namespace deso::host {

class ImageController {
public:
    // The node's 10,000,000-byte file limit plus room for the other form fields.
    static constexpr qint64 kUploadBodyLimit = 10000000 + 1024 * 1024;

    ImageController(const HostSite &site, HostStorage &storage, const identity::DerivedKeyAuthorizations &authorizations,
                    QObject *context);

    // Removes what a killed host left in `imagesDir`: QSaveFile's temporary files
    // (a write cut short) and anything else not named like a stored image, so
    // nothing partial is ever visible. Returns the names removed.
    static QStringList removeUnfinished(const QString &imagesDir);

    Admission upload(const HttpRequest &request);
    Admission image(const HttpRequest &request, const QString &name) const;

private:
    void process(const HttpRequest &request, const QByteArray &body, Responder responder);

    const HostSite &m_site;
    HostStorage &m_storage;
    const identity::DerivedKeyAuthorizations &m_authorizations;
    QObject *m_context; // the server thread's: results of pool work come back here
};

} // namespace deso::host
