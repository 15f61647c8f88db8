// oxm-server: the OXM experience API, headless (contract §8).
//
//   oxm-server [options]                         serve the API
//   oxm-server token --tenant T --user U [--role admin] [--device D] [--ttl SECONDS]
//   oxm-server tenant add T
//   oxm-server catalog import FILE.json

#include "auth/tokenverifier.h"
#include "core/clock.h"
#include "domain/apierror.h"
#include "domain/catalog.h"
#include "domain/identifiers.h"
#include "domain/policyservice.h"
#include "oxmservice.h"
#include "serveroptions.h"
#include "storage/postgresstore.h"
#include "unixsignalwatcher.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QLoggingCategory>
#include <QTextStream>
#include <optional>
#include <cstdio>
#include <sys/resource.h>

using namespace oxm;

namespace {

int failWith(const QString &message, int code = 2)
{
    QTextStream(stderr) << "oxm-server: " << message << Qt::endl;
    return code;
}

struct TokenOptions
{
    QCommandLineOption tenant{QStringLiteral("tenant"), QStringLiteral("token: tenant claim."), QStringLiteral("T")};
    QCommandLineOption user{QStringLiteral("user"), QStringLiteral("token: subscriber ID (sub claim)."), QStringLiteral("U")};
    QCommandLineOption role{QStringLiteral("role"), QStringLiteral("token: subscriber (default) or admin."), QStringLiteral("ROLE")};
    QCommandLineOption device{QStringLiteral("device"), QStringLiteral("token: device claim."), QStringLiteral("D")};
    QCommandLineOption ttl{QStringLiteral("ttl"), QStringLiteral("token: lifetime in seconds (default 3600)."), QStringLiteral("SECONDS")};
};

int mintToken(const QCommandLineParser &parser, const TokenOptions &o, const ServiceConfig &config)
{
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1)
        return failWith(QStringLiteral("token takes no arguments besides its options (not: %1)")
                            .arg(positional.mid(1).join(QLatin1Char(' '))));
    if (!parser.isSet(o.tenant) || !parser.isSet(o.user))
        return failWith(QStringLiteral("token needs --tenant T and --user U"));
    // An empty --device would mint a token without the claim, silently (contract §3: 1-256 bytes).
    if (parser.isSet(o.device) && !isValidIdentifier(parser.value(o.device)))
        return failWith(QStringLiteral("--device is 1 to 256 bytes without control characters"));
    Principal::Role role = Principal::Role::Subscriber;
    if (parser.isSet(o.role)) {
        if (parser.value(o.role) == QLatin1String("admin"))
            role = Principal::Role::Admin;
        else if (parser.value(o.role) != QLatin1String("subscriber"))
            return failWith(QStringLiteral("--role is subscriber or admin"));
    }
    bool ok = true;
    const qint64 lifetime = parser.isSet(o.ttl) ? parser.value(o.ttl).toLongLong(&ok) : 3600;
    if (!ok || lifetime < 1)
        return failWith(QStringLiteral("--ttl wants a whole number of seconds >= 1"));
    SystemClock clock;
    try {
        const TokenIssuer issuer(config.jwtSecret, clock);
        QTextStream(stdout) << issuer.issue(parser.value(o.tenant), parser.value(o.user), role,
                                            parser.value(o.device), lifetime)
                            << Qt::endl;
    } catch (const ApiError &error) {
        return failWith(error.message());
    }
    return 0;
}

int adminCommand(const QStringList &positional, const ServiceConfig &config)
{
    // The command's shape first: a mistyped command opens (and may create) no database.
    if (positional[0] == QLatin1String("tenant") && (positional.size() != 3 || positional[1] != QLatin1String("add")))
        return failWith(QStringLiteral("usage: oxm-server tenant add T"));
    if (positional[0] == QLatin1String("catalog")
        && (positional.size() != 3 || positional[1] != QLatin1String("import")))
        return failWith(QStringLiteral("usage: oxm-server catalog import FILE.json"));
    if (positional[0] != QLatin1String("tenant") && positional[0] != QLatin1String("catalog"))
        return failWith(QStringLiteral("unknown command %1; see --help").arg(positional[0]));
    if (positional[0] == QLatin1String("tenant") && !isValidIdentifier(positional[2]))
        return failWith(QStringLiteral("a tenant is 1 to 256 bytes without control characters"));
    OxmService service(config);
    service.open();
    if (positional[0] == QLatin1String("tenant")) {
        const bool added = service.policies().registerTenant(positional[2]);
        QTextStream(stdout) << (added ? "registered tenant " : "tenant already registered: ") << positional[2] << Qt::endl;
        return 0;
    }
    try {
        const int n = service.catalog().importFile(positional[2]);
        QTextStream(stdout) << "imported " << n << " assets" << Qt::endl;
        return 0;
    } catch (const std::invalid_argument &error) {
        return failWith(QStringLiteral("catalog import: %1").arg(QString::fromUtf8(error.what())), 1);
    }
}

