"""The built-in development sinks, registered through register_sinks like anyone's."""
