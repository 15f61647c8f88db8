#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QtGlobal>

namespace oxm {

/// A tenant's streaming policy (seed: "Set tenant streaming policies"; contract §4).
/// Each limit is an integer in [0, 1,000,000]; 0 means "not enforced".
struct StreamPolicy
{
    int maxPerUser = 0;  ///< concurrent streams per subscriber
    int maxPerAsset = 0; ///< concurrent streams of one asset per subscriber
    int maxDevices = 0;  ///< distinct devices streaming at once per subscriber

    friend bool operator==(const StreamPolicy &, const StreamPolicy &) = default;
};

/// Where a subscriber left off an asset (contract §5). One per (tenant, userId, assetId).
struct ResumePoint
{
    QString tenant;
    QString userId;
    QString assetId;
    qint64 progress = 0;  ///< seconds from the start of the asset, 0..2,147,483,647
    qint64 updatedNs = 0; ///< server receive time, ns since the Unix epoch (UTC)
};

/// One asset of the catalog (contract §7): its id and its metadata object as compact JSON.
struct CatalogAsset
{
    QString id;
    QByteArray json; ///< a JSON object with at least a string "id"
};

/// Identity of one stream (contract §5): the key (tenant, user, asset, device).
struct StreamKey
{
    QString tenant;
    QString userId;
    QString assetId;
    QString device;

    friend bool operator==(const StreamKey &, const StreamKey &) = default;
};

/// A stream that is currently active, as the registry reports it.
struct ActiveStream
{
    StreamKey key;
    bool explicitDevice = false;  ///< device came from the parameter or the token claim, not the IP
    qint64 startedNs = 0;         ///< when it was admitted
    qint64 lastHeartbeatNs = 0;   ///< last admitted or refreshing heartbeat
    qint64 expiresNs = 0;         ///< lastHeartbeatNs + streamTimeout
    qint64 progress = -1;         ///< last progress reported with a heartbeat, -1 if none
};

} // namespace oxm
