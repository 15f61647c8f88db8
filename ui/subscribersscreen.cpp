#include "subscribersscreen.h"

#include "assetsmodel.h"
#include "background.h"
#include "domain/policyservice.h"
#include "domain/resumepoints.h"
#include "domain/streamregistry.h"
#include "domain/watchlist.h"
#include "livestreamsmodel.h"
#include "oxmservice.h"
#include "resumepointsmodel.h"
#include "servicehost.h"
#include "tableview.h"

#include <QAction>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>

namespace oxm {

namespace {
struct SubscriberData
{
    QList<AssetInfo> watchlist;
    QList<ResumePoint> resumePoints;
};

QSortFilterProxyModel *sortedProxy(QAbstractItemModel *source, int sortRole, QObject *parent)
{
    auto *proxy = new QSortFilterProxyModel(parent);
    proxy->setSourceModel(source);
    proxy->setSortRole(sortRole);
    proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    return proxy;
}

QAction *deleteAction(QWidget *view, const QString &text)
{
    auto *action = new QAction(text, view);
    action->setShortcut(QKeySequence::Delete);
    action->setShortcutContext(Qt::WidgetShortcut);
    view->addAction(action);
    return action;
}
} // namespace

SubscribersScreen::SubscribersScreen(ServiceHost &host, QWidget *parent)
    : Screen(parent)
    , m_host(host)
    , m_watchlist(new AssetsModel(this))
    , m_resumePoints(new ResumePointsModel(this))
    , m_streams(new LiveStreamsModel(this))
    , m_timer(new QTimer(this))
{
    m_tenantBox = new QComboBox(this);
    m_tenantBox->setEditable(true);
    m_tenantBox->setInsertPolicy(QComboBox::NoInsert);
    m_tenantBox->setMinimumContentsLength(16);
    m_userEdit = new QLineEdit(this);
    m_userEdit->setPlaceholderText(tr("user ID (the token's sub)"));
    m_lookUp = new QPushButton(tr("Look up"), this);
    m_lookUp->setDefault(true);
    m_summary = new QLabel(tr("Enter a tenant and a user ID."), this);
    auto *form = new QHBoxLayout;
    auto *tenantLabel = new QLabel(tr("&Tenant:"), this);
    tenantLabel->setBuddy(m_tenantBox);
    form->addWidget(tenantLabel);
    form->addWidget(m_tenantBox);
    auto *userLabel = new QLabel(tr("&User:"), this);
    userLabel->setBuddy(m_userEdit);
    form->addWidget(userLabel);
    form->addWidget(m_userEdit, 1);
    form->addWidget(m_lookUp);
    const auto lookUpFromForm = [this] { lookUp(m_tenantBox->currentText().trimmed(), m_userEdit->text().trimmed()); };
    connect(m_lookUp, &QPushButton::clicked, this, lookUpFromForm);
    connect(m_userEdit, &QLineEdit::returnPressed, this, lookUpFromForm);

    auto *watchlistProxy = sortedProxy(m_watchlist, AssetsModel::SortRole, this);
    m_watchlistView = makeTableView(watchlistProxy, {20, 30, 6, 28, 12}, this);
    m_removeEntry = new QPushButton(tr("Remove from watchlist"), this);
    connect(m_removeEntry, &QPushButton::clicked, this, &SubscribersScreen::removeSelectedWatchlistEntry);
    connect(deleteAction(m_watchlistView, m_removeEntry->text()), &QAction::triggered, this,
            &SubscribersScreen::removeSelectedWatchlistEntry);
    m_watchlistBox = new QGroupBox(tr("Watchlist"), this);
    auto *watchlistLayout = new QVBoxLayout(m_watchlistBox);
    watchlistLayout->addWidget(m_watchlistView);
    auto *watchlistButtons = new QHBoxLayout;
    watchlistButtons->addStretch();
    watchlistButtons->addWidget(m_removeEntry);
    watchlistLayout->addLayout(watchlistButtons);

    auto *resumeProxy = sortedProxy(m_resumePoints, ResumePointsModel::SortRole, this);
    m_resumeView = makeTableView(resumeProxy, {28, 10, 20}, this);
    m_resumeView->sortByColumn(ResumePointsModel::UpdatedColumn, Qt::DescendingOrder);
    m_deletePoint = new QPushButton(tr("Delete resume point"), this);
    connect(m_deletePoint, &QPushButton::clicked, this, &SubscribersScreen::deleteSelectedResumePoint);
    connect(deleteAction(m_resumeView, m_deletePoint->text()), &QAction::triggered, this,
            &SubscribersScreen::deleteSelectedResumePoint);
    m_resumeBox = new QGroupBox(tr("Resume points"), this);
    auto *resumeLayout = new QVBoxLayout(m_resumeBox);
    resumeLayout->addWidget(m_resumeView);
    auto *resumeButtons = new QHBoxLayout;
    resumeButtons->addStretch();
    resumeButtons->addWidget(m_deletePoint);
    resumeLayout->addLayout(resumeButtons);

    auto *streamsProxy = sortedProxy(m_streams, LiveStreamsModel::SortRole, this);
    m_streamsView = makeTableView(streamsProxy, {8, 8, 16, 20, 10, 10, 8}, this);
    m_streamsView->hideColumn(LiveStreamsModel::TenantColumn);
    m_streamsView->hideColumn(LiveStreamsModel::UserColumn);
    m_streamsBox = new QGroupBox(tr("Active streams"), this);
    (new QVBoxLayout(m_streamsBox))->addWidget(m_streamsView);

    auto *bottom = new QSplitter(Qt::Horizontal, this);
    bottom->addWidget(m_resumeBox);
    bottom->addWidget(m_streamsBox);
    bottom->setChildrenCollapsible(false);
    const int charWidth = fontMetrics().averageCharWidth();
    bottom->setSizes({charWidth * 64, charWidth * 96});
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_watchlistBox);
    splitter->addWidget(bottom);
    splitter->setChildrenCollapsible(false);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_summary);
    layout->addWidget(splitter, 1);

    for (QTableView *view : {m_watchlistView, m_resumeView})
        connect(view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &SubscribersScreen::updateActions);
    m_timer->setInterval(1000);
    connect(m_timer, &QTimer::timeout, this, &SubscribersScreen::refreshStreams);
    m_timer->start();
    connect(&m_host, &ServiceHost::serviceChanged, this, [this] { refresh(); });
    updateActions();
    loadTenants();
}

