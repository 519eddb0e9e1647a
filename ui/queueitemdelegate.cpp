#include "queueitemdelegate.h"

#include "mediaqueuemodel.h"

#include <QApplication>
#include <QPainter>
#include <QPainterPath>
#include <QStyleOptionProgressBar>

namespace {
using State = MediaQueueModel::State;
using Kind = MediaQueueModel::Kind;

QColor badgeColor(State s)
{
    switch (s) {
    case State::Waiting: return QColor(0x80, 0x86, 0x8f);
    case State::Processing: return QColor(0x8e, 0x5b, 0xd6);
    case State::Uploading: return QColor(0x1f, 0x7a, 0xe0);
    case State::Paused: return QColor(0xd0, 0x8a, 0x10);
    case State::Done: return QColor(0x2e, 0x9e, 0x4f);
    case State::Failed: return QColor(0xd0, 0x34, 0x34);
    case State::Refused: return QColor(0xa0, 0x30, 0x30);
    }
    return Qt::gray;
}

// A placeholder for rows without a thumbnail yet (and for videos): a rounded tile with
// a play triangle or the letters of the type, so rows never look broken.
void paintPlaceholder(QPainter *p, const QRect &r, Kind kind, const QPalette &pal)
{
    QPainterPath tile;
    tile.addRoundedRect(r, 6, 6);
    p->fillPath(tile, kind == Kind::Video ? QColor(0x2b, 0x30, 0x3a) : pal.color(QPalette::Midlight));
    if (kind == Kind::Video) {
        const QPointF c = r.center();
        QPainterPath tri;
        tri.moveTo(c.x() - 9, c.y() - 12);
        tri.lineTo(c.x() + 13, c.y());
        tri.lineTo(c.x() - 9, c.y() + 12);
        tri.closeSubpath();
        p->fillPath(tri, QColor(0xf0, 0xf0, 0xf0));
    } else {
        p->setPen(pal.color(QPalette::Mid));
        p->drawText(r, Qt::AlignCenter, kind == Kind::Image ? QStringLiteral("IMG") : QStringLiteral("?"));
    }
}
} // namespace

QSize QueueItemDelegate::sizeHint(const QStyleOptionViewItem &, const QModelIndex &) const
{
    // Only the height matters: rows take the viewport's width and elide their text.
    return QSize(kThumbSize + 200, kRowHeight);
}

