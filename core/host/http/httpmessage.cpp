#include "host/http/httpmessage.h"

#include "common/decimal.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QRegularExpression>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace deso::host {

QByteArray HttpRequest::path() const
{
    const qsizetype q = target.indexOf('?');
    return q < 0 ? target : target.left(q);
}

QByteArray HttpRequest::query() const
{
    const qsizetype q = target.indexOf('?');
    return q < 0 ? QByteArray() : target.mid(q + 1);
}

QByteArray HttpRequest::header(QByteArrayView lowerName) const
{
    for (const auto &h : headers)
        if (h.first == lowerName)
            return h.second;
    return {};
}

bool HttpRequest::hasHeader(QByteArrayView lowerName) const
{
    for (const auto &h : headers)
        if (h.first == lowerName)
            return true;
    return false;
}

bool HttpRequest::wantsKeepAlive() const
{
    const QByteArray connection = header("connection");
    const auto has = [&connection](QByteArrayView token) {
        // Case-insensitive, without a lower-cased copy: most requests send no Connection at all.
        for (qsizetype i = 0; i + token.size() <= connection.size(); ++i)
            if (qstrnicmp(connection.constData() + i, token.size(), token.data(), token.size()) == 0)
                return true;
        return false;
    };
    if (version == "HTTP/1.0")
        return has("keep-alive");
    return !has("close");
}

static bool isTokenChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

// RFC 9112 §6.3: one way to read the body's length, or an error.
static Status decideFraming(HttpRequest &request)
{
    QByteArray transferEncoding;
    int lengths = 0, encodings = 0;
    QByteArray lengthText;
    for (const auto &h : request.headers) {
        if (h.first == "content-length") {
            ++lengths;
            lengthText = h.second;
        } else if (h.first == "transfer-encoding") {
            ++encodings;
            transferEncoding = h.second;
        }
    }
    if (encodings > 0) {
        if (lengths > 0 || encodings > 1 || request.version == "HTTP/1.0")
            return Error(QStringLiteral("http.framing"),
                         QStringLiteral("Send either one Content-Length or Transfer-Encoding: chunked, not both."), 400);
        if (transferEncoding.toLower() != "chunked")
            return Error(QStringLiteral("http.transfer_coding"),
                         QStringLiteral("Only the chunked transfer coding is understood."), 501);
        request.framing = BodyFraming::Chunked;
        return {};
    }
    if (lengths == 0)
        return {};
    const auto length = lengths == 1 ? parseDecimal(lengthText) : std::nullopt;
    if (!length)
        return Error(QStringLiteral("http.content_length"),
                     QStringLiteral("Send one Content-Length, a decimal number of bytes."), 400);
    request.contentLength = *length;
    request.framing = BodyFraming::Length;
    return {};
}

static QByteArrayView trimmedView(QByteArrayView v)
{
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; };
    qsizetype from = 0, to = v.size();
    while (from < to && space(v[from]))
        ++from;
    while (to > from && space(v[to - 1]))
        --to;
    return v.sliced(from, to - from);
}

static bool contains(QByteArrayView v, char c)
{
    return v.size() > 0 && std::memchr(v.data(), c, size_t(v.size())) != nullptr;
}

