"""The ``coinstream`` command line."""
