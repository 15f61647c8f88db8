#include "auth/tokenverifier.h"

#include "domain/apierror.h"
#include "domain/identifiers.h"

#include <jwt/jwt.hpp>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>

#include <QHash>

#include <array>
#include <cstdint>
#include <mutex>
#include <vector>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

// Why not jwt::decode(): in cpp-jwt 1.4 (Debian 12) decode(..., verify(true)) checks exp/nbf
// against std::chrono::system_clock (not our Clock) and reads claims *before* the signature,
// matches "alg" case-insensitively, lets a nlohmann type_error escape for a non-string "alg",
// and indexes its base64 table with signed chars (out of bounds on bytes >= 0x80 in release
// builds). verify(false) switches the signature check off as well. So the steps below use
// cpp-jwt's HS256 HMAC and base64 primitives and nlohmann::json directly, in the order RFC 8725
// asks for: structure -> alg == "HS256" -> signature (constant time) -> claims -> times.

namespace oxm {

namespace {

using Json = nlohmann::json;

constexpr qint64 NsPerSecond = 1000000000;

[[noreturn]] void fail(ErrorCode code, const char *message)
{
    throw ApiError(code, QString::fromLatin1(message));
}

[[noreturn]] void invalid(const char *message)
{
    fail(ErrorCode::InvalidToken, message);
}

/// Whole seconds since the epoch, rounded towards minus infinity, and the remaining nanoseconds.
struct SplitTime
{
    qint64 seconds;
    qint64 nanos; // 0 <= nanos < NsPerSecond
};

SplitTime splitNs(qint64 ns)
{
    qint64 seconds = ns / NsPerSecond;
    qint64 nanos = ns % NsPerSecond;
    if (nanos < 0) {
        --seconds;
        nanos += NsPerSecond;
    }
    return {seconds, nanos};
}

/// Non-empty and only the base64url alphabet (RFC 4648 §5), no padding. Checked before any
/// decoding: cpp-jwt's decoder must never see other bytes.
bool isBase64UrlText(std::string_view text)
{
    if (text.empty())
        return false;
    for (const char c : text) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

/// Decodes a base64url segment and parses it as a JSON object; a discarded/non-object value
/// means failure. Never throws for bad input (allow_exceptions = false).
Json decodeJsonObject(std::string_view segment)
{
    const std::string text = jwt::base64_uri_decode(segment.data(), segment.size());
    // nlohmann's lexer takes a NUL byte as the end of the input, so `{...}\0junk` would parse
    // as the object (found by tests/fuzz/fuzz_token). JSON text never holds a raw NUL
    // (RFC 8259 §2, §7), so such a segment is malformed.
    if (text.find('\0') != std::string::npos)
        return Json();
    Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!value.is_object())
        return Json(); // null
    return value;
}

/// The unpadded base64url HMAC-SHA256 of `signingInput` (RFC 7515 §5.1, RFC 7518 §3.2).
std::string hs256Signature(std::string_view key, std::string_view signingInput)
{
    auto [mac, ec] = jwt::HMACSign<jwt::algo::HS256>::sign(key, signingInput);
    if (ec || mac.empty())
        throw std::runtime_error("HMAC failed");
    std::string encoded = jwt::base64_encode(mac.data(), mac.size());
    encoded.resize(jwt::base64_uri_encode(encoded.data(), encoded.size()));
    return encoded;
}

enum class Claim { Absent, Ok, WrongType };

/// Reads an optional integer claim (JSON integer that fits in qint64; floats are wrong type).
Claim integerClaim(const Json &claims, const char *name, qint64 &out)
{
    const auto it = claims.find(name);
    if (it == claims.end())
        return Claim::Absent;
    if (it->is_number_unsigned()) {
        const auto value = it->get<std::uint64_t>();
        if (value > std::uint64_t(std::numeric_limits<qint64>::max()))
            return Claim::WrongType;
        out = qint64(value);
        return Claim::Ok;
    }
    if (it->is_number_integer()) {
        out = it->get<std::int64_t>();
        return Claim::Ok;
    }
    return Claim::WrongType;
}

/// Reads an optional string claim that must be an identifier (contract §3).
Claim identifierClaim(const Json &claims, const char *name, QString &out)
{
    const auto it = claims.find(name);
    if (it == claims.end())
        return Claim::Absent;
    if (!it->is_string())
        return Claim::WrongType;
    const std::string &value = it->get_ref<const std::string &>();
    auto id = validIdentifier(QByteArray::fromRawData(value.data(), qsizetype(value.size())));
    if (!id)
        return Claim::WrongType;
    out = std::move(*id);
    return Claim::Ok;
}

QString requiredIdentifier(const Json &claims, const char *name, const char *missing,
                           const char *bad)
{
    QString id;
    switch (identifierClaim(claims, name, id)) {
    case Claim::Ok:
        return id;
    case Claim::Absent:
        invalid(missing);
    case Claim::WrongType:
        break;
    }
    invalid(bad);
}

/// The token of "Bearer <token>" (scheme case-insensitive, RFC 9110 §11.1). Throws
/// MissingToken when the header is empty, another scheme, or "Bearer" without a token.
std::string_view bearerToken(const QByteArray &authorizationHeader)
{
    const QByteArrayView value = QByteArrayView(authorizationHeader).trimmed();
    if (value.isEmpty())
        fail(ErrorCode::MissingToken, "missing Authorization header (expected \"Bearer <token>\")");

    const qsizetype space = value.indexOf(' ');
    const QByteArrayView scheme = space < 0 ? value : value.first(space);
    static constexpr char Bearer[] = "Bearer";
    if (qstrnicmp(scheme.data(), scheme.size(), Bearer, qsizetype(sizeof Bearer - 1)) != 0)
        fail(ErrorCode::MissingToken, "the Authorization header must use the Bearer scheme");

    const QByteArrayView token = space < 0 ? QByteArrayView() : value.sliced(space + 1).trimmed();
    if (token.isEmpty())
        fail(ErrorCode::MissingToken, "the Authorization header has no token after \"Bearer\"");
    return std::string_view(token.data(), size_t(token.size()));
}

} // namespace

// ---------------------------------------------------------------------------------------------

struct TokenVerifier::Verified
{
    Principal principal;
    qint64 exp = 0;
    std::optional<qint64> nbf;
    std::optional<qint64> iat;
};

struct TokenVerifier::Cache
{
    struct Slot
    {
        QByteArray token; // empty: free
        Verified verified;
    };
    static constexpr size_t LockCount = 64;

