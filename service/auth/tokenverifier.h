#pragma once

#include "auth/principal.h"
#include "core/clock.h"

#include <QByteArray>
#include <atomic>
#include <memory>
#include <string_view>

namespace oxm {

/// Verifies bearer tokens: JWT (RFC 7519) signed with HS256 (RFC 7518 §3.2), contract §1,
/// using cpp-jwt (Debian libcpp-jwt-dev). The signature is checked before any claim is read;
/// only "HS256" is accepted (RFC 8725 §3.1), so "none" and every other alg fail.
///
/// Verified tokens are cached (issue 6: the HS256 check and the two JSON parses were about a
/// third of an admission-only heartbeat's instructions, bench/README.md): a bounded table keyed
/// by the whole token text (so any other byte, e.g. a different signature, misses), holding what
/// the checks found. A hit skips only the checks whose outcome cannot change (structure, alg,
/// signature, claim types); the time checks (exp, nbf, iat with the leeway, against `clock` now)
/// run on every call, so a cached token expires exactly when an uncached one would. Only tokens
/// that passed are cached. The table is direct mapped (a token's slot is its hash modulo the
/// capacity; a new token evicts the slot's previous one), so memory is fixed: about 180 bytes
/// per slot plus the cached tokens' text.
///
/// Thread-safe: verify() may be called from any number of threads at once (the cache is locked
/// per group of slots).
class TokenVerifier
{
public:
    /// Leeway for clock skew on exp / nbf / iat, in seconds (contract §1).
    static constexpr qint64 LeewaySeconds = 60;
    /// Slots of the cache of verified tokens by default.
    static constexpr int DefaultCacheCapacity = 16384;

    /// `cacheCapacity`: most verified tokens remembered (rounded up to a power of two); 0 turns
    /// the cache off (every call verifies in full).
    TokenVerifier(QByteArray secret, const Clock &clock, int cacheCapacity = DefaultCacheCapacity);
    ~TokenVerifier();
    Q_DISABLE_COPY_MOVE(TokenVerifier)

    /// Checks `authorizationHeader` (the raw value of the Authorization header; empty when the
    /// header is absent) and returns the caller. "Now" is `clock.nowNs()`, never the system clock.
    /// Throws ApiError (and nothing else):
    /// - MissingToken (1000): empty, a scheme other than "Bearer" (matched case-insensitively),
    ///   or "Bearer" with no token after it.
    /// - InvalidToken (1001): more than one token after "Bearer"; not three non-empty base64url
    ///   segments; header or payload not a JSON object; alg not exactly "HS256" (incl. "none");
    ///   a "crit" header; bad signature (checked, in constant time, before any claim is read);
    ///   tenant / sub missing, not strings or not valid identifiers (contract §3); exp missing
    ///   or not a JSON integer (1.5e9 is not); nbf / iat present but not integers; device present
    ///   but not a valid identifier string; role present but neither "subscriber" nor "admin";
    ///   or no secret configured (fails closed).
    /// - ExpiredToken (1002): now > exp + 60 s, or nbf / iat > now + 60 s. Checked only after
    ///   every 1001 check, so a token that is both malformed and expired is 1001.
    /// Messages never contain the token, a claim value or the secret.
    Principal verify(const QByteArray &authorizationHeader) const;

    /// Slots of the cache (0: no cache).
    int cacheCapacity() const;
    /// Verified tokens held in the cache now (at most cacheCapacity()).
    int cachedTokens() const;
    /// Calls answered from the cache so far (whatever the time checks then decided).
    quint64 cacheHits() const { return m_cacheHits.load(std::memory_order_relaxed); }

private:
    struct Cache;
    /// The full verification of steps 1-4 (everything but the time checks).
    struct Verified;
    Verified verifyUncached(std::string_view token) const;

    QByteArray m_secret;
    const Clock &m_clock;
    std::unique_ptr<Cache> m_cache;
    mutable std::atomic<quint64> m_cacheHits{0};
};

/// Mints HS256 tokens for `oxm-server token` and the admin app's Tokens screen (contract §8).
class TokenIssuer
{
public:
    TokenIssuer(QByteArray secret, const Clock &clock);

    /// A signed compact JWT (header {"alg":"HS256","typ":"JWT"}) with claims tenant, sub, role
    /// (only when admin: "admin"), device (when not empty), iat = now and exp = now + ttlSeconds
    /// (whole seconds since the epoch).
    /// Throws ApiError InvalidParameter (1104) when tenant, userId or a non-empty device is not
    /// a valid identifier (contract §3) or ttlSeconds <= 0; Internal (1500) when the secret is
    /// empty.
    QByteArray issue(const QString &tenant, const QString &userId, Principal::Role role,
                     const QString &device, qint64 ttlSeconds) const;

private:
    QByteArray m_secret;
    const Clock &m_clock;
};

} // namespace oxm
