// oxm-admin: the OXM desktop admin app, hosting the same service as oxm-server (contract §8).
//
//   oxm-admin [--listen HOST:PORT] [--database sqlite:PATH] [--jwt-secret-file PATH]
//             [--stream-timeout SECONDS] [--threads N] [--trusted-proxy ADDR]...
//   oxm-admin --screenshots DIR      render every screen with demo traffic to DIR/*.png, exit
//   oxm-admin --report-stalls SECONDS   also print the GUI event loop's worst stall periodically
//
// Options are remembered between runs (QSettings; the command line overrides them for one run).
// Without a display (no DISPLAY / WAYLAND_DISPLAY) it runs headless on the offscreen platform and
// just serves the API.

#include "adminconfig.h"
#include "adminscreenshots.h"
#include "adminstallmeter.h"
#include "mainwindow.h"
#include "serveroptions.h"
#include "servicehost.h"
#include "unixsignalwatcher.h"
#include "core/threadnice.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QSettings>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTimer>
#include <cstring>
#include <unistd.h>

using namespace oxm;

namespace {

bool hasArgument(int argc, char *argv[], const char *name)
{
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], name) == 0 || std::strncmp(argv[i], name, std::strlen(name)) == 0)
            return true;
    return false;
}

/// Chooses the offscreen platform when there is no display (or for screenshots), before
/// QApplication exists. Returns true when the app runs without a visible window.
bool prepareEnvironment(bool screenshots)
{
    if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
        const QByteArray dir = "/tmp/runtime-" + QByteArray::number(getuid());
        QDir().mkpath(QString::fromLocal8Bit(dir));
        QFile::setPermissions(QString::fromLocal8Bit(dir), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        qputenv("XDG_RUNTIME_DIR", dir);
    }
    const bool noDisplay = qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && (noDisplay || screenshots))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    return qgetenv("QT_QPA_PLATFORM") == "offscreen" || qgetenv("QT_QPA_PLATFORM") == "minimal";
}

QtMessageHandler previousHandler = nullptr;

/// Drops the offscreen platform's "does not support propagateSizeHints()" noise.
void filterPlatformNoise(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (type == QtWarningMsg && message.contains(QLatin1String("propagateSizeHints")))
        return;
    previousHandler(type, context, message);
}

int failWith(const QString &message, int code = 1)
{
    QTextStream(stderr) << "oxm-admin: " << message << Qt::endl;
    return code;
}

} // namespace

namespace {
/// Niceness of the embedded service's threads in the admin app (the GUI thread keeps 0). 10 rather
/// than 5: with the service threads at 5 a refresh of the live screen took ~1.6x its CPU time in
/// wall time under a heartbeat load on one core; at 10 about 1.2x (bench/README.md, GUI stall).
constexpr int AdminServiceThreadNice = 10;
} // namespace

int main(int argc, char *argv[])
{
    const bool screenshots = hasArgument(argc, argv, "--screenshots");
    const bool headless = prepareEnvironment(screenshots);
    if (headless)
        previousHandler = qInstallMessageHandler(filterPlatformNoise);

    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("OXM"));
    QCoreApplication::setApplicationName(QStringLiteral("oxm-admin"));
    QCoreApplication::setApplicationVersion(QStringLiteral(OXM_VERSION));
    QGuiApplication::setApplicationDisplayName(QStringLiteral("OXM Admin"));
    QGuiApplication::setDesktopFileName(QStringLiteral("oxm-admin"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "OXM desktop admin app: live concurrency, policies, subscribers, catalog and tokens, with the "
        "OXM experience API served from the same process. Options are remembered between runs; "
        "without a display it runs headless and only serves."));
    parser.addHelpOption();
    parser.addVersionOption();
    ServerOptions options;
    options.addTo(parser);
    const QCommandLineOption screenshotOption(QStringLiteral("screenshots"),
                                              QStringLiteral("Render every screen with demo traffic to DIR/*.png and exit."),
                                              QStringLiteral("DIR"));
    parser.addOption(screenshotOption);
    const QCommandLineOption stallOption(QStringLiteral("report-stalls"),
                                         QStringLiteral("Print the GUI event loop's worst stall every SECONDS (a responsiveness probe)."),
                                         QStringLiteral("SECONDS"));
    parser.addOption(stallOption);
    parser.process(app);

    // Screenshots run on a temporary database and settings, never the user's.
    QTemporaryDir scratch;
    ServerSettings settings;
    if (screenshots) {
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, scratch.path());
        settings.listen = QStringLiteral("127.0.0.1:0");
        settings.database = QStringLiteral("sqlite:") + QDir(scratch.path()).filePath(QStringLiteral("oxm.sqlite"));
    } else {
        settings = ServerSettings::load(QSettings());
    }
    try {
        settings = AdminConfig::mergeCommandLine(settings, parser);
    } catch (const std::exception &error) {
        return failWith(QString::fromUtf8(error.what()), 2);
    }
    const QStringList trustedProxies = parser.values(QStringLiteral("trusted-proxy"));

    // The embedded service's threads yield to the GUI thread under load (core/threadnice.h).
    setServiceThreadNice(AdminServiceThreadNice);
    ServiceHost host(settings, [trustedProxies](const ServerSettings &s) {
        return AdminConfig::toServiceConfig(s, trustedProxies);
    });
    MainWindow window(host);
    window.setInteractive(!headless);
    if (!screenshots)
        window.restoreLayout();
    if (screenshots)
        window.resize(1280, 800);

    QString announced;
    QObject::connect(&host, &ServiceHost::stateChanged, &app, [&host, &announced] {
        const QString url = host.apiUrl();
        if (!url.isEmpty() && url != announced)
            QTextStream(stdout) << "oxm-admin serving on " << url << " (database " << host.databasePath() << ")" << Qt::endl;
        announced = url;
    });

    UnixSignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &UnixSignalWatcher::terminationRequested, &app, [&window] { window.close(); });
    QObject::connect(&app, &QApplication::lastWindowClosed, &app, &QCoreApplication::quit);

    window.show();
    std::unique_ptr<AdminStallMeter> stallMeter;
    if (parser.isSet(stallOption))
        stallMeter = std::make_unique<AdminStallMeter>(parser.value(stallOption).toInt());
    std::unique_ptr<AdminScreenshots> shots;
    if (headless) {
        // Nobody can press Start: a failure ends the process.
        if (!host.start())
            return failWith(host.lastError());
        if (screenshots) {
            shots = std::make_unique<AdminScreenshots>(window, host, parser.value(screenshotOption));
            QObject::connect(shots.get(), &AdminScreenshots::finished, &app, &QCoreApplication::exit);
            QTimer::singleShot(0, shots.get(), &AdminScreenshots::start);
        }
    } else {
        // Start once the window is up, so a failure is shown over it and the user can fix the settings.
        QTimer::singleShot(0, &host, [&host] { host.start(); });
    }

    const int code = app.exec();
    if (!screenshots)
        window.saveLayout();
    host.stop();
    return code;
}
