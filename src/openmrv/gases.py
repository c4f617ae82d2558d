"""The greenhouse gases openmrv's inventories and run-folder tables carry, in one place.

A core module with no imports, so that light parts (the run-folder specification, the
command line's key commands) need not load the data-format machinery to name them."""

#: the gases of the inventory data format and of the run folder's tables
GASES: tuple[str, ...] = ("CO2", "CH4", "N2O")

#: Fluorinated gases (HFCs) openmrv can estimate (2.F.1, IPCC 2006 Vol 3 Ch 7) and carry as
#: further gas variables of the data format, only where a case has them; each has a
#: 100-year GWP in every set openmrv accepts (SAR, AR4, AR5, AR6). Blends (R-404A, R-410A ...)
#: are reported by their component species, as the Guidelines ask (Vol 3 Ch 7 Sect 7.1.2).
FGASES: tuple[str, ...] = (
    "HFC23",
    "HFC32",
    "HFC125",
    "HFC134a",
    "HFC143a",
    "HFC152a",
    "HFC227ea",
    "HFC236fa",
    "HFC4310mee",
)
#: every gas the inventory may carry
ALL_GASES: tuple[str, ...] = GASES + FGASES


def gases_present(present: set[str] | frozenset[str]) -> tuple[str, ...]:
    """The core gases, then the F-gases among ``present``, in :data:`ALL_GASES` order."""
    return GASES + tuple(g for g in FGASES if g in present)
