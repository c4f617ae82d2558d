"""Fugitive emissions from oil and natural gas systems (1.B.2).

References
----------
IPCC (2006), Vol. 2 Ch. 4 Section 4.2 (Tier 1: Eq. 4.2.1; default factors Tables 4.2.4
for developed countries and 4.2.5 for developing countries and economies in transition);
IPCC (2019), 2019 Refinement, Vol. 2 Ch. 4 (revised Tier 1 factors).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def tier1_segment(activity: ArrayLike, emission_factor: ArrayLike) -> np.ndarray:
    """Tier 1 fugitive emissions of one gas from one industry segment (Eq. 4.2.1).

    .. math:: E_{gas,segment} = A_{segment} \\cdot EF_{gas,segment}

    Parameters
    ----------
    activity
        The segment's activity: gas production or marketed gas [10^6 m^3], or oil
        production [10^3 m^3], as the factor's unit states.
    emission_factor
        Tier 1 factor in the same activity basis [Gg gas / activity unit].

    Returns
    -------
    numpy.ndarray
        Emissions [Gg gas].
    """
    return np.asarray(activity, dtype=float) * np.asarray(emission_factor, dtype=float)