Result<HttpRequest> parseRequestHead(const QByteArray &head)
{
    const auto bad = [] {
        return Error(QStringLiteral("http.malformed_head"), QStringLiteral("The request head is not valid HTTP/1.1."), 400);
    };
    if (!head.endsWith("\r\n\r\n"))
        return bad();
    // Lines are read as views into the head (one allocation per kept field, not
    // per line): the blank line is dropped, and every remaining line ends in LF.
    const QByteArrayView all(head.constData(), head.size() - 2);
    HttpRequest out;
    qsizetype pos = 0;
    bool first = true;
    while (pos < all.size()) {
        const char *nl = static_cast<const char *>(std::memchr(all.data() + pos, '\n', size_t(all.size() - pos)));
        const qsizetype end = nl ? nl - all.data() : all.size();
        QByteArrayView line = all.sliced(pos, end - pos);
        pos = end + 1;
        if (first) {
            first = false;
            if (line.endsWith('\r'))
                line.chop(1);
            if (contains(line, '\r') || contains(line, '\0'))
                return bad();
            const qsizetype sp1 = line.indexOf(' ');
            const qsizetype sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
            if (sp1 <= 0 || sp2 <= sp1 + 1 || line.indexOf(' ', sp2 + 1) >= 0)
                return bad();
            const QByteArrayView method = line.first(sp1), target = line.sliced(sp1 + 1, sp2 - sp1 - 1),
                                 version = line.sliced(sp2 + 1);
            if (!version.startsWith("HTTP/1."))
                return bad();
            for (char c : method)
                if (!isTokenChar(c))
                    return bad();
            out.method = method.toByteArray();
            out.target = target.toByteArray();
            out.version = version.toByteArray();
            if (out.version != "HTTP/1.1" && out.version != "HTTP/1.0")
                return Error(QStringLiteral("http.version"), QStringLiteral("Only HTTP/1.0 and HTTP/1.1 are supported."), 505);
            continue;
        }
        if (!line.endsWith('\r'))
            return bad();
        line.chop(1);
        // A bare CR or a NUL inside a field is refused (RFC 9112 §2.2, RFC 9110 §5.5):
        // values are echoed into responses, where either would split or cut a line.
        if (line.isEmpty() || contains(line, '\r') || contains(line, '\0'))
            return bad();
        if (line.front() == ' ' || line.front() == '\t')
            return bad(); // obsolete line folding is refused (RFC 7230 §3.2.4)
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return bad();
        QByteArray name = line.first(colon).toByteArray();
        for (char &c : name) {
            if (!isTokenChar(c))
                return bad();
            if (c >= 'A' && c <= 'Z')
                c = char(c - 'A' + 'a');
        }
        out.headers.emplaceBack(std::move(name), trimmedView(line.sliced(colon + 1)).toByteArray());
    }
    if (first)
        return bad();
    if (auto framing = decideFraming(out); !framing.ok())
        return framing.error();
    return out;
}

QByteArrayView reasonPhrase(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 423: return "Locked";
    case 431: return "Request Header Fields Too Large";
    case 460: return "Checksum Mismatch";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 507: return "Insufficient Storage";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Status";
    }
}

// A JSON string literal (RFC 8259 §7) of UTF-8 bytes, written directly: errors
// are answered often enough (404s under load) that a QJsonDocument per answer shows.
static void appendJsonUtf8(QByteArray &out, QByteArrayView utf8)
{
    static const char hex[] = "0123456789abcdef";
    out += '"';
    // Runs of plain bytes are appended whole; only the few that need escaping go one by one.
    qsizetype plainFrom = 0;
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        const char c = utf8[i];
        const bool plain = static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\';
        if (plain)
            continue;
        out.append(utf8.data() + plainFrom, i - plainFrom);
        plainFrom = i + 1;
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            out += "\\u00";
            out += hex[(c >> 4) & 0xf];
            out += hex[c & 0xf];
        }
    }
    out.append(utf8.data() + plainFrom, utf8.size() - plainFrom);
    out += '"';
}

static void appendJsonString(QByteArray &out, const QString &text)
{
    appendJsonUtf8(out, text.toUtf8());
}

// A JSON number as QJsonDocument writes a double: integral values without a
// fraction, others in their shortest round-trip form; NaN and infinities as null.
static void appendJsonNumber(QByteArray &out, double d)
{
    if (!std::isfinite(d))
        out += "null";
    else if (d == std::floor(d) && std::fabs(d) < 9007199254740992.0)
        out += QByteArray::number(qint64(d));
    else
        out += QByteArray::number(d, 'g', QLocale::FloatingPointShortest);
}

// Compact JSON as QJsonDocument::toJson(Compact) writes it (keys in QJsonObject's
// sorted order, integral doubles without a fraction), without its detour
// through QCborValue, which cost more than the rest of a status answer.
static void appendJson(QByteArray &out, const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        out += "null";
        break;
    case QJsonValue::Bool:
        out += value.toBool() ? "true" : "false";
        break;
    case QJsonValue::Double:
        appendJsonNumber(out, value.toDouble());
        break;
    case QJsonValue::String:
        appendJsonString(out, value.toString());
        break;
    case QJsonValue::Array: {
        out += '[';
        bool first = true;
        for (const QJsonValue &item : value.toArray()) {
            if (!first)
                out += ',';
            first = false;
            appendJson(out, item);
        }
        out += ']';
        break;
    }
    case QJsonValue::Object: {
        const QJsonObject object = value.toObject();
        out += '{';
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (it != object.begin())
                out += ',';
            appendJsonString(out, it.key());
            out += ':';
            appendJson(out, it.value());
        }
        out += '}';
        break;
    }
    }
}

void JsonWriter::element()
{
    if (m_needComma)
        m_out += ',';
}

JsonWriter &JsonWriter::beginObject()
{
    element();
    m_out += '{';
    m_needComma = false;
    return *this;
}

