#include "countcard.h"

#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace oxm {

CountCard::CountCard(const QString &caption, QWidget *parent)
    : QFrame(parent)
    , m_number(new QLabel(this))
{
    setFrameShape(QFrame::StyledPanel);
    setBackgroundRole(QPalette::Base);
    setAutoFillBackground(true);
    QFont big = m_number->font();
    big.setPointSizeF(big.pointSizeF() * 1.9);
    big.setBold(true);
    m_number->setFont(big);
    m_number->setAlignment(Qt::AlignCenter);
    auto *text = new QLabel(caption, this);
    text->setAlignment(Qt::AlignCenter);
    text->setWordWrap(true);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(10, 6, 10, 6);
    layout->setSpacing(0);
    layout->addWidget(m_number);
    layout->addWidget(text);
    setValue(0);
}

void CountCard::setValue(qint64 value)
{
    if (value == m_value)
        return;
    m_value = value;
    m_number->setText(QLocale().toString(value));
}

} // namespace oxm
