#include "host/multipartform.h"

namespace deso::host {

QString MultipartForm::value(const QString &name) const
{
    const auto it = values.constFind(name);
    return it == values.constEnd() ? QString() : it.value();
}

const FormFile *MultipartForm::file(const QString &name) const
{
    for (const FormFile &f : files)
        if (f.fieldName == name)
            return &f;
    return nullptr;
}

namespace {

Error formError(const QString &why)
{
    return Error(QStringLiteral("form.malformed"), why, 400);
}

// Value of a `key=value` or `key="value"` parameter in a header value.
QByteArray parameter(const QByteArray &header, const QByteArray &key)
{
    for (const QByteArray &rawPart : header.split(';')) {
        const QByteArray part = rawPart.trimmed();
        const qsizetype eq = part.indexOf('=');
        if (eq < 0 || part.left(eq).trimmed().toLower() != key)
            continue;
        QByteArray v = part.mid(eq + 1).trimmed();
        if (v.size() >= 2 && v.startsWith('"') && v.endsWith('"'))
            v = v.mid(1, v.size() - 2).replace("\\\"", "\"");
        return v;
    }
    return {};
}

} // namespace

Result<MultipartForm> parseMultipartForm(const QByteArray &contentType, const QByteArray &body)
{
    if (!contentType.trimmed().toLower().startsWith("multipart/form-data"))
        return formError(QStringLiteral("request Content-Type isn't multipart/form-data"));
    const QByteArray boundary = parameter(contentType, "boundary");
    if (boundary.isEmpty() || boundary.size() > 70)
        return formError(QStringLiteral("no multipart boundary param in Content-Type"));

    const QByteArray delimiter = "--" + boundary;
    qsizetype pos = body.indexOf(delimiter);
    if (pos < 0)
        return formError(QStringLiteral("multipart: NextPart: EOF"));
    MultipartForm form;
    const QByteArray nextDelimiter = "\r\n" + delimiter;
    while (true) {
        pos += delimiter.size();
        if (body.mid(pos, 2) == "--")
            return form; // closing delimiter
        // Transport padding (spaces/tabs) may follow a delimiter before its CRLF.
        while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t'))
            ++pos;
        if (body.mid(pos, 2) != "\r\n")
            return formError(QStringLiteral("multipart: boundary is not followed by a line break"));
        pos += 2;
        const qsizetype headEnd = body.indexOf("\r\n\r\n", pos);
        const qsizetype partEnd = body.indexOf(nextDelimiter, pos);
        if (partEnd < 0)
            return formError(QStringLiteral("multipart: NextPart: EOF"));
        QByteArray disposition, partType;
        qsizetype dataStart = 0;
        if (body.mid(pos, 2) == "\r\n") {
            dataStart = pos + 2; // a part without headers
        } else {
            if (headEnd < 0 || headEnd > partEnd)
                return formError(QStringLiteral("multipart: a part's headers are not terminated"));
            for (const QByteArray &line : body.mid(pos, headEnd - pos).split('\n')) {
                const QByteArray l = line.endsWith('\r') ? line.chopped(1) : line;
                const qsizetype colon = l.indexOf(':');
                if (colon <= 0)
                    return formError(QStringLiteral("multipart: malformed part header"));
                const QByteArray name = l.left(colon).trimmed().toLower();
                if (name == "content-disposition")
                    disposition = l.mid(colon + 1).trimmed();
                else if (name == "content-type")
                    partType = l.mid(colon + 1).trimmed();
            }
            dataStart = headEnd + 4;
        }
        if (!disposition.toLower().startsWith("form-data"))
            return formError(QStringLiteral("multipart: a part has no form-data Content-Disposition"));
        const QString field = QString::fromUtf8(parameter(disposition, "name"));
        const QByteArray data = body.mid(dataStart, partEnd - dataStart);
        // Like Go's mime/multipart: a part with a filename parameter is a file.
        const bool isFile = disposition.contains("filename=") || disposition.contains("filename*=");
        if (isFile)
            form.files.append({field, QString::fromUtf8(parameter(disposition, "filename")), partType, data});
        else if (!field.isEmpty())
            form.values.insert(field, QString::fromUtf8(data));
        pos = partEnd + 2; // at the delimiter
    }
}

} // namespace deso::host