    explicit Cache(int capacity)
    {
        size_t size = 1;
        while (size < size_t(capacity))
            size <<= 1;
        entries.resize(size);
        mask = size - 1;
    }

    std::vector<Slot> entries;
    size_t mask = 0;
    const size_t seed = QHashSeed::globalSeed();
    std::array<std::mutex, LockCount> locks;
    std::atomic<int> used{0};
};

namespace {
/// Step 5: the times, with the injected clock and 60 s leeway, in exact integer arithmetic.
/// now is bounded (|nowSeconds| < 9.3e9), so nowSeconds ± Leeway cannot overflow.
void checkTimes(qint64 exp, const std::optional<qint64> &nbf, const std::optional<qint64> &iat, qint64 nowNs)
{
    const SplitTime now = splitNs(nowNs);
    // expired <=> now > exp + 60  <=>  exp < now.s - 60, or == with a fractional second.
    const qint64 oldestExp = now.seconds - TokenVerifier::LeewaySeconds;
    if (exp < oldestExp || (exp == oldestExp && now.nanos > 0))
        fail(ErrorCode::ExpiredToken, "token has expired");
    // too early <=> t > now + 60  <=>  t > now.s + 60 (t is whole seconds).
    if (nbf && *nbf > now.seconds + TokenVerifier::LeewaySeconds)
        fail(ErrorCode::ExpiredToken, "token is not valid yet (nbf is in the future)");
    if (iat && *iat > now.seconds + TokenVerifier::LeewaySeconds)
        fail(ErrorCode::ExpiredToken, "token is not valid yet (iat is in the future)");
}
} // namespace

TokenVerifier::TokenVerifier(QByteArray secret, const Clock &clock, int cacheCapacity)
    : m_secret(std::move(secret)), m_clock(clock)
{
    if (cacheCapacity > 0)
        m_cache = std::make_unique<Cache>(cacheCapacity);
}

TokenVerifier::~TokenVerifier() = default;

int TokenVerifier::cacheCapacity() const
{
    return m_cache ? int(m_cache->entries.size()) : 0;
}

int TokenVerifier::cachedTokens() const
{
    return m_cache ? m_cache->used.load(std::memory_order_relaxed) : 0;
}

Principal TokenVerifier::verify(const QByteArray &authorizationHeader) const
{
    const std::string_view token = bearerToken(authorizationHeader);
    const QByteArrayView key(token.data(), qsizetype(token.size()));
    Cache::Slot *slot = nullptr;
    std::mutex *lock = nullptr;
    if (m_cache) {
        const size_t index = qHash(key, m_cache->seed) & m_cache->mask;
        slot = &m_cache->entries[index];
        lock = &m_cache->locks[index % Cache::LockCount];
        std::unique_lock<std::mutex> locked(*lock);
        if (QByteArrayView(slot->token) == key) {
            const Verified hit = slot->verified; // copies share the strings (atomic refcounts)
            locked.unlock();
            m_cacheHits.fetch_add(1, std::memory_order_relaxed);
            checkTimes(hit.exp, hit.nbf, hit.iat, m_clock.nowNs());
            return hit.principal;
        }
    }

    Verified verified = verifyUncached(token);
    checkTimes(verified.exp, verified.nbf, verified.iat, m_clock.nowNs());
    if (slot) {
        // Only a token that passed every check; it replaces whatever held the slot.
        QByteArray copy(key.data(), key.size());
        const std::lock_guard<std::mutex> locked(*lock);
        if (slot->token.isEmpty())
            m_cache->used.fetch_add(1, std::memory_order_relaxed);
        slot->token = std::move(copy);
        slot->verified = verified;
    }
    return std::move(verified.principal);
}

TokenVerifier::Verified TokenVerifier::verifyUncached(std::string_view token) const
{
    try {
        if (m_secret.isEmpty())
            invalid("token verification is not configured (no secret)"); // fail closed

        // 1. Structure: exactly three non-empty base64url segments (JWS compact, RFC 7515 §7.1).
        for (const char c : token) {
            if (c == ' ' || c == '\t')
                invalid("the Authorization header must hold exactly one token");
        }
        const size_t dot1 = token.find('.');
        const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
        if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
            invalid("malformed token (expected header.payload.signature)");
        const std::string_view headerPart = token.substr(0, dot1);
        const std::string_view payloadPart = token.substr(dot1 + 1, dot2 - dot1 - 1);
        const std::string_view signaturePart = token.substr(dot2 + 1);
        if (!isBase64UrlText(headerPart) || !isBase64UrlText(payloadPart)
            || !isBase64UrlText(signaturePart))
            invalid("malformed token (expected three base64url segments)");

        // 2. Header: alg must be exactly "HS256" (RFC 7515 §4.1.1 values are case-sensitive);
        //    no "crit" extensions are understood, so their presence rejects (RFC 7515 §4.1.11).
        const Json header = decodeJsonObject(headerPart);
        if (!header.is_object())
            invalid("malformed token header");
        const auto alg = header.find("alg");
        if (alg == header.end() || !alg->is_string()
            || alg->get_ref<const std::string &>() != "HS256")
            invalid("unsupported token algorithm (only HS256 is accepted)");
        if (header.contains("crit"))
            invalid("unsupported critical token header parameters");

        // 3. Signature over "header.payload", compared in constant time, before any claim.
        const std::string expected = hs256Signature(
                std::string_view(m_secret.constData(), size_t(m_secret.size())),
                token.substr(0, dot2));
        if (expected.size() != signaturePart.size()
            || CRYPTO_memcmp(expected.data(), signaturePart.data(), expected.size()) != 0)
            invalid("token signature does not verify");

        // 4. Claims (types and identifier rules first: a malformed token is 1001 even if expired).
        const Json claims = decodeJsonObject(payloadPart);
        if (!claims.is_object())
            invalid("malformed token payload");

        Principal principal;
        principal.tenant = requiredIdentifier(claims, "tenant", "token claim \"tenant\" is missing",
                                              "token claim \"tenant\" is not a valid identifier");
        principal.userId = requiredIdentifier(claims, "sub", "token claim \"sub\" is missing",
                                              "token claim \"sub\" is not a valid identifier");
        if (identifierClaim(claims, "device", principal.device) == Claim::WrongType)
            invalid("token claim \"device\" is not a valid identifier");

        if (const auto role = claims.find("role"); role != claims.end()) {
            const std::string *name = role->get_ptr<const std::string *>();
            if (name && *name == "admin")
                principal.role = Principal::Role::Admin;
            else if (name && *name == "subscriber")
                principal.role = Principal::Role::Subscriber;
            else
                invalid("token claim \"role\" must be \"subscriber\" or \"admin\"");
        }

        qint64 exp = 0;
        qint64 nbf = 0;
        qint64 iat = 0;
        const Claim expClaim = integerClaim(claims, "exp", exp);
        if (expClaim == Claim::Absent)
            invalid("token claim \"exp\" is missing");
        if (expClaim == Claim::WrongType)
            invalid("token claim \"exp\" is not an integer");
        const Claim nbfClaim = integerClaim(claims, "nbf", nbf);
        if (nbfClaim == Claim::WrongType)
            invalid("token claim \"nbf\" is not an integer");
        const Claim iatClaim = integerClaim(claims, "iat", iat);
        if (iatClaim == Claim::WrongType)
            invalid("token claim \"iat\" is not an integer");
        principal.expiresAt = exp;

        Verified verified;
        verified.principal = std::move(principal);
        verified.exp = exp;
        if (nbfClaim == Claim::Ok)
            verified.nbf = nbf;
        if (iatClaim == Claim::Ok)
            verified.iat = iat;
        return verified;
    } catch (const ApiError &) {
        throw;
    } catch (...) {
        // cpp-jwt / nlohmann / OpenSSL / allocation failures: never leak details or the token.
        invalid("malformed token");
    }
}

// ---------------------------------------------------------------------------------------------

TokenIssuer::TokenIssuer(QByteArray secret, const Clock &clock)
    : m_secret(std::move(secret)), m_clock(clock)
{
}

QByteArray TokenIssuer::issue(const QString &tenant, const QString &userId, Principal::Role role,
                              const QString &device, qint64 ttlSeconds) const
{
    if (m_secret.isEmpty())
        fail(ErrorCode::Internal, "no token signing secret is configured");
    if (!isValidIdentifier(tenant))
        fail(ErrorCode::InvalidParameter, "tenant is not a valid identifier");
    if (!isValidIdentifier(userId))
        fail(ErrorCode::InvalidParameter, "user is not a valid identifier");
    if (!device.isEmpty() && !isValidIdentifier(device))
        fail(ErrorCode::InvalidParameter, "device is not a valid identifier");

    const qint64 iat = splitNs(m_clock.nowNs()).seconds;
    if (ttlSeconds <= 0 || ttlSeconds > std::numeric_limits<qint64>::max() - iat)
        fail(ErrorCode::InvalidParameter, "ttl must be a positive number of seconds");

    try {
        jwt::jwt_object token{
                jwt::params::algorithm(jwt::algorithm::HS256),
                jwt::params::secret(std::string_view(m_secret.constData(), size_t(m_secret.size())))};
        token.add_claim("tenant", tenant.toStdString());
        token.add_claim("sub", userId.toStdString());
        if (role == Principal::Role::Admin)
            token.add_claim("role", std::string("admin"));
        if (!device.isEmpty())
            token.add_claim("device", device.toStdString());
        token.add_claim("iat", std::int64_t(iat));
        token.add_claim("exp", std::int64_t(iat + ttlSeconds));
        return QByteArray::fromStdString(token.signature());
    } catch (const std::exception &) {
        fail(ErrorCode::Internal, "could not sign the token");
    }
}

} // namespace oxm
