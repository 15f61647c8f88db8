#include "catalog.h"

#include "domain/identifiers.h"
#include "storage/durablestore.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <stdexcept>

namespace oxm {

Catalog::Catalog(DurableStore &store)
    : m_store(store)
{
}

QList<CatalogAsset> Catalog::parse(const QByteArray &json)
{
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        throw std::invalid_argument(QStringLiteral("not valid JSON at offset %1: %2")
                                        .arg(error.offset).arg(error.errorString()).toStdString());
    if (!document.isArray())
        throw std::invalid_argument("the catalog must be a JSON array of asset objects");
    QList<CatalogAsset> assets;
    QHash<QString, qsizetype> indexOf; // id -> its place in assets
    const QJsonArray array = document.array();
    assets.reserve(array.size());
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QJsonValue value = array.at(i);
        if (!value.isObject())
            throw std::invalid_argument(QStringLiteral("element %1 is not an object").arg(i).toStdString());
        const QJsonObject object = value.toObject();
        const QJsonValue id = object.value(QStringLiteral("id"));
        if (!id.isString() || !isValidIdentifier(id.toString()))
            throw std::invalid_argument(
                QStringLiteral("element %1 has no valid string \"id\" (1 to 256 bytes, no control characters)")
                    .arg(i).toStdString());
        CatalogAsset asset{id.toString(), QJsonDocument(object).toJson(QJsonDocument::Compact)};
        const auto known = indexOf.constFind(asset.id);
        if (known != indexOf.constEnd()) {
            assets[*known] = std::move(asset);
            continue;
        }
        indexOf.insert(asset.id, assets.size());
        assets.append(std::move(asset));
    }
    return assets;
}

int Catalog::importFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw std::invalid_argument(QStringLiteral("cannot read %1: %2").arg(path, file.errorString()).toStdString());
    return importAssets(parse(file.readAll()));
}

int Catalog::importAssets(const QList<CatalogAsset> &assets)
{
    return m_store.importCatalog(assets);
}

} // namespace oxm
