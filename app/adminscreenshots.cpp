#include "adminscreenshots.h"

#include "auth/tokenverifier.h"
#include "catalogscreen.h"
#include "livescreen.h"
#include "livestreamsmodel.h"
#include "mainwindow.h"
#include "oxmservice.h"
#include "policiesscreen.h"
#include "policyeditor.h"
#include "serverscreen.h"
#include "servicehost.h"
#include "settingsdialog.h"
#include "streamsfilterproxy.h"
#include "subscribersscreen.h"
#include "tokensscreen.h"
#include "requestlogmodel.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QNetworkReply>
#include <QSpinBox>
#include <QTableView>
#include <QTextStream>
#include <QTimer>
#include <QUrl>

namespace oxm {

AdminScreenshots::AdminScreenshots(MainWindow &window, ServiceHost &host, QString directory, QObject *parent)
    : QObject(parent)
    , m_window(window)
    , m_host(host)
    , m_directory(std::move(directory))
{
}

QByteArray AdminScreenshots::token(const QString &tenant, const QString &user, bool admin) const
{
    return m_host.service()->tokenIssuer().issue(tenant, user, admin ? Principal::Role::Admin : Principal::Role::Subscriber,
                                                 {}, 3600);
}

void AdminScreenshots::send(const QByteArray &method, const QString &target, const QByteArray &token, const QByteArray &body)
{
    const QUrl url = QUrl::fromEncoded("http://127.0.0.1:" + QByteArray::number(m_host.port()) + "/oxm/v1" + target.toUtf8());
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", "Bearer " + token);
    if (!body.isEmpty())
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    ++m_inFlight;
    ++m_requests;
    QNetworkReply *reply = m_network.sendCustomRequest(request, method, body);
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        ++m_statuses[reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt()];
        reply->deleteLater();
        --m_inFlight;
    });
}

void AdminScreenshots::heartbeat(const QByteArray &token, const QString &asset, const QString &device, int progress)
{
    send("PUT", QStringLiteral("/streams/%1/streaming?device=%2&progress=%3")
                    .arg(QString::fromLatin1(QUrl::toPercentEncoding(asset)),
                         QString::fromLatin1(QUrl::toPercentEncoding(device)))
                    .arg(progress),
         token);
}

void AdminScreenshots::then(int delayMs, std::function<void()> action)
{
    m_steps.append({delayMs, std::move(action)});
}

void AdminScreenshots::next()
{
    if (m_inFlight > 0) {
        QTimer::singleShot(20, this, &AdminScreenshots::next);
        return;
    }
    if (m_steps.isEmpty())
        return;
    auto [delay, action] = m_steps.takeFirst();
    QTimer::singleShot(delay, this, [this, action = std::move(action)] {
        action();
        next();
    });
}

void AdminScreenshots::start()
{
    if (!m_host.isListening() || !QDir().mkpath(m_directory)) {
        QTextStream(stderr) << "oxm-admin: cannot take screenshots (service not listening or "
                            << m_directory << " not writable)" << Qt::endl;
        Q_EMIT finished(1);
        return;
    }
    m_window.liveScreen()->windowBox()->setCurrentIndex(0); // the last minute
    script();
    next();
}

