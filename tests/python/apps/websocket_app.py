"""WebSocket routes for tests/python/test_websocket.py, run as `python3 websocket_app.py --port 0`."""
import asyncio

from cello import App, Blueprint, WebSocketDisconnect

app = App()
events: list[str] = []
progress = {"sent": 0}


@app.get("/ok")
def ok(request):
    return "ok"


@app.get("/events")
def get_events(request):
    return {"events": events, "sent": progress["sent"]}


@app.websocket("/echo")
async def echo(ws):
    await ws.accept()
    try:
        async for message in ws:
            if isinstance(message, str):
                await ws.send_text(message)
            else:
                await ws.send_bytes(message)
        events.append("echo: closed normally")
    except WebSocketDisconnect as e:
        events.append(f"echo: disconnect {e.code}")
        raise


@app.websocket("/rooms/{name}")
async def room(ws):
    await ws.accept(subprotocol="chat.v2" if "chat.v2" in ws.subprotocols else None)
    await ws.send_json({"room": ws.params["name"], "q": ws.query.get("q"), "ua": ws.headers.get("x-test"),
                        "cookie": ws.cookies.get("session"), "subprotocol": ws.subprotocol})
    got = await ws.receive_json()
    await ws.close(4000, f"bye {got['name']}")


@app.websocket("/refuse")
async def refuse(ws):
    await ws.close()


@app.websocket("/forget")
async def forget(ws):
    return None  # never accepts: refused too


@app.websocket("/fail-before")
async def fail_before(ws):
    raise ValueError("before accept")


@app.websocket("/fail-after")
async def fail_after(ws):
    await ws.accept()
    await ws.receive_text()
    raise ValueError("after accept")


@app.websocket("/small", max_message_size=1000)
async def small(ws):
    await ws.accept()
    try:
        while True:
            await ws.send_text(str(len(await ws.receive())))
    except WebSocketDisconnect as e:
        events.append(f"small: disconnect {e.code}")


@app.websocket("/idle", idle_timeout=1)
async def idle(ws):
    await ws.accept()
    try:
        await ws.receive()
    except WebSocketDisconnect as e:
        events.append(f"idle: disconnect {e.code}")


@app.websocket("/flood")
async def flood(ws):
    await ws.accept()
    block = "x" * (1 << 20)
    for _ in range(128):
        await ws.send_text(block)
        progress["sent"] += 1
    await ws.close()


@app.websocket("/watch")
async def watch(ws):
    await ws.accept()
    try:
        await ws.receive()
    except WebSocketDisconnect as e:
        events.append(f"watch: disconnect {e.code} {e.reason}")
    except asyncio.CancelledError:
        events.append("watch: cancelled")
        raise


@app.websocket("/patient")
async def patient(ws):
    """A receive cancelled by a timeout loses no message; a second receiver is refused."""
    await ws.accept()
    try:
        await asyncio.wait_for(ws.receive_text(), 0.2)
    except asyncio.TimeoutError:
        events.append("patient: timed out")
    first = asyncio.ensure_future(ws.receive_text())
    await asyncio.sleep(0)
    try:
        await ws.receive_text()
    except RuntimeError as e:
        events.append(f"patient: {e}")
    await ws.send_text(await first)
    try:
        await ws.close(1006)
    except ValueError as e:
        events.append(f"patient: {e}")
    await ws.close(1000, "é" * 100)


def members_only(request):
    return request.headers.get("x-member") == "yes" or "members only"


@app.websocket("/members", guards=[members_only])
async def members(ws):
    await ws.accept()
    await ws.send_text("welcome")


bp = Blueprint("/bp")


@bp.websocket("/ws/{id:int}")
async def in_blueprint(ws):
    await ws.accept()
    await ws.send_json({"id": ws.params["id"]})
    await ws.close()


app.register_blueprint(bp)

if __name__ == "__main__":
    app.run()
