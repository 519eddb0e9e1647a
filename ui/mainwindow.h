#pragma once

#include <QMainWindow>

class DropZone;
class MediaQueueModel;
class QListView;
class QLabel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);

    MediaQueueModel *queue() const { return m_queue; }
    DropZone *dropZone() const { return m_dropZone; }
    QListView *queueView() const { return m_queueView; }

public slots:
    void addFiles(const QStringList &paths);

private:
    void updateSummary();

    MediaQueueModel *m_queue;
    DropZone *m_dropZone;
    QListView *m_queueView;
    QLabel *m_summary;
};
