"""Builds nudeguard._native and the C library nudeguard/lib/libnudeguard.so.

The core in native/src is compiled once and linked into both. Metadata is in pyproject.toml.
"""

import fnmatch
import re
import shutil
import sys
import sysconfig
from pathlib import Path

from pybind11.setup_helpers import Pybind11Extension, build_ext
from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.modified import newer_group


def read_version():
    text = Path("pyproject.toml").read_text(encoding="utf-8")
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib.loads(text)["project"]["version"]
    return re.search(r'^version\s*=\s*"([^"]+)"', text, re.M).group(1)


CORE_SOURCES = sorted(
    p.as_posix() for p in Path("native/src").rglob("*.cpp") if p.name != "c_api.cpp"
)
# Per-ISA kernels get their target flags from native/isa_flags.txt (shared with CMake); first
# matching glob wins. NEON is baseline on aarch64, and the x86 sources compile to nothing
# elsewhere. The target is sysconfig's platform, not the machine running setup.py: a cross
# build (.ci/aarch64_sdk.sh) sets it.
ISA_FLAGS_FILE = "native/isa_flags.txt"
X86 = sysconfig.get_platform().rsplit("-", 1)[-1].lower() in {"x86_64", "amd64", "win32", "i386", "i686"}


def read_isa_flags():
    """{glob of a kernel folder's sources: its flags} from ISA_FLAGS_FILE."""
    lines = Path(ISA_FLAGS_FILE).read_text(encoding="utf-8").splitlines()
    rows = [line.split() for line in lines if line.strip() and not line.startswith("#")]
    return {f"native/src/{folder}/*.cpp": flags for folder, *flags in rows}


ISA_FLAGS = read_isa_flags() if X86 else {}
MACROS = [("NUDEGUARD_VERSION", f'"{read_version()}"')]
LIB_NAME = {"darwin": "libnudeguard.dylib", "win32": "nudeguard.dll"}.get(
    sys.platform, "libnudeguard.so"
)
HEADER = "native/include/nudeguard.h"
# An object is rebuilt when its source, a header or the build settings changed: installing an
# extra ('.[test]') after '.' reuses the core compiled in build/ instead of compiling it again.
OBJECT_DEPENDS = sorted(str(p) for p in Path("native").rglob("*.h"))
OBJECT_DEPENDS += ["setup.py", "pyproject.toml", ISA_FLAGS_FILE]
# The bundled classifier and its card live in models/ and ship in nudeguard/models/.
BUNDLED_MODEL_FILES = ["models/open_nsfw_windows_float16.tflite", "models/open_nsfw_windows_float16.json"]


class BuildPy(build_py):
    """Copies the bundled model into the package (into sdk/ for editable installs)."""

    def run(self):
        super().run()
        package = Path("sdk" if self.editable_mode else self.build_lib, "nudeguard", "models")
        package.mkdir(parents=True, exist_ok=True)
        for name in BUNDLED_MODEL_FILES:
            shutil.copy(name, package)


class BuildNative(build_ext):
    """Also builds the C-ABI library and installs it with its header inside the package."""

    def build_extensions(self):
        core = self._compile(CORE_SOURCES)
        self._build_clib(core + self._compile(["native/src/c_api.cpp"]))
        for ext in self.extensions:
            ext.extra_objects = core
        super().build_extensions()

    def _compile(self, sources):
        if self.compiler.compiler_type == "msvc":
            base = ["/std:c++17", "/O2", "/EHsc"]
        else:
            # No FMA contraction: SIMD kernel sets must match the scalar reference bit for bit.
            base = ["-std=c++17", "-O3", "-fvisibility=hidden", "-ffp-contract=off", "-Wall", "-Wextra"]
            base += [] if self.debug else ["-g0"]
        objects = []
        for source in sources:
            (target,) = self.compiler.object_filenames([source], output_dir=self.build_temp)
            if not (self.force or newer_group([source, *OBJECT_DEPENDS], target)):
                objects.append(target)
                continue
            extra = next((f for g, f in ISA_FLAGS.items() if fnmatch.fnmatch(source, g)), [])
            objects += self.compiler.compile(
                [source],
                output_dir=self.build_temp,
                macros=MACROS,
                include_dirs=["native/include"],
                extra_postargs=base + extra,
                debug=self.debug,
            )
        return objects

    def _build_clib(self, objects):
        package = Path(self.build_lib, "nudeguard")
        link_args = []
        if sys.platform.startswith("linux"):
            link_args.append("-Wl,--version-script=native/nudeguard.map")
        self.compiler.link_shared_object(
            objects,
            str(package / "lib" / LIB_NAME),
            extra_postargs=link_args,
            target_lang="c++",
            debug=self.debug,
        )
        (package / "include").mkdir(parents=True, exist_ok=True)
        shutil.copy(HEADER, package / "include")

    def copy_extensions_to_source(self):
        # Editable installs import from sdk/, so the library and header must land there too.
        super().copy_extensions_to_source()
        package = Path(self.get_finalized_command("build_py").get_package_dir("nudeguard"))
        for rel in (Path("lib", LIB_NAME), Path("include", "nudeguard.h")):
            (package / rel.parent).mkdir(exist_ok=True)
            shutil.copy(Path(self.build_lib, "nudeguard", rel), package / rel)


# Packages (package-dir "sdk") and package data are declared in pyproject.toml.
setup(
    ext_modules=[
        Pybind11Extension(
            "nudeguard._native",
            ["native/python/bindings.cpp"],
            depends=sorted(str(p) for p in Path("native").rglob("*.[ch]*")),
            cxx_std=17,
            extra_compile_args=["-O3"] if sys.platform != "win32" else [],
        )
    ],
    cmdclass={"build_ext": BuildNative, "build_py": BuildPy},
)
