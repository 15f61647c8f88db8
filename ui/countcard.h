#pragma once

#include <QFrame>

class QLabel;

namespace oxm {

/// A number with a caption under it, for dashboard totals ("12 / active streams").
class CountCard final : public QFrame
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CountCard)

public:
    explicit CountCard(const QString &caption, QWidget *parent = nullptr);

    void setValue(qint64 value);
    qint64 value() const { return m_value; }

private:
    QLabel *m_number;
    qint64 m_value = -1;
};

} // namespace oxm
