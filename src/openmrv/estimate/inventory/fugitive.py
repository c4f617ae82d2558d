"""Fugitive emissions from coal mining (1.B.1.a) and oil and natural gas systems (1.B.2).

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


def coal_mining_ch4(
    coal_production: ArrayLike, ef_volume: ArrayLike, density: ArrayLike
) -> np.ndarray:
    """CH4 from coal mining or post-mining, Tier 1 (Vol 2 Ch 4 Sect. 4.1.3.2, 4.1.4.2).

    .. math:: E_{CH_4} = P_{coal} \\cdot EF \\cdot \\rho_{CH_4}

    Parameters
    ----------
    coal_production
        Raw coal produced by underground or surface mines [t].
    ef_volume
        Tier 1 factor of the mine type and stage (mining or post-mining) [m^3 CH4 / t].
    density
        The Guidelines' conversion, CH4 at 20 C and 1 atm [kg CH4 / m^3] (0.67).

    Returns
    -------
    numpy.ndarray
        CH4 emissions [kg CH4].
    """
    return (
        np.asarray(coal_production, float)
        * np.asarray(ef_volume, float)
        * np.asarray(density, float)
    )
