#include "noticebar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QToolButton>

NoticeBar::NoticeBar(QWidget *parent) : QFrame(parent), m_text(new QLabel), m_close(new QToolButton)
{
    setObjectName(QStringLiteral("noticeBar"));
    m_text->setObjectName(QStringLiteral("noticeText"));
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_close->setText(QStringLiteral("✕"));
    m_close->setAutoRaise(true);
    m_close->setToolTip(tr("Dismiss"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 6, 6);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_close);
    connect(m_close, &QToolButton::clicked, this, &QWidget::hide);
    hide();
}

void NoticeBar::show(Level level, const QString &message)
{
    m_level = level;
    m_text->setText(message);
    const char *css = "";
    switch (level) {
    case Level::Info: css = "#noticeBar { background: #e6f0fb; border: 1px solid #9cc1ea; border-radius: 6px; } #noticeText { color: #123a63; }"; break;
    case Level::Warning: css = "#noticeBar { background: #fff4dc; border: 1px solid #e8c16a; border-radius: 6px; } #noticeText { color: #5c3d00; }"; break;
    case Level::Error: css = "#noticeBar { background: #fde8e8; border: 1px solid #e59a9a; border-radius: 6px; } #noticeText { color: #7a1010; }"; break;
    }
    setStyleSheet(QString::fromLatin1(css));
    QFrame::show();
}

QString NoticeBar::message() const
{
    return isHidden() ? QString() : m_text->text();
}
