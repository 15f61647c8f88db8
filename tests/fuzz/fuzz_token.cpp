// libFuzzer target: bytes -> TokenVerifier::verify (issue 4).
//
// The first byte picks the mode (its value modulo 3, so '0', '1', '2' in a text seed):
//   0  the rest is the raw Authorization header value ("Bearer <jwt>", other schemes, junk);
//   1  the rest is "<header JSON>\n<payload JSON>" (or only a payload JSON, with the header
//      {"alg":"HS256","typ":"JWT"}); the target signs it with the fuzz secret, so the checks after
//      the signature (claims, types, identifiers, times) are reached by every mutation;
//   2  the rest is "tenant\nuser\ndevice\nttl\nrole": TokenIssuer::issue, then verify (round trip).
//
// Checked on every input: verify() throws nothing but ApiError 1000/1001/1002, whose message
// leaks neither the secret nor the token; and a token it accepts really is what contract §1
// asks for, re-read independently with Qt (QJsonDocument, QMessageAuthenticationCode): header alg
// exactly "HS256" without "crit", a correct HS256 signature, tenant and sub (and device when
// present) strings that are valid identifiers equal to the Principal's, role absent /
// "subscriber" / "admin" as the Principal says, exp an integer equal to expiresAt and not more
// than 60 s in the past, nbf / iat integers not more than 60 s in the future.

#include "fuzzsupport.h"

#include "auth/tokenverifier.h"
#include "core/clock.h"
#include "domain/apierror.h"
#include "domain/identifiers.h"

#include <QByteArrayList>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <cstdint>
#include <limits>

using namespace oxm;
using oxm::fuzz::fail;

