// The ceiling of the stack OXM is built on (issue 6, bench/run.sh): Qt 6.4's QHttpServer with
// nothing behind it. One thread, one route shaped like the heartbeat
// (PUT /oxm/v1/streams/<asset>/streaming) answering 204 No Content without looking at the
// request; every other request gets 404. No token check, no admission, no storage, no front
// door: whatever OXM does per heartbeat comes on top of what this costs.
//
//   qhttpserver204 PORT      listens on 127.0.0.1:PORT until killed (SIGTERM)
#include <QCoreApplication>
#include <QHostAddress>
#include <QHttpServer>
#include <QHttpServerResponse>
#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    bool ok = false;
    const quint16 port = QByteArray(argv[1]).toUShort(&ok);
    if (!ok || port == 0) {
        std::fprintf(stderr, "qhttpserver204: bad port %s\n", argv[1]);
        return 2;
    }
    QHttpServer server;
    server.route("/oxm/v1/streams/<arg>/streaming", QHttpServerRequest::Method::Put, [](const QString &) {
        return QHttpServerResponse(QHttpServerResponder::StatusCode::NoContent);
    });
    if (server.listen(QHostAddress::LocalHost, port) != port) {
        std::fprintf(stderr, "qhttpserver204: cannot listen on 127.0.0.1:%u\n", unsigned(port));
        return 1;
    }
    return app.exec();
}