void AdminScreenshots::script()
{
    const QByteArray acmeAdmin = token(QStringLiteral("acme"), QStringLiteral("ops"), true);
    const QByteArray globexAdmin = token(QStringLiteral("globex"), QStringLiteral("ops"), true);
    const QByteArray initechAdmin = token(QStringLiteral("initech"), QStringLiteral("ops"), true);
    const QByteArray alice = token(QStringLiteral("acme"), QStringLiteral("alice"));
    const QByteArray bob = token(QStringLiteral("acme"), QStringLiteral("bob"));
    const QByteArray carol = token(QStringLiteral("acme"), QStringLiteral("carol"));
    const QByteArray dave = token(QStringLiteral("globex"), QStringLiteral("dave"));
    const QByteArray erin = token(QStringLiteral("initech"), QStringLiteral("erin"));
    const QByteArray frank = token(QStringLiteral("initech"), QStringLiteral("frank"));

    // Tenants and policies, over the API as a tenant admin would.
    then(0, [=, this] {
        send("PUT", QStringLiteral("/streampolicy/acme"), acmeAdmin, R"({"maxPerUser":3,"maxPerAsset":1,"maxDevices":2})");
        send("PUT", QStringLiteral("/streampolicy/globex"), globexAdmin, R"({"maxPerUser":2,"maxPerAsset":1,"maxDevices":0})");
        send("PUT", QStringLiteral("/streampolicy/initech"), initechAdmin, R"({"maxPerUser":0,"maxPerAsset":0,"maxDevices":0})");
    });
    // The demo catalog, imported the way the Catalog screen does it.
    then(0, [this] {
        const QString path = QDir(m_directory).filePath(QStringLiteral(".demo-catalog.json"));
        QFile::remove(path);
        QFile::copy(QStringLiteral(":/oxm/demo-catalog.json"), path);
        QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        connect(m_window.catalogScreen(), &CatalogScreen::importFinished, this, [path] { QFile::remove(path); },
                Qt::SingleShotConnection);
        m_window.catalogScreen()->importFile(path);
    });
    then(300, [=, this] {
        for (const char *asset : {"harbour-lights", "red-canyon", "paris-1920", "orbit-kids", "trailer-2025"})
            send("PUT", QStringLiteral("/towatch/%1").arg(QLatin1String(asset)), alice);
        for (const char *asset : {"silent-frequency", "kitchen-rules"})
            send("PUT", QStringLiteral("/towatch/%1").arg(QLatin1String(asset)), bob);
        send("PUT", QStringLiteral("/streams/deep-blue-atlas/stopped?device=tv&progress=3725"), alice);
        send("PUT", QStringLiteral("/streams/c56f185963ea17987c910834e0a575a6/stopped?device=tv&progress=5410"), alice);
    });
    // Heartbeats, spread out so the timeline shows streams starting.
    then(1500, [=, this] {
        heartbeat(alice, QStringLiteral("harbour-lights"), QStringLiteral("living-room-tv"), 1260);
        heartbeat(erin, QStringLiteral("match-day-live"), QStringLiteral("tv"), 60);
    });
    then(5000, [=, this] {
        heartbeat(alice, QStringLiteral("red-canyon"), QStringLiteral("phone"), 300);
        heartbeat(bob, QStringLiteral("silent-frequency"), QStringLiteral("tv"), 2400);
        heartbeat(dave, QStringLiteral("kitchen-rules"), QStringLiteral("tv"), 90);
    });
    then(5000, [=, this] {
        heartbeat(frank, QStringLiteral("match-day-live"), QStringLiteral("phone"), 30);
        heartbeat(frank, QStringLiteral("match-day-live"), QStringLiteral("tablet"), 30);
        heartbeat(dave, QStringLiteral("orbit-kids"), QStringLiteral("tablet"), 600);
        heartbeat(carol, QStringLiteral("la-casa-del-lago"), QStringLiteral("laptop"), 4100);
    });
    then(5000, [=, this] {
        heartbeat(alice, QStringLiteral("orbit-kids"), QStringLiteral("tablet"), 0);         // 1052: maxDevices 2
        heartbeat(bob, QStringLiteral("silent-frequency"), QStringLiteral("laptop"), 0);     // 1051: maxPerAsset 1
        heartbeat(dave, QStringLiteral("red-canyon"), QStringLiteral("phone"), 0);           // 1050: maxPerUser 2
        heartbeat(erin, QStringLiteral("match-day-live"), QStringLiteral("phone"), 75);
    });
    then(5000, [=, this] {
        heartbeat(alice, QStringLiteral("harbour-lights"), QStringLiteral("living-room-tv"), 1290);
        heartbeat(bob, QStringLiteral("silent-frequency"), QStringLiteral("tv"), 2430);
        heartbeat(carol, QStringLiteral("la-casa-del-lago"), QStringLiteral("laptop"), 4130);
        heartbeat(dave, QStringLiteral("red-canyon"), QStringLiteral("phone"), 0);           // 1050 again
    });
    // The admin ends carol's stream on the Live screen; her player's next heartbeat is refused.
    then(2000, [this] {
        LiveScreen *live = m_window.liveScreen();
        live->refresh();
        const QAbstractItemModel *model = live->streamsView()->model();
        for (int row = 0; row < model->rowCount(); ++row) {
            if (model->index(row, LiveStreamsModel::UserColumn).data().toString() == QLatin1String("carol")) {
                live->streamsView()->selectRow(row);
                live->endSelectedStream();
                break;
            }
        }
    });
    then(1000, [=, this] {
        heartbeat(carol, QStringLiteral("la-casa-del-lago"), QStringLiteral("laptop"), 4160); // 1053
        heartbeat(alice, QStringLiteral("harbour-lights"), QStringLiteral("living-room-tv"), 1320);
        send("GET", QStringLiteral("/streams/history"), alice);
        send("GET", QStringLiteral("/towatch?full=true"), alice);
        send("GET", QStringLiteral("/streampolicy/acme"), alice);
    });
    then(4000, [=, this] {
        // frank's tablet stops: initech drops by one.
        send("PUT", QStringLiteral("/streams/match-day-live/stopped?device=tablet&progress=95"), frank);
    });
    then(4000, [this] { capture(); });
}

