"""The benchmark service on FastAPI (run by uvicorn): the same endpoints, bodies and statuses
as the Rust servers.

`async def` routes run on the event loop; `def` routes run in Starlette's thread pool, FastAPI's
counterpart of oxapi's plain `fn` on the blocking pool. FastAPI answers malformed JSON with
422; the handler below makes it 400, as the others do.
"""

import asyncio
import itertools
import threading
import time
from typing import Annotated

from collections.abc import AsyncIterable

from fastapi import FastAPI, HTTPException, Path, Query, Request, Response, WebSocket, WebSocketDisconnect
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.sse import EventSourceResponse
from pydantic import BaseModel, Field

app = FastAPI(title="Hello API")

WORK_SECONDS = 0.05
_ids = itertools.count(1)


class Greeting(BaseModel):
    message: str


class ItemSummary(BaseModel):
    id: int
    name: str


class Page(BaseModel):
    limit: int = Field(10, ge=1, le=100)
    offset: int = Field(0, ge=0)


class NewItem(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    price: float = Field(ge=0)


class Item(BaseModel):
    id: int
    name: str
    price: float


class Done(BaseModel):
    ok: bool


@app.exception_handler(RequestValidationError)
async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    status = 400 if any(e.get("type") == "json_invalid" for e in errors) else 422
    return JSONResponse(status_code=status, content={"detail": jsonable_encoder(errors)})


@app.get("/hello/{name}")
async def hello(name: str) -> Greeting:
    return Greeting(message=f"Hello, {name}!")


@app.get("/sync/hello/{name}")
def sync_hello(name: str, response: Response) -> Greeting:
    response.headers["x-thread"] = threading.current_thread().name
    return Greeting(message=f"Hello, {name}!")


@app.get("/items/{id}")
async def read_item(id: Annotated[int, Path(ge=0)]) -> ItemSummary:
    if id == 0:
        raise HTTPException(status_code=404, detail="item 0 does not exist")
    return ItemSummary(id=id, name=f"item {id}")


@app.get("/items")
async def list_items(page: Annotated[Page, Query()]) -> list[ItemSummary]:
    start = page.offset + 1
    return [ItemSummary(id=i, name=f"item {i}") for i in range(start, start + page.limit)]


@app.post("/items", status_code=201)
async def create_item(body: NewItem) -> Item:
    return Item(id=next(_ids), name=body.name, price=body.price)


@app.get("/io")
async def io() -> Done:
    await asyncio.sleep(0.01)
    return Done(ok=True)


@app.get("/work/cpu")
def work_cpu() -> Done:
    """50 ms of this thread's CPU time (it holds the GIL meanwhile, but for switches)."""
    start = time.thread_time()
    x = 0
    while time.thread_time() - start < WORK_SECONDS:
        for i in range(1000):
            x ^= i
    return Done(ok=True)


@app.get("/work/sleep")
def work_sleep() -> Done:
    time.sleep(WORK_SECONDS)
    return Done(ok=True)


class Tick(BaseModel):
    """The event the SSE fan-out sends to every subscriber."""
    seq: int
    subscribers: int


_seq = itertools.count(1)
_subscribers: set[asyncio.Queue] = set()


@app.websocket("/ws/echo")
async def ws_echo(websocket: WebSocket) -> None:
    """Every text message comes back as it was."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


@app.get("/sse/events", response_class=EventSourceResponse)
async def sse_events() -> AsyncIterable[Tick]:
    """Every published tick, as FastAPI's own SSE writes it, until the client leaves."""
    queue: asyncio.Queue = asyncio.Queue(maxsize=64)
    _subscribers.add(queue)
    try:
        while True:
            yield await queue.get()
    finally:
        _subscribers.discard(queue)


@app.post("/sse/publish")
async def sse_publish() -> dict:
    """One tick to every subscriber; answers how many there are."""
    tick = Tick(seq=next(_seq), subscribers=len(_subscribers))
    for queue in _subscribers:
        queue.put_nowait(tick)
    return {"subscribers": len(_subscribers)}
