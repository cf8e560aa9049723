"""Starlette side of bench/websocket.py (uvicorn websocket_starlette:app --ws websockets): an echo."""
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    async for message in websocket.iter_text():
        await websocket.send_text(message)


app = Starlette(routes=[WebSocketRoute("/echo", echo)])
