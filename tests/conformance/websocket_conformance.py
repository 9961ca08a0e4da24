#!/usr/bin/env python3
"""A WebSocket conformance set for oxapi's server, in the areas of the Autobahn test suite that
apply to a server: framing, fragmentation, control frames, reserved bits and opcodes, masking,
UTF-8 validation, the close handshake, and limits.

The Autobahn suite on PyPI needs Python 2; this set runs on Python 3. Well-formed traffic goes
through the `websockets` client; frames no client library would send (reserved bits, unmasked
frames, bad continuations, oversized control frames, invalid close payloads) are crafted on a
raw socket.

    python websocket_conformance.py ws://127.0.0.1:PORT/echo MAX_MESSAGE_SIZE

The server at the URL echoes each text and binary message back unchanged, with the message
limit given. Prints one line per case and exits 1 if any failed.
"""

import asyncio
import base64
import os
import socket
import struct
import sys
import traceback
from urllib.parse import urlparse

import websockets

TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
# How long any one wait may take before the case fails as hung.
GUARD = 20.0


# --- A raw client: the handshake, frames as written, frames as read -------------------------

class Raw:
    """A WebSocket connection on a plain socket, for frames no client library would send."""

    def __init__(self, url):
        parsed = urlparse(url)
        self.sock = socket.create_connection((parsed.hostname, parsed.port), timeout=GUARD)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {parsed.path} HTTP/1.1\r\nHost: {parsed.hostname}:{parsed.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError("the server closed during the handshake")
            head += chunk
        head, _, self.buffer = head.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        assert b" 101 " in status, f"no 101: {status!r}"

    def send(self, opcode, payload=b"", fin=True, rsv=0, mask=True, length=None):
        """Writes one frame; `length` overrides the length field's form: 7, 16 or 64 bits."""
        first = (0x80 if fin else 0) | (rsv << 4) | opcode
        size = len(payload)
        form = length or (7 if size <= 125 else 16 if size <= 0xFFFF else 64)
        mask_bit = 0x80 if mask else 0
        if form == 7:
            header = struct.pack("!BB", first, mask_bit | size)
        elif form == 16:
            header = struct.pack("!BBH", first, mask_bit | 126, size)
        else:
            header = struct.pack("!BBQ", first, mask_bit | 127, size)
        if mask:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            header += key
        self.sock.sendall(header + payload)

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def recv(self):
        """One frame from the server: (fin, opcode, payload, length form), or None at the end."""
        try:
            first, second = self._read(2)
            assert not second & 0x80, "the server masked a frame"
            size, form = second & 0x7F, 7
            if size == 126:
                (size,), form = struct.unpack("!H", self._read(2)), 16
            elif size == 127:
                (size,), form = struct.unpack("!Q", self._read(8)), 64
            return bool(first & 0x80), first & 0x0F, self._read(size), form
        except (EOFError, ConnectionResetError):
            return None

    def close_code(self):
        """Reads to the server's close frame; its code, or 1006 if the connection just ended."""
        while True:
            frame = self.recv()
            if frame is None:
                return 1006
            if frame[1] == CLOSE:
                payload = frame[2]
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005

    def close(self):
        self.sock.close()


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


# --- The cases ----------------------------------------------------------------------------

CASES = []


def case(area):
    def register(function):
        CASES.append((area, function))
        return function

    return register


def expect_close(url, code, frames):
    """Sends `frames` (keyword arguments of `Raw.send`) and expects a close with `code`."""
    raw = Raw(url)
    try:
        for frame in frames:
            raw.send(**frame)
        got = raw.close_code()
        assert got == code, f"close code {got}, expected {code}"
    finally:
        raw.close()


@case("framing")
def payload_lengths_use_7_16_and_64_bit_forms(url, limit):
    raw = Raw(url)
    for opcode in (TEXT, BINARY):
        for size in (0, 125, 126, 65535, 65536):
            payload = b"*" * size
            raw.send(opcode, payload)
            fin, got_opcode, got, form = raw.recv()
            assert (fin, got_opcode, got) == (True, opcode, payload), f"{size} bytes"
            expected_form = 7 if size <= 125 else 16 if size <= 0xFFFF else 64
            assert form == expected_form, f"{size} bytes sent with a {form}-bit length"
    raw.close()


@case("framing")
async def text_and_binary_echo_through_websockets(url, limit):
    async with websockets.connect(url, max_size=None) as ws:
        for message in ("", "hello", "é" * 1000, b"", b"\x00\xff" * 100):
            await ws.send(message)
            assert await asyncio.wait_for(ws.recv(), GUARD) == message


@case("framing")
def a_non_minimal_length_form_is_read(url, limit):
    raw = Raw(url)
    raw.send(TEXT, b"short", length=64)
    assert raw.recv()[2] == b"short"
    raw.close()


@case("fragmentation")
async def fragments_are_joined(url, limit):
    async with websockets.connect(url) as ws:
        await ws.send(["frag", "men", "ted"])
        assert await asyncio.wait_for(ws.recv(), GUARD) == "fragmented"
        await ws.send([b"\x01", b"", b"\x02"])
        assert await asyncio.wait_for(ws.recv(), GUARD) == b"\x01\x02"


@case("fragmentation")
def control_frames_between_fragments_are_answered(url, limit):
    raw = Raw(url)
    raw.send(TEXT, b"ab", fin=False)
    raw.send(PING, b"in between")
    raw.send(PONG, b"unsolicited")
    raw.send(CONTINUATION, b"cd")
    assert raw.recv()[1:3] == (PONG, b"in between")
    assert raw.recv()[1:3] == (TEXT, b"abcd")
    raw.close()


@case("fragmentation")
def a_continuation_without_a_start_fails_with_1002(url, limit):
    expect_close(url, 1002, [dict(opcode=CONTINUATION, payload=b"x")])


@case("fragmentation")
def a_new_message_inside_a_fragmented_one_fails_with_1002(url, limit):
    expect_close(
        url,
        1002,
        [dict(opcode=TEXT, payload=b"a", fin=False), dict(opcode=TEXT, payload=b"b")],
    )


@case("control frames")
def a_ping_is_answered_with_its_payload(url, limit):
    raw = Raw(url)
    for payload in (b"", b"ping", b"\xff" * 125):
        raw.send(PING, payload)
        assert raw.recv()[1:3] == (PONG, payload)
    raw.close()


@case("control frames")
async def an_unsolicited_pong_is_ignored(url, limit):
    async with websockets.connect(url) as ws:
        await ws.pong(b"nobody asked")
        await ws.send("still here")
        assert await asyncio.wait_for(ws.recv(), GUARD) == "still here"
        latency = await asyncio.wait_for(await ws.ping(b"ws ping"), GUARD)
        assert latency >= 0


@case("control frames")
def a_control_frame_over_125_bytes_fails_with_1002(url, limit):
    expect_close(url, 1002, [dict(opcode=PING, payload=b"x" * 126)])


@case("control frames")
def a_fragmented_control_frame_fails_with_1002(url, limit):
    expect_close(url, 1002, [dict(opcode=PING, payload=b"x", fin=False)])


@case("reserved bits and opcodes")
def reserved_bits_fail_with_1002(url, limit):
    for rsv in (1, 2, 4, 7):
        expect_close(url, 1002, [dict(opcode=TEXT, payload=b"x", rsv=rsv)])
    expect_close(url, 1002, [dict(opcode=PING, payload=b"x", rsv=4)])


@case("reserved bits and opcodes")
def reserved_opcodes_fail_with_1002(url, limit):
    for opcode in (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF):
        expect_close(url, 1002, [dict(opcode=opcode, payload=b"x")])


@case("masking")
def an_unmasked_client_frame_fails_with_1002(url, limit):
    expect_close(url, 1002, [dict(opcode=TEXT, payload=b"plain", mask=False)])


@case("utf-8")
def valid_utf8_split_across_fragments_is_joined(url, limit):
    raw = Raw(url)
    text = "κόσμε €𝄞".encode()
    # Cut inside a two-byte, a three-byte and a four-byte sequence.
    cuts = [1, 4, len("κόσμε ".encode()) + 2, len(text) - 1]
    pieces = [text[a:b] for a, b in zip([0] + cuts, cuts + [len(text)])]
    for index, piece in enumerate(pieces):
        raw.send(TEXT if index == 0 else CONTINUATION, piece, fin=index == len(pieces) - 1)
    assert raw.recv()[1:3] == (TEXT, text)
    raw.close()


@case("utf-8")
def invalid_utf8_in_one_frame_fails_with_1007(url, limit):
    for payload in (b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"ok\xf4\x90\x80\x80"):
        expect_close(url, 1007, [dict(opcode=TEXT, payload=payload)])


@case("utf-8")
def invalid_utf8_across_fragments_fails_with_1007(url, limit):
    expect_close(
        url,
        1007,
        [
            dict(opcode=TEXT, payload=b"ok \xce", fin=False),
            dict(opcode=CONTINUATION, payload=b"\xff fine"),
        ],
    )


@case("close handshake")
async def valid_close_codes_are_echoed(url, limit):
    for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999):
        ws = await websockets.connect(url)
        await ws.close(code, "bye")
        received = ws.protocol.close_rcvd
        assert received is not None, f"{code}: no close frame from the server"
        assert received.code == code, f"{code} answered with {received.code}"


