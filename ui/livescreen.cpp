#include "livescreen.h"

#include "activitychart.h"
#include "assetcountsmodel.h"
#include "core/clock.h"
#include "countcard.h"
#include "domain/streamregistry.h"
#include "livestreamsmodel.h"
#include "oxmservice.h"
#include "servicehost.h"
#include "streamsfilterproxy.h"
#include "tableview.h"
#include "tenantcountsmodel.h"

#include <QAction>
#include <QComboBox>
#include <QDateTime>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace oxm {

namespace {
QSortFilterProxyModel *sortedProxy(QAbstractItemModel *source, int sortRole, QObject *parent)
{
    auto *proxy = new QSortFilterProxyModel(parent);
    proxy->setSourceModel(source);
    proxy->setSortRole(sortRole);
    proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    return proxy;
}
} // namespace

LiveScreen::LiveScreen(ServiceHost &host, QWidget *parent)
    : Screen(parent)
    , m_host(host)
    , m_streams(new LiveStreamsModel(this))
    , m_assets(new AssetCountsModel(this))
    , m_tenants(new TenantCountsModel(this))
    , m_streamsProxy(new StreamsFilterProxy(this))
    , m_assetsProxy(sortedProxy(m_assets, AssetCountsModel::SortRole, this))
    , m_tenantsProxy(sortedProxy(m_tenants, TenantCountsModel::SortRole, this))
    , m_timer(new QTimer(this))
{
    m_streamsProxy->setSourceModel(m_streams);

    // Totals.
    m_total = new CountCard(tr("active streams"), this);
    m_refused1050 = new CountCard(tr("refused: maxPerUser\n(1050)"), this);
    m_refused1051 = new CountCard(tr("refused: maxPerAsset\n(1051)"), this);
    m_refused1052 = new CountCard(tr("refused: maxDevices\n(1052)"), this);
    m_refused1053 = new CountCard(tr("refused: ended by admin\n(1053)"), this);
    auto *cards = new QHBoxLayout;
    cards->addWidget(m_total);
    cards->addSpacing(12);
    for (CountCard *card : {m_refused1050, m_refused1051, m_refused1052, m_refused1053})
        cards->addWidget(card);
    const QString refusedHint = tr("Heartbeats refused since oxm-admin started, per reason");
    for (CountCard *card : {m_refused1050, m_refused1051, m_refused1052, m_refused1053})
        card->setToolTip(refusedHint);

    // Per tenant and per asset.
    m_tenantsView = makeTableView(m_tenantsProxy, {14, 7, 6}, this);
    m_tenantsView->setMinimumHeight(m_tenantsView->verticalHeader()->defaultSectionSize() * 4);
    m_tenantsView->sortByColumn(TenantCountsModel::TenantColumn, Qt::AscendingOrder);
    m_assetsView = makeTableView(m_assetsProxy, {10, 20, 6}, this);
    m_assetsView->sortByColumn(AssetCountsModel::ActiveColumn, Qt::DescendingOrder);
    m_assetsView->setToolTip(tr("Select an asset to see its streams"));
    auto *tenantsBox = new QGroupBox(tr("By tenant"), this);
    (new QVBoxLayout(tenantsBox))->addWidget(m_tenantsView);
    auto *assetsBox = new QGroupBox(tr("By asset"), this);
    (new QVBoxLayout(assetsBox))->addWidget(m_assetsView);
    auto *left = new QSplitter(Qt::Vertical, this);
    left->addWidget(tenantsBox);
    left->addWidget(assetsBox);
    left->setStretchFactor(0, 2);
    left->setStretchFactor(1, 3);
    left->setChildrenCollapsible(false);

    // Streams.
    m_streamsView = makeTableView(m_streamsProxy, {10, 10, 16, 20, 10, 10, 8}, this);
    m_streamsView->sortByColumn(LiveStreamsModel::StartedColumn, Qt::DescendingOrder);
    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter streams (user, device, asset…)"));
    m_filter->setClearButtonEnabled(true);
    m_scopeLabel = new QLabel(this);
    m_showAll = new QPushButton(tr("Show all"), this);
    m_endStream = new QPushButton(tr("End stream"), this);
    m_endStream->setToolTip(tr("End the selected stream (Delete). Its next heartbeats are refused "
                               "with 409/1053 until the stream timeout has passed."));
    auto *endAction = new QAction(tr("End stream"), this);
    endAction->setShortcut(QKeySequence::Delete);
    endAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(endAction);
    connect(endAction, &QAction::triggered, this, &LiveScreen::endSelectedStream);
    connect(m_endStream, &QPushButton::clicked, this, &LiveScreen::endSelectedStream);
    connect(m_filter, &QLineEdit::textChanged, m_streamsProxy, &StreamsFilterProxy::setText);
    connect(m_showAll, &QPushButton::clicked, this, [this] { drillDown({}, {}); });
    auto *streamsBar = new QHBoxLayout;
    streamsBar->addWidget(m_filter, 1);
    streamsBar->addWidget(m_scopeLabel);
    streamsBar->addWidget(m_showAll);
    streamsBar->addWidget(m_endStream);
    auto *streamsBox = new QGroupBox(tr("Streams"), this);
    auto *streamsLayout = new QVBoxLayout(streamsBox);
    streamsLayout->addLayout(streamsBar);
    streamsLayout->addWidget(m_streamsView);

    auto *top = new QSplitter(Qt::Horizontal, this);
    top->addWidget(left);
    top->addWidget(streamsBox);
    top->setStretchFactor(0, 2);
    top->setStretchFactor(1, 5);
    const int charWidth = fontMetrics().averageCharWidth();
    top->setSizes({charWidth * 50, charWidth * 120});
    top->setChildrenCollapsible(false);

    // Timeline.
    m_chart = new ActivityChart(this);
    m_window = new QComboBox(this);
    m_window->addItem(tr("last minute"), 1);
    m_window->addItem(tr("last 5 minutes"), 5);
    m_window->addItem(tr("last 15 minutes"), 15);
    m_window->setCurrentIndex(2);
    connect(m_window, &QComboBox::currentIndexChanged, this,
            [this] { m_chart->setWindowMinutes(m_window->currentData().toInt()); });
    auto *chartBox = new QGroupBox(tr("Active streams per tenant"), this);
    auto *chartLayout = new QVBoxLayout(chartBox);
    auto *chartBar = new QHBoxLayout;
    chartBar->addWidget(new QLabel(tr("Sampled every second; shows the"), chartBox));
    chartBar->addWidget(m_window);
    chartBar->addStretch();
    chartLayout->addLayout(chartBar);
    chartLayout->addWidget(m_chart);

    m_splitter = new QSplitter(Qt::Vertical, this);
    m_splitter->addWidget(top);
    m_splitter->addWidget(chartBox);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    m_splitter->setChildrenCollapsible(false);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(cards);
    layout->addWidget(m_splitter, 1);

    connect(m_assetsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &LiveScreen::onAssetSelected);
    connect(m_streamsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &LiveScreen::updateActions);
    connect(m_streamsProxy, &QAbstractItemModel::rowsRemoved, this, &LiveScreen::updateActions);

    m_timer->setInterval(1000);
    connect(m_timer, &QTimer::timeout, this, &LiveScreen::refresh);
    m_timer->start();
    drillDown({}, {});
    refresh();
}

