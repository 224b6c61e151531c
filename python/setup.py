"""Builds auralith_pipeline._core against libauralith from the project's CMake build.

The extension uses only the public headers (include/auralith/) and links the shared library
libauralith.so.<SOVERSION>, which is copied into the package next to the extension and
found there at run time (rpath $ORIGIN), so an installed package does not depend on
the build tree staying around. The media codec module libauralith_media.so is copied
next to it too (libauralith opens it from there on the first media decode).

    AURALITH_BUILD_DIR   CMake build directory holding libauralith.so (default ../build)
    AURALITH_WERROR=1    compile the extension with -Werror
"""
import os
import shutil

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.abspath(os.environ.get("AURALITH_BUILD_DIR", os.path.join(ROOT, "build")))
SONAME = "libauralith.so.0"
MEDIA_MODULE = "libauralith_media.so"


class BuildExt(build_ext):
    """Checks the library exists, builds, then ships libauralith.so.0 in the package."""

    def run(self):
        lib = os.path.join(BUILD, SONAME)
        if not os.path.exists(lib):
            raise SystemExit(
                f"{lib} not found: build the C library first (scripts/setup.sh, or cmake --build build), "
                "or set AURALITH_BUILD_DIR"
            )
        super().run()
        for ext in self.extensions:
            dest_dir = os.path.dirname(self.get_ext_fullpath(ext.name))
            os.makedirs(dest_dir, exist_ok=True)
            shutil.copyfile(os.path.realpath(lib), os.path.join(dest_dir, SONAME))
            # The media codec module, looked for next to libauralith.so when present.
            media = os.path.join(BUILD, MEDIA_MODULE)
            if os.path.exists(media):
                shutil.copyfile(media, os.path.join(dest_dir, MEDIA_MODULE))


flags = ["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
if os.environ.get("AURALITH_WERROR") == "1":
    flags.append("-Werror")

core = Extension(
    "auralith_pipeline._core",
    sources=[os.path.join("ext", f) for f in
             ("core_module.c", "core_tokenizer.c", "core_client.c", "core_pipeline.c")],
    include_dirs=[os.path.join(ROOT, "include")],
    library_dirs=[BUILD],
    libraries=["auralith"],
    extra_compile_args=flags,
    extra_link_args=["-Wl,-rpath,$ORIGIN", "-pthread"],
    depends=[os.path.join("ext", "core.h")],
)

setup(packages=["auralith_pipeline"], ext_modules=[core], cmdclass={"build_ext": BuildExt}, package_data={"auralith_pipeline": [SONAME, MEDIA_MODULE]})
