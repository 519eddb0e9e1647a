#pragma once
// multipart/form-data (RFC 7578) for POST /api/v0/upload-image. The body is
// already bounded before it gets here (QHttpServer only receives bodies the
// listener let through, ~11 MB at most), so parsing in memory is fine.

#include "common/result.h"

#include <QByteArray>
#include <QList>
#include <QMultiMap>
#include <QString>

namespace deso::host {

struct FormFile {
    QString fieldName;
    QString fileName;
    QByteArray contentType; // the part's own Content-Type, as sent
    QByteArray data;
};

struct MultipartForm {
    QMultiMap<QString, QString> values; // text fields, in order per name
    QList<FormFile> files;

    // First text value of a field, or a null QString.
    QString value(const QString &name) const;
    // First file part with that field name, or nullptr.
    const FormFile *file(const QString &name) const;
};

// Value of a `key=value` or `key="value"` parameter of a header value (Content-Type
// boundary, Content-Disposition name/filename); `key` in lower case. Null when absent.
QByteArray headerParameter(QByteArrayView header, QByteArrayView key);

// A form-data part's Content-Disposition and Content-Type, as views into `head`
// (the part's header lines, without the blank line that ends them). Shared by the
// in-memory parser and the streaming one (multipartstream.h). Errors carry 400.
struct PartHeaders {
    QByteArrayView disposition;
    QByteArrayView contentType;
};
Result<PartHeaders> parsePartHeaders(QByteArrayView head);

// `contentType` is the request's Content-Type header. Errors carry 400 and a
// sentence describing what is wrong with the form.
Result<MultipartForm> parseMultipartForm(const QByteArray &contentType, const QByteArray &body);

} // namespace deso::host
