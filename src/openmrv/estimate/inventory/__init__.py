"""Bottom-up inventory: IPCC 2006 / 2019 Refinement methods and the engine that applies them.

The science lives in pure functions, one per IPCC equation (``energy``,
``fugitive``, ``ippu``, ``agriculture``, ``waste``, ``timeseries``); the
:mod:`~openmrv.estimate.inventory.engine` matches a case's activity data to those
functions and to the factor library, and returns an emissions dataset.
"""

from openmrv.estimate.inventory.engine import Estimate, InventoryResult, compile_inventory

__all__ = ["Estimate", "InventoryResult", "compile_inventory"]
