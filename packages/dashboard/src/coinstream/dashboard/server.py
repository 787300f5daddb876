"""Serving the dashboard over HTTP: the page, its data (recomputed at most once a refresh), plotly.js."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import structlog
from aiohttp import web

from coinstream.dashboard.lake import LakeLocation, LakeUnavailableError, read_snapshot
from coinstream.dashboard.page import plotly_js, render_served
from coinstream.dashboard.strict_json import strict_dumps
from coinstream.dashboard.views import build_views
from coinstream.dashboard.window import DEFAULT_WINDOW_MINUTES

log = structlog.get_logger(__name__)

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def allowed_host_names(bind_host: str, extra: Collection[str] = ()) -> frozenset[str]:
    """The Host header names the server answers: the loopback names when bound to loopback, else the
    bound name; plus ``extra`` (``--allowed-host``, e.g. the name a proxy forwards)."""
    bound = {bind_host.lower().strip("[]")}
    base = LOOPBACK_NAMES if bound & LOOPBACK_NAMES else bound
    return frozenset(base | {name.lower().strip("[]") for name in extra})


def host_name(host_header: str) -> str:
    """The name part of a Host header: ``localhost:8050`` -> ``localhost``, ``[::1]:8050`` -> ``::1``."""
    header = host_header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class DashboardServer:
    """An aiohttp server on loopback (by default) for one lake."""

    def __init__(self, location: LakeLocation, host: str = "127.0.0.1", port: int = 8050,
                 refresh_seconds: float = 5.0, run_books: list[dict[str, Any]] | None = None,
                 allowed_hosts: Collection[str] = (), window_minutes: float = DEFAULT_WINDOW_MINUTES) -> None:
        self.location = location
        self.window_minutes = window_minutes
        # A page of another site, its name re-pointed at 127.0.0.1 (DNS rebinding), sends its own name as
        # Host: answering only our names keeps it from reading data.json.
        self.allowed_hosts = allowed_host_names(host, allowed_hosts)
        self.run_books = run_books
        self.host = host
        self.port = port
        self.refresh_seconds = refresh_seconds
        self._views: dict[str, Any] | None = None
        self._views_time = 0.0
        self._lock = asyncio.Lock()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The page's URL."""
        return f"http://{self.host}:{self.port}/"

    async def views(self) -> dict[str, Any]:
        """Return the views, recomputed from the lake when older than the refresh interval."""
        async with self._lock:
            if self._views is None or time.monotonic() - self._views_time >= self.refresh_seconds:
                snapshot = await asyncio.to_thread(read_snapshot, self.location, self.window_minutes)
                self._views = await asyncio.to_thread(build_views, snapshot)
                if self.run_books is not None:
                    self._views["run_books"] = self.run_books
                self._views_time = time.monotonic()
            return self._views

    @web.middleware
    async def _check_host(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        name = host_name(request.headers.get("Host", ""))
        if name not in self.allowed_hosts:
            log.warning("dashboard_host_refused", host=name[:100], allowed=sorted(self.allowed_hosts))
            return web.Response(status=421, text=(
                f"this dashboard does not answer for host {name[:100]!r}; it answers for "
                f"{', '.join(sorted(self.allowed_hosts))}. To reach it under another name, start it with "
                f"`coinstream dashboard --allowed-host NAME`\n"))
        return await handler(request)

    async def _page(self, _request: web.Request) -> web.Response:
        return web.Response(text=render_served(self.refresh_seconds), content_type="text/html")

    async def _data(self, _request: web.Request) -> web.Response:
        try:
            return web.json_response(await self.views(), dumps=strict_dumps)
        except LakeUnavailableError as error:
            return web.json_response({"error": str(error)}, status=503)

    async def _plotly(self, _request: web.Request) -> web.Response:
        return web.Response(text=plotly_js(), content_type="application/javascript",
                            headers={"Cache-Control": "max-age=86400"})

    async def start(self) -> None:
        """Start listening; with port 0 the port chosen is written back to ``port``."""
        app = web.Application(middlewares=[self._check_host])
        app.add_routes([web.get("/", self._page), web.get("/data.json", self._data),
                        web.get("/plotly.min.js", self._plotly)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # the bound port when 0 was asked
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("dashboard_serving", url=self.url, lake=self.location.root)

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DashboardServer:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()
