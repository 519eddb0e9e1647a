#pragma once
// A read-only window [offset, offset + length) of a file, exposed as a random-access
// QIODevice so that QNetworkAccessManager streams a PATCH body straight from disk
// (a chunk of a 250 MB video never sits in RAM) and can rewind it when it resends.

#include <QFile>
#include <QIODevice>

namespace deso::tus {

class FileRangeDevice : public QIODevice {
    Q_OBJECT
public:
    FileRangeDevice(const QString &path, qint64 offset, qint64 length, QObject *parent = nullptr);

    // Opens the file read-only and checks that the window lies inside it.
    bool open(OpenMode mode) override;
    void close() override;
    bool isSequential() const override { return false; }
    qint64 size() const override { return m_length; }
    bool seek(qint64 pos) override;
    bool atEnd() const override { return pos() >= m_length; }

protected:
    qint64 readData(char *data, qint64 maxSize) override;
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    QFile m_file;
    qint64 m_offset;
    qint64 m_length;
};

} // namespace deso::tus
