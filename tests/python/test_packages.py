"""The packages (installer/, docs/install.md): `cpack -G DEB` builds cello and cello-studio .debs,
which dpkg installs into a scratch root and removes again; everything is then checked from the
installed files alone. `cpack -G TGZ` builds a tarball that works wherever it is unpacked."""
from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import textwrap
from pathlib import Path

import pytest

import support

BUILD = Path(os.environ.get("CELLO_BUILD_DIR", support.REPO / "build")).resolve()
VERSION = subprocess.run([str(BUILD / "cello"), "--version"], capture_output=True, text=True).stdout.split()[1]

pytestmark = pytest.mark.skipif(shutil.which("dpkg") is None or shutil.which("cpack") is None,
                                reason="dpkg and cpack are Debian's (this suite runs on Debian 12)")

APP = '''
from cello import App

app = App()

@app.get("/")
def home(request):
    return {"installed": True}

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(__import__("os").environ["PORT"]))
'''


def cpack(generator: str, out: Path) -> list[Path]:
    done = subprocess.run(["cpack", "-G", generator, "-B", str(out)], cwd=BUILD, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return sorted(p for p in out.iterdir() if p.is_file() and p.name.endswith((".deb", ".tar.gz")))


def serve(cmd: list[str], env: dict[str, str], cwd: Path) -> dict:
    """Starts `cmd` (an app on a free port), GETs /, stops it; the answer's JSON."""
    port = support.free_port()
    cmd = cmd + (["--port", str(port)] if "run" in cmd else [])
    return support.get_once(cmd, port, {**env, "PORT": str(port)}, cwd).json()


def test_debs_install_into_a_root_and_work_from_the_installed_files_alone(tmp_path: Path):
    debs = [p for p in cpack("DEB", tmp_path / "out") if p.suffix == ".deb"]
    names = sorted(p.name for p in debs)
    assert names == [f"cello-studio_{VERSION}_amd64.deb", f"cello_{VERSION}_amd64.deb"], names
    studio_deb = next(p for p in debs if p.name.startswith("cello-studio"))
    depends = subprocess.run(["dpkg-deb", "-f", str(studio_deb), "Depends"], capture_output=True, text=True).stdout
    assert f"cello (= {VERSION})" in depends and "libqt6widgets6" in depends and "libqt6svg6" in depends

    # Debian's checks: lintian finds no error (its warnings, if any, are in the note), the desktop
    # entry and the AppStream metadata validate.
    lint = subprocess.run(["lintian", "--tag-display-limit", "0", *map(str, debs)], capture_output=True, text=True)
    errors = [line for line in lint.stdout.splitlines() if line.startswith("E:")]
    assert not errors, lint.stdout
    resources = support.REPO / "resources"
    for check in (["desktop-file-validate", str(resources / "cello-studio.desktop")],
                  ["appstreamcli", "validate", "--no-net", "--pedantic",
                   str(resources / "io.github.cello_web.studio.metainfo.xml")]):
        done = subprocess.run(check, capture_output=True, text=True)
        assert done.returncode == 0 and "W:" not in done.stdout and "E:" not in done.stdout, done.stdout + done.stderr

    root = tmp_path / "root"
    for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers"):
        (root / d).mkdir(parents=True)
    (root / "var/lib/dpkg/status").touch()
    # Into a scratch root: its dependencies (python3, Qt...) are this machine's, not the root's.
    dpkg = ["dpkg", f"--root={root}", "--force-depends", "--force-not-root", "--log=/dev/null"]
    installed = subprocess.run(dpkg + ["-i", *map(str, debs)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    usr = root / "usr"
    site = usr / "lib/python3/dist-packages"
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CELLO_BUILD_DIR")}
    version = subprocess.run([str(usr / "bin/cello"), "--version"], capture_output=True, text=True, env=clean_env)
    assert version.stdout.startswith(f"cello {VERSION}"), version
    imported = subprocess.run(["/usr/bin/python3", "-c", "import cello; print(cello.__file__)"], capture_output=True,
                              text=True, env={**clean_env, "PYTHONPATH": str(site)})
    assert imported.stdout.strip() == str(site / "cello/__init__.py"), imported
    app = tmp_path / "app.py"
    app.write_text(textwrap.dedent(APP))
    assert serve([str(usr / "bin/cello"), "run", str(app), "--host", "127.0.0.1"], clean_env, tmp_path) == {
        "installed": True}
    assert serve(["/usr/bin/python3", str(app)], {**clean_env, "PYTHONPATH": str(site)}, tmp_path) == {
        "installed": True}
    studio = subprocess.run([str(usr / "bin/cello-studio"), "--version"], capture_output=True, text=True,
                            env={**clean_env, "QT_QPA_PLATFORM": "offscreen"})
    assert studio.stdout.strip() == f"cello-studio {VERSION}", studio
    for path in ("share/applications/cello-studio.desktop", "share/icons/hicolor/scalable/apps/cello-studio.svg",
                 "share/icons/hicolor/48x48/apps/cello-studio.png", "share/icons/hicolor/256x256/apps/cello-studio.png",
                 "share/metainfo/io.github.cello_web.studio.metainfo.xml", "share/man/man1/cello.1.gz",
                 "share/doc/cello/copyright", "share/doc/cello-studio/changelog.gz",
                 "lib/python3/dist-packages/cello/docs_ui/swagger-ui-bundle.js"):
        assert (usr / path).is_file(), path
    assert (usr / "share/icons/hicolor/48x48/apps/cello-studio.png").read_bytes()[:4] == b"\x89PNG"

    removed = subprocess.run(dpkg + ["-r", "cello-studio", "cello"], capture_output=True, text=True)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not (usr / "bin/cello").exists() and not (site / "cello").exists()


def test_the_tarball_works_wherever_it_is_unpacked(tmp_path: Path):
    tarballs = [p for p in cpack("TGZ", tmp_path / "out") if p.name.endswith(".tar.gz")]
    assert len(tarballs) == 1
    with tarfile.open(tarballs[0]) as t:
        t.extractall(tmp_path / "somewhere")  # (our own tarball; Python 3.11.2 has no extraction filters)
    top = next((tmp_path / "somewhere").iterdir())
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CELLO_BUILD_DIR")}
    version = subprocess.run([str(top / "bin/cello"), "--version"], capture_output=True, text=True, env=clean_env)
    assert version.stdout.startswith(f"cello {VERSION}"), version
    app = tmp_path / "app.py"
    app.write_text(textwrap.dedent(APP))
    assert serve([str(top / "bin/cello"), "run", str(app), "--host", "127.0.0.1"], clean_env, tmp_path) == {
        "installed": True}
