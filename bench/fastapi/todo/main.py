"""examples/todo's API (the routes the todo benchmark uses) on FastAPI + SQLAlchemy 2 async +
asyncpg, as the FastAPI tutorials write it: pydantic models, `OAuth2PasswordBearer` with
scopes (`Security`), PyJWT, argon2-cffi, an `AsyncSession` per request from a dependency.

The schema is oxapi's todo's (its migrations; the benchmark starts oxapi's todo once to migrate
the database), and every statement is the same as oxapi's and axum's: the same SELECTs, the
version read and the conditional UPDATE in one transaction, the list check and the INSERT in
another. Errors are RFC 9457 problems, as oxapi answers them.

Configured by the environment: DATABASE_URL (postgres://...), TODO_JWT_SECRET, and
DATABASE_MAX_CONNECTIONS (the pool of each worker process; default 10, as the Rust servers).
Run with `uvicorn main:app --app-dir bench/fastapi/todo`.
"""

import base64
import datetime as dt
import os
import time
import uuid
from http import HTTPStatus
from typing import Annotated, Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import BackgroundTasks, Depends, FastAPI, Header, HTTPException, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm, SecurityScopes
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, DateTime, ForeignKey, Text, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

READ = "lists:read"
WRITE = "lists:write"
SCOPES = {READ: "Read your lists and their items.",
          WRITE: "Make, change and delete your lists and their items."}
TOKEN_LIFETIME = dt.timedelta(minutes=30)
SECRET = os.environ["TODO_JWT_SECRET"]


def _database_url() -> str:
    url = os.environ["DATABASE_URL"]
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    return url


engine = create_async_engine(
    _database_url(),
    pool_size=int(os.environ.get("DATABASE_MAX_CONNECTIONS", "10")),
    max_overflow=0,
)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
password_hasher = PasswordHasher()
# Checked when the user is unknown, so that an unknown name takes as long as a wrong password.
STAND_IN_HASH = password_hasher.hash("not anyone's password")

app = FastAPI(title="Todo API")