@case("close handshake")
def an_empty_close_is_answered(url, limit):
    raw = Raw(url)
    raw.send(CLOSE, b"")
    assert raw.close_code() == 1005
    raw.close()


@case("close handshake")
def invalid_close_codes_fail_with_1002(url, limit):
    for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535):
        try:
            expect_close(url, 1002, [dict(opcode=CLOSE, payload=close_payload(code))])
        except AssertionError as error:
            raise AssertionError(f"code {code}: {error}") from None


@case("close handshake")
def a_one_byte_close_payload_fails_with_1002(url, limit):
    expect_close(url, 1002, [dict(opcode=CLOSE, payload=b"\x03")])


@case("close handshake")
def a_close_reason_that_is_not_utf8_fails_with_1007(url, limit):
    expect_close(url, 1007, [dict(opcode=CLOSE, payload=close_payload(1000, b"\xff\xfe"))])


@case("limits")
def a_message_over_the_limit_fails_with_1009(url, limit):
    expect_close(url, 1009, [dict(opcode=BINARY, payload=b"x" * (limit + 1))])
    half = limit // 2 + 1
    expect_close(
        url,
        1009,
        [
            dict(opcode=TEXT, payload=b"x" * half, fin=False),
            dict(opcode=CONTINUATION, payload=b"x" * half),
        ],
    )


@case("limits")
async def a_message_at_the_limit_is_echoed(url, limit):
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(b"x" * limit)
        assert len(await asyncio.wait_for(ws.recv(), GUARD)) == limit


async def run(url, limit):
    failed = 0
    for area, function in CASES:
        try:
            if asyncio.iscoroutinefunction(function):
                await asyncio.wait_for(function(url, limit), GUARD * 4)
            else:
                await asyncio.to_thread(function, url, limit)
            print(f"ok      {area}: {function.__name__}")
        except Exception as error:  # noqa: BLE001 - any exception is this case's failure
            failed += 1
            print(f"FAILED  {area}: {function.__name__}: {error!r}")
            traceback.print_exc(file=sys.stderr)
        # After every case, bad ones included, the server still serves.
        async with websockets.connect(url) as ws:
            await ws.send("alive")
            assert await asyncio.wait_for(ws.recv(), GUARD) == "alive", "the server stopped"
    print(f"{len(CASES) - failed} of {len(CASES)} cases passed")
    return failed


if __name__ == "__main__":
    sys.exit(1 if asyncio.run(run(sys.argv[1], int(sys.argv[2]))) else 0)
