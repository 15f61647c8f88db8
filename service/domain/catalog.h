#pragma once

#include "domain/types.h"

#include <QString>

namespace oxm {

class DurableStore;

/// The asset catalog behind GET /towatch?full=true (contract §7).
class Catalog final
{
    Q_DISABLE_COPY_MOVE(Catalog)

public:
    explicit Catalog(DurableStore &store);

    /// Parses a JSON array of asset objects, each with a string "id" that is a valid identifier
    /// (contract §3). An id given twice in the array is one asset: the last object wins, at the
    /// place of the first (as importing them one after the other would leave it). Throws
    /// std::invalid_argument naming the first bad element (nothing is imported then).
    static QList<CatalogAsset> parse(const QByteArray &json);

    /// Imports a JSON array file (re-importing an id replaces it), all or nothing. Returns how
    /// many assets were stored (distinct ids). Throws std::invalid_argument for unreadable or invalid files and
    /// StorageError for database faults.
    int importFile(const QString &path);
    /// Imports already parsed assets in one transaction.
    int importAssets(const QList<CatalogAsset> &assets);

private:
    DurableStore &m_store;
};

} // namespace oxm
