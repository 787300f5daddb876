"""The local stack without Docker: three KRaft Kafka nodes, Apicurio Registry and S3Proxy as JVMs.

``coinstream stack up|down|status|logs`` drives it (:mod:`coinstream.core.cli.stack_command`);
tests get it through the ``local_stack`` fixture of :mod:`coinstream.core.stack.pytest_plugin`.
"""

from coinstream.core.stack.endpoints import StackEndpoints
from coinstream.core.stack.errors import StackError
from coinstream.core.stack.paths import StackPaths, resolve_paths
from coinstream.core.stack.stack import PARTS, LocalStack, PartStatus, UpResult

__all__ = [
    "PARTS", "LocalStack", "PartStatus", "StackEndpoints", "StackError", "StackPaths", "UpResult", "resolve_paths",
]
