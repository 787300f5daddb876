"""Websocket client throughput against the simulator in another process (its own core).

    python bench/ws_clients.py [--seconds 3] [--only picows,source]

The simulator serves as fast as the client reads (rate 0). Each client counts messages for
``--seconds``: picows/aiohttp/websockets receive only (the library's per-message cost), and
"source" is the full TiingoSource path (picows + decode into Trade records). A receive-only
client that keeps up with the simulator measures the simulator's maximum rate instead.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time

SUBSCRIBE = b'{"eventName":"subscribe","authorization":"bench","eventData":{"thresholdLevel":5}}'


async def picows_raw(url: str, seconds: float) -> float:
    from picows import WSListener, WSMsgType, ws_connect

    class Counter(WSListener):  # type: ignore[misc]
        count = 0

        def on_ws_frame(self, transport, frame):  # type: ignore[no-untyped-def]
            if frame.msg_type is WSMsgType.TEXT:
                self.count += 1

    transport, listener = await ws_connect(Counter, url)
    transport.send(WSMsgType.TEXT, SUBSCRIBE)
    await asyncio.sleep(0.2)
    first, started = listener.count, time.monotonic()
    await asyncio.sleep(seconds)
    rate = (listener.count - first) / (time.monotonic() - started)
    transport.disconnect()
    return rate


async def aiohttp_raw(url: str, seconds: float) -> float:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_str(SUBSCRIBE.decode())
        count, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            await ws.receive()
            count += 1
    return count / seconds


async def websockets_raw(url: str, seconds: float) -> float:
    import websockets

    async with websockets.connect(url, max_queue=None, compression=None) as ws:
        await ws.send(SUBSCRIBE.decode())
        count, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            await ws.recv(decode=False)
            count += 1
    return count / seconds


async def source(url: str, seconds: float) -> float:
    from coinstream.tiingo import build_source

    built = build_source({"url": url, "metadata": False})
    count, started = -1, 0.0
    async for batch in built.batches():
        if count < 0:
            count, started = 0, time.monotonic()
            continue
        count += len(batch)
        if time.monotonic() - started >= seconds:
            break
    rate = count / (time.monotonic() - started)
    await built.close()
    return rate


CLIENTS = {"picows": picows_raw, "aiohttp": aiohttp_raw, "websockets": websockets_raw, "source": source}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--only", default=",".join(CLIENTS))
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open("/tmp/tiingo-bench-simulator.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-c", "from coinstream.tiingo.cli import simulate; simulate()", "--port", str(port),
         "--rate", "0", "--duration", "300"], stdout=subprocess.DEVNULL, stderr=log)
    try:
        url = f"ws://127.0.0.1:{port}/crypto"
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        for name in args.only.split(","):
            cpu, wall = time.process_time(), time.monotonic()
            rate = asyncio.run(CLIENTS[name](url, args.seconds))
            share = (time.process_time() - cpu) / (time.monotonic() - wall)
            print(f"{name:<11} {rate:>12,.0f} msgs/s  (client used {share:.0%} of a core; "
                  f"~{rate / max(share, 0.01):,.0f} msgs per client CPU-second)", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
