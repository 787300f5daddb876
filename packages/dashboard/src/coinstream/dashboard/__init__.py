"""coinstream-dashboard: the dashboard over the lake's Delta tables.

Other packages (the devstack's ``coinstream demo``) use the names below, and only those. They import
deltalake, pyarrow and aiohttp, so they load when first used, not when the plugin entry point loads.
"""

from typing import TYPE_CHECKING

from coinstream.core import lazy_exports
from coinstream.dashboard.__about__ import __version__

if TYPE_CHECKING:
    from coinstream.dashboard.command import serve, write_report
    from coinstream.dashboard.lake import LakeLocation, LakeUnavailableError, open_table
    from coinstream.dashboard.server import DashboardServer

__getattr__ = lazy_exports(__name__, {
    "DashboardServer": "coinstream.dashboard.server",
    "LakeLocation": "coinstream.dashboard.lake",
    "LakeUnavailableError": "coinstream.dashboard.lake",
    "open_table": "coinstream.dashboard.lake",
    "serve": "coinstream.dashboard.command",
    "write_report": "coinstream.dashboard.command",
})

__all__ = [
    "DashboardServer", "LakeLocation", "LakeUnavailableError", "__version__", "open_table", "serve", "write_report",
]
