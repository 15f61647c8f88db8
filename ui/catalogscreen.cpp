#include "catalogscreen.h"

#include "assetsmodel.h"
#include "background.h"
#include "domain/catalog.h"
#include "oxmservice.h"
#include "servicehost.h"
#include "storage/durablestore.h"
#include "tableview.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressDialog>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace oxm {

namespace {
struct SearchResult
{
    QList<AssetInfo> assets;
    int total = 0;
};
} // namespace

CatalogScreen::CatalogScreen(ServiceHost &host, QWidget *parent)
    : Screen(parent)
    , m_host(host)
    , m_model(new AssetsModel(this))
    , m_searchDelay(new QTimer(this))
{
    auto *proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(m_model);
    proxy->setSortRole(AssetsModel::SortRole);
    proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    m_view = makeTableView(proxy, {34, 34, 6, 30, 12}, this);
    m_view->sortByColumn(AssetsModel::NameColumn, Qt::AscendingOrder);

    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Search ids and metadata (name, genre, description…)"));
    m_search->setClearButtonEnabled(true);
    m_count = new QLabel(this);
    m_import = new QPushButton(tr("Import JSON…"), this);
    m_import->setToolTip(tr("Import a JSON array of asset objects, each with a string \"id\". "
                            "Re-importing an id replaces it."));
    auto *bar = new QHBoxLayout;
    bar->addWidget(m_search, 1);
    bar->addWidget(m_count);
    bar->addWidget(m_import);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);

    m_searchDelay->setSingleShot(true);
    m_searchDelay->setInterval(250);
    connect(m_search, &QLineEdit::textChanged, m_searchDelay, qOverload<>(&QTimer::start));
    connect(m_searchDelay, &QTimer::timeout, this, &CatalogScreen::refresh);
    connect(m_import, &QPushButton::clicked, this, &CatalogScreen::chooseAndImport);
    connect(&m_host, &ServiceHost::serviceChanged, this, [this] { refresh(); });
    refresh();
}

void CatalogScreen::setSearch(const QString &text)
{
    m_search->setText(text);
    m_searchDelay->stop();
    refresh();
}

void CatalogScreen::refresh()
{
    OxmService *service = m_host.service();
    m_import->setEnabled(service != nullptr);
    if (!service)
        return;
    ++m_pending;
    const int generation = ++m_generation;
    DurableStore *store = &service->store();
    const QString search = m_search->text().trimmed();
    runInBackground(m_host.pool(), this,
                    [store, search] {
                        SearchResult result;
                        for (const CatalogAsset &asset : store->searchCatalog(search, MaxRows))
                            result.assets.append(AssetInfo::fromJson(asset.json));
                        result.total = store->catalogSize();
                        return result;
                    },
                    [this, generation, search](const Outcome<SearchResult> &outcome) {
                        --m_pending;
                        if (generation != m_generation)
                            return; // superseded by a newer search
                        if (!outcome.ok()) {
                            m_count->setText(tr("Search failed: %1").arg(outcome.error));
                            return;
                        }
                        m_model->setAssets(outcome.value->assets);
                        const int shown = int(outcome.value->assets.size());
                        if (search.isEmpty())
                            m_count->setText(tr("%n asset(s)", nullptr, outcome.value->total));
                        else
                            m_count->setText(tr("%1 of %n asset(s) match", nullptr, outcome.value->total).arg(shown));
                        if (shown >= MaxRows)
                            m_count->setText(m_count->text() + tr(" (first %1 shown)").arg(MaxRows));
                    });
}

void CatalogScreen::chooseAndImport()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Import catalog"), QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation),
        tr("JSON files (*.json);;All files (*)"));
    if (!path.isEmpty())
        importFile(path);
}

void CatalogScreen::importFile(const QString &path)
{
    OxmService *service = m_host.service();
    if (!service)
        return;
    ++m_pending;
    m_import->setEnabled(false);
    m_progress = new QProgressDialog(tr("Importing %1…").arg(QFileInfo(path).fileName()), QString(), 0, 0, this);
    m_progress->setWindowTitle(tr("Import catalog"));
    m_progress->setWindowModality(Qt::WindowModal);
    m_progress->setMinimumDuration(300);
    m_progress->setValue(0);
    Catalog *catalog = &service->catalog();
    runInBackground(m_host.pool(), this, [catalog, path] { return catalog->importFile(path); },
                    [this, path](const Outcome<int> &outcome) {
                        --m_pending;
                        m_progress->deleteLater();
                        m_progress = nullptr;
                        m_import->setEnabled(true);
                        const QString file = QFileInfo(path).fileName();
                        if (outcome.ok()) {
                            m_lastImport = tr("Imported %n asset(s) from %1.", nullptr, *outcome.value).arg(file);
                            Q_EMIT statusMessage(m_lastImport);
                        } else {
                            m_lastImport = tr("%1 was not imported: %2").arg(file, outcome.error);
                            Q_EMIT errorMessage(tr("Import catalog"), m_lastImport);
                        }
                        Q_EMIT importFinished(outcome.ok(), m_lastImport);
                        refresh();
                    });
}

} // namespace oxm
