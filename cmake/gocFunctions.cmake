# gocFunctions.cmake — .gc sources in CMake targets, for projects that
# find_package(goc).  Included by gocConfig.cmake, which defines
# GOC_EXECUTABLE and goc::goc.
#
#   goc_add_executable(NAME [options of add_executable] SOURCES...)
#   goc_add_library(NAME [STATIC|SHARED|OBJECT|...] SOURCES...)
#       add_executable / add_library, then goc_target_gc_sources(NAME).
#   goc_target_gc_sources(TARGET)
#       for an ordinary target whose sources include .gc files: each .gc is
#       compiled to an object by `goc cc -c` (which translates it and its .gh
#       headers, then runs the project's C compiler on the result) and the
#       object joins the target; the target links goc::goc.  Call it after
#       every .gc source has been added.
#
# A .gc compile uses the target's include directories, compile definitions
# and compile options (its own and those of the libraries it links, as for
# its .c files), CMAKE_C_FLAGS and the flags of the build type, and -fPIC
# where the target needs position-independent code.  Its dependency file
# (from -MD, naming the .gc and its .gh and .h headers) makes an edited
# header rebuild the object (CMake 3.20 or later with Makefiles; any Ninja).
#
# Rejected: translating with `goc translate` to a .c that CMake compiles
# itself — the translation includes the original .gh headers, which only
# goc's mirror of translated headers (goc cc, goc build) gets right; and
# setting CMAKE_C_COMPILER to "goc cc" — that would put every C file of the
# project through goc.

function(goc_target_gc_sources target)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "goc_target_gc_sources: no target ${target}")
  endif()
  if(NOT CMAKE_C_COMPILER_LOADED)
    message(FATAL_ERROR "goc_target_gc_sources: the project must enable the C language")
  endif()
  get_target_property(sources ${target} SOURCES)
  get_target_property(type ${target} TYPE)
  get_target_property(source_dir ${target} SOURCE_DIR)
  get_target_property(binary_dir ${target} BINARY_DIR)

  # The target's compile flags, evaluated when the build system is generated.
  set(inc "$<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>")
  set(def "$<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>")
  set(opt "$<TARGET_PROPERTY:${target},COMPILE_OPTIONS>")
  set(flags "$<$<BOOL:${inc}>:-I$<JOIN:${inc},$<SEMICOLON>-I>>"
            "$<$<BOOL:${def}>:-D$<JOIN:${def},$<SEMICOLON>-D>>" "${opt}")
  separate_arguments(c_flags UNIX_COMMAND "${CMAKE_C_FLAGS}")
  list(APPEND flags ${c_flags})
  foreach(config Debug Release RelWithDebInfo MinSizeRel)
    string(TOUPPER ${config} upper)
    separate_arguments(config_flags UNIX_COMMAND "${CMAKE_C_FLAGS_${upper}}")
    if(config_flags)
      string(REPLACE ";" "$<SEMICOLON>" config_flags "${config_flags}")
      list(APPEND flags "$<$<CONFIG:${config}>:${config_flags}>")
    endif()
  endforeach()
  if(type STREQUAL "SHARED_LIBRARY" OR type STREQUAL "MODULE_LIBRARY")
    list(APPEND flags -fPIC)
  else()
    list(APPEND flags "$<$<BOOL:$<TARGET_PROPERTY:${target},POSITION_INDEPENDENT_CODE>>:-fPIC>")
  endif()

  set(objects "")
  foreach(source ${sources})
    if(NOT source MATCHES "\\.gc$")
      continue()
    endif()
    get_filename_component(path ${source} ABSOLUTE BASE_DIR ${source_dir})
    file(RELATIVE_PATH relative ${source_dir} ${path})
    string(REPLACE "../" "__/" relative "${relative}")
    if(IS_ABSOLUTE "${relative}")
      string(REGEX REPLACE "^/+" "" relative "${relative}")
    endif()
    set(object ${binary_dir}/CMakeFiles/${target}.goc/${relative}.o)
    get_filename_component(object_dir ${object} DIRECTORY)
    file(MAKE_DIRECTORY ${object_dir})
    set(depfile_args "")
    if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.20 OR CMAKE_GENERATOR MATCHES "Ninja")
      set(depfile_args DEPFILE ${object}.d)
    endif()
    add_custom_command(
      OUTPUT ${object}
      COMMAND ${CMAKE_COMMAND} -E env "CC=${CMAKE_C_COMPILER}"
              ${GOC_EXECUTABLE} cc ${flags} -MD -MF ${object}.d -c ${path} -o ${object}
      DEPENDS ${path} ${GOC_EXECUTABLE}
      ${depfile_args}
      COMMENT "Building goc object ${relative}.o"
      COMMAND_EXPAND_LISTS
      VERBATIM)
    set_source_files_properties(${path} PROPERTIES HEADER_FILE_ONLY TRUE)
    list(APPEND objects ${object})
  endforeach()
  if(objects)
    set_source_files_properties(${objects} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
    target_sources(${target} PRIVATE ${objects})
  endif()

  # Through the properties, not target_link_libraries: that would clash with
  # whichever signature (plain or keyword) the project uses for the target.
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C)
  if(type STREQUAL "EXECUTABLE" OR type STREQUAL "SHARED_LIBRARY" OR type STREQUAL "MODULE_LIBRARY")
    set_property(TARGET ${target} APPEND PROPERTY LINK_LIBRARIES goc::goc)
  endif()
  if(NOT type STREQUAL "EXECUTABLE" AND NOT type STREQUAL "MODULE_LIBRARY")
    set_property(TARGET ${target} APPEND PROPERTY INTERFACE_LINK_LIBRARIES goc::goc)
  endif()
endfunction()

function(goc_add_executable name)
  add_executable(${name} ${ARGN})
  goc_target_gc_sources(${name})
endfunction()

function(goc_add_library name)
  add_library(${name} ${ARGN})
  goc_target_gc_sources(${name})
endfunction()
