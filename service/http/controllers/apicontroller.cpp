#include "apicontroller.h"

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/timeformat.h"
#include "domain/apierror.h"
#include "domain/identifiers.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <regex>

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
    // Strict RFC 8259 syntax first (Qt's parser takes `.5` and reports any bad token as an
    // "illegal number"): invalid JSON is not a JSON object (1103); valid JSON whose number is
    // out of range (e.g. 1e400) in an object is a bad field value (1104).
    try {
        (void)nlohmann::json::parse(request.body.cbegin(), request.body.cend());
    } catch (const nlohmann::json::out_of_range &) {
        // nlohmann stops at the first number that overflows a double; the rest of the body may
        // still be malformed (then 1103 wins). Check it again with every exponent and every
        // long digit run shortened (inside strings too, which keeps them valid strings).
        // Byte-wise (std::regex on bytes), so invalid UTF-8 stays invalid.
        std::string tamed = std::regex_replace(request.body.toStdString(), std::regex("[eE][+-]?[0-9]+"), "e0");
        tamed = std::regex_replace(tamed, std::regex("[0-9]{300,}"), "0");
        if (!nlohmann::json::accept(tamed))
            throw ApiError(ErrorCode::NotAnObject, QStringLiteral("The request body must be a JSON object (it is not valid JSON)"));
        if (request.body.trimmed().startsWith('{'))
            throw ApiError(ErrorCode::InvalidParameter, QStringLiteral("A number in the body is out of range"));
        throw ApiError(ErrorCode::NotAnObject, QStringLiteral("The request body must be a JSON object"));
    } catch (const nlohmann::json::exception &) {
        throw ApiError(ErrorCode::NotAnObject, QStringLiteral("The request body must be a JSON object (it is not valid JSON)"));
    }
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(request.body, &error);
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
