#include "streamscontroller.h"

#include "core/timeformat.h"
#include "domain/apierror.h"
#include "domain/policyservice.h"
#include "domain/resumepoints.h"
#include "domain/streamregistry.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QMap>

namespace oxm {

namespace {
QHostAddress plainAddress(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4) : address;
}

/// 204 once `commit` has finished; its failure propagates to the error mapping.
HttpResponse afterCommit(QFuture<void> commit)
{
    return HttpResponse::later(commit.then(QtFuture::Launch::Sync, [] { return HttpResponse::noContent(); }));
}

bool isTrusted(const QList<QHostAddress> &trusted, const QHostAddress &address)
{
    const QHostAddress plain = plainAddress(address);
    for (const QHostAddress &t : trusted)
        if (plainAddress(t) == plain)
            return true;
    return false;
}
} // namespace

StreamsController::StreamsController(StreamRegistry &registry, PolicyService &policies,
                                     ResumePoints &resumePoints, const Clock &clock,
                                     QList<QHostAddress> trustedProxies)
    : ApiController(clock)
    , m_registry(registry)
    , m_policies(policies)
    , m_resumePoints(resumePoints)
    , m_trustedProxies(std::move(trustedProxies))
{
}

QString StreamsController::clientAddress(const ApiRequest &request) const
{
    QHostAddress client = plainAddress(request.peer);
    if (isTrusted(m_trustedProxies, client) && !request.forwardedFor.isEmpty()) {
        // Walk X-Forwarded-For from the nearest hop; the first address not of a trusted proxy
        // is the client.
        const QByteArrayList hops = request.forwardedFor.split(',');
        for (qsizetype i = hops.size() - 1; i >= 0; --i) {
            const QHostAddress hop(QString::fromLatin1(hops[i].trimmed()));
            if (hop.isNull())
                break;
            client = plainAddress(hop);
            if (!isTrusted(m_trustedProxies, client))
                break;
        }
    }
    return client.toString();
}

StreamsController::Device StreamsController::resolveDevice(const ApiRequest &request) const
{
    const std::optional<QString> parameter = optionalIdentifierParam(request, QStringLiteral("device"));
    const QString &claim = request.principal.device;
    if (parameter && !claim.isEmpty() && *parameter != claim)
        throw ApiError(ErrorCode::ForbiddenWrite,
                       QStringLiteral("The device parameter does not match the token's device"));
    if (parameter)
        return Device{*parameter, true};
    if (!claim.isEmpty())
        return Device{claim, true};
    return Device{clientAddress(request), false};
}

HttpResponse StreamsController::streamingAction(ApiRequest &request)
{
    const QString asset = assetArg(request, 0);
    const std::optional<qint64> progress =
        optionalIntegerParam(request, QStringLiteral("progress"), 0, ResumePoints::MaxProgress);
    const Device device = resolveDevice(request);
    const Principal &caller = request.principal;
    const StreamKey key{caller.tenant, caller.userId, asset, device.id};
    m_registry.heartbeat(key, device.explicitDevice, m_policies.effectivePolicy(caller.tenant), progress.value_or(-1));
    if (progress)
        return afterCommit(m_resumePoints.recordAsync(caller.tenant, caller.userId, asset, *progress));
    return HttpResponse::noContent();
}

HttpResponse StreamsController::stoppedAction(ApiRequest &request)
{
    const QString asset = assetArg(request, 0);
    const std::optional<qint64> progress =
        optionalIntegerParam(request, QStringLiteral("progress"), 0, ResumePoints::MaxProgress);
    const Device device = resolveDevice(request);
    const Principal &caller = request.principal;
    m_registry.stop(StreamKey{caller.tenant, caller.userId, asset, device.id});
    if (progress)
        return afterCommit(m_resumePoints.recordAsync(caller.tenant, caller.userId, asset, *progress));
    return HttpResponse::noContent();
}

HttpResponse StreamsController::resumePointAction(ApiRequest &request)
{
    const QString asset = assetArg(request, 0);
    const ResumePoint point = m_resumePoints.get(request.principal.tenant, request.principal.userId, asset);
    return HttpResponse::json(QJsonDocument(QJsonObject{
        {QStringLiteral("tenantId"), point.tenant},
        {QStringLiteral("userId"), point.userId},
        {QStringLiteral("assetId"), point.assetId},
        {QStringLiteral("progress"), point.progress},
        {QStringLiteral("timestamp"), point.updatedNs / 1000000},
    }));
}

HttpResponse StreamsController::deleteResumePointAction(ApiRequest &request)
{
    const QString asset = assetArg(request, 0);
    m_resumePoints.remove(request.principal.tenant, request.principal.userId, asset);
    return HttpResponse::noContent();
}

HttpResponse StreamsController::historyAction(ApiRequest &request)
{
    QJsonArray list;
    for (const ResumePoint &point : m_resumePoints.history(request.principal.tenant, request.principal.userId)) {
        list.append(QJsonObject{
            {QStringLiteral("tenantId"), point.tenant},
            {QStringLiteral("userId"), point.userId},
            {QStringLiteral("assetId"), point.assetId},
            {QStringLiteral("progress"), point.progress},
            {QStringLiteral("timestamp"), rfc3339Nanos(point.updatedNs)},
        });
    }
    return HttpResponse::json(QJsonDocument(list));
}

HttpResponse StreamsController::countsAction(ApiRequest &request)
{
    const auto include = request.query.constFind(QStringLiteral("include"));
    const bool byDevice = include != request.query.constEnd();
    if (byDevice && *include != QLatin1String("device"))
        throw ApiError(ErrorCode::InvalidParameter, QStringLiteral("include accepts only \"device\""));

    QMap<QString, QMap<QString, int>> counts;
    for (const ActiveStream &s : m_registry.activeStreams(request.principal.tenant, request.principal.userId))
        ++counts[s.key.assetId][s.key.device];

    QJsonObject body;
    for (auto asset = counts.cbegin(); asset != counts.cend(); ++asset) {
        if (byDevice) {
            QJsonObject devices;
            for (auto d = asset->cbegin(); d != asset->cend(); ++d)
                devices.insert(d.key(), d.value());
            body.insert(asset.key(), devices);
        } else {
            int total = 0;
            for (const int n : *asset)
                total += n;
            body.insert(asset.key(), total);
        }
    }
    return HttpResponse::json(QJsonDocument(body));
}

HttpResponse StreamsController::reservedAction(ApiRequest &)
{
    throw ApiError(ErrorCode::InvalidParameter,
                   QStringLiteral("\"history\" and \"counts\" are reserved and cannot be used as an assetID"));
}

} // namespace oxm
