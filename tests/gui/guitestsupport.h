#pragma once

// Helpers shared by the GUI suites (header-only: tests/CMakeLists.txt builds each
// tests/gui/tst_*.cpp with tests/testsupport.cpp only).

#include "testsupport.h"

#include <QAbstractItemModel>
#include <QString>
#include <QUrl>

namespace oxm::test {

/// PUT /streams/{asset}/streaming?device=D[&progress=N] over real HTTP.
inline Reply heartbeat(quint16 port, const QByteArray &token, const QString &asset, const QString &device,
                       qint64 progress = -1)
{
    QByteArray target = "/oxm/v1/streams/" + QUrl::toPercentEncoding(asset) + "/streaming?device="
                        + QUrl::toPercentEncoding(device);
    if (progress >= 0)
        target += "&progress=" + QByteArray::number(progress);
    return request(port, "PUT", target, token);
}

/// PUT /streampolicy/{tenant} as an admin of that tenant.
inline Reply putPolicy(const ServiceFixture &fixture, const QString &tenant, int maxPerUser, int maxPerAsset, int maxDevices)
{
    const QByteArray body = QStringLiteral(R"({"maxPerUser":%1,"maxPerAsset":%2,"maxDevices":%3})")
                                .arg(maxPerUser).arg(maxPerAsset).arg(maxDevices).toUtf8();
    return request(fixture.port(), "PUT", "/oxm/v1/streampolicy/" + QUrl::toPercentEncoding(tenant),
                   fixture.token(tenant, QStringLiteral("admin"), Principal::Role::Admin), body);
}

/// The row of `model` whose `column` displays `text`, or -1.
inline int findRow(const QAbstractItemModel *model, int column, const QString &text)
{
    for (int row = 0; row < model->rowCount(); ++row)
        if (model->index(row, column).data().toString() == text)
            return row;
    return -1;
}

} // namespace oxm::test