/// The token options belong to the token command, once each: given to another command (or to
/// none, which serves) they would be ignored silently, and a repeated one would keep its last value.
std::optional<QString> misplacedTokenOption(const QCommandLineParser &parser, const TokenOptions &o)
{
    const bool tokenCommand = !parser.positionalArguments().isEmpty()
        && parser.positionalArguments().constFirst() == QLatin1String("token");
    for (const QCommandLineOption *option : {&o.tenant, &o.user, &o.role, &o.device, &o.ttl}) {
        const qsizetype given = parser.values(*option).size();
        const QString name = option->names().constFirst();
        if (given > 0 && !tokenCommand)
            return QStringLiteral("--%1 belongs to the token command (oxm-server token --tenant T --user U ...)").arg(name);
        if (given > 1)
            return QStringLiteral("--%1 is given more than once").arg(name);
    }
    return std::nullopt;
}

} // namespace

int main(int argc, char *argv[])
{
    // Every connection is a file descriptor: allow as many as the hard limit permits, so the
    // front door's connection cap (default 1000) is what limits, not a stock soft limit of 1024.
    struct rlimit files = {};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &files);
    }

    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("oxm"));
    QCoreApplication::setApplicationVersion(QStringLiteral(OXM_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "OXM experience API server.\n\n"
        "Commands:\n"
        "  (none)                        serve the API\n"
        "  token --tenant T --user U [--role admin] [--device D] [--ttl SECONDS]\n"
        "                                print a signed token\n"
        "  tenant add T                  register a tenant\n"
        "  catalog import FILE.json      import asset metadata (a JSON array)"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("token, tenant add, catalog import"));
    ServerOptions options;
    options.setDefaultConfigFile(QStringLiteral("/etc/oxm/oxm.conf"));
    options.addTo(parser);
    const TokenOptions tokenOptions;
    parser.addOptions({tokenOptions.tenant, tokenOptions.user, tokenOptions.role, tokenOptions.device, tokenOptions.ttl});
    parser.process(app);
    if (const std::optional<QString> misplaced = misplacedTokenOption(parser, tokenOptions))
        return failWith(*misplaced);

    try {
        const ServiceConfig config = options.toConfig(parser);
        const QStringList positional = parser.positionalArguments();
        if (!positional.isEmpty() && positional[0] == QLatin1String("token"))
            return mintToken(parser, tokenOptions, config);
        if (!positional.isEmpty())
            return adminCommand(positional, config);

        // Watch SIGTERM/SIGINT before serving, so a signal at any point ends in a clean exit.
        UnixSignalWatcher signalWatcher;
        // Log levels: from --log-rules / OXM_LOG_RULES / the file at start, and again on SIGHUP.
        const auto applyLogRules = [](const QString &rules) {
            QLoggingCategory::setFilterRules(QString(rules).replace(QLatin1Char(';'), QLatin1Char('\n')));
        };
        applyLogRules(config.logRules);
        QObject::connect(&signalWatcher, &UnixSignalWatcher::reloadRequested, &app, [&options, &parser, applyLogRules] {
            try {
                const QString rules = options.toConfig(parser).logRules;
                applyLogRules(rules);
                qInfo().noquote() << "oxm-server: log rules now" << (rules.isEmpty() ? QStringLiteral("(defaults)") : rules);
            } catch (const std::exception &error) {
                qWarning().noquote() << "oxm-server: SIGHUP: settings not reloaded:" << error.what();
            }
        });
        OxmService service(config);
        QObject::connect(&signalWatcher, &UnixSignalWatcher::terminationRequested, &app, [&service] {
            service.stopListening();
            QCoreApplication::quit();
        });
        service.open();
        const quint16 port = service.startListening();
        QTextStream(stdout) << "oxm-server listening on " << (service.isTls() ? "https://" : "http://")
                            << (config.listenAddress.protocol() == QAbstractSocket::IPv6Protocol
                                    ? QLatin1Char('[') + config.listenAddress.toString() + QLatin1Char(']')
                                    : config.listenAddress.toString())
                            << ':' << port << "/oxm/v1 (database "
                            << (config.databaseUrl.isEmpty() ? config.databasePath : PostgresStore::redactedUrl(config.databaseUrl))
                            << ")" << Qt::endl;
        return app.exec();
    } catch (const std::exception &error) {
        return failWith(QString::fromUtf8(error.what()), 1);
    }
}
