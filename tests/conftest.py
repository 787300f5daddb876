"""End-to-end tests across packages. The local stack comes from core's session fixture."""

pytest_plugins = ["coinstream.core.stack.pytest_plugin"]
