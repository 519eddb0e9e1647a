#include "nodetesterpanel.h"

#include "nodetest/nodetester.h"

#include <QDir>
#include <QFontDatabase>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTableView>
#include <QVBoxLayout>

using deso::nodetest::NodeTester;
using deso::nodetest::StepResult;

NodeTesterPanel::NodeTesterPanel(QWidget *parent)
    : QWidget(parent),
      m_workDir(QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).filePath(QStringLiteral("node-test"))),
      m_run(new QPushButton(tr("Run all endpoint tests"))), m_node(new QLabel), m_summary(new QLabel),
      m_table(new QStandardItemModel(0, 4, this)), m_view(new QTableView), m_raw(new QPlainTextEdit)
{
    m_run->setObjectName(QStringLiteral("runNodeTests"));
    m_run->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    m_run->setToolTip(tr("Runs upload-image, upload-video (tus), get-video-status, get-video-dimensions and "
                         "get-full-tiktok-url against the chosen node (Ctrl+T)"));
    m_summary->setObjectName(QStringLiteral("testerSummary"));
    m_table->setHorizontalHeaderLabels({tr("Endpoint"), tr("Result"), tr("Time"), tr("What came back")});
    for (const QString &name : NodeTester::stepNames()) {
        m_table->appendRow({new QStandardItem(name), new QStandardItem(QStringLiteral("—")), new QStandardItem,
                            new QStandardItem});
        m_raws << QString();
    }
    m_view->setObjectName(QStringLiteral("testerTable"));
    m_view->setModel(m_table);
    m_view->verticalHeader()->hide();
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setWordWrap(false);
    m_view->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(3, QHeaderView::Stretch);
    m_raw->setReadOnly(true);
    m_raw->setObjectName(QStringLiteral("testerRaw"));
    m_raw->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_raw->setPlaceholderText(tr("Select a row to see its requests and the node's answers."));

    auto *top = new QHBoxLayout;
    top->addWidget(m_run);
    top->addWidget(m_node, 1);
    auto *split = new QSplitter(Qt::Vertical);
    split->addWidget(m_view);
    auto *rawBox = new QGroupBox(tr("Requests and answers"));
    auto *rawLayout = new QVBoxLayout(rawBox);
    rawLayout->addWidget(m_raw);
    split->addWidget(rawBox);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(split, 1);
    layout->addWidget(m_summary);

    connect(m_run, &QPushButton::clicked, this, &NodeTesterPanel::runAll);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &NodeTesterPanel::showRaw);
    setNodeUrl({});
}

NodeTesterPanel::~NodeTesterPanel() = default;

void NodeTesterPanel::setNodeUrl(const QUrl &url)
{
    m_nodeUrl = url;
    m_node->setText(url.isEmpty() ? tr("No node is chosen (see Node & identity).") : tr("Node: %1").arg(url.toString()));
}

void NodeTesterPanel::setCredentialsSource(deso::upload::CredentialsSource source)
{
    m_credentials = std::move(source);
}

bool NodeTesterPanel::isRunning() const
{
    return m_tester && m_tester->isRunning();
}

QString NodeTesterPanel::summaryText() const
{
    return m_summary->text();
}

void NodeTesterPanel::runAll()
{
    if (isRunning())
        return;
    deso::nodetest::NodeTestOptions options;
    options.nodeUrl = m_nodeUrl;
    options.mediaServerUrl = m_mediaServerUrl;
    options.workDir = m_workDir;
    options.statusTimeoutMs = m_statusTimeoutMs;
    if (m_credentials) {
        auto provider = m_credentials;
        options.credentials = [provider]() -> deso::Result<std::pair<QString, QString>> {
            const auto c = provider();
            if (!c)
                return c.error();
            return std::pair<QString, QString>(c->publicKey, c->jwt);
        };
    }
    delete m_tester;
    m_tester = new NodeTester(options, this);
    connect(m_tester, &NodeTester::stepChanged, this, &NodeTesterPanel::showStep);
    connect(m_tester, &NodeTester::finished, this, [this](int passed, int failed) {
        m_run->setEnabled(true);
        m_summary->setText(tr("%1 passed, %2 failed, %3 skipped")
                               .arg(passed).arg(failed).arg(NodeTester::stepNames().size() - passed - failed));
        m_summary->setStyleSheet(failed > 0 ? QStringLiteral("color: #b42318;") : QStringLiteral("color: #1a7f37;"));
        emit finished(passed, failed);
    });
    m_run->setEnabled(false);
    m_summary->setText(tr("Running against %1…").arg(m_nodeUrl.toString()));
    m_summary->setStyleSheet(QString());
    m_tester->run();
}

void NodeTesterPanel::showStep(int index, const StepResult &r)
{
    if (index < 0 || index >= m_table->rowCount())
        return;
    const QString outcome = NodeTester::outcomeName(r.outcome);
    auto *result = m_table->item(index, 1);
    result->setText(r.outcome == StepResult::Outcome::Pending ? QStringLiteral("—") : outcome);
    QColor color;
    switch (r.outcome) {
    case StepResult::Outcome::Passed: color = QColor(0x1a, 0x7f, 0x37); break;
    case StepResult::Outcome::Failed: color = QColor(0xb4, 0x23, 0x18); break;
    case StepResult::Outcome::Running: color = QColor(0x1f, 0x7a, 0xe0); break;
    default: color = QColor(0x6b, 0x72, 0x80); break;
    }
    result->setForeground(color);
    QFont bold = result->font();
    bold.setBold(true);
    result->setFont(bold);
    m_table->item(index, 2)->setText(r.outcome == StepResult::Outcome::Passed || r.outcome == StepResult::Outcome::Failed
                                         ? QStringLiteral("%1 ms").arg(r.elapsedMs)
                                         : QString());
    m_table->item(index, 2)->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_table->item(index, 3)->setText(r.summary);
    m_table->item(index, 3)->setToolTip(r.summary);
    m_raws[index] = r.raw;
    if (m_view->currentIndex().row() == index)
        showRaw();
}

void NodeTesterPanel::showRaw()
{
    const int row = m_view->currentIndex().row();
    m_raw->setPlainText(row >= 0 && row < m_raws.size() ? m_raws.at(row) : QString());
}
