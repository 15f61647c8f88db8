# Build time only: precompiled Qt headers for the C++ targets of the sanitizer trees.
# scripts/ci-sanitizers.sh passes -DCMAKE_PROJECT_INCLUDE=<this file>; nothing else uses it.
# About two thirds of a sanitizer build's compile time is spent parsing the same Qt headers in
# every translation unit; a precompiled header per target saves most of it. Source files still
# include what they use (the normal build, without this file, checks that).
if(NOT CMAKE_CURRENT_SOURCE_DIR STREQUAL CMAKE_SOURCE_DIR)
    return()
endif()

function(oxm_san_collect_targets dir out)
    get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
    get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
    foreach(sub IN LISTS subdirs)
        oxm_san_collect_targets("${sub}" more)
        list(APPEND targets ${more})
    endforeach()
    set(${out} ${targets} PARENT_SCOPE)
endfunction()

function(oxm_san_precompile)
    set(core <QObject> <QString> <QByteArray> <QList> <QHash> <QMap> <QVariant> <QDateTime>
             <QJsonDocument> <QJsonObject> <QJsonArray> <QTimer> <QMutex> <QPointer>
             <functional> <memory> <optional> <vector>)
    oxm_san_collect_targets("${CMAKE_SOURCE_DIR}" targets)
    set(test_pch "")
    foreach(target IN LISTS targets)
        get_target_property(type ${target} TYPE)
        if(NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|OBJECT_LIBRARY)$")
            continue()
        endif()
        get_target_property(sources ${target} SOURCES)
        list(FILTER sources INCLUDE REGEX "\\.cpp$")
        if(NOT sources)
            continue()
        endif()
        get_target_property(source_dir ${target} SOURCE_DIR)
        get_target_property(libs ${target} LINK_LIBRARIES)
        if(target MATCHES "^tst_" AND source_dir STREQUAL "${CMAKE_SOURCE_DIR}/tests"
           AND NOT "oxm_ui" IN_LIST libs)
            # The suites in tests/ (not the GUI ones) share their flags and libraries: one header
            # for all of them.
            if(test_pch)
                target_precompile_headers(${target} REUSE_FROM ${test_pch})
            else()
                set(test_pch ${target})
                target_precompile_headers(${target} PRIVATE ${core} <QTest> <QTcpSocket> <QSignalSpy>)
            endif()
        else()
            target_precompile_headers(${target} PRIVATE ${core})
        endif()
    endforeach()
endfunction()

cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL oxm_san_precompile)
