"""The greenhouse gases openmrv's inventories and run-folder tables carry, in one place.

A core module with no imports, so that light parts (the run-folder specification, the
command line's key commands) need not load the data-format machinery to name them."""

#: the gases of the inventory data format and of the run folder's tables
GASES: tuple[str, ...] = ("CO2", "CH4", "N2O")
