// The main window: it opens, and dropped files land in the queue.
#include "dropzone.h"
#include "mainwindow.h"
#include "mediaqueuemodel.h"

#include <QDropEvent>
#include <QImage>
#include <QListView>
#include <QMimeData>
#include <QTemporaryDir>
#include <QtTest>

class TestMainWindow : public QObject {
    Q_OBJECT

    static void dropUrls(QWidget *target, const QList<QUrl> &urls)
    {
        QMimeData mime;
        mime.setUrls(urls);
        const QPointF pos(target->width() / 2.0, target->height() / 2.0);
        QDragEnterEvent enter(pos.toPoint(), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(target, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(target, &drop);
        QVERIFY(drop.isAccepted());
    }

private slots:
    void windowOpens()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.dropZone()->acceptDrops());
        QCOMPARE(w.queueView()->model(), w.queue());
        QCOMPARE(w.queue()->rowCount(), 0);
    }

    void droppedImageAppearsInTheQueueWithTypeAndSize()
    {
        QTemporaryDir dir;
        QImage img(120, 80, QImage::Format_RGB32);
        img.fill(Qt::red);
        const QString path = dir.filePath(QStringLiteral("red.jpg"));
        QVERIFY(img.save(path, "JPEG"));

        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        dropUrls(w.dropZone(), {QUrl::fromLocalFile(path)});

        QCOMPARE(w.queue()->rowCount(), 1);
        const auto &item = w.queue()->item(0);
        QCOMPARE(item.name, QStringLiteral("red.jpg"));
        QCOMPARE(item.mimeType, QStringLiteral("image/jpeg"));
        QCOMPARE(item.size, QFileInfo(path).size());
        QCOMPARE(item.kind, MediaQueueModel::Kind::Image);
        QCOMPARE(item.state, MediaQueueModel::State::Waiting);
        const QString shown = w.queueView()->model()->index(0, 0).data().toString();
        QVERIFY2(shown.contains(QStringLiteral("red.jpg")) && shown.contains(QStringLiteral("image/jpeg")),
                 qPrintable(shown));
    }

    void typeComesFromContentNotName()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("notes.jpg"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is plain text, not a photo\n");
        f.close();

        MainWindow w;
        dropUrls(w.dropZone(), {QUrl::fromLocalFile(path)});
        QCOMPARE(w.queue()->rowCount(), 1);
        const auto &item = w.queue()->item(0);
        QCOMPARE(item.state, MediaQueueModel::State::Refused);
        QVERIFY2(item.reason.contains(QStringLiteral("text/plain")), qPrintable(item.reason));
    }

    void manyFilesAtOnceAllAppear()
    {
        QTemporaryDir dir;
        QList<QUrl> urls;
        for (int i = 0; i < 5; ++i) {
            QImage img(10 + i, 10, QImage::Format_RGB32);
            img.fill(Qt::blue);
            const QString path = dir.filePath(QStringLiteral("p%1.png").arg(i));
            QVERIFY(img.save(path));
            urls << QUrl::fromLocalFile(path);
        }
        MainWindow w;
        dropUrls(w.dropZone(), urls);
        QCOMPARE(w.queue()->rowCount(), 5);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(w.queue()->item(i).mimeType, QStringLiteral("image/png"));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
