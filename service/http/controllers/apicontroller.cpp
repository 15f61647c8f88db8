#include "apicontroller.h"

#include "core/clock.h"
#include "core/timeformat.h"
#include "domain/apierror.h"
#include "domain/identifiers.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace oxm {

QString ApiController::identifierArg(const ApiRequest &request, int index, const char *what)
{
    const std::optional<QString> id = validIdentifier(request.args.value(index));
    if (!id)
        throw ApiError(ErrorCode::InvalidParameter,
                       QStringLiteral("%1 must be 1 to 256 bytes of UTF-8 without control characters")
                           .arg(QLatin1String(what)));
    return *id;
}

QString ApiController::assetArg(const ApiRequest &request, int index)
{
    QString asset = identifierArg(request, index, "assetID");
    if (asset == QLatin1String("history") || asset == QLatin1String("counts"))
        throw ApiError(ErrorCode::InvalidParameter,
                       QStringLiteral("\"%1\" is reserved and cannot be used as an assetID").arg(asset));
    return asset;
}

std::optional<QString> ApiController::optionalIdentifierParam(const ApiRequest &request, const QString &name)
{
    const auto it = request.query.constFind(name);
    if (it == request.query.constEnd())
        return std::nullopt;
    if (!isValidIdentifier(*it))
        throw ApiError(ErrorCode::InvalidParameter,
                       QStringLiteral("Query parameter %1 must be 1 to 256 bytes of UTF-8 without control characters")
                           .arg(name));
    return *it;
}

std::optional<qint64> ApiController::optionalIntegerParam(const ApiRequest &request, const QString &name,
                                                          qint64 min, qint64 max)
{
    const auto it = request.query.constFind(name);
    if (it == request.query.constEnd())
        return std::nullopt;
    const QString &text = *it;
    bool digitsOnly = !text.isEmpty() && text.size() <= 19;
    for (const QChar c : text)
        digitsOnly = digitsOnly && c >= QLatin1Char('0') && c <= QLatin1Char('9');
    bool ok = false;
    const qint64 value = digitsOnly ? text.toLongLong(&ok) : 0;
    if (!ok || value < min || value > max)
        throw ApiError(ErrorCode::InvalidParameter,
                       QStringLiteral("Query parameter %1 must be an integer from %2 to %3")
                           .arg(name).arg(min).arg(max));
    return value;
}

QJsonObject ApiController::jsonObjectBody(const ApiRequest &request)
{
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(request.body, &error);
    // An object with a number out of range (e.g. 1e400) is a bad field value, not a bad body.
    if (error.error == QJsonParseError::IllegalNumber && request.body.trimmed().startsWith('{'))
        throw ApiError(ErrorCode::InvalidParameter, QStringLiteral("A number in the body is out of range"));
    if (error.error != QJsonParseError::NoError || !document.isObject())
        throw ApiError(ErrorCode::NotAnObject, QStringLiteral("The request body must be a JSON object"));
    return document.object();
}

QJsonObject ApiController::envelope(const ApiRequest &request) const
{
    return QJsonObject{{QStringLiteral("requestID"), request.requestId},
                       {QStringLiteral("timestamp"), rfc3339Nanos(m_clock.nowNs())}};
}

} // namespace oxm
