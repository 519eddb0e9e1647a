// The multipart/form-data parser of POST /api/v0/upload-image. The first byte
// picks a mode:
//   even: the rest is "<Content-Type header>\n<body>", parsed as sent;
//   odd:  the rest is split at '\x01' into field values and one file's bytes;
//         the harness builds a well-formed form around them (a boundary absent
//         from every piece, as a client picks one) and the parse must give the
//         exact values and bytes back.
// Properties: refusals are 400 form.malformed; a file's data is a slice of the
// body; a well-formed form round-trips.
#include "fuzzcheck.h"
#include "host/multipartform.h"

#include <cstdint>

using namespace deso::host;

namespace {

void parseAsSent(const QByteArray &bytes)
{
    const qsizetype eol = bytes.indexOf('\n');
    const QByteArray contentType = eol < 0 ? bytes : bytes.left(eol);
    const QByteArray body = eol < 0 ? QByteArray() : bytes.mid(eol + 1);
    const auto form = parseMultipartForm(contentType, body);
    if (!form.ok()) {
        FUZZ_CHECK(form.error().httpStatus == 400);
        FUZZ_CHECK(form.error().code == QLatin1String("form.malformed"));
        return;
    }
    for (const FormFile &f : form->files)
        FUZZ_CHECK(f.data.isEmpty() || body.contains(f.data));
    (void)form->value(QStringLiteral("JWT"));
    (void)form->file(QStringLiteral("file"));
}

void roundTrip(const QByteArray &bytes)
{
    QList<QByteArray> pieces = bytes.split('\x01');
    const QByteArray fileData = pieces.takeLast();
    // Text values are UTF-8 text in a real form; keep them valid so the comparison is exact.
    QStringList values;
    QList<QByteArray> utf8Values;
    for (const QByteArray &p : pieces) {
        values << QString::fromUtf8(p);
        utf8Values << values.last().toUtf8();
    }
    QByteArray boundary = "----deso";
    int salt = 0;
    auto clashes = [&] {
        if (fileData.contains(boundary))
            return true;
        for (const QByteArray &v : utf8Values)
            if (v.contains(boundary))
                return true;
        return false;
    };
    while (clashes())
        boundary = "----deso" + QByteArray::number(++salt);
    // Appended in place: building the body was most of this target's time.
    QByteArray body;
    body.reserve(bytes.size() + (utf8Values.size() + 2) * (boundary.size() + 64) + 128);
    for (int i = 0; i < utf8Values.size(); ++i)
        body.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"f")
            .append(QByteArray::number(i)).append("\"\r\n\r\n").append(utf8Values[i]).append("\r\n");
    body.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n"
                                              "Content-Type: image/png\r\n\r\n")
        .append(fileData).append("\r\n--").append(boundary).append("--\r\n");
    const auto form = parseMultipartForm("multipart/form-data; boundary=" + boundary, body);
    FUZZ_CHECK(form.ok());
    for (int i = 0; i < values.size(); ++i)
        FUZZ_CHECK(form->value(u'f' + QString::number(i)) == values[i]);
    const FormFile *file = form->file(QStringLiteral("file"));
    FUZZ_CHECK(file != nullptr);
    FUZZ_CHECK(file->data == fileData);
    FUZZ_CHECK(file->fileName == QLatin1String("x.png"));
    FUZZ_CHECK(file->contentType == "image/png");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QByteArray rest(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    if (data[0] % 2 == 0)
        parseAsSent(rest);
    else
        roundTrip(rest);
    return 0;
}
