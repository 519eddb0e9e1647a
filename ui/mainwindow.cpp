#include "mainwindow.h"

#include "common/version.h"
#include "dropzone.h"
#include "mediaqueuemodel.h"

#include <QLabel>
#include <QListView>
#include <QStatusBar>
#include <QVBoxLayout>

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent),
      m_queue(new MediaQueueModel(this)),
      m_dropZone(new DropZone),
      m_queueView(new QListView),
      m_summary(new QLabel)
{
    setWindowTitle(QStringLiteral(DESO_MEDIA_DISPLAY_NAME));
    m_queueView->setObjectName(QStringLiteral("queueView"));
    m_queueView->setModel(m_queue);
    m_queueView->setAlternatingRowColors(true);
    m_queueView->setUniformItemSizes(true);

    auto *central = new QWidget;
    auto *layout = new QVBoxLayout(central);
    layout->addWidget(m_dropZone);
    layout->addWidget(m_queueView, 1);
    layout->addWidget(m_summary);
    setCentralWidget(central);

    connect(m_dropZone, &DropZone::filesDropped, this, &MainWindow::addFiles);
    connect(m_queue, &QAbstractItemModel::rowsInserted, this, &MainWindow::updateSummary);
    updateSummary();
    resize(900, 600);
}

void MainWindow::addFiles(const QStringList &paths)
{
    const int before = m_queue->rowCount();
    m_queue->addFiles(paths);
    int refused = 0;
    for (int row = before; row < m_queue->rowCount(); ++row)
        if (m_queue->item(row).state == MediaQueueModel::State::Refused)
            ++refused;
    if (refused > 0)
        statusBar()->showMessage(tr("%n file(s) refused; the queue says why.", nullptr, refused));
}

void MainWindow::updateSummary()
{
    const int n = m_queue->rowCount();
    m_summary->setText(n == 0 ? tr("The queue is empty.") : tr("%n file(s) in the queue.", nullptr, n));
}
