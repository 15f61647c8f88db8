#pragma once

#include "domain/types.h"
#include "screen.h"

class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace oxm {

class OxmService;
class PoliciesModel;
class PolicyEditor;
class ServiceHost;

/// Screen 2, "Policies": the registered tenants with their limits, registering a tenant, and
/// the policy editor. Every store access (allPolicies, registerTenant, setPolicy) runs off the
/// GUI thread; the table follows PolicyService's signals, so changes made over the API show too.
class PoliciesScreen final : public Screen
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PoliciesScreen)

public:
    explicit PoliciesScreen(ServiceHost &host, QWidget *parent = nullptr);

    /// Reloads the tenants from the store (in the background).
    void refresh() override;
    /// Registers `tenant` (in the background) and selects it once done.
    void registerTenant(const QString &tenant);
    /// Selects a tenant in the table (and so in the editor).
    bool selectTenant(const QString &tenant);

    PoliciesModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    PolicyEditor *editor() const { return m_editor; }
    QLineEdit *newTenantEdit() const { return m_newTenant; }
    QPushButton *registerButton() const { return m_register; }
    /// Background operations still running (tests wait for 0).
    int pendingOperations() const { return m_pending; }

private:
    void connectService(OxmService *service);
    void onSelectionChanged();
    void onPolicyChanged(const QString &tenant, const oxm::StreamPolicy &policy);
    void apply(const QString &tenant, const oxm::StreamPolicy &policy);
    void validateNewTenant();

    ServiceHost &m_host;
    PoliciesModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_view;
    QLineEdit *m_filter;
    QLineEdit *m_newTenant;
    QPushButton *m_register;
    QLabel *m_newTenantMessage;
    PolicyEditor *m_editor;
    QString m_selectAfterLoad;
    int m_pending = 0;
};

} // namespace oxm
