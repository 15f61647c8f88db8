// oxm-bench-mint: signed tokens for many subscribers at once, for the benchmark (bench/run.sh).
//
//   OXM_JWT_SECRET=... oxm-bench-mint TENANT USER_PREFIX COUNT [TTL_SECONDS]
//
// Prints COUNT lines: line i (0-based) is the token of user USER_PREFIX<i>. It signs with the
// server's own TokenIssuer (service/auth/tokenverifier.cpp, the code behind `oxm-server token`),
// only without one process per token: `oxm-server token` costs a process start (~10 ms here),
// too slow for the 250,000 users that hold the 1M streams of the scaling run.
// Built by bench/run.sh against the Release build's liboxm_service.a.

#include "auth/tokenverifier.h"
#include "core/clock.h"
#include "domain/apierror.h"

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char *argv[])
{
    if (argc < 4 || argc > 5) {
        std::fprintf(stderr, "usage: OXM_JWT_SECRET=... %s TENANT USER_PREFIX COUNT [TTL_SECONDS]\n", argv[0]);
        return 2;
    }
    const char *secret = std::getenv("OXM_JWT_SECRET");
    if (!secret || !*secret) {
        std::fprintf(stderr, "%s: set OXM_JWT_SECRET\n", argv[0]);
        return 2;
    }
    const QString tenant = QString::fromUtf8(argv[1]);
    const QString prefix = QString::fromUtf8(argv[2]);
    const long count = std::strtol(argv[3], nullptr, 10);
    const long ttl = argc == 5 ? std::strtol(argv[4], nullptr, 10) : 7200;
    if (count < 1 || ttl < 1) {
        std::fprintf(stderr, "%s: COUNT and TTL_SECONDS must be positive\n", argv[0]);
        return 2;
    }
    oxm::SystemClock clock;
    const oxm::TokenIssuer issuer(QByteArray(secret), clock);
    try {
        for (long i = 0; i < count; ++i) {
            const QByteArray token = issuer.issue(tenant, prefix + QString::number(i), oxm::Principal::Role::Subscriber,
                                                  QString(), ttl);
            std::fwrite(token.constData(), 1, size_t(token.size()), stdout);
            std::fputc('\n', stdout);
        }
    } catch (const oxm::ApiError &error) {
        std::fprintf(stderr, "%s: %s\n", argv[0], qPrintable(error.message()));
        return 1;
    }
    return std::fflush(stdout) == 0 ? 0 : 1;
}
