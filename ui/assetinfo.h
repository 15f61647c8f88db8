#pragma once

#include <QByteArray>
#include <QStringList>

namespace oxm {

/// What the screens show of a catalog asset, parsed from its stored metadata JSON
/// (contract §7; the seed's fields name, releaseYear, genres, resourceType).
struct AssetInfo
{
    QString id;
    QString name;
    int releaseYear = 0;      ///< 0 when unknown
    QStringList genres;
    QString resourceType;     ///< "movie", "series", …
    bool inCatalog = false;   ///< false: only the id is known (a watchlist entry without metadata)

    /// Parses a metadata object; unknown or mistyped fields are left empty.
    static AssetInfo fromJson(const QByteArray &json);
    /// An id without catalog metadata.
    static AssetInfo missing(const QString &id);

    friend bool operator==(const AssetInfo &, const AssetInfo &) = default;
};

} // namespace oxm
