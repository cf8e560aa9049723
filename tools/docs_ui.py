#!/usr/bin/python3
"""Fetches the API documentation pages' files (Swagger UI, ReDoc) and the OpenAPI 3.1 JSON Schema
from the npm registry, as pinned in third_party/docs-ui/packages.json: each package at its version
with `npm pack`, its integrity (sha512) checked, the listed files unpacked into
third_party/docs-ui/dist/<name>/. Does nothing for a package already unpacked at that version.

    /usr/bin/python3 tools/docs_ui.py        (tools/dev.sh runs it before building)
"""
from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "third_party" / "docs-ui"


def fetch(pkg: dict, dist: Path) -> None:
    target = dist / pkg["name"]
    stamp = target / ".version"
    if stamp.is_file() and stamp.read_text() == pkg["version"]:
        return
    with tempfile.TemporaryDirectory() as tmp:
        spec = f"{pkg['name']}@{pkg['version']}"
        out = subprocess.run(["npm", "pack", spec, "--pack-destination", tmp, "--json"], capture_output=True,
                             text=True, check=False)
        if out.returncode != 0:
            raise SystemExit(f"npm pack {spec} failed:\n{out.stderr}")
        tarball = Path(tmp) / json.loads(out.stdout)[0]["filename"]
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if digest != pkg["integrity"]:
            raise SystemExit(f"{spec}: integrity {digest} is not the pinned {pkg['integrity']}")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with tarfile.open(tarball) as tar:
            for name in pkg["files"]:
                member = tar.getmember(f"package/{name}")
                source = tar.extractfile(member)
                assert source is not None
                dest = target / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(source.read())
    stamp.write_text(pkg["version"])
    print(f"docs_ui: {spec} unpacked into {target}")


def main() -> int:
    manifest = json.loads((HERE / "packages.json").read_text())
    if shutil.which("npm") is None:
        print("docs_ui: npm is not installed: /docs and /redoc will say their files are missing", file=sys.stderr)
        return 0
    for pkg in manifest["packages"]:
        fetch(pkg, HERE / "dist")
    return 0


if __name__ == "__main__":
    sys.exit(main())
