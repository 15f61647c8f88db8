#include "settingsdialog.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace oxm {

namespace {
enum class Browse { Database, File };

QWidget *withBrowse(QLineEdit *edit, QWidget *parent, Browse kind, const QString &title = {})
{
    auto *row = new QWidget(parent);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *browse = new QPushButton(QObject::tr("Browse…"), row);
    layout->addWidget(edit, 1);
    layout->addWidget(browse);
    const bool save = kind == Browse::Database;
    QObject::connect(browse, &QPushButton::clicked, edit, [edit, parent, save, title] {
        QString current = edit->text();
        if (current.startsWith(QLatin1String("sqlite:")))
            current = current.mid(7);
        const QString path = save ? QFileDialog::getSaveFileName(parent, QObject::tr("Database file"), current,
                                                                 QObject::tr("SQLite databases (*.sqlite *.db);;All files (*)"),
                                                                 nullptr, QFileDialog::DontConfirmOverwrite)
                                  : QFileDialog::getOpenFileName(parent, title, current);
        if (!path.isEmpty())
            edit->setText(save ? QStringLiteral("sqlite:") + path : path);
    });
    return row;
}
} // namespace

SettingsDialog::SettingsDialog(const ServerSettings &settings, QWidget *parent)
    : QDialog(parent)
    , m_listen(new QLineEdit(settings.listen, this))
    , m_database(new QLineEdit(settings.database, this))
    , m_redis(new QLineEdit(settings.redis, this))
    , m_secretFile(new QLineEdit(settings.jwtSecretFile, this))
    , m_timeout(new QSpinBox(this))
    , m_threads(new QSpinBox(this))
    , m_tlsCertificate(new QLineEdit(settings.tlsCertificateFile, this))
    , m_tlsKey(new QLineEdit(settings.tlsKeyFile, this))
{
    setWindowTitle(tr("Service settings"));
    m_listen->setPlaceholderText(QStringLiteral("127.0.0.1:8080"));
    m_database->setPlaceholderText(tr("default: oxm.sqlite in your data directory"));
    m_redis->setPlaceholderText(tr("empty: active streams in this process; redis://HOST:PORT shares them"));
    m_secretFile->setPlaceholderText(tr("default: $OXM_JWT_SECRET, else generated beside the database"));
    m_tlsCertificate->setPlaceholderText(tr("empty: plain HTTP; a PEM file: HTTPS only"));
    m_tlsKey->setPlaceholderText(tr("PEM private key (RSA or EC) of the certificate"));
    m_timeout->setRange(1, 86400);
    m_timeout->setSuffix(tr(" s"));
    m_timeout->setValue(settings.streamTimeoutSeconds);
    m_threads->setRange(1, 64);
    m_threads->setValue(settings.threads);

    auto *form = new QFormLayout;
    form->addRow(tr("&Listen on (HOST:PORT):"), m_listen);
    form->addRow(tr("&Database (sqlite:PATH or postgresql://…):"), withBrowse(m_database, this, Browse::Database));
    form->addRow(tr("&Redis (redis://HOST:PORT):"), m_redis);
    form->addRow(tr("Token &secret file:"), withBrowse(m_secretFile, this, Browse::File, tr("Secret file")));
    form->addRow(tr("Stream &timeout:"), m_timeout);
    form->addRow(tr("HTTP &threads:"), m_threads);
    form->addRow(tr("TLS &certificate:"), withBrowse(m_tlsCertificate, this, Browse::File, tr("TLS certificate (PEM)")));
    form->addRow(tr("TLS &key:"), withBrowse(m_tlsKey, this, Browse::File, tr("TLS private key (PEM)")));
    auto *note = new QLabel(tr("These are oxm-server's options (--listen, --database, --redis, --jwt-secret-file, "
                               "--stream-timeout, --threads, --tls-cert, --tls-key). Saving restarts the service with them and remembers "
                               "them for the next runs; options given on the command line override them "
                               "for one run."), this);
    note->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Save and restart"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    // Both TLS files or neither (oxm-server refuses one without the other).
    const auto validate = [this, buttons] {
        const bool tlsPaired = m_tlsCertificate->text().trimmed().isEmpty() == m_tlsKey->text().trimmed().isEmpty();
        buttons->button(QDialogButtonBox::Ok)->setEnabled(m_listen->text().contains(QLatin1Char(':')) && tlsPaired);
    };
    for (QLineEdit *edit : {m_listen, m_tlsCertificate, m_tlsKey})
        connect(edit, &QLineEdit::textChanged, this, validate);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(buttons);
    resize(sizeHint().expandedTo(QSize(fontMetrics().horizontalAdvance(QLatin1Char('m')) * 60, 0)));
}

ServerSettings SettingsDialog::settings() const
{
    ServerSettings s;
    s.listen = m_listen->text().trimmed();
    s.database = m_database->text().trimmed();
    s.redis = m_redis->text().trimmed();
    s.jwtSecretFile = m_secretFile->text().trimmed();
    s.streamTimeoutSeconds = m_timeout->value();
    s.threads = m_threads->value();
    s.tlsCertificateFile = m_tlsCertificate->text().trimmed();
    s.tlsKeyFile = m_tlsKey->text().trimmed();
    return s;
}

} // namespace oxm
