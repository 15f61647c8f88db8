#include "policyeditor.h"

#include "domain/apierror.h"
#include "domain/policyservice.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QStyle>
#include <QVBoxLayout>

namespace oxm {

namespace {
QSpinBox *limitBox(QWidget *parent)
{
    auto *box = new QSpinBox(parent);
    box->setRange(0, PolicyService::MaxLimit);
    box->setSpecialValueText(QObject::tr("0 (no limit)"));
    box->setGroupSeparatorShown(true);
    box->setAccelerated(true);
    box->setMinimumWidth(box->fontMetrics().horizontalAdvance(QStringLiteral("0 (no limit)")) + 48);
    return box;
}
} // namespace

PolicyEditor::PolicyEditor(QWidget *parent)
    : QGroupBox(parent)
    , m_maxPerUser(limitBox(this))
    , m_maxPerAsset(limitBox(this))
    , m_maxDevices(limitBox(this))
    , m_icon(new QLabel(this))
    , m_message(new QLabel(this))
    , m_apply(new QPushButton(tr("Apply"), this))
    , m_revert(new QPushButton(tr("Revert"), this))
{
    m_maxPerUser->setToolTip(tr("Concurrent streams per subscriber (refusal 1050)"));
    m_maxPerAsset->setToolTip(tr("Concurrent streams of one asset per subscriber (refusal 1051)"));
    m_maxDevices->setToolTip(tr("Distinct devices streaming at once per subscriber (refusal 1052)"));
    auto *form = new QFormLayout;
    form->addRow(tr("Max streams per &user:"), m_maxPerUser);
    form->addRow(tr("Max streams per &asset:"), m_maxPerAsset);
    form->addRow(tr("Max &devices:"), m_maxDevices);

    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    m_icon->setFixedSize(iconSize, iconSize);
    auto *messageRow = new QHBoxLayout;
    messageRow->addWidget(m_icon, 0, Qt::AlignTop);
    messageRow->addWidget(m_message, 1);

    auto *hint = new QLabel(tr("0 means not enforced. A change applies to the next admission; "
                               "streams already playing are not cut off."), this);
    hint->setWordWrap(true);

    m_apply->setDefault(true);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch();
    buttons->addWidget(m_revert);
    buttons->addWidget(m_apply);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(messageRow);
    layout->addWidget(hint);
    layout->addLayout(buttons);
    layout->addStretch();

    for (QSpinBox *box : {m_maxPerUser, m_maxPerAsset, m_maxDevices})
        connect(box, &QSpinBox::valueChanged, this, &PolicyEditor::validate);
    connect(m_apply, &QPushButton::clicked, this, [this] {
        if (!m_tenant.isEmpty() && m_error.isEmpty())
            Q_EMIT applyRequested(m_tenant, policy());
    });
    connect(m_revert, &QPushButton::clicked, this, [this] { setPolicy(m_stored); });
    setTenant({}, {});
}

void PolicyEditor::setTenant(const QString &tenant, const StreamPolicy &stored)
{
    m_tenant = tenant;
    m_stored = stored;
    setTitle(tenant.isEmpty() ? tr("Policy") : tr("Policy of %1").arg(tenant));
    m_resultShown = false;
    setPolicy(stored);
    showMessage(tenant.isEmpty() ? tr("Select a tenant to edit its limits.") : QString(), false);
}

void PolicyEditor::setStored(const StreamPolicy &stored)
{
    const bool edited = policy() != m_stored;
    m_stored = stored;
    if (!edited)
        setPolicy(stored);
    else
        validate();
}

StreamPolicy PolicyEditor::policy() const
{
    return StreamPolicy{m_maxPerUser->value(), m_maxPerAsset->value(), m_maxDevices->value()};
}

void PolicyEditor::setPolicy(const StreamPolicy &policy)
{
    const QSignalBlocker a(m_maxPerUser), b(m_maxPerAsset), c(m_maxDevices);
    m_maxPerUser->setValue(policy.maxPerUser);
    m_maxPerAsset->setValue(policy.maxPerAsset);
    m_maxDevices->setValue(policy.maxDevices);
    validate();
}

void PolicyEditor::setBusy(bool busy)
{
    m_busy = busy;
    validate();
}

void PolicyEditor::setResult(const QString &message, bool failed)
{
    showMessage(message, failed);
    m_resultShown = true;
}

void PolicyEditor::validate()
{
    m_error.clear();
    try {
        PolicyService::validate(policy());
    } catch (const ApiError &error) {
        m_error = tr("%1 (error %2)").arg(error.message()).arg(int(error.code()));
    }
    const bool editable = !m_tenant.isEmpty() && !m_busy;
    for (QSpinBox *box : {m_maxPerUser, m_maxPerAsset, m_maxDevices})
        box->setEnabled(editable);
    const bool changed = policy() != m_stored;
    m_apply->setEnabled(editable && changed && m_error.isEmpty());
    m_revert->setEnabled(editable && changed);
    if (!m_error.isEmpty()) {
        showMessage(m_error, true);
        m_resultShown = false;
    } else if (changed) {
        showMessage(tr("Unsaved changes."), false);
        m_resultShown = false;
    } else if (!m_resultShown && !m_tenant.isEmpty()) {
        showMessage(QString(), false);
    }
}

void PolicyEditor::showMessage(const QString &text, bool warning)
{
    m_message->setText(text);
    const int size = m_icon->width();
    m_icon->setPixmap(warning ? style()->standardIcon(QStyle::SP_MessageBoxWarning, nullptr, this).pixmap(size, size)
                              : QPixmap());
}

} // namespace oxm
