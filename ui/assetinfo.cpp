#include "assetinfo.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace oxm {

AssetInfo AssetInfo::fromJson(const QByteArray &json)
{
    const QJsonObject object = QJsonDocument::fromJson(json).object();
    AssetInfo info;
    info.inCatalog = true;
    info.id = object.value(QStringLiteral("id")).toString();
    info.name = object.value(QStringLiteral("name")).toString();
    const QJsonValue year = object.value(QStringLiteral("releaseYear"));
    info.releaseYear = year.isDouble() ? year.toInt() : year.toString().toInt();
    for (const QJsonValue &genre : object.value(QStringLiteral("genres")).toArray())
        if (genre.isString())
            info.genres.append(genre.toString());
    info.resourceType = object.value(QStringLiteral("resourceType")).toString();
    return info;
}

AssetInfo AssetInfo::missing(const QString &id)
{
    AssetInfo info;
    info.id = id;
    return info;
}

} // namespace oxm
