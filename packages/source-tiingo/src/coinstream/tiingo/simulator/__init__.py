"""A Tiingo-protocol simulator: the websocket feed and REST API on loopback, fast and faulty on demand.

Start it in-process (``async with Simulator(SimulatorConfig(rate=1000)) as sim: sim.url``) or
from the CLI (``coinstream simulate``).
"""

from coinstream.tiingo.simulator.faults import INVALID, MALFORMED, FaultPlan, Invalid, Malformed
from coinstream.tiingo.simulator.market import EXCHANGE_WEIGHTS, Market
from coinstream.tiingo.simulator.server import Simulator, SimulatorConfig, SimulatorStats
from coinstream.tiingo.simulator.threaded import simulator_in_thread

__all__ = ["EXCHANGE_WEIGHTS", "INVALID", "MALFORMED", "FaultPlan", "Invalid", "Malformed", "Market", "Simulator",
           "SimulatorConfig", "SimulatorStats", "simulator_in_thread"]
