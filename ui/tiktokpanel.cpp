#include "tiktokpanel.h"

#include "node/nodeclient.h"
#include "tiktok/tiktoklinks.h"
#include "urlfield.h"

#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

TikTokPanel::TikTokPanel(QWidget *parent)
    : QWidget(parent), m_client(new deso::node::NodeClient(QUrl(), this)), m_input(new QLineEdit),
      m_resolve(new QPushButton(tr("Resolve"))), m_node(new QLabel), m_error(new QLabel),
      m_full(new UrlField(tr("Full URL"), true)), m_embed(new UrlField(tr("Embed URL"), true))
{
    m_input->setObjectName(QStringLiteral("tiktokInput"));
    m_input->setPlaceholderText(tr("https://vm.tiktok.com/TTPd2Eobq3/  or  TTPd2Eobq3"));
    m_input->setClearButtonEnabled(true);
    m_error->setObjectName(QStringLiteral("tiktokError"));
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #b42318;"));
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_node->setStyleSheet(QStringLiteral("color: #6b7280;"));

    auto *box = new QGroupBox(tr("TikTok link"));
    auto *row = new QHBoxLayout;
    row->addWidget(m_input, 1);
    row->addWidget(m_resolve);
    auto *boxLayout = new QVBoxLayout(box);
    boxLayout->addWidget(new QLabel(tr("Paste a link copied from the TikTok app, or just its short id. "
                                       "The node follows the short link and answers with the full video URL.")));
    boxLayout->addLayout(row);
    boxLayout->addWidget(m_node);
    boxLayout->addWidget(m_error);
    boxLayout->addWidget(m_full);
    boxLayout->addWidget(m_embed);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(box);
    layout->addStretch();
    m_error->hide();

    connect(m_resolve, &QPushButton::clicked, this, [this] { resolve(m_input->text()); });
    connect(m_input, &QLineEdit::returnPressed, m_resolve, &QPushButton::click);
    setNodeUrl({});
}

void TikTokPanel::setNodeUrl(const QUrl &url)
{
    m_client->setBaseUrl(url);
    m_node->setText(url.isEmpty() ? tr("No node is chosen (see Node & identity).")
                                  : tr("Resolved by %1").arg(url.toString()));
}

QString TikTokPanel::errorText() const
{
    return m_error->isHidden() ? QString() : m_error->text();
}

void TikTokPanel::showError(const QString &message)
{
    m_error->setText(message);
    m_error->show();
    emit failed(message);
}

void TikTokPanel::resolve(const QString &text)
{
    m_error->hide();
    m_full->setUrl({});
    m_embed->setUrl({});
    const auto shortId = deso::tiktok::shortIdFromText(text);
    if (!shortId) {
        showError(tr("That is not a TikTok short link: paste something like https://vm.tiktok.com/TTPd2Eobq3/ "
                     "or the id at its end (6 to 12 letters and digits)."));
        return;
    }
    if (m_client->baseUrl().isEmpty()) {
        showError(tr("No node to ask: choose one in Node & identity, or start the local host."));
        return;
    }
    delete m_request;
    m_request = new QObject(this);
    m_resolve->setEnabled(false);
    m_resolve->setText(tr("Resolving…"));
    m_client->getFullTikTokUrl(*shortId, m_request, [this](deso::Result<QString> result) {
        m_request->deleteLater();
        m_request = nullptr;
        m_resolve->setEnabled(true);
        m_resolve->setText(tr("Resolve"));
        if (!result) {
            showError(tr("The node could not resolve it: %1").arg(result.error().message));
            return;
        }
        m_full->setUrl(result.value());
        if (const auto videoId = deso::tiktok::videoIdFromFullUrl(result.value()))
            m_embed->setUrl(deso::tiktok::embedUrl(*videoId));
        emit resolved(result.value());
    });
}
