#pragma once
// One button runs every endpoint against the chosen node (core/nodetest's NodeTester);
// a table shows pass/fail, timings and a summary, and the selected row's requests and answers.

#include "common/result.h"
#include "upload/credentials.h"

#include <QUrl>
#include <QWidget>

#include <functional>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QStandardItemModel;
class QTableView;

namespace deso::nodetest {
class NodeTester;
struct StepResult;
}

class NodeTesterPanel : public QWidget {
    Q_OBJECT
public:
    explicit NodeTesterPanel(QWidget *parent = nullptr);
    ~NodeTesterPanel() override;

    void setNodeUrl(const QUrl &url);
    // The media server the media-server steps run against; empty skips them.
    void setMediaServerUrl(const QUrl &url) { m_mediaServerUrl = url; }
    void setCredentialsSource(deso::upload::CredentialsSource source);
    void setWorkDir(const QString &dir) { m_workDir = dir; }
    void setStatusTimeoutMs(int ms) { m_statusTimeoutMs = ms; }

    void runAll();
    bool isRunning() const;
    QStandardItemModel *table() const { return m_table; }
    QTableView *tableView() const { return m_view; }
    QPlainTextEdit *rawView() const { return m_raw; }
    QString summaryText() const;

signals:
    void finished(int passed, int failed);

private:
    void showStep(int index, const deso::nodetest::StepResult &result);
    void showRaw();

    QUrl m_nodeUrl;
    QUrl m_mediaServerUrl;
    deso::upload::CredentialsSource m_credentials;
    QString m_workDir;
    int m_statusTimeoutMs = 120000;
    deso::nodetest::NodeTester *m_tester = nullptr;
    QPushButton *m_run;
    QLabel *m_node;
    QLabel *m_summary;
    QStandardItemModel *m_table;
    QTableView *m_view;
    QPlainTextEdit *m_raw;
    QStringList m_raws;
};
