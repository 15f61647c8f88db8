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
QWidget *withBrowse(QLineEdit *edit, QWidget *parent, bool save)
{
    auto *row = new QWidget(parent);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *browse = new QPushButton(QObject::tr("Browse…"), row);
    layout->addWidget(edit, 1);
    layout->addWidget(browse);
    QObject::connect(browse, &QPushButton::clicked, edit, [edit, parent, save] {
        QString current = edit->text();
        if (current.startsWith(QLatin1String("sqlite:")))
            current = current.mid(7);
        const QString path = save ? QFileDialog::getSaveFileName(parent, QObject::tr("Database file"), current,
                                                                 QObject::tr("SQLite databases (*.sqlite *.db);;All files (*)"),
                                                                 nullptr, QFileDialog::DontConfirmOverwrite)
                                  : QFileDialog::getOpenFileName(parent, QObject::tr("Secret file"), current);
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
    , m_secretFile(new QLineEdit(settings.jwtSecretFile, this))
    , m_timeout(new QSpinBox(this))
    , m_threads(new QSpinBox(this))
{
    setWindowTitle(tr("Service settings"));
    m_listen->setPlaceholderText(QStringLiteral("127.0.0.1:8080"));
    m_database->setPlaceholderText(tr("default: oxm.sqlite in your data directory"));
    m_secretFile->setPlaceholderText(tr("default: $OXM_JWT_SECRET, else generated beside the database"));
    m_timeout->setRange(1, 86400);
    m_timeout->setSuffix(tr(" s"));
    m_timeout->setValue(settings.streamTimeoutSeconds);
    m_threads->setRange(1, 64);
    m_threads->setValue(settings.threads);

    auto *form = new QFormLayout;
    form->addRow(tr("&Listen on (HOST:PORT):"), m_listen);
    form->addRow(tr("&Database (sqlite:PATH):"), withBrowse(m_database, this, true));
    form->addRow(tr("Token &secret file:"), withBrowse(m_secretFile, this, false));
    form->addRow(tr("Stream &timeout:"), m_timeout);
    form->addRow(tr("HTTP &threads:"), m_threads);
    auto *note = new QLabel(tr("These are oxm-server's options (--listen, --database, --jwt-secret-file, "
                               "--stream-timeout, --threads). Saving restarts the service with them and remembers "
                               "them for the next runs; options given on the command line override them "
                               "for one run."), this);
    note->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Save and restart"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_listen, &QLineEdit::textChanged, this, [this, buttons] {
        buttons->button(QDialogButtonBox::Ok)->setEnabled(m_listen->text().contains(QLatin1Char(':')));
    });
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
    s.jwtSecretFile = m_secretFile->text().trimmed();
    s.streamTimeoutSeconds = m_timeout->value();
    s.threads = m_threads->value();
    return s;
}

} // namespace oxm
