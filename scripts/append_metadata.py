#!/usr/bin/env python3
"""Append DuckDB's extension metadata footer to a shared library.

    append_metadata.py LIB OUT --capi v1.5.6 --version 0.1.0 [--platform linux_amd64]

DuckDB refuses a loadable extension without it. Layout: a WebAssembly-style custom section
header (00 93 04 10 'duckdb_signature' 80 04), then eight 32-byte NUL-padded ASCII fields
written last field first (three empty, ABI type, extension version, C API version, platform,
magic '4'), then a 256-byte signature, all zero for an unsigned build.
"""
import argparse
import platform
import shutil


def default_platform() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    system = platform.system().lower()
    return f"{'osx' if system == 'darwin' else system}_{arch}"


def field(text: str) -> bytes:
    raw = text.encode("ascii")
    if len(raw) > 32:
        raise SystemExit(f"metadata field too long: {text!r}")
    return raw.ljust(32, b"\0")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lib")
    ap.add_argument("out")
    ap.add_argument("--capi", required=True, help="C API version, e.g. v1.5.6")
    ap.add_argument("--version", required=True, help="extension version")
    ap.add_argument("--platform", default=default_platform())
    ap.add_argument("--abi", default="C_STRUCT")
    args = ap.parse_args()

    fields = ["4", args.platform, args.capi, args.version, args.abi, "", "", ""]
    footer = b"\x00\x93\x04\x10" + b"duckdb_signature" + b"\x80\x04"
    footer += b"".join(field(f) for f in reversed(fields))
    footer += b"\0" * 256
    shutil.copyfile(args.lib, args.out)
    with open(args.out, "ab") as f:
        f.write(footer)


if __name__ == "__main__":
    main()