void SubscribersScreen::refresh()
{
    loadTenants();
    reload();
}

void SubscribersScreen::loadTenants()
{
    OxmService *service = m_host.service();
    if (!service)
        return;
    PolicyService *policies = &service->policies();
    runInBackground(m_host.pool(), this, [policies] { return policies->allPolicies().keys(); },
                    [this](const Outcome<QStringList> &outcome) {
                        if (!outcome.ok())
                            return;
                        QStringList tenants = *outcome.value;
                        std::sort(tenants.begin(), tenants.end());
                        const QString current = m_tenantBox->currentText();
                        m_tenantBox->clear();
                        m_tenantBox->addItems(tenants);
                        m_tenantBox->setCurrentText(current.isEmpty() && !tenants.isEmpty() ? tenants.first() : current);
                    });
}

void SubscribersScreen::lookUp(const QString &tenant, const QString &user)
{
    m_tenant = tenant;
    m_user = user;
    if (m_tenantBox->currentText() != tenant)
        m_tenantBox->setCurrentText(tenant);
    if (m_userEdit->text() != user)
        m_userEdit->setText(user);
    reload();
}

void SubscribersScreen::reload()
{
    OxmService *service = m_host.service();
    if (!service || m_tenant.isEmpty() || m_user.isEmpty()) {
        m_watchlist->setAssets({});
        m_resumePoints->setResumePoints({});
        m_streams->applySnapshot({});
        updateActions();
        return;
    }
    ++m_pending;
    m_summary->setText(tr("Loading %1 of %2…").arg(m_user, m_tenant));
    Watchlist *watchlist = &service->watchlist();
    ResumePoints *resumePoints = &service->resumePoints();
    const QString tenant = m_tenant, user = m_user;
    runInBackground(
        m_host.pool(), this,
        [watchlist, resumePoints, tenant, user] {
            SubscriberData data;
            const QStringList ids = watchlist->list(tenant, user);
            const Watchlist::FullView full = watchlist->fullView(tenant, user);
            QHash<QString, QByteArray> metadata;
            for (qsizetype i = 0; i < full.found.size() && i < full.assets.size(); ++i)
                metadata.insert(full.found.at(i), full.assets.at(i));
            for (const QString &id : ids) {
                const auto it = metadata.constFind(id);
                data.watchlist.append(it == metadata.cend() ? AssetInfo::missing(id) : AssetInfo::fromJson(*it));
                data.watchlist.last().id = id;
            }
            data.resumePoints = resumePoints->history(tenant, user);
            return data;
        },
        [this, tenant, user](const Outcome<SubscriberData> &outcome) {
            --m_pending;
            if (tenant != m_tenant || user != m_user)
                return; // a newer lookup is on its way
            if (!outcome.ok()) {
                m_summary->setText(tr("Could not load %1 of %2: %3").arg(user, tenant, outcome.error));
                return;
            }
            m_watchlist->setAssets(outcome.value->watchlist);
            m_resumePoints->setResumePoints(outcome.value->resumePoints);
            refreshStreams();
            m_summary->setText(tr("%1 of tenant %2: %n watchlist entries", nullptr, int(m_watchlist->rowCount()))
                                   .arg(user, tenant)
                               + tr(", %n resume points", nullptr, m_resumePoints->rowCount())
                               + tr(", %n active streams.", nullptr, m_streams->rowCount()));
            updateActions();
        });
}

