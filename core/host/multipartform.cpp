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

// The parser walks views over the body and copies only what it returns: a form is
// parsed on every upload, and each sliced copy used to cost an allocation.
using View = QByteArrayView;

Error formError(const QString &why)
{
    return Error(QStringLiteral("form.malformed"), why, 400);
}

bool startsWithNoCase(View s, View prefix)
{
    return s.size() >= prefix.size() && s.first(prefix.size()).compare(prefix, Qt::CaseInsensitive) == 0;
}

} // namespace

// Value of a `key=value` or `key="value"` parameter in a header value; `key` is lower case.
QByteArray headerParameter(QByteArrayView header, QByteArrayView key)
{
    for (qsizetype start = 0; start <= header.size();) {
        qsizetype end = header.indexOf(';', start);
        if (end < 0)
            end = header.size();
        const View part = header.sliced(start, end - start).trimmed();
        start = end + 1;
        const qsizetype eq = part.indexOf('=');
        if (eq < 0 || part.first(eq).trimmed().compare(key, Qt::CaseInsensitive) != 0)
            continue;
        const View v = part.sliced(eq + 1).trimmed();
        if (v.size() >= 2 && v.startsWith('"') && v.endsWith('"'))
            return v.sliced(1, v.size() - 2).toByteArray().replace("\\\"", "\"");
        return v.toByteArray();
    }
    return {};
}

Result<PartHeaders> parsePartHeaders(QByteArrayView head)
{
    PartHeaders out;
    for (qsizetype lineStart = 0; lineStart < head.size();) {
        qsizetype lineEnd = head.indexOf('\n', lineStart);
        if (lineEnd < 0)
            lineEnd = head.size();
        View l = head.sliced(lineStart, lineEnd - lineStart);
        lineStart = lineEnd + 1;
        if (l.endsWith('\r'))
            l.chop(1);
        const qsizetype colon = l.indexOf(':');
        if (colon <= 0)
            return formError(QStringLiteral("multipart: malformed part header"));
        const View name = l.first(colon).trimmed();
        if (name.compare("content-disposition", Qt::CaseInsensitive) == 0)
            out.disposition = l.sliced(colon + 1).trimmed();
        else if (name.compare("content-type", Qt::CaseInsensitive) == 0)
            out.contentType = l.sliced(colon + 1).trimmed();
    }
    if (!startsWithNoCase(out.disposition, "form-data"))
        return formError(QStringLiteral("multipart: a part has no form-data Content-Disposition"));
    return out;
}

Result<MultipartForm> parseMultipartForm(const QByteArray &contentType, const QByteArray &bodyBytes)
{
    if (!startsWithNoCase(View(contentType).trimmed(), "multipart/form-data"))
        return formError(QStringLiteral("request Content-Type isn't multipart/form-data"));
    const QByteArray boundary = headerParameter(contentType, "boundary");
    if (boundary.isEmpty() || boundary.size() > 70)
        return formError(QStringLiteral("no multipart boundary param in Content-Type"));

    const View body(bodyBytes);
    const QByteArray delimiter = "--" + boundary;
    qsizetype pos = body.indexOf(delimiter);
    if (pos < 0)
        return formError(QStringLiteral("multipart: NextPart: EOF"));
    MultipartForm form;
    const QByteArray nextDelimiter = "\r\n" + delimiter;
    // The two bytes at `at`, or fewer at the end of the body.
    const auto twoAt = [&](qsizetype at) {
        at = qMin(at, body.size());
        return body.sliced(at, qMin<qsizetype>(2, body.size() - at));
    };
    while (true) {
        pos += delimiter.size();
        if (twoAt(pos) == "--")
            return form; // closing delimiter
        // Transport padding (spaces/tabs) may follow a delimiter before its CRLF.
        while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t'))
            ++pos;
        if (twoAt(pos) != "\r\n")
            return formError(QStringLiteral("multipart: boundary is not followed by a line break"));
        pos += 2;
        const qsizetype headEnd = body.indexOf("\r\n\r\n", pos);
        const qsizetype partEnd = body.indexOf(nextDelimiter, pos);
        if (partEnd < 0)
            return formError(QStringLiteral("multipart: NextPart: EOF"));
        View disposition, partType;
        qsizetype dataStart = 0;
        if (twoAt(pos) == "\r\n") {
            dataStart = pos + 2; // a part without headers
        } else {
            if (headEnd < 0 || headEnd > partEnd)
                return formError(QStringLiteral("multipart: a part's headers are not terminated"));
            auto headers = parsePartHeaders(body.sliced(pos, headEnd - pos));
            if (!headers.ok())
                return headers.error();
            disposition = headers->disposition;
            partType = headers->contentType;
            dataStart = headEnd + 4;
        }
        if (!startsWithNoCase(disposition, "form-data")) // a part without headers
            return formError(QStringLiteral("multipart: a part has no form-data Content-Disposition"));
        const QString field = QString::fromUtf8(headerParameter(disposition, "name"));
        // Headers ending right at the next delimiter ("...\r\n\r\n--b") leave an empty body.
        const View data = body.sliced(qMin(dataStart, partEnd), qMax<qsizetype>(0, partEnd - dataStart));
        // Like Go's mime/multipart: a part with a filename parameter is a file.
        const bool isFile = disposition.contains("filename=") || disposition.contains("filename*=");
        if (isFile)
            form.files.append({field, QString::fromUtf8(headerParameter(disposition, "filename")), partType.toByteArray(),
                               data.toByteArray()});
        else if (!field.isEmpty())
            form.values.insert(field, QString::fromUtf8(data));
        pos = partEnd + 2; // at the delimiter
    }
}

} // namespace deso::host
