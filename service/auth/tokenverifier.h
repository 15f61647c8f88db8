#pragma once

#include "auth/principal.h"
#include "core/clock.h"

#include <QByteArray>

namespace oxm {

/// Verifies bearer tokens: JWT (RFC 7519) signed with HS256 (RFC 7518 §3.2), contract §1,
/// using cpp-jwt (Debian libcpp-jwt-dev). The signature is checked before any claim is read;
/// only "HS256" is accepted (RFC 8725 §3.1), so "none" and every other alg fail.
///
/// Thread-safe (const, no shared mutable state).
class TokenVerifier
{
public:
    /// Leeway for clock skew on exp / nbf / iat, in seconds (contract §1).
    static constexpr qint64 LeewaySeconds = 60;

    TokenVerifier(QByteArray secret, const Clock &clock);

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

private:
    QByteArray m_secret;
    const Clock &m_clock;
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
