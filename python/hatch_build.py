"""Hatchling build hook: put the built extension into the wheel and tag it for this platform.

The extension file comes from $CLAUDE_USAGE_EXTENSION (default build/release/...; `make wheel`
builds it first). The wheel is not pure Python: its tag is py3-none-<platform>, any Python
(the extension talks to DuckDB's C API, not to Python's) on this platform. The platform is
$CLAUDE_USAGE_WHEEL_PLATFORM when set, else manylinux_2_<N>_<arch> where 2.<N> is the newest
glibc symbol version the extension needs (`make wheel` confirms it with `auditwheel show`),
else linux_<arch> when no glibc version is found.
"""

import os
import platform
import re

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def glibc_platform(ext: str) -> str:
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    with open(ext, "rb") as f:
        data = f.read()
    minors = [int(m) for m in re.findall(rb"GLIBC_2\.(\d+)", data)]
    if not minors:
        return f"linux_{arch}"
    return f"manylinux_2_{max(minors)}_{arch}"


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        if self.target_name != "wheel":
            return
        ext = os.environ.get("CLAUDE_USAGE_EXTENSION") or os.path.join(
            self.root, "build", "release", "claude_usage.duckdb_extension"
        )
        if not os.path.isfile(ext):
            raise RuntimeError(f"no extension at {ext}: run `make release` (or `make wheel`) first")
        plat = os.environ.get("CLAUDE_USAGE_WHEEL_PLATFORM") or glibc_platform(ext)
        build_data["pure_python"] = False
        build_data["tag"] = f"py3-none-{plat}"
        build_data["force_include"][ext] = "claude_usage/claude_usage.duckdb_extension"
