# Install rules: libauralith (static and shared), the public headers, alctl and a relocatable
# pkg-config file. Included at the end of the root CMakeLists.txt.
#
#   cmake --install build --prefix /opt/auralith
#   export PKG_CONFIG_PATH=/opt/auralith/lib/pkgconfig
#   cc my_tool.c $(pkg-config --cflags --libs auralith)
#
# Only include/auralith/*.h is installed: the public headers include nothing of src/
# (al_err and the log level live in auralith/error.h; src/common/al.h includes it).
include(GNUInstallDirs)

# the archives whose only global symbols are the public al_ functions (public/, see
# al_public_archive in CMakeLists.txt); the plain ones are for in-tree programs
install(FILES ${AL_PUBLIC_ARCHIVE} DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS auralith_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development)
# The media codec module goes next to libauralith.so, where src/media/med_module.c looks.
install(TARGETS auralith_media LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
# the client alone (include/auralith/client.h; pkg-config auralith-client)
install(FILES ${AL_CLIENT_PUBLIC_ARCHIVE} DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS auralith_client_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development)
if(TARGET alctl)
  install(TARGETS alctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/auralith
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")

# The .pc file locates the prefix relative to itself (${pcfiledir}), so it stays right
# for `cmake --install --prefix` (chosen at install time) and for moved trees.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(AL_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(AL_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  string(REGEX REPLACE "[^/]+" ".." _al_up "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
  set(AL_PC_PREFIX "\${pcfiledir}/${_al_up}")
  set(AL_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(AL_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(AL_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/auralith.pc.in ${PROJECT_BINARY_DIR}/auralith.pc @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/auralith-client.pc.in ${PROJECT_BINARY_DIR}/auralith-client.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/auralith.pc ${PROJECT_BINARY_DIR}/auralith-client.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
