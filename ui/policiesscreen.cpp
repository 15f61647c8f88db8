#include "policiesscreen.h"

#include "background.h"
#include "domain/identifiers.h"
#include "domain/policyservice.h"
#include "oxmservice.h"
#include "policiesmodel.h"
#include "policyeditor.h"
#include "servicehost.h"
#include "tableview.h"

#include <QGroupBox>
#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace oxm {

PoliciesScreen::PoliciesScreen(ServiceHost &host, QWidget *parent)
    : Screen(parent)
    , m_host(host)
    , m_model(new PoliciesModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_editor(new PolicyEditor(this))
{
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(PoliciesModel::SortRole);
    m_proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setFilterKeyColumn(PoliciesModel::TenantColumn);
    m_view = makeTableView(m_proxy, {24, 14, 14, 14}, this);
    m_view->sortByColumn(PoliciesModel::TenantColumn, Qt::AscendingOrder);

    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter tenants"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);

    m_newTenant = new QLineEdit(this);
    m_newTenant->setPlaceholderText(tr("New tenant ID"));
    m_register = new QPushButton(tr("Register tenant"), this);
    m_newTenantMessage = new QLabel(this);
    m_newTenantMessage->setWordWrap(true);
    connect(m_newTenant, &QLineEdit::textChanged, this, &PoliciesScreen::validateNewTenant);
    connect(m_newTenant, &QLineEdit::returnPressed, m_register, &QPushButton::click);
    connect(m_register, &QPushButton::clicked, this, [this] { registerTenant(m_newTenant->text()); });
    auto *registerRow = new QHBoxLayout;
    registerRow->addWidget(m_newTenant, 1);
    registerRow->addWidget(m_register);
    auto *registerBox = new QGroupBox(tr("Register a tenant"), this);
    auto *registerLayout = new QVBoxLayout(registerBox);
    registerLayout->addLayout(registerRow);
    registerLayout->addWidget(m_newTenantMessage);

    auto *tenantsBox = new QGroupBox(tr("Tenants"), this);
    auto *tenantsLayout = new QVBoxLayout(tenantsBox);
    tenantsLayout->addWidget(m_filter);
    tenantsLayout->addWidget(m_view);

    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(tenantsBox, 1);
    leftLayout->addWidget(registerBox);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(left);
    splitter->addWidget(m_editor);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setChildrenCollapsible(false);
    (new QVBoxLayout(this))->addWidget(splitter);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &PoliciesScreen::onSelectionChanged);
    connect(m_editor, &PolicyEditor::applyRequested, this, &PoliciesScreen::apply);
    connect(&m_host, &ServiceHost::serviceChanged, this, &PoliciesScreen::connectService);
    validateNewTenant();
    connectService(m_host.service());
}

void PoliciesScreen::connectService(OxmService *service)
{
    if (!service) {
        m_editor->setTenant({}, {});
        return;
    }
    // Emitted on whichever thread saved (an HTTP thread, the pool); queued to this one.
    connect(&service->policies(), &PolicyService::policyChanged, this, &PoliciesScreen::onPolicyChanged,
            Qt::QueuedConnection);
    connect(&service->policies(), &PolicyService::tenantRegistered, m_model, &PoliciesModel::addTenant,
            Qt::QueuedConnection);
    refresh();
}

void PoliciesScreen::refresh()
{
    OxmService *service = m_host.service();
    if (!service)
        return;
    ++m_pending;
    PolicyService *policies = &service->policies();
    runInBackground(m_host.pool(), this, [policies] { return policies->allPolicies(); },
                    [this](const Outcome<QHash<QString, StreamPolicy>> &outcome) {
                        --m_pending;
                        if (!outcome.ok()) {
                            Q_EMIT errorMessage(tr("Policies"), tr("The tenants could not be loaded: %1").arg(outcome.error));
                            return;
                        }
                        m_model->setAll(*outcome.value);
                        if (!m_selectAfterLoad.isEmpty() && selectTenant(m_selectAfterLoad))
                            m_selectAfterLoad.clear();
                        else if (!m_view->selectionModel()->hasSelection() && m_proxy->rowCount() > 0)
                            m_view->selectRow(0);
                    });
}

