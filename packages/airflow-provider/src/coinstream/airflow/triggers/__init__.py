"""Triggers the triggerer runs for the deferrable sensors."""
