"""Sensors: a Delta commit newer than a time (deferrable), consumer lag under a threshold."""
