# The prebuilt addon's toolchain: zig's clang, its libc++ linked statically, and glibc's symbols
# as of ENSEMBLE_ZIG_TARGET's version (e.g. x86_64-linux-gnu.2.28, aarch64-linux-gnu.2.28), so the
# binary loads on every glibc from that version on, whatever glibc and GCC build it.
# scripts/build-native.mjs passes the target and ZIG (the zig binary) in the environment.
set(ENSEMBLE_ZIG_TARGET "$ENV{ENSEMBLE_ZIG_TARGET}")
if(NOT ENSEMBLE_ZIG_TARGET)
  message(FATAL_ERROR "zig.toolchain.cmake: set ENSEMBLE_ZIG_TARGET (e.g. x86_64-linux-gnu.2.28)")
endif()
string(REGEX MATCH "^[^-]+" ENSEMBLE_ZIG_ARCH "${ENSEMBLE_ZIG_TARGET}")

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${ENSEMBLE_ZIG_ARCH})
set(CMAKE_C_COMPILER "${CMAKE_CURRENT_LIST_DIR}/zig/cc")
set(CMAKE_CXX_COMPILER "${CMAKE_CURRENT_LIST_DIR}/zig/c++")
set(CMAKE_AR "${CMAKE_CURRENT_LIST_DIR}/zig/ar" CACHE FILEPATH "" FORCE)
set(CMAKE_RANLIB "${CMAKE_CURRENT_LIST_DIR}/zig/ranlib" CACHE FILEPATH "" FORCE)
# Passed as -target on every compile and link (zig reads the glibc version from it).
set(CMAKE_C_COMPILER_TARGET ${ENSEMBLE_ZIG_TARGET})
set(CMAKE_CXX_COMPILER_TARGET ${ENSEMBLE_ZIG_TARGET})

# Stripped: the file the tests load is the file that ships.
set(ENSEMBLE_ZIG_LINK_FLAGS "-s")
if(ENSEMBLE_ZIG_ARCH STREQUAL "aarch64")
  # On aarch64 libc++ needs a few quad-float and 128-bit helpers (long double is binary128).
  # Taken from zig's compiler_rt, they bring its whole object, whose weak exp, expf, logf,
  # memcpy... then win over glibc's: the engine's links would no longer match the libraries'
  # bit for bit (they call glibc's libm), and every booster would fail the load-time self-check.
  # GCC's libgcc.a (Debian: libgcc-12-dev-arm64-cross) has those helpers and nothing else.
  find_file(ENSEMBLE_AARCH64_LIBGCC libgcc.a
    PATHS /usr/lib/gcc-cross/aarch64-linux-gnu/12 /usr/lib/gcc/aarch64-linux-gnu/12
          /usr/lib/gcc-cross/aarch64-linux-gnu/13 /usr/lib/gcc/aarch64-linux-gnu/13
    NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
  if(NOT ENSEMBLE_AARCH64_LIBGCC)
    message(FATAL_ERROR "the aarch64 prebuild links GCC's libgcc.a for libc++'s helpers: "
                        "apt-get install libgcc-12-dev-arm64-cross (docs/prebuilds.md)")
  endif()
  string(APPEND ENSEMBLE_ZIG_LINK_FLAGS " ${ENSEMBLE_AARCH64_LIBGCC}")
endif()
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${ENSEMBLE_ZIG_LINK_FLAGS}")