void PoliciesScreen::validateNewTenant()
{
    const QString text = m_newTenant->text();
    QString problem;
    if (!text.isEmpty() && !isValidIdentifier(text))
        problem = tr("A tenant ID is 1 to 256 bytes of UTF-8 without control characters.");
    else if (!text.isEmpty() && m_model->policyOf(text))
        problem = tr("%1 is already registered.").arg(text);
    m_newTenantMessage->setText(problem);
    m_newTenantMessage->setVisible(!problem.isEmpty());
    m_register->setEnabled(!text.isEmpty() && problem.isEmpty() && m_host.service());
}

void PoliciesScreen::registerTenant(const QString &tenant)
{
    OxmService *service = m_host.service();
    if (!service || !isValidIdentifier(tenant))
        return;
    ++m_pending;
    m_register->setEnabled(false);
    PolicyService *policies = &service->policies();
    runInBackground(m_host.pool(), this, [policies, tenant] { return policies->registerTenant(tenant); },
                    [this, tenant](const Outcome<bool> &outcome) {
                        --m_pending;
                        if (!outcome.ok()) {
                            m_newTenantMessage->setText(tr("Not registered: %1").arg(outcome.error));
                            m_newTenantMessage->show();
                            validateNewTenant();
                            return;
                        }
                        m_model->addTenant(tenant);
                        m_newTenant->clear();
                        selectTenant(tenant);
                        Q_EMIT statusMessage(*outcome.value ? tr("Registered tenant %1.").arg(tenant)
                                                            : tr("%1 was already registered.").arg(tenant));
                    });
}

bool PoliciesScreen::selectTenant(const QString &tenant)
{
    const int row = m_model->rowOf(tenant);
    if (row < 0) {
        m_selectAfterLoad = tenant;
        return false;
    }
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    if (!index.isValid())
        return false;
    m_view->selectRow(index.row());
    m_view->scrollTo(index);
    return true;
}

void PoliciesScreen::onSelectionChanged()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty()) {
        m_editor->setTenant({}, {});
        return;
    }
    const QString tenant = rows.first().data().toString();
    if (tenant != m_editor->tenant())
        m_editor->setTenant(tenant, m_model->policyOf(tenant).value_or(StreamPolicy{}));
}

void PoliciesScreen::onPolicyChanged(const QString &tenant, const StreamPolicy &policy)
{
    m_model->setPolicy(tenant, policy);
    if (tenant == m_editor->tenant())
        m_editor->setStored(policy);
    validateNewTenant();
}

void PoliciesScreen::apply(const QString &tenant, const StreamPolicy &policy)
{
    OxmService *service = m_host.service();
    if (!service)
        return;
    ++m_pending;
    m_editor->setBusy(true);
    PolicyService *policies = &service->policies();
    runInBackground(m_host.pool(), this, [policies, tenant, policy] { return policies->setPolicy(tenant, policy); },
                    [this, tenant](const Outcome<StreamPolicy> &outcome) {
                        --m_pending;
                        m_editor->setBusy(false);
                        if (!outcome.ok()) {
                            if (tenant == m_editor->tenant())
                                m_editor->setResult(tr("Not saved: %1").arg(outcome.error), true);
                            return;
                        }
                        // policyChanged (queued) updates the table; do it now as well so the
                        // editor and the table agree as soon as this returns.
                        onPolicyChanged(tenant, *outcome.value);
                        if (tenant == m_editor->tenant())
                            m_editor->setResult(tr("Saved. The next admission uses these limits."), false);
                        Q_EMIT statusMessage(tr("Saved the policy of %1.").arg(tenant));
                    });
}

} // namespace oxm