void QueueItemDelegate::paint(QPainter *p, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt(option);
    initStyleOption(&opt, index);
    opt.text.clear();
    opt.icon = {};
    opt.features &= ~QStyleOptionViewItem::HasDecoration;
    QStyle *style = opt.widget ? opt.widget->style() : QApplication::style();
    style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, p, opt.widget);

    p->save();
    p->setRenderHint(QPainter::Antialiasing);
    p->setRenderHint(QPainter::SmoothPixmapTransform);
    const bool selected = opt.state & QStyle::State_Selected;
    const QPalette &pal = opt.palette;
    const QColor text = pal.color(selected ? QPalette::HighlightedText : QPalette::Text);
    QColor dim = text;
    dim.setAlphaF(0.65);

    const auto state = index.data(MediaQueueModel::StateRole).value<State>();
    const auto kind = index.data(MediaQueueModel::KindRole).value<Kind>();
    const QRect r = opt.rect.adjusted(8, 7, -10, -7);

    // Thumbnail, centred in a square, aspect kept.
    const QRect thumbRect(r.left(), r.top() + (r.height() - kThumbSize) / 2, kThumbSize, kThumbSize);
    // A processed video shows the server's poster (what viewers see first) once fetched.
    QImage thumb = index.data(MediaQueueModel::PosterRole).value<QImage>();
    if (thumb.isNull())
        thumb = index.data(MediaQueueModel::ThumbnailRole).value<QImage>();
    if (thumb.isNull()) {
        paintPlaceholder(p, thumbRect, kind, pal);
    } else {
        const QSize fit = thumb.size().scaled(thumbRect.size(), Qt::KeepAspectRatio);
        QRect target(QPoint(0, 0), fit);
        target.moveCenter(thumbRect.center());
        QPainterPath clip;
        clip.addRoundedRect(target, 4, 4);
        p->setClipPath(clip);
        p->drawImage(target, thumb);
        p->setClipping(false);
        if (kind == Kind::Video) {
            const QRect mark(thumbRect.right() - 18, thumbRect.bottom() - 14, 16, 12);
            p->fillRect(mark, QColor(0, 0, 0, 160));
            QPainterPath tri;
            tri.moveTo(mark.left() + 5, mark.top() + 2);
            tri.lineTo(mark.right() - 4, mark.center().y());
            tri.lineTo(mark.left() + 5, mark.bottom() - 2);
            p->fillPath(tri, Qt::white);
        }
    }

    // Badge at the right of the first line.
    QFont badgeFont = opt.font;
    badgeFont.setPointSizeF(badgeFont.pointSizeF() * 0.85);
    badgeFont.setBold(true);
    const QString badgeText = MediaQueueModel::stateName(state).toUpper();
    const QFontMetrics bfm(badgeFont);
    const int badgeW = bfm.horizontalAdvance(badgeText) + 14;
    const int badgeH = bfm.height() + 4;
    const QRect badge(r.right() - badgeW, r.top(), badgeW, badgeH);
    QPainterPath pill;
    pill.addRoundedRect(badge, badgeH / 2.0, badgeH / 2.0);
    p->fillPath(pill, badgeColor(state));
    p->setFont(badgeFont);
    p->setPen(Qt::white);
    p->drawText(badge, Qt::AlignCenter, badgeText);

    const int textLeft = thumbRect.right() + 12;
    const int textRight = badge.left() - 8;
    QFont nameFont = opt.font;
    nameFont.setBold(true);
    const QFontMetrics nfm(nameFont);
    p->setFont(nameFont);
    p->setPen(text);
    const QRect nameRect(textLeft, r.top(), textRight - textLeft, nfm.height());
    p->drawText(nameRect, Qt::AlignLeft | Qt::AlignVCenter,
                nfm.elidedText(index.data(MediaQueueModel::NameRole).toString(), Qt::ElideMiddle, nameRect.width()));

    const QFontMetrics fm(opt.font);
    p->setFont(opt.font);
    p->setPen(dim);
    const QRect detailRect(textLeft, nameRect.bottom() + 2, r.right() - textLeft, fm.height());
    p->drawText(detailRect, Qt::AlignLeft | Qt::AlignVCenter,
                fm.elidedText(index.data(MediaQueueModel::DetailRole).toString(), Qt::ElideRight, detailRect.width()));

    // Third line: a progress bar with its text, or the reason in red.
    const QString progressText = index.data(MediaQueueModel::ProgressTextRole).toString();
    const int progress = index.data(MediaQueueModel::ProgressRole).toInt();
    const QRect lineRect(textLeft, detailRect.bottom() + 5, r.right() - textLeft, fm.height() + 2);
    const bool showsBar = (state == State::Uploading || state == State::Paused || state == State::Done
                           || state == State::Processing) && progress >= 0;
    if (state == State::Refused || state == State::Failed) {
        p->setPen(selected ? text : badgeColor(State::Failed));
        p->drawText(lineRect, Qt::AlignLeft | Qt::AlignVCenter,
                    fm.elidedText(progressText, Qt::ElideRight, lineRect.width()));
    } else if (showsBar) {
        const int barW = std::min(220, lineRect.width() / 2);
        const QRect bar(lineRect.left(), lineRect.center().y() - 4, barW, 8);
        QPainterPath track;
        track.addRoundedRect(bar, 4, 4);
        p->fillPath(track, pal.color(QPalette::Midlight).darker(105));
        if (progress > 0) {
            QRect fill = bar;
            fill.setWidth(std::max(8, bar.width() * progress / 1000));
            QPainterPath done;
            done.addRoundedRect(fill, 4, 4);
            p->fillPath(done, badgeColor(state == State::Done ? State::Done
                                          : state == State::Paused ? State::Paused : State::Uploading));
        }
        p->setPen(dim);
        const QRect t(bar.right() + 10, lineRect.top(), lineRect.right() - bar.right() - 10, lineRect.height());
        p->drawText(t, Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(progressText, Qt::ElideRight, t.width()));
    } else {
        p->drawText(lineRect, Qt::AlignLeft | Qt::AlignVCenter,
                    fm.elidedText(progressText, Qt::ElideRight, lineRect.width()));
    }
    p->restore();
}
