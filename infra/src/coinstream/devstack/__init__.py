"""coinstream-devstack: the development stack of a coinstream checkout.

The local stack without Docker (three KRaft Kafka nodes, Apicurio Registry, S3Proxy, each a JVM
from Maven Central jars), the Maven runner that fetches those jars and the Spark processor's, the
``local_stack`` pytest fixture (:mod:`coinstream.devstack.pytest_plugin`), and the commands
``coinstream stack`` and ``coinstream demo``.
"""

from coinstream.devstack.__about__ import __version__
from coinstream.devstack.endpoints import StackEndpoints
from coinstream.devstack.errors import StackError
from coinstream.devstack.maven import MavenError, jar_cache_lock, run_maven
from coinstream.devstack.paths import StackPaths, resolve_paths
from coinstream.devstack.stack import PARTS, LocalStack, PartStatus, UpResult

__all__ = [
    "PARTS", "LocalStack", "MavenError", "PartStatus", "StackEndpoints", "StackError", "StackPaths", "UpResult",
    "__version__", "jar_cache_lock", "resolve_paths", "run_maven",
]
