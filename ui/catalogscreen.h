#pragma once

#include "screen.h"

class QLabel;
class QLineEdit;
class QProgressDialog;
class QPushButton;
class QTableView;
class QTimer;

namespace oxm {

class AssetsModel;
class ServiceHost;

/// Screen 4, "Catalog": the asset catalog, searched in the store (DurableStore::searchCatalog
/// over ids and metadata) as you type, and imported from a JSON array file with a progress
/// dialog while the import runs in the background.
class CatalogScreen final : public Screen
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CatalogScreen)

public:
    /// Most rows listed at once; narrow the search to see others.
    static constexpr int MaxRows = 5000;

    explicit CatalogScreen(ServiceHost &host, QWidget *parent = nullptr);

    void refresh() override;
    /// Asks for a file (QFileDialog) and imports it.
    void chooseAndImport();
    /// Imports `path` in the background, with a progress dialog; the list reloads afterwards.
    void importFile(const QString &path);
    void setSearch(const QString &text);

    AssetsModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    int pendingOperations() const { return m_pending; }
    /// The last import's outcome ("Imported 12 assets from …" or the error).
    QString lastImportMessage() const { return m_lastImport; }

Q_SIGNALS:
    void importFinished(bool ok, const QString &message);

private:
    ServiceHost &m_host;
    AssetsModel *m_model;
    QTableView *m_view;
    QLineEdit *m_search;
    QLabel *m_count;
    QPushButton *m_import;
    QTimer *m_searchDelay;
    QProgressDialog *m_progress = nullptr;
    QString m_lastImport;
    int m_pending = 0;
    int m_generation = 0;
};

} // namespace oxm