JsonWriter &JsonWriter::endObject()
{
    m_out += '}';
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::beginArray()
{
    element();
    m_out += '[';
    m_needComma = false;
    return *this;
}

JsonWriter &JsonWriter::endArray()
{
    m_out += ']';
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::key(QByteArrayView name)
{
    element();
    appendJsonUtf8(m_out, name);
    m_out += ':';
    m_needComma = false;
    return *this;
}

JsonWriter &JsonWriter::value(bool b)
{
    element();
    m_out += b ? "true" : "false";
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::value(qint64 i)
{
    element();
    m_out += QByteArray::number(i);
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::value(double d)
{
    element();
    appendJsonNumber(m_out, d);
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::value(const QString &text)
{
    element();
    appendJsonString(m_out, text);
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::latin1(QByteArrayView text)
{
    element();
    bool ascii = true;
    for (char c : text)
        ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    if (ascii)
        appendJsonUtf8(m_out, text);
    else
        appendJsonString(m_out, QString::fromLatin1(text));
    m_needComma = true;
    return *this;
}

QByteArray jsonErrorBody(const QString &message)
{
    QByteArray body = "{\"error\":";
    appendJsonString(body, message);
    body += '}';
    return body;
}

// Header names compared without case, lengths first: most names differ in length.
static bool sameHeaderName(const QByteArray &a, const QByteArray &b)
{
    return a.size() == b.size() && a.compare(b, Qt::CaseInsensitive) == 0;
}

void HttpResponse::setHeader(const QByteArray &name, const QByteArray &value)
{
    for (auto &h : headers) {
        if (sameHeaderName(h.first, name)) {
            h.second = value;
            return;
        }
    }
    headers.emplaceBack(name, value);
}

QByteArray HttpResponse::header(const QByteArray &name) const
{
    for (const auto &h : headers)
        if (sameHeaderName(h.first, name))
            return h.second;
    return {};
}

HttpResponse HttpResponse::json(int status, const QJsonObject &object)
{
    HttpResponse r;
    r.status = status;
    r.body.reserve(256);
    appendJson(r.body, object);
    r.headers.emplaceBack(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json"));
    return r;
}

HttpResponse HttpResponse::json(int status, QByteArray body)
{
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers.emplaceBack(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json"));
    return r;
}

HttpResponse HttpResponse::error(int status, const QString &message)
{
    HttpResponse r;
    r.status = status;
    r.body = jsonErrorBody(message);
    r.headers.emplaceBack(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json"));
    return r;
}

HttpResponse HttpResponse::noContent()
{
    HttpResponse r;
    r.status = 204;
    return r;
}

ByteRange parseByteRange(const QByteArray &rangeHeader, qint64 size)
{
    ByteRange whole{ByteRange::Kind::Whole, 0, size - 1};
    const QByteArray range = rangeHeader.trimmed();
    if (!range.startsWith("bytes="))
        return whole;
    const QByteArray spec = range.mid(6);
    const qsizetype dash = spec.indexOf('-');
    if (dash < 0 || spec.indexOf('-', dash + 1) >= 0 || spec.contains(','))
        return whole; // malformed or several ranges: the whole representation
    const QByteArrayView a = QByteArrayView(spec).first(dash), b = QByteArrayView(spec).sliced(dash + 1);
    const auto firstValue = parseDecimal(a), lastValue = parseDecimal(b);
    if ((!a.isEmpty() && !firstValue) || (!b.isEmpty() && !lastValue) || (a.isEmpty() && b.isEmpty()))
        return whole;
    const qint64 first = firstValue.value_or(0), last = lastValue.value_or(0);
    ByteRange unsatisfiable{ByteRange::Kind::Unsatisfiable, 0, -1};
    if (a.isEmpty()) { // suffix: the last `last` bytes
        if (last == 0 || size == 0)
            return unsatisfiable;
        return {ByteRange::Kind::Partial, qMax<qint64>(0, size - last), size - 1};
    }
    if (!b.isEmpty() && last < first)
        return whole; // an invalid range-spec is ignored
    if (first >= size)
        return unsatisfiable;
    return {ByteRange::Kind::Partial, first, b.isEmpty() ? size - 1 : qMin(last, size - 1)};
}

Result<std::pair<std::shared_ptr<StreamedBody>, int>> StreamedBody::create()
{
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        return Error(QStringLiteral("http.stream"), QStringLiteral("The host could not open a stream for the answer: %1")
                                                        .arg(QString::fromLocal8Bit(std::strerror(errno))), 500);
    ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    return std::make_pair(std::shared_ptr<StreamedBody>(new StreamedBody(fds[0])), fds[1]);
}

StreamedBody::~StreamedBody()
{
    ::close(m_fd);
}

bool writeStreamedBytes(int producerFd, const char *data, qint64 size)
{
    while (size > 0) {
        const ssize_t n = ::send(producerFd, data, size_t(size), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        size -= n;
    }
    return true;
}

HttpResponse HttpResponse::file(const QString &path, qint64 size, const QByteArray &contentType,
                                const QByteArray &rangeHeader)
{
    const ByteRange range = parseByteRange(rangeHeader, size);
    if (range.kind == ByteRange::Kind::Unsatisfiable) {
        HttpResponse bad = error(416, QStringLiteral("The requested range is outside the file."));
        bad.setHeader("Content-Range", "bytes */" + QByteArray::number(size));
        return bad;
    }
    HttpResponse r;
    r.filePath = path;
    r.setHeader("Content-Type", contentType);
    r.setHeader("Accept-Ranges", "bytes");
    if (range.kind == ByteRange::Kind::Partial) {
        r.status = 206;
        r.setHeader("Content-Range", "bytes " + QByteArray::number(range.first) + '-' + QByteArray::number(range.last)
                                         + '/' + QByteArray::number(size));
    }
    r.fileOffset = range.first;
    r.fileLength = size == 0 ? 0 : range.last - range.first + 1;
    return r;
}

static bool plausibleAuthority(const QByteArray &value)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9.\\-]+(:[0-9]{1,5})?$|^\\[[0-9A-Fa-f:.]+\\](:[0-9]{1,5})?$"));
    return !value.isEmpty() && value.size() < 256 && re.match(QString::fromLatin1(value)).hasMatch();
}

QByteArray publicBaseUrl(const QByteArray &host, const QByteArray &forwardedHost,
                         const QByteArray &forwardedProto, bool trustForwarded,
                         const QByteArray &fallbackAuthority)
{
    QByteArray scheme = "http";
    QByteArray authority = plausibleAuthority(host) ? host : fallbackAuthority;
    if (trustForwarded) {
        // A proxy chain may list several values; the first is the client-facing one.
        const QByteArray fh = forwardedHost.split(',').value(0).trimmed();
        const QByteArray fp = forwardedProto.split(',').value(0).trimmed().toLower();
        if (plausibleAuthority(fh))
            authority = fh;
        if (fp == "https" || fp == "http")
            scheme = fp;
    }
    return scheme + "://" + authority;
}

static HeaderList buildCorsHeaders(const QByteArray &origin, bool extended)
{
    HeaderList h;
    const bool originOk = !origin.isEmpty() && !origin.contains('\r') && !origin.contains('\n');
    h.emplaceBack("Access-Control-Allow-Origin", originOk ? origin : QByteArray("*"));
    if (originOk)
        h.emplaceBack("Vary", "Origin");
    h.emplaceBack("Access-Control-Allow-Headers", "*");
    if (extended) {
        h.emplaceBack("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, OPTIONS, PATCH, HEAD");
        h.emplaceBack("Access-Control-Expose-Headers",
                  "Location, Stream-Media-Id, Upload-Offset, Upload-Length, Upload-Metadata, "
                  "Upload-Expires, Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, "
                  "Tus-Checksum-Algorithm, Content-Range, Accept-Ranges, Content-Length");
    } else {
        h.emplaceBack("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, OPTIONS");
    }
    return h;
}

HeaderList corsHeaders(const QByteArray &origin, bool extended)
{
    if (!origin.isEmpty())
        return buildCorsHeaders(origin, extended);
    // Most answers go to clients that are not browsers: built once, shared by every answer.
    static const HeaderList plain = buildCorsHeaders(QByteArray(), false);
    static const HeaderList plainExtended = buildCorsHeaders(QByteArray(), true);
    return extended ? plainExtended : plain;
}

QByteArray httpDate(const QDateTime &at)
{
    // By hand (what QLocale::c() writes for "ddd, dd MMM yyyy hh:mm:ss 'GMT'", at a
    // hundredth of its cost): tus HEADs carry Upload-Expires on every answer.
    if (!at.isValid())
        return {};
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const time_t seconds = time_t(at.toSecsSinceEpoch());
    struct tm t {};
    if (!gmtime_r(&seconds, &t))
        return {};
    char text[40];
    const int n = std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[t.tm_wday], t.tm_mday,
                                months[t.tm_mon], t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec);
    return QByteArray(text, n);
}

} // namespace deso::host