void AdminScreenshots::capture()
{
    MainWindow &w = m_window;
    // Live: select a stream so the selection and the End stream action show.
    LiveScreen *live = w.liveScreen();
    live->refresh();
    const QAbstractItemModel *streams = live->streamsView()->model();
    for (int row = 0; row < streams->rowCount(); ++row)
        if (streams->index(row, LiveStreamsModel::UserColumn).data().toString() == QLatin1String("alice")) {
            live->streamsView()->selectRow(row);
            break;
        }
    // Policies: acme selected, an edit that breaks rule 1105 to show the inline validation.
    w.policiesScreen()->selectTenant(QStringLiteral("acme"));
    w.policiesScreen()->editor()->maxPerUserBox()->setValue(2);
    w.policiesScreen()->editor()->maxPerAssetBox()->setValue(3);
    w.subscribersScreen()->lookUp(QStringLiteral("acme"), QStringLiteral("alice"));
    w.catalogScreen()->refresh();
    w.tokensScreen()->setFields(QStringLiteral("acme"), QStringLiteral("alice"), false, QStringLiteral("living-room-tv"), 60,
                                QStringLiteral("harbour-lights"));
    w.tokensScreen()->mint();
    w.serverScreen()->logModel()->flush();

    // Let the background loads finish, then render each screen.
    QTimer::singleShot(800, this, [this] {
        int written = 0;
        for (int i = 0; i < MainWindow::ScreenCount; ++i) {
            m_window.showScreen(i);
            QCoreApplication::processEvents();
            const QString path = QDir(m_directory).filePath(QStringLiteral("%1-%2.png").arg(i + 1).arg(MainWindow::screenName(i)));
            if (m_window.grab().save(path))
                ++written;
            else
                QTextStream(stderr) << "oxm-admin: cannot write " << path << Qt::endl;
        }
        // The service settings dialog, with HTTPS set up (its TLS rows).
        {
            ServerSettings example = m_host.settings();
            example.tlsCertificateFile = QStringLiteral("/etc/oxm/tls/cert.pem");
            example.tlsKeyFile = QStringLiteral("/etc/oxm/tls/key.pem");
            SettingsDialog dialog(example, &m_window);
            dialog.show();
            QCoreApplication::processEvents();
            const QString path = QDir(m_directory).filePath(QStringLiteral("%1-settings.png").arg(MainWindow::ScreenCount + 1));
            if (dialog.grab().save(path))
                ++written;
        }
        QTextStream out(stdout);
        out << "oxm-admin: wrote " << written << " screenshots to " << m_directory << " after " << m_requests
            << " requests (";
        QList<int> codes = m_statuses.keys();
        std::sort(codes.begin(), codes.end());
        for (int code : codes)
            out << code << "×" << m_statuses.value(code) << (code == codes.last() ? "" : ", ");
        out << ")" << Qt::endl;
        Q_EMIT finished(written == MainWindow::ScreenCount + 1 ? 0 : 1);
    });
}

} // namespace oxm