void LiveScreen::refresh()
{
    OxmService *service = m_host.service();
    const qint64 nowMs = service ? service->clock().nowMs() : QDateTime::currentMSecsSinceEpoch();
    QList<ActiveStream> streams;
    StreamRegistry::Counters counters;
    if (service) {
        // With --redis this is one round trip (one read-only script for every instance's
        // streams; 1,000 streams: median 2-12 ms on a local Redis, tst_redisactivestreams;
        // docs/deploy.md "Redis"); while
        // Redis is unreachable it fails fast (503/1503 to API clients) and the screen keeps its
        // last picture instead of stalling or ending the app.
        try {
            streams = service->streams().snapshot();
        } catch (const std::exception &error) {
            if (!property("snapshotFailing").toBool())
                Q_EMIT statusMessage(tr("Active streams unavailable: %1").arg(QString::fromUtf8(error.what())));
            setProperty("snapshotFailing", true);
            return;
        }
        setProperty("snapshotFailing", false);
        counters = service->streams().counters();
    }

    QHash<QString, int> byTenant;
    QHash<QString, AssetCount> byAsset;
    for (const ActiveStream &s : std::as_const(streams)) {
        ++byTenant[s.key.tenant];
        AssetCount &count = byAsset[LiveStreamsModel::scope(s.key.tenant, s.key.assetId)];
        count.tenant = s.key.tenant;
        count.assetId = s.key.assetId;
        ++count.active;
    }

    m_streams->applySnapshot(streams);
    m_assets->applySnapshot(byAsset.values());
    m_tenants->update(byTenant);
    m_chart->sample(nowMs, byTenant);

    m_total->setValue(streams.size());
    m_refused1050->setValue(qint64(counters.refusedMaxPerUser));
    m_refused1051->setValue(qint64(counters.refusedMaxPerAsset));
    m_refused1052->setValue(qint64(counters.refusedMaxDevices));
    m_refused1053->setValue(qint64(counters.refusedEndedByAdmin));
    updateActions();
}

