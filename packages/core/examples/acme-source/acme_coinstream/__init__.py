"""Acme's trade export as a coinstream source: the example plugin of coinstream-core's README."""
