"""Integration tests of the local stack: they use the real JVMs through ``local_stack``.

The fixture is imported rather than named in ``pytest_plugins``: pytest accepts that variable
only in the top-level conftest, and this folder is collected below it.
"""

from coinstream.devstack.pytest_plugin import local_stack  # noqa: F401  (the session fixture)
