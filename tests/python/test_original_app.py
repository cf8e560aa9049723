"""The original Cello's App and Blueprint spellings (issue: apps written for the original run
unchanged): app.run() from a non-main thread, Blueprint(prefix, name) nested with register(),
@app.route(path, methods=[...]); over real HTTP."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import support
from cello import App, Blueprint
from cello.testing import TestClient

THREADED = '''
import socket, sys, threading, time, urllib.request
from cello import App

app = App()

@app.get("/hi")
def hi(request):
    return {"hi": threading.current_thread() is threading.main_thread()}

s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
# As the original's testing guide does: the server in a daemon thread, the test in the main one.
threading.Thread(target=app.run, kwargs={"host": "127.0.0.1", "port": port}, daemon=True).start()
for _ in range(400):
    try:
        print(urllib.request.urlopen(f"http://127.0.0.1:{port}/hi", timeout=5).read().decode())
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit("the server never answered")
'''


def test_app_run_in_a_daemon_thread(tmp_path):
    script = tmp_path / "threaded.py"
    script.write_text(textwrap.dedent(THREADED))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                          env=support.subprocess_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == '{"hi":false}'  # served, by the engine thread, no "signal only works in main thread"
    assert "signal only works" not in done.stderr


def test_blueprint_name_positional_and_register_nests():
    app = App()
    api = Blueprint("/api", "api")
    v1 = Blueprint("/v1", "v1")

    @v1.get("/users/{id:int}")
    def user(request):
        return {"id": request.params["id"]}

    @api.get("/status")
    def status(request):
        return {"ok": True}

    api.register(v1)
    app.register_blueprint(api)
    assert (api.name, v1.name) == ("api", "v1")
    names = sorted(r.name for r in app.routes)  # qualified by the blueprints' names
    assert names[0].startswith("api.") and names[0].endswith(".status") and "v1" not in names[0]
    assert names[1].startswith("api.v1.") and names[1].endswith(".user")
    with TestClient(app) as c:
        assert c.get("/api/v1/users/7").json() == {"id": 7}
        assert c.get("/api/status").json() == {"ok": True}


def test_route_with_methods():
    app = App()

    @app.route("/items", methods=["GET", "POST"])
    def items(request):
        return {"method": request.method}

    with TestClient(app) as c:
        assert c.get("/items").json() == {"method": "GET"}
        assert c.post("/items", content=b"").json() == {"method": "POST"}
        assert c.put("/items", content=b"").status_code == 405
