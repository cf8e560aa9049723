"""Cello side of bench/websocket.py: a WebSocket echo route."""
from cello import App

app = App()


@app.websocket("/echo", deflate=False)
async def echo(ws):
    await ws.accept()
    async for message in ws:
        await ws.send_text(message)
