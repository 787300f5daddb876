"""Serving the dashboard over HTTP: the page, its data (recomputed at most once a refresh), plotly.js."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import structlog
from aiohttp import web

from coinstream.dashboard.lake import LakeLocation, LakeUnavailableError, read_snapshot
from coinstream.dashboard.page import plotly_js, render_served
from coinstream.dashboard.views import build_views

log = structlog.get_logger(__name__)


class DashboardServer:
    """An aiohttp server on loopback (by default) for one lake."""

    def __init__(self, location: LakeLocation, host: str = "127.0.0.1", port: int = 8050,
                 refresh_seconds: float = 5.0, run_books: list[dict[str, Any]] | None = None) -> None:
        self.location = location
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
                snapshot = await asyncio.to_thread(read_snapshot, self.location)
                self._views = await asyncio.to_thread(build_views, snapshot)
                if self.run_books is not None:
                    self._views["run_books"] = self.run_books
                self._views_time = time.monotonic()
            return self._views

    async def _page(self, _request: web.Request) -> web.Response:
        return web.Response(text=render_served(self.refresh_seconds), content_type="text/html")

    async def _data(self, _request: web.Request) -> web.Response:
        try:
            return web.json_response(await self.views(), dumps=_dumps)
        except LakeUnavailableError as error:
            return web.json_response({"error": str(error)}, status=503)

    async def _plotly(self, _request: web.Request) -> web.Response:
        return web.Response(text=plotly_js(), content_type="application/javascript",
                            headers={"Cache-Control": "max-age=86400"})

    async def start(self) -> None:
        """Start listening; with port 0 the port chosen is written back to ``port``."""
        app = web.Application()
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


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, default=str)
