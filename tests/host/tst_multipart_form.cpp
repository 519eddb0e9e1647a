// parseMultipartForm on its own: the shapes browsers and Go's mime/multipart send,
// and the malformed ones the upload-image endpoint must refuse with 400.
#include "host/multipartform.h"

#include <QTest>

using namespace deso::host;

class TstMultipartForm : public QObject
{
    Q_OBJECT

private slots:
    void browserForm();
    void quotedParametersAndCase();
    void emptyPartBodies();
    void transportPadding();
    void refusals_data();
    void refusals();
};

void TstMultipartForm::browserForm()
{
    const QByteArray body = "preamble\r\n"
                            "------WebKitFormBoundaryA\r\n"
                            "Content-Disposition: form-data; name=\"UserPublicKeyBase58Check\"\r\n\r\n"
                            "BC1YLg\r\n"
                            "------WebKitFormBoundaryA\r\n"
                            "Content-Disposition: form-data; name=\"JWT\"\r\n\r\n"
                            "a.b.c\r\n"
                            "------WebKitFormBoundaryA\r\n"
                            "Content-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\n"
                            "Content-Type: image/png\r\n\r\n"
                            "\x89PNG\r\n\x1a\n--not-a-boundary\r\n"
                            "------WebKitFormBoundaryA--\r\n";
    const auto form = parseMultipartForm("multipart/form-data; boundary=----WebKitFormBoundaryA", body);
    QVERIFY2(form.ok(), qPrintable(form.ok() ? QString() : form.error().message));
    QCOMPARE(form->value(QStringLiteral("UserPublicKeyBase58Check")), QStringLiteral("BC1YLg"));
    QCOMPARE(form->value(QStringLiteral("JWT")), QStringLiteral("a.b.c"));
    QVERIFY(form->value(QStringLiteral("missing")).isNull());
    const FormFile *file = form->file(QStringLiteral("file"));
    QVERIFY(file);
    QCOMPARE(file->fileName, QStringLiteral("p.png"));
    QCOMPARE(file->contentType, QByteArray("image/png"));
    QCOMPARE(file->data, QByteArray("\x89PNG\r\n\x1a\n--not-a-boundary"));
}

void TstMultipartForm::quotedParametersAndCase()
{
    const QByteArray body = "--b\r\n"
                            "CONTENT-DISPOSITION: Form-Data; NAME=\"file\"; filename=\"a \\\"q\\\".jpg\"\r\n"
                            "content-type:image/jpeg\r\n\r\n"
                            "xyz\r\n--b--";
    const auto form = parseMultipartForm("Multipart/Form-Data;  Boundary=\"b\"", body);
    QVERIFY(form.ok());
    const FormFile *file = form->file(QStringLiteral("file"));
    QVERIFY(file);
    QCOMPARE(file->fileName, QStringLiteral("a \"q\".jpg"));
    QCOMPARE(file->contentType, QByteArray("image/jpeg"));
    QCOMPARE(file->data, QByteArray("xyz"));
}

void TstMultipartForm::emptyPartBodies()
{
    // The second part's blank line is directly followed by the delimiter's own CRLF:
    // its body is empty, not the rest of the form.
    const QByteArray body = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\n"
                            "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n"
                            "--b\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\nC\r\n--b--\r\n";
    const auto form = parseMultipartForm("multipart/form-data; boundary=b", body);
    QVERIFY2(form.ok(), qPrintable(form.ok() ? QString() : form.error().message));
    QCOMPARE(form->value(QStringLiteral("a")), QString());
    QVERIFY(form->file(QStringLiteral("file")));
    QCOMPARE(form->file(QStringLiteral("file"))->data, QByteArray());
    QCOMPARE(form->value(QStringLiteral("c")), QStringLiteral("C"));
}

void TstMultipartForm::transportPadding()
{
    const QByteArray body = "--b \t\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nA\r\n--b--";
    const auto form = parseMultipartForm("multipart/form-data; boundary=b", body);
    QVERIFY(form.ok());
    QCOMPARE(form->value(QStringLiteral("a")), QStringLiteral("A"));
}

void TstMultipartForm::refusals_data()
{
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("sentence");
    const QByteArray ct = "multipart/form-data; boundary=b";
    const QByteArray part = "Content-Disposition: form-data; name=\"a\"\r\n\r\nA\r\n";
    QTest::newRow("not multipart") << QByteArray("application/json") << QByteArray("{}")
                                   << QStringLiteral("request Content-Type isn't multipart/form-data");
    QTest::newRow("no boundary") << QByteArray("multipart/form-data") << QByteArray("--b\r\n")
                                 << QStringLiteral("no multipart boundary param in Content-Type");
    QTest::newRow("boundary > 70") << QByteArray("multipart/form-data; boundary=" + QByteArray(71, 'x')) << QByteArray()
                                   << QStringLiteral("no multipart boundary param in Content-Type");
    QTest::newRow("empty body") << ct << QByteArray() << QStringLiteral("multipart: NextPart: EOF");
    QTest::newRow("no closing delimiter") << ct << QByteArray("--b\r\n" + part)
                                          << QStringLiteral("multipart: NextPart: EOF");
    QTest::newRow("junk after delimiter") << ct << QByteArray("--bX\r\n" + part + "--b--")
                                          << QStringLiteral("multipart: boundary is not followed by a line break");
    QTest::newRow("delimiter at the very end") << ct << QByteArray("--b")
                                               << QStringLiteral("multipart: boundary is not followed by a line break");
    QTest::newRow("headers not terminated") << ct << QByteArray("--b\r\nContent-Disposition: form-data\r\n--b--")
                                            << QStringLiteral("multipart: a part's headers are not terminated");
    QTest::newRow("header without colon") << ct << QByteArray("--b\r\nnonsense\r\n\r\nA\r\n--b--")
                                          << QStringLiteral("multipart: malformed part header");
    QTest::newRow("no disposition") << ct << QByteArray("--b\r\nContent-Type: text/plain\r\n\r\nA\r\n--b--")
                                    << QStringLiteral("multipart: a part has no form-data Content-Disposition");
    QTest::newRow("part without headers") << ct << QByteArray("--b\r\n\r\nA\r\n--b--")
                                          << QStringLiteral("multipart: a part has no form-data Content-Disposition");
}

void TstMultipartForm::refusals()
{
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(QString, sentence);
    const auto form = parseMultipartForm(contentType, body);
    QVERIFY(!form.ok());
    QCOMPARE(form.error().code, QStringLiteral("form.malformed"));
    QCOMPARE(form.error().httpStatus, 400);
    QCOMPARE(form.error().message, sentence);
}

QTEST_APPLESS_MAIN(TstMultipartForm)
#include "tst_multipart_form.moc"
