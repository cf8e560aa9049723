"""`pip install .` offline into a virtual environment (Debian's python3-venv; build dependencies
from Debian with --no-build-isolation): a wheel with the _cello extension and the `cello` console
script; then `python -m cello run app.py` serves (docs/install.md)."""
from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import support

APP = '''
from cello import App

app = App()

@app.get("/")
def home(request):
    return {"from": "a venv"}
'''


def test_pip_installs_a_wheel_that_serves(tmp_path: Path):
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CELLO_BUILD_DIR")}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", CMAKE_BUILD_PARALLEL_LEVEL="2")
    # --system-site-packages: setuptools and wheel (the build dependencies) are Debian's.
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True, env=env)
    python = venv / "bin" / "python"
    built = subprocess.run([str(python), "-m", "pip", "install", "--no-build-isolation", str(support.REPO)],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]

    files = subprocess.run([str(python), "-m", "pip", "show", "-f", "cello"], env=env, capture_output=True,
                           text=True).stdout
    assert "cello/_cello.cpython-311-x86_64-linux-gnu.so" in files, files
    assert "cello/docs_ui/swagger-ui-bundle.js" in files and "../../../bin/cello" in files, files
    where = subprocess.run([str(python), "-c", "import cello, sys; print(cello.__file__)"], env=env, cwd=tmp_path,
                           capture_output=True, text=True).stdout.strip()
    assert where.startswith(str(venv)), where  # the venv's copy, not the build tree's
    version = subprocess.run([str(venv / "bin" / "cello"), "--version"], env=env, capture_output=True, text=True)
    assert version.stdout.startswith("cello "), version

    app = tmp_path / "app.py"
    app.write_text(textwrap.dedent(APP))
    port = support.free_port()
    reply = support.get_once([str(python), "-m", "cello", "run", str(app), "--host", "127.0.0.1", "--port", str(port)],
                             port, env, tmp_path)
    assert reply.json() == {"from": "a venv"}