# --- tables (created by oxapi's todo's migrations) ------------------------------------------


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(Text, unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ListRow(Base):
    __tablename__ = "lists"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ItemRow(Base):
    __tablename__ = "items"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(Text)
    done: Mapped[bool]
    version: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# --- models -----------------------------------------------------------------------------------


class NewUser(BaseModel):
    username: str = Field(min_length=3, max_length=32)
    password: str = Field(min_length=8, max_length=128)


class User(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    username: str
    created_at: dt.datetime


class Token(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    scope: str


class NewList(BaseModel):
    title: str = Field(min_length=1, max_length=200)


class TodoList(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    title: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class NewItem(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    done: bool = False


class ItemPatch(BaseModel):
    title: str | None = Field(None, min_length=1, max_length=500)
    done: bool | None = None


class Item(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    list_id: uuid.UUID
    title: str
    done: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ItemPage(BaseModel):
    items: list[Item]
    total: int
    next_cursor: str | None


# --- errors: RFC 9457 problem details ---------------------------------------------------------


def problem(status: int, detail: str, headers: dict | None = None, errors=None) -> JSONResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers,
                        media_type="application/problem+json")


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return problem(exc.status_code, str(exc.detail), exc.headers)


@app.exception_handler(RequestValidationError)
async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e["type"] == "json_invalid" for e in errors):
        return problem(400, "the body is not valid JSON")
    return problem(422, "the request is invalid", errors=[
        {"location": ".".join(str(part) for part in e["loc"]), "message": e["msg"],
         "code": e["type"]} for e in errors])


def not_found(what: str) -> HTTPException:
    return HTTPException(404, f"no such {what}")


def changed(current: int) -> HTTPException:
    return HTTPException(
        412, f"the resource changed: it is at version {current}, not one `If-Match` names")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def uuid7() -> uuid.UUID:
    """A time-ordered UUIDv7 (RFC 9562), as the Rust servers make ids: the id's order is
    creation's (Python 3.11 has no uuid7)."""
    rand = int.from_bytes(os.urandom(10), "big")
    value = ((time.time_ns() // 1_000_000) << 80 | 0x7 << 76 | (rand >> 68) << 64
             | 0b10 << 62 | rand & ((1 << 62) - 1))
    return uuid.UUID(int=value)


def etag(version: int) -> str:
    return f'"{version}"'


# --- dependencies -----------------------------------------------------------------------------


async def get_session():
    async with SessionLocal() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/v1/token", scopes=SCOPES)


async def current_user(security_scopes: SecurityScopes,
                       token: Annotated[str, Depends(oauth2_scheme)]) -> uuid.UUID:
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp"]})
        user = uuid.UUID(claims["sub"])
    except (jwt.InvalidTokenError, KeyError, ValueError):
        raise HTTPException(401, "the token is invalid or expired",
                            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    granted = str(claims.get("scope", "")).split()
    for scope in security_scopes.scopes:
        if scope not in granted:
            raise HTTPException(403, "the token lacks a scope this needs", headers={
                "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'})
    return user


Reader = Annotated[uuid.UUID, Security(current_user, scopes=[READ])]
Writer = Annotated[uuid.UUID, Security(current_user, scopes=[WRITE])]


def expected_versions(if_match: str | None) -> list[int] | None:
    """What `If-Match` lets a write change: None for any version (no header, or `*`), else
    the versions its strong tags name. A value that is no list of tags is a 422."""
    if if_match is None or if_match.strip() == "*":
        return None
    versions = []
    for tag in (part.strip() for part in if_match.split(",")):
        weak = tag.startswith("W/")
        quoted = tag[2:] if weak else tag
        if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"' or '"' in quoted[1:-1]:
            raise RequestValidationError([{
                "type": "pattern", "loc": ("header", "if-match"),
                "msg": f'`If-Match` must be `*` or a list of entity tags like "3": '
                       f"`{tag}` is no quoted tag"}])
        if not weak and quoted[1:-1].lstrip("-").isdigit():
            versions.append(int(quoted[1:-1]))
    return versions


async def list_version(session: AsyncSession, owner: uuid.UUID, list_id: uuid.UUID) -> int:
    version = await session.scalar(
        select(ListRow.version).where(ListRow.id == list_id, ListRow.owner_id == owner))
    if version is None:
        raise not_found("list")
    return version


def owned_list(owner: uuid.UUID, list_id: uuid.UUID):
    return select(ListRow.id).where(ListRow.id == list_id, ListRow.owner_id == owner).exists()


# --- routes -----------------------------------------------------------------------------------


@app.post("/v1/users", status_code=201, response_model=User)
async def sign_up(new: NewUser, session: SessionDep):
    password_hash = await run_in_threadpool(password_hasher.hash, new.password)
    try:
        user = await session.scalar(insert(UserRow).values(
            id=uuid7(), username=new.username, password_hash=password_hash,
            created_at=now()).returning(UserRow))
        await session.commit()
    except IntegrityError:
        raise HTTPException(409, "the username is taken")
    return user


@app.post("/v1/token", response_model=Token)
async def issue_token(form: Annotated[OAuth2PasswordRequestForm, Depends()],
                      session: SessionDep):
    scopes = []
    for asked in form.scopes:
        if asked not in SCOPES:
            raise HTTPException(400, f"no such scope: `{asked}`")
        if asked not in scopes:
            scopes.append(asked)
    scopes = scopes or [READ, WRITE]
    user = await session.scalar(select(UserRow).where(UserRow.username == form.username))

    def verify() -> bool:
        try:
            return password_hasher.verify(user.password_hash if user else STAND_IN_HASH,
                                          form.password)
        except (VerificationError, InvalidHashError):
            return False

    if not await run_in_threadpool(verify) or user is None:
        raise HTTPException(400, "incorrect username or password")
    issued = now()
    claims = {"sub": str(user.id), "scope": " ".join(scopes),
              "iat": int(issued.timestamp()), "exp": int((issued + TOKEN_LIFETIME).timestamp())}
    return Token(access_token=jwt.encode(claims, SECRET, algorithm="HS256"),
                 token_type="bearer", expires_in=int(TOKEN_LIFETIME.total_seconds()),
                 scope=claims["scope"])


@app.post("/v1/lists", status_code=201, response_model=TodoList)
async def create_list(new: NewList, owner: Writer, session: SessionDep, response: Response):
    at = now()
    try:
        row = await session.scalar(insert(ListRow).values(
            id=uuid7(), owner_id=owner, title=new.title, version=1, created_at=at,
            updated_at=at).returning(ListRow))
        await session.commit()
    except IntegrityError:
        raise HTTPException(409, "the owner has a list with this title")
    response.headers["ETag"] = etag(row.version)
    response.headers["Location"] = f"/v1/lists/{row.id}"
    return row


ORDERS = {
    "created": (ItemRow.id,),
    "-created": (ItemRow.id.desc(),),
    "title": (ItemRow.title, ItemRow.id),
    "-title": (ItemRow.title.desc(), ItemRow.id.desc()),
}


def next_cursor(sort: str, rows: list, limit: int) -> str | None:
    """The cursor of the page after a full one: the order, the last row's id and title,
    URL-safe base64 without padding (as oxapi's todo makes it)."""
    if len(rows) != limit:
        return None
    plain = f"{sort}\n{rows[-1].id.hex}\n{rows[-1].title}".encode()
    return base64.urlsafe_b64encode(plain).rstrip(b"=").decode()


@app.get("/v1/lists/{list_id}/items", response_model=ItemPage)
async def list_items(list_id: uuid.UUID, owner: Reader, session: SessionDep,
                     done: bool | None = None,
                     limit: Annotated[int, Query(ge=1, le=100)] = 20,
                     offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                     sort: Literal["created", "-created", "title", "-title"] = "created"):
    await list_version(session, owner, list_id)
    matching = ItemRow.list_id == list_id
    if done is not None:
        matching = matching & (ItemRow.done == done)
    total = await session.scalar(select(func.count()).select_from(ItemRow).where(matching))
    rows = await session.scalars(
        select(ItemRow).where(matching).order_by(*ORDERS[sort]).limit(limit).offset(offset))
    items = rows.all()
    return ItemPage(items=items, total=total, next_cursor=next_cursor(sort, items, limit))


AUDIT = text("INSERT INTO audit_log (id, owner_id, action, target_id, at) "
             "VALUES (:id, :owner, :action, :target, :at)")


async def record(owner: uuid.UUID, action: str, target: uuid.UUID, entry: uuid.UUID,
                 at: dt.datetime):
    """Writes an entry of the user's audit log, as oxapi's todo does after its response."""
    async with SessionLocal() as session:
        await session.execute(AUDIT, {"id": entry, "owner": owner, "action": action,
                                      "target": target, "at": at})
        await session.commit()


@app.post("/v1/lists/{list_id}/items", status_code=201, response_model=Item)
async def create_item(list_id: uuid.UUID, new: NewItem, owner: Writer, session: SessionDep,
                      response: Response, background: BackgroundTasks):
    # The list's check and the insert in one transaction: no delete of the list between.
    await list_version(session, owner, list_id)
    at = now()
    row = await session.scalar(insert(ItemRow).values(
        id=uuid7(), list_id=list_id, title=new.title, done=new.done, version=1,
        created_at=at, updated_at=at).returning(ItemRow))
    await session.commit()
    background.add_task(record, owner, "item.created", row.id, uuid7(), now())
    response.headers["ETag"] = etag(row.version)
    response.headers["Location"] = f"/v1/lists/{list_id}/items/{row.id}"
    return row


@app.get("/v1/lists/{list_id}/items/{item_id}", response_model=Item)
async def read_item(list_id: uuid.UUID, item_id: uuid.UUID, owner: Reader,
                    session: SessionDep, response: Response):
    row = await session.scalar(select(ItemRow).where(
        ItemRow.id == item_id, ItemRow.list_id == list_id, owned_list(owner, list_id)))
    if row is None:
        raise not_found("item")
    response.headers["ETag"] = etag(row.version)
    return row


@app.patch("/v1/lists/{list_id}/items/{item_id}", response_model=Item)
async def update_item(list_id: uuid.UUID, item_id: uuid.UUID, patch: ItemPatch,
                      owner: Writer, session: SessionDep, response: Response,
                      background: BackgroundTasks,
                      if_match: Annotated[str | None, Header()] = None):
    expected = expected_versions(if_match)
    version = await session.scalar(select(ItemRow.version).where(
        ItemRow.id == item_id, ItemRow.list_id == list_id, owned_list(owner, list_id)))
    if version is None:
        raise not_found("item")
    if expected is not None and version not in expected:
        raise changed(version)
    row = await session.scalar(
        update(ItemRow)
        .where(ItemRow.id == item_id, ItemRow.list_id == list_id, ItemRow.version == version)
        .values(title=func.coalesce(patch.title, ItemRow.title),
                done=func.coalesce(patch.done, ItemRow.done),
                version=ItemRow.version + 1, updated_at=now())
        .returning(ItemRow))
    if row is None:
        # Another transaction changed the row between the read and the update.
        raise changed(version + 1)
    await session.commit()
    background.add_task(record, owner, "item.updated", row.id, uuid7(), now())
    response.headers["ETag"] = etag(row.version)
    return row
