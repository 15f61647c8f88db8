# CPack: two Debian packages, oxm-server (component "server") and oxm-admin (component "admin").
# Built by scripts/package.sh (configure with -DCMAKE_INSTALL_PREFIX=/usr, then cpack -G DEB);
# docs/packages.md says what goes where. Included last from the top-level CMakeLists.txt.

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "oxm")
set(CPACK_PACKAGE_VENDOR "OXM")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "OXM maintainers <oxm@example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
# Stage with DESTDIR, so absolute destinations (/etc/oxm, /lib/systemd/system) land in the package,
# never on the building machine.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON) # RelWithDebInfo build, stripped programs in the package

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server)
if(TARGET oxm-admin)
    list(APPEND CPACK_COMPONENTS_ALL admin)
endif()

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # oxm-server_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.org/oxm")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)             # dpkg-shlibdeps: the Qt runtime libraries
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON) # maintainer scripts 0755, conffiles 0644

# oxm-server: the headless service with its unit, system user and /etc/oxm.
set(CPACK_DEBIAN_SERVER_PACKAGE_NAME "oxm-server")
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION "net")
# The SQLite driver is a Qt plugin, loaded at run time: dpkg-shlibdeps cannot see it.
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "libqt6sql6-sqlite, adduser")
# The first line is the Debian synopsis (no CPACK_PACKAGE_DESCRIPTION_SUMMARY is set).
set(CPACK_COMPONENT_SERVER_DESCRIPTION "OXM experience API server (headless)
Enforces per-tenant stream concurrency limits and keeps resume points and
watchlists behind a JWT-authenticated REST API on SQLite. Runs as the system
user oxm under the sandboxed systemd unit oxm-server.service; configuration
in /etc/oxm/oxm.conf, data in /var/lib/oxm.")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    "${CMAKE_CURRENT_LIST_DIR}/debian/server/conffiles;${CMAKE_CURRENT_LIST_DIR}/debian/server/postinst;${CMAKE_CURRENT_LIST_DIR}/debian/server/prerm;${CMAKE_CURRENT_LIST_DIR}/debian/server/postrm")

# oxm-admin: the desktop app (the same service with a Qt Widgets window).
set(CPACK_DEBIAN_ADMIN_PACKAGE_NAME "oxm-admin")
set(CPACK_DEBIAN_ADMIN_PACKAGE_SECTION "net")
# Platform plugins (xcb, wayland) and the SQLite driver are plugins: not found by dpkg-shlibdeps.
set(CPACK_DEBIAN_ADMIN_PACKAGE_DEPENDS "libqt6sql6-sqlite, qt6-qpa-plugins")
set(CPACK_DEBIAN_ADMIN_PACKAGE_RECOMMENDS "hicolor-icon-theme")
set(CPACK_COMPONENT_ADMIN_DESCRIPTION "OXM administration desktop app
A Qt desktop application hosting the OXM experience API with a live view of
active streams, tenants and their concurrency policies.")

include(CPack)
