// The shared command line of oxm-server and oxm-admin (contract §8): --listen, --database,
// the token secret (file, environment, generated), and the numeric options.

#include "serveroptions.h"

#include <QCommandLineParser>
#include <QFile>
#include <QTemporaryDir>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTest>
#include <stdexcept>

using namespace oxm;

class TestServerOptions final : public QObject
{
    Q_OBJECT

private:
    /// Writes `content` to DIR/secret with `permissions`; returns the path.
    static QString writeSecretFile(const QTemporaryDir &dir, const QByteArray &content,
                                   QFileDevice::Permissions permissions)
    {
        const QString path = dir.filePath(QStringLiteral("secret"));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
            return {};
        file.close();
        return file.setPermissions(permissions) ? path : QString();
    }

    static ServiceConfig configFor(const QStringList &arguments)
    {
        QCommandLineParser parser;
        ServerOptions options;
        options.addTo(parser);
        if (!parser.parse(QStringList{QStringLiteral("oxm-server")} + arguments))
            throw std::invalid_argument(parser.errorText().toStdString());
        return options.toConfig(parser);
    }

private Q_SLOTS:
    void init() { qunsetenv("OXM_JWT_SECRET"); }

    void listen_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<QString>("address");
        QTest::addColumn<int>("port");
        QTest::addRow("ipv4") << "127.0.0.1:8080" << true << "127.0.0.1" << 8080;
        QTest::addRow("any") << "0.0.0.0:9" << true << "0.0.0.0" << 9;
        QTest::addRow("ipv6 in brackets") << "[::1]:8443" << true << "::1" << 8443;
        QTest::addRow("localhost") << "localhost:80" << true << "127.0.0.1" << 80;
        QTest::addRow("port 0 (any free)") << "127.0.0.1:0" << true << "127.0.0.1" << 0;
        QTest::addRow("port 65535") << "127.0.0.1:65535" << true << "127.0.0.1" << 65535;
        QTest::addRow("port 65536") << "127.0.0.1:65536" << false << "" << 0;
        QTest::addRow("no port") << "127.0.0.1" << false << "" << 0;
        QTest::addRow("no host") << ":8080" << false << "" << 0;
        QTest::addRow("port not a number") << "127.0.0.1:http" << false << "" << 0;
        QTest::addRow("host name") << "example.org:80" << false << "" << 0;
    }
    void listen()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QFETCH(QString, address);
        QFETCH(int, port);
        QHostAddress parsedAddress;
        quint16 parsedPort = 1;
        if (!valid) {
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ServerOptions::parseListen(text, parsedAddress, parsedPort));
            return;
        }
        ServerOptions::parseListen(text, parsedAddress, parsedPort);
        QCOMPARE(parsedAddress, QHostAddress(address));
        QCOMPARE(int(parsedPort), port);
    }

    void databaseUrl_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("path"); // empty: refused
        QTest::addRow("sqlite:PATH") << "sqlite:/var/lib/oxm/oxm.sqlite" << "/var/lib/oxm/oxm.sqlite";
        QTest::addRow("sqlite relative") << "sqlite:data/oxm.sqlite" << "data/oxm.sqlite";
        QTest::addRow("sqlite:// URL") << "sqlite:///tmp/x.sqlite" << "/tmp/x.sqlite";
        QTest::addRow("plain path") << "/tmp/y.sqlite" << "/tmp/y.sqlite";
        QTest::addRow("postgresql is not a SQLite path") << "postgresql://u:p@127.0.0.1:5432/oxm" << "";
        // Schemes are case-insensitive (RFC 3986 §3.1); any other scheme is refused, not taken
        // for a file name.
        QTest::addRow("SQLITE:PATH") << "SQLITE:/tmp/x.sqlite" << "/tmp/x.sqlite";
        QTest::addRow("Sqlite:// URL") << "Sqlite:///tmp/x.sqlite" << "/tmp/x.sqlite";
        QTest::addRow("sqlite: a name with a colon") << "sqlite:a:b.sqlite" << "a:b.sqlite";
        QTest::addRow("a colon after a slash is a path") << "data/a:b.sqlite" << "data/a:b.sqlite";
        QTest::addRow("unknown scheme bogus:") << "bogus:xx" << "";
        QTest::addRow("mysql://") << "mysql://u:p@127.0.0.1/oxm" << "";
    }
    void databaseUrl()
    {
        QFETCH(QString, url);
        QFETCH(QString, path);
        if (path.isEmpty())
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ServerOptions::parseDatabaseUrl(url));
        else
            QCOMPARE(ServerOptions::parseDatabaseUrl(url), path);
    }

    void secretFromFileTrimmed()
    {
        QTemporaryDir dir;
        const QString path = writeSecretFile(dir, "  s3cret-value\n", QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        QVERIFY(!path.isEmpty());
        QCOMPARE(ServerOptions::loadSecret(path, dir.filePath(QStringLiteral("db.sqlite"))), QByteArray("s3cret-value"));
    }

    void secretFileReadableByOthersIsRefused()
    {
        QTemporaryDir dir;
        const QString path = writeSecretFile(dir, "s3cret\n", QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther);
        QVERIFY(!path.isEmpty());
        try {
            ServerOptions::loadSecret(path, dir.filePath(QStringLiteral("db.sqlite")));
            QFAIL("a world-readable secret file was accepted");
        } catch (const std::invalid_argument &error) {
            const QString message = QString::fromUtf8(error.what());
            QVERIFY2(message.contains(QLatin1String("chmod 600")), qPrintable(message));
            QVERIFY2(!message.contains(QLatin1String("s3cret")), "the message leaks the secret");
        }
    }

    void emptySecretFileIsRefused()
    {
        QTemporaryDir dir;
        const QString path = writeSecretFile(dir, "\n", QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        QVERIFY(!path.isEmpty());
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ServerOptions::loadSecret(path, dir.filePath(QStringLiteral("db"))));
    }

    void secretFromEnvironment()
    {
        QTemporaryDir dir;
        qputenv("OXM_JWT_SECRET", "from-env");
        QCOMPARE(ServerOptions::loadSecret({}, dir.filePath(QStringLiteral("db.sqlite"))), QByteArray("from-env"));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("jwt-secret"))));
    }

    void generatedSecretIsKeptBesideTheDatabaseOwnerOnly()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("sub/oxm.sqlite"));
        const QByteArray first = ServerOptions::loadSecret({}, db);
        QCOMPARE(first.size(), 64); // 32 random bytes, hex
        const QString kept = dir.filePath(QStringLiteral("sub/jwt-secret"));
        QVERIFY(QFile::exists(kept));
        QCOMPARE(QFile::permissions(kept) & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteOther),
                 QFileDevice::Permissions());
        QCOMPARE(ServerOptions::loadSecret({}, db), first); // the same secret on the next start
    }

    void postgresDatabase_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("valid");
        QTest::addRow("full") << "postgresql://oxm:secret@10.0.0.5:6543/oxm" << true;
        QTest::addRow("default port, percent-encoded password") << "postgresql://oxm:p%40ss%2Fw@db/oxm" << true;
        QTest::addRow("postgres scheme") << "postgres://oxm@db/oxm" << true;
        QTest::addRow("no database") << "postgresql://oxm:secret@db:5432/" << false;
        QTest::addRow("bad port") << "postgresql://oxm:secret@db:70000/oxm" << false;
    }
    void postgresDatabase()
    {
        // With OXM_JWT_SECRET set no connection is made: the URL is only parsed here (the secret
        // kept in the database: tst_postgres sharedSecretIsGeneratedOnce).
        QFETCH(QString, url);
        QFETCH(bool, valid);
        qputenv("OXM_JWT_SECRET", "x");
        const QStringList arguments{QStringLiteral("--database"), url};
        if (!valid) {
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, configFor(arguments));
            return;
        }
        const ServiceConfig config = configFor(arguments);
        QCOMPARE(config.databaseUrl, url);
        QVERIFY(config.databasePath.isEmpty());
        QCOMPARE(config.jwtSecret, QByteArray("x"));
    }

    void commandLine_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<bool>("valid");
        QTest::addRow("defaults") << QStringList{} << true;
        QTest::addRow("stream timeout 1") << QStringList{"--stream-timeout", "1"} << true;
        QTest::addRow("stream timeout 0") << QStringList{"--stream-timeout", "0"} << false;
        QTest::addRow("stream timeout text") << QStringList{"--stream-timeout", "soon"} << false;
        QTest::addRow("threads 64") << QStringList{"--threads", "64"} << true;
        QTest::addRow("threads 65") << QStringList{"--threads", "65"} << false;
        QTest::addRow("trusted proxy") << QStringList{"--trusted-proxy", "10.0.0.1"} << true;
        QTest::addRow("trusted proxy not an address") << QStringList{"--trusted-proxy", "proxy"} << false;
        // HTTPS: both files or neither, and readable (the PEM contents are checked at start, tst_tls).
        // "@" stands for a readable file of the test's own.
        QTest::addRow("tls cert and key") << QStringList{"--tls-cert", "@", "--tls-key", "@"} << true;
        QTest::addRow("tls cert without key") << QStringList{"--tls-cert", "@"} << false;
        QTest::addRow("tls key without cert") << QStringList{"--tls-key", "@"} << false;
        QTest::addRow("tls cert missing") << QStringList{"--tls-cert", "/nonexistent/cert.pem", "--tls-key", "@"} << false;
    }
    void commandLine()
    {
        QFETCH(QStringList, arguments);
        QFETCH(bool, valid);
        QTemporaryDir dir;
        qputenv("OXM_JWT_SECRET", "x");
        QFile readable(dir.filePath(QStringLiteral("readable.pem")));
        QVERIFY(readable.open(QIODevice::WriteOnly));
        readable.close();
        arguments.replaceInStrings(QRegularExpression(QStringLiteral("^@$")), readable.fileName());
        arguments << QStringLiteral("--database") << (QStringLiteral("sqlite:") + dir.filePath(QStringLiteral("db.sqlite")));
        if (!valid) {
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, configFor(arguments));
            return;
        }
        const ServiceConfig config = configFor(arguments);
        QCOMPARE(config.databasePath, dir.filePath(QStringLiteral("db.sqlite")));
        QCOMPARE(config.jwtSecret, QByteArray("x"));
        if (arguments.isEmpty() || arguments.size() == 2) { // only --database: the contract's defaults
            QCOMPARE(config.listenAddress, QHostAddress(QHostAddress::LocalHost));
            QCOMPARE(config.port, quint16(8080));
            QCOMPARE(config.streamTimeoutSeconds, 180);
            QVERIFY(config.tlsCertificateFile.isEmpty() && config.tlsKeyFile.isEmpty()); // plain HTTP
        }
        if (arguments.contains(QStringLiteral("--tls-cert"))) {
            QCOMPARE(config.tlsCertificateFile, readable.fileName());
            QCOMPARE(config.tlsKeyFile, readable.fileName());
        }
    }

    void redisUrl_data()
    {
        // Issue 5: --redis, OXM_REDIS, or the file's "redis" key; a malformed URL stops the start.
        QTest::addColumn<QString>("source"); // "arg", "env" or "file"
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("expected"); // empty: refused
        QTest::addRow("command line") << "arg" << "redis://127.0.0.1:6380" << "redis://127.0.0.1:6380";
        QTest::addRow("environment, with a database") << "env" << "redis://cache:6379/2" << "redis://cache:6379/2";
        QTest::addRow("file") << "file" << "redis://cache" << "redis://cache";
        QTest::addRow("not redis") << "arg" << "http://cache:6379" << "";
        QTest::addRow("database not a number") << "env" << "redis://cache/zero" << "";
        QTest::addRow("password") << "file" << "redis://:pw@cache" << "";
    }
    void redisUrl()
    {
        QFETCH(QString, source);
        QFETCH(QString, url);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        qputenv("OXM_JWT_SECRET", "x");
        QStringList arguments{QStringLiteral("--database"), QStringLiteral("sqlite:") + dir.filePath(QStringLiteral("db.sqlite"))};
        if (source == QLatin1String("arg")) {
            arguments << QStringLiteral("--redis") << url;
        } else if (source == QLatin1String("env")) {
            qputenv("OXM_REDIS", url.toUtf8());
        } else {
            QFile conf(dir.filePath(QStringLiteral("oxm.conf")));
            QVERIFY(conf.open(QIODevice::WriteOnly));
            conf.write("redis = " + url.toUtf8() + "\n");
            conf.close();
            arguments << QStringLiteral("--config") << conf.fileName();
        }
        const auto restore = qScopeGuard([] { qunsetenv("OXM_REDIS"); });
        if (expected.isEmpty()) {
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, configFor(arguments));
            return;
        }
        QCOMPARE(configFor(arguments).redisUrl, expected);
        // Without any of them, the streams stay in the process.
        qunsetenv("OXM_REDIS");
        QVERIFY(configFor({QStringLiteral("--database"), QStringLiteral("sqlite:") + dir.filePath(QStringLiteral("db.sqlite"))})
                    .redisUrl.isEmpty());
    }

    void configurationSources_data()
    {
        // Issue 7: command line > environment (OXM_<OPTION>) > INI file (--config) > defaults.
        QTest::addColumn<QByteArray>("file");       // empty: no --config
        QTest::addColumn<QStringList>("environment"); // NAME=value
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<int>("port");
        QTest::addColumn<int>("streamTimeout");
        QTest::addColumn<int>("trustedProxies");

        const QByteArray file = "; OXM settings\nlisten = 127.0.0.1:7001\nstream-timeout = 60\ntrusted-proxy = 10.0.0.1, 10.0.0.2\n";
        QTest::addRow("defaults") << QByteArray() << QStringList{} << QStringList{} << true << 8080 << 180 << 0;
        QTest::addRow("file over defaults") << file << QStringList{} << QStringList{} << true << 7001 << 60 << 2;
        QTest::addRow("environment over file") << file << QStringList{"OXM_LISTEN=127.0.0.1:7002", "OXM_TRUSTED_PROXY=10.0.0.9"}
                                               << QStringList{} << true << 7002 << 60 << 1;
        QTest::addRow("command line over environment") << file << QStringList{"OXM_LISTEN=127.0.0.1:7002", "OXM_STREAM_TIMEOUT=30"}
                                                        << QStringList{"--listen", "127.0.0.1:7003"} << true << 7003 << 30 << 2;
        QTest::addRow("environment alone") << QByteArray() << QStringList{"OXM_STREAM_TIMEOUT=45", "OXM_MAX_CONNECTIONS=10"}
                                           << QStringList{} << true << 8080 << 45 << 0;
        QTest::addRow("unknown key in the file") << QByteArray("listen = 127.0.0.1:7001\nlisen = 1\n") << QStringList{}
                                                 << QStringList{} << false << 0 << 0 << 0;
        QTest::addRow("bad value in the file") << QByteArray("stream-timeout = soon\n") << QStringList{} << QStringList{}
                                               << false << 0 << 0 << 0;
        QTest::addRow("bad value in the environment") << QByteArray() << QStringList{"OXM_THREADS=0"} << QStringList{}
                                                      << false << 0 << 0 << 0;
        QTest::addRow("missing --config file") << QByteArray("-") << QStringList{} << QStringList{} << false << 0 << 0 << 0;
    }
    void configurationSources()
    {
        QFETCH(QByteArray, file);
        QFETCH(QStringList, environment);
        QFETCH(QStringList, arguments);
        QFETCH(bool, valid);
        QFETCH(int, port);
        QFETCH(int, streamTimeout);
        QFETCH(int, trustedProxies);
        QTemporaryDir dir;
        qputenv("OXM_JWT_SECRET", "x");
        arguments << QStringLiteral("--database") << (QStringLiteral("sqlite:") + dir.filePath(QStringLiteral("db.sqlite")));
        if (file == "-") {
            arguments << QStringLiteral("--config") << dir.filePath(QStringLiteral("absent.conf"));
        } else if (!file.isEmpty()) {
            QFile conf(dir.filePath(QStringLiteral("oxm.conf")));
            QVERIFY(conf.open(QIODevice::WriteOnly));
            conf.write(file);
            conf.close();
            arguments << QStringLiteral("--config") << conf.fileName();
        }
        for (const QString &variable : environment)
            qputenv(variable.section(QLatin1Char('='), 0, 0).toLatin1().constData(), variable.section(QLatin1Char('='), 1).toUtf8());
        const auto restore = qScopeGuard([&environment] {
            for (const QString &variable : environment)
                qunsetenv(variable.section(QLatin1Char('='), 0, 0).toLatin1().constData());
        });
        if (!valid) {
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, configFor(arguments));
            return;
        }
        const ServiceConfig config = configFor(arguments);
        QCOMPARE(int(config.port), port);
        QCOMPARE(config.streamTimeoutSeconds, streamTimeout);
        QCOMPARE(int(config.trustedProxies.size()), trustedProxies);
        if (environment.contains(QStringLiteral("OXM_MAX_CONNECTIONS=10")))
            QCOMPARE(config.maxConnections, 10);
    }
};

QTEST_GUILESS_MAIN(TestServerOptions)
#include "tst_serveroptions.moc"
