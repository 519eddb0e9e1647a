#pragma once
// The area that accepts dropped files (file URLs from a file manager).

#include <QFrame>
#include <QStringList>

class QLabel;
class QMimeData;
class QPushButton;

class DropZone : public QFrame {
    Q_OBJECT
public:
    explicit DropZone(QWidget *parent = nullptr);

    QPushButton *addButton() const { return m_add; }
    // The local files among dropped or pasted URLs (remote URLs are not files to upload).
    static QStringList localFiles(const QMimeData *mime);

signals:
    void filesDropped(const QStringList &paths);
    void addFilesRequested();

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dragLeaveEvent(QDragLeaveEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void setHighlighted(bool on);
    QLabel *m_label;
    QPushButton *m_add;
};