void SubscribersScreen::refreshStreams()
{
    OxmService *service = m_host.service();
    if (!service || m_tenant.isEmpty() || m_user.isEmpty()) {
        m_streams->applySnapshot({});
        return;
    }
    try {
        m_streams->applySnapshot(service->streams().activeStreams(m_tenant, m_user));
        m_streamsBox->setTitle(tr("Active streams (%1)").arg(m_streams->rowCount()));
    } catch (const std::exception &) {
        // The active streams are in Redis and it is unreachable (docs/deploy.md): keep the last
        // rows and say so; the next refresh tries again.
        m_streamsBox->setTitle(tr("Active streams (%1, not refreshed: active-stream store unavailable)")
                                   .arg(m_streams->rowCount()));
    }
}

void SubscribersScreen::removeSelectedWatchlistEntry()
{
    OxmService *service = m_host.service();
    const QModelIndexList rows = m_watchlistView->selectionModel()->selectedRows();
    if (!service || rows.isEmpty())
        return;
    const QString asset = rows.first().data(AssetsModel::IdRole).toString();
    Watchlist *watchlist = &service->watchlist();
    const QString tenant = m_tenant, user = m_user;
    ++m_pending;
    runInBackground(m_host.pool(), this, [watchlist, tenant, user, asset] { watchlist->remove(tenant, user, asset); },
                    [this, asset](const Outcome<bool> &outcome) {
                        --m_pending;
                        Q_EMIT statusMessage(outcome.ok() ? tr("Removed %1 from the watchlist.").arg(asset)
                                                          : tr("Not removed: %1").arg(outcome.error));
                        reload();
                    });
}

void SubscribersScreen::deleteSelectedResumePoint()
{
    OxmService *service = m_host.service();
    const QModelIndexList rows = m_resumeView->selectionModel()->selectedRows();
    if (!service || rows.isEmpty())
        return;
    const QString asset = rows.first().data(ResumePointsModel::AssetIdRole).toString();
    ResumePoints *resumePoints = &service->resumePoints();
    const QString tenant = m_tenant, user = m_user;
    ++m_pending;
    runInBackground(m_host.pool(), this, [resumePoints, tenant, user, asset] { resumePoints->remove(tenant, user, asset); },
                    [this, asset](const Outcome<bool> &outcome) {
                        --m_pending;
                        Q_EMIT statusMessage(outcome.ok() ? tr("Deleted the resume point of %1.").arg(asset)
                                                          : tr("Not deleted: %1").arg(outcome.error));
                        reload();
                    });
}

void SubscribersScreen::updateActions()
{
    const bool ready = m_host.service() != nullptr;
    m_removeEntry->setEnabled(ready && m_watchlistView->selectionModel()->hasSelection());
    m_deletePoint->setEnabled(ready && m_resumeView->selectionModel()->hasSelection());
    m_watchlistBox->setTitle(tr("Watchlist (%1)").arg(m_watchlist->rowCount()));
    m_resumeBox->setTitle(tr("Resume points (%1)").arg(m_resumePoints->rowCount()));
}

} // namespace oxm
