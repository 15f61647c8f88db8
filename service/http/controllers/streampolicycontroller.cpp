#include "streampolicycontroller.h"

#include "domain/apierror.h"
#include "domain/policyservice.h"

#include <QJsonObject>
#include <cmath>

namespace oxm {

namespace {
QJsonObject policyJson(const StreamPolicy &p)
{
    return QJsonObject{{QStringLiteral("maxPerUser"), p.maxPerUser},
                       {QStringLiteral("maxPerAsset"), p.maxPerAsset},
                       {QStringLiteral("maxDevices"), p.maxDevices}};
}

int limitField(const QJsonObject &body, const QString &name)
{
    const QJsonValue v = body.value(name);
    if (v.isUndefined())
        throw ApiError(ErrorCode::InvalidParameter, QStringLiteral("Field %1 is required").arg(name));
    const double d = v.toDouble(-1);
    if (!v.isDouble() || d != std::trunc(d) || d < 0 || d > PolicyService::MaxLimit)
        throw ApiError(ErrorCode::InvalidParameter,
                       QStringLiteral("Field %1 must be an integer from 0 to %2").arg(name).arg(PolicyService::MaxLimit));
    return int(d);
}
} // namespace

StreamPolicyController::StreamPolicyController(PolicyService &policies, const Clock &clock)
    : ApiController(clock)
    , m_policies(policies)
{
}

HttpResponse StreamPolicyController::getAction(ApiRequest &request)
{
    const QString tenant = identifierArg(request, 0, "tenant");
    if (tenant != request.principal.tenant)
        throw ApiError(ErrorCode::ForbiddenRead, QStringLiteral("The token does not belong to this tenant"));
    const std::optional<StreamPolicy> policy = m_policies.policy(tenant);
    if (!policy)
        throw ApiError(ErrorCode::NotFound, QStringLiteral("Tenant not registered"));
    return HttpResponse::json(QJsonDocument(policyJson(*policy)));
}

HttpResponse StreamPolicyController::putAction(ApiRequest &request)
{
    const QString tenant = identifierArg(request, 0, "tenant");
    if (tenant != request.principal.tenant || !request.principal.isAdmin())
        throw ApiError(ErrorCode::ForbiddenWrite, QStringLiteral("Only an admin of this tenant may set its policy"));
    const QJsonObject body = jsonObjectBody(request);
    StreamPolicy policy;
    policy.maxPerUser = limitField(body, QStringLiteral("maxPerUser"));
    policy.maxPerAsset = limitField(body, QStringLiteral("maxPerAsset"));
    policy.maxDevices = limitField(body, QStringLiteral("maxDevices"));
    return HttpResponse::json(QJsonDocument(policyJson(m_policies.setPolicy(tenant, policy))));
}

} // namespace oxm
