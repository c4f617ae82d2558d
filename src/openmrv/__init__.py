"""openmrv: open measurement, reporting and verification of national greenhouse-gas emissions.

The package follows the pipeline observe -> estimate -> verify -> report (see
``docs/architecture.md``). Importing it configures nothing and prints nothing.
"""

from openmrv.errors import CaseError, DataFormatError, FactorError, InputError, OpenMRVError

__version__ = "0.1.0"

__all__ = [
    "CaseError",
    "DataFormatError",
    "FactorError",
    "InputError",
    "OpenMRVError",
    "__version__",
]
