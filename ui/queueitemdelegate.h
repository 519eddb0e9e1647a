#pragma once
// Paints one queue row: thumbnail, name, type/size/dimensions, a state badge, and a
// progress bar with bytes, speed and ETA (or the reason a file was refused or failed).

#include <QStyledItemDelegate>

class QueueItemDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    static constexpr int kRowHeight = 78;
    static constexpr int kThumbSize = 64;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};