namespace {

const ManualClock &clock()
{
    static const ManualClock c(fuzz::NowNs);
    return c;
}

const TokenVerifier &verifier()
{
    static const TokenVerifier v(fuzz::secret(), clock());
    return v;
}

QByteArray describe(const QByteArray &header, const QString &extra = {})
{
    return "Authorization: " + header + (extra.isEmpty() ? QByteArray() : "\n" + extra.toUtf8());
}

std::optional<QJsonObject> decodeSegment(const QByteArray &segment)
{
    const auto decoded = QByteArray::fromBase64Encoding(
        segment, QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(*decoded, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return std::nullopt;
    return document.object();
}

/// An integer claim as Qt reads it; std::nullopt when absent. Fails when present but not a
/// whole number representable as qint64.
std::optional<qint64> integerClaim(const QJsonObject &claims, const char *name, const QByteArray &header)
{
    const QJsonValue value = claims.value(QLatin1String(name));
    if (value.isUndefined())
        return std::nullopt;
    constexpr qint64 Sentinel = std::numeric_limits<qint64>::min();
    const qint64 n = value.toInteger(Sentinel);
    if (!value.isDouble() || (n == Sentinel && value.toDouble() != double(Sentinel)))
        fail("verify accepted a token whose time claim is not an integer",
             describe(header, QString::fromLatin1(name)));
    return n;
}

QString identifierClaim(const QJsonObject &claims, const char *name, const QByteArray &header)
{
    const QJsonValue value = claims.value(QLatin1String(name));
    if (!value.isString() || !isValidIdentifier(value.toString()))
        fail("verify accepted a token whose identifier claim is missing, not a string or invalid",
             describe(header, QString::fromLatin1(name)));
    return value.toString();
}

/// The independent re-check of a token verify() accepted.
void checkAccepted(const QByteArray &header, const Principal &principal)
{
    const QByteArray token = header.trimmed().mid(6).trimmed(); // after "Bearer"
    const QByteArrayList parts = token.split('.');
    if (parts.size() != 3)
        fail("verify accepted a token that is not three segments", describe(header));
    const QByteArray signingInput = parts[0] + '.' + parts[1];
    const QByteArray mac = QMessageAuthenticationCode::hash(signingInput, fuzz::secret(), QCryptographicHash::Sha256);
    if (fuzz::base64Url(mac) != parts[2])
        fail("verify accepted a token whose HS256 signature is wrong", describe(header));

    const std::optional<QJsonObject> jose = decodeSegment(parts[0]);
    if (!jose)
        fail("verify accepted a token whose header is not a JSON object (Qt)", describe(header));
    if (jose->value(QLatin1String("alg")) != QJsonValue(QLatin1String("HS256")))
        fail("verify accepted a token whose alg is not exactly HS256", describe(header));
    if (jose->contains(QLatin1String("crit")))
        fail("verify accepted a token with a crit header", describe(header));

    const std::optional<QJsonObject> claims = decodeSegment(parts[1]);
    if (!claims)
        fail("verify accepted a token whose payload is not a JSON object (Qt)", describe(header));
    if (identifierClaim(*claims, "tenant", header) != principal.tenant)
        fail("Principal::tenant differs from the tenant claim", describe(header, principal.tenant));
    if (identifierClaim(*claims, "sub", header) != principal.userId)
        fail("Principal::userId differs from the sub claim", describe(header, principal.userId));
    if (claims->contains(QLatin1String("device"))) {
        if (identifierClaim(*claims, "device", header) != principal.device)
            fail("Principal::device differs from the device claim", describe(header, principal.device));
    } else if (!principal.device.isEmpty()) {
        fail("Principal::device is set without a device claim", describe(header, principal.device));
    }
    const QJsonValue role = claims->value(QLatin1String("role"));
    const Principal::Role expectedRole = role == QJsonValue(QLatin1String("admin")) ? Principal::Role::Admin
                                                                                  : Principal::Role::Subscriber;
    if (!role.isUndefined() && role != QJsonValue(QLatin1String("admin"))
        && role != QJsonValue(QLatin1String("subscriber")))
        fail("verify accepted a role other than subscriber / admin", describe(header));
    if (principal.role != expectedRole)
        fail("Principal::role differs from the role claim", describe(header));

    const std::optional<qint64> exp = integerClaim(*claims, "exp", header);
    if (!exp)
        fail("verify accepted a token without exp", describe(header));
    if (*exp != principal.expiresAt)
        fail("Principal::expiresAt differs from exp", describe(header, QString::number(principal.expiresAt)));
    // Contract §1: refused when exp is more than 60 s in the past, nbf / iat more than 60 s ahead.
    if (*exp < fuzz::NowSeconds - TokenVerifier::LeewaySeconds)
        fail("verify accepted an expired token", describe(header));
    for (const char *name : {"nbf", "iat"}) {
        const std::optional<qint64> t = integerClaim(*claims, name, header);
        if (t && *t > fuzz::NowSeconds + TokenVerifier::LeewaySeconds)
            fail("verify accepted a token that is not valid yet", describe(header, QString::fromLatin1(name)));
    }
}

/// verify() with the checks that hold for every input. Returns whether it accepted.
bool verifyAndCheck(const QByteArray &header, Principal *accepted = nullptr)
{
    try {
        const Principal principal = verifier().verify(header);
        checkAccepted(header, principal);
        if (accepted)
            *accepted = principal;
        return true;
    } catch (const ApiError &error) {
        const int code = int(error.code());
        if (code != 1000 && code != 1001 && code != 1002)
            fail("verify threw an ApiError other than 1000/1001/1002", describe(header, QString::number(code)));
        const QByteArray message = error.message().toUtf8();
        if (message.isEmpty())
            fail("verify threw an ApiError without a message", describe(header));
        if (message.contains(fuzz::secret()))
            fail("an error message contains the secret", describe(header, error.message()));
        const QByteArray token = header.trimmed().mid(6).trimmed();
        if (token.size() >= 12 && message.contains(token))
            fail("an error message contains the token", describe(header, error.message()));
        return false;
    } catch (const std::exception &error) {
        fail("verify threw something other than ApiError", describe(header, QString::fromUtf8(error.what())));
    } catch (...) {
        fail("verify threw something other than ApiError", describe(header));
    }
}

void signedMode(const QByteArray &rest)
{
    const qsizetype newline = rest.indexOf('\n');
    const QByteArray jose = newline < 0 ? QByteArrayLiteral(R"({"alg":"HS256","typ":"JWT"})") : rest.left(newline);
    const QByteArray payload = newline < 0 ? rest : rest.mid(newline + 1);
    verifyAndCheck("Bearer " + fuzz::signHs256(jose, payload, fuzz::secret()));
}

void roundTripMode(const QByteArray &rest)
{
    const QByteArrayList fields = rest.split('\n');
    const auto field = [&fields](int i) { return fields.value(i); };
    const QString tenant = QString::fromUtf8(field(0));
    const QString user = QString::fromUtf8(field(1));
    const QString device = QString::fromUtf8(field(2));
    bool ttlOk = false;
    const qint64 ttl = field(3).toLongLong(&ttlOk);
    const Principal::Role role = field(4) == "admin" ? Principal::Role::Admin : Principal::Role::Subscriber;
    if (!ttlOk)
        return;

    QByteArray token;
    try {
        token = TokenIssuer(fuzz::secret(), clock()).issue(tenant, user, role, device, ttl);
    } catch (const ApiError &error) {
        const bool argumentsValid = isValidIdentifier(tenant) && isValidIdentifier(user)
            && (device.isEmpty() || isValidIdentifier(device)) && ttl > 0
            && ttl <= std::numeric_limits<qint64>::max() - fuzz::NowSeconds;
        if (error.code() != ErrorCode::InvalidParameter || argumentsValid)
            fail("TokenIssuer refused valid arguments", rest);
        return;
    }
    Principal principal;
    const QByteArray header = "Bearer " + token;
    if (!verifyAndCheck(header, &principal))
        fail("verify refused a token just issued with the same secret and clock", describe(header));
    if (principal.tenant != tenant || principal.userId != user || principal.device != device
        || principal.role != role || principal.expiresAt != fuzz::NowSeconds + ttl)
        fail("issue -> verify did not round-trip", describe(header));
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::installMessageHandler();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QByteArray rest(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    switch (data[0] % 3) {
    case 0:
        verifyAndCheck(rest);
        break;
    case 1:
        signedMode(rest);
        break;
    default:
        roundTripMode(rest);
        break;
    }
    return 0;
}