bool LiveScreen::endSelectedStream()
{
    OxmService *service = m_host.service();
    const QModelIndexList rows = m_streamsView->selectionModel()->selectedRows();
    if (!service || rows.isEmpty())
        return false;
    const StreamKey key = rows.first().data(LiveStreamsModel::KeyRole).value<StreamKey>();
    bool ended = false;
    try {
        ended = service->streams().endByAdmin(key);
    } catch (const std::exception &error) { // Redis unreachable (--redis)
        Q_EMIT statusMessage(tr("Could not end the stream: %1").arg(QString::fromUtf8(error.what())));
        return false;
    }
    if (ended)
        Q_EMIT statusMessage(tr("Ended %1's stream of %2 on %3 (tenant %4); its heartbeats are refused "
                                "with 409/1053 for %5 s.")
                                 .arg(key.userId, key.assetId, key.device, key.tenant)
                                 .arg(service->streams().streamTimeoutSeconds()));
    else
        Q_EMIT statusMessage(tr("That stream had already ended."));
    refresh();
    return ended;
}

void LiveScreen::drillDown(const QString &tenant, const QString &asset)
{
    const bool all = tenant.isEmpty() && asset.isEmpty();
    m_streamsProxy->setScope(all ? QString() : LiveStreamsModel::scope(tenant, asset));
    m_scopeLabel->setText(all ? tr("All assets") : tr("Asset %1 of %2").arg(asset, tenant));
    m_showAll->setEnabled(!all);
    if (all)
        m_assetsView->clearSelection();
}

void LiveScreen::onAssetSelected()
{
    const QModelIndexList rows = m_assetsView->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return;
    const QModelIndex row = rows.first();
    drillDown(row.siblingAtColumn(AssetCountsModel::TenantColumn).data().toString(),
              row.siblingAtColumn(AssetCountsModel::AssetColumn).data().toString());
}

qint64 LiveScreen::refusedShown(int code) const
{
    switch (code) {
    case 1050: return m_refused1050->value();
    case 1051: return m_refused1051->value();
    case 1052: return m_refused1052->value();
    case 1053: return m_refused1053->value();
    }
    return -1;
}

qint64 LiveScreen::activeShown() const
{
    return m_total->value();
}

void LiveScreen::updateActions()
{
    m_endStream->setEnabled(m_host.service() && m_streamsView->selectionModel()->hasSelection());
}

} // namespace oxm
