"""coinstream-devstack's plugin: the ``stack`` and ``demo`` commands, through the same hook as everyone's."""

from __future__ import annotations

from coinstream.core import CommandRegistrar, hookimpl


@hookimpl
def register_commands(register: CommandRegistrar) -> None:
    """Called once when the CLI loads its plugins; registers ``coinstream stack`` and ``coinstream demo``.

    The imports wait until then, so listing the plugins does not import the demo's dependencies.
    """
    from coinstream.devstack.demo.command import demo_command
    from coinstream.devstack.stack_command import stack

    register(stack)
    register(demo_command)
