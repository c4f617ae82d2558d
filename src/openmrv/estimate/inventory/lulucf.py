"""Land use, land-use change and forestry (IPCC 2006 sector 3.B, CRT sector 4), Tier 1:
carbon in mineral soils under cropland and grassland remaining in their use, and living
biomass of forest land remaining forest land (gain-loss method).

References
----------
IPCC (2006) and 2019 Refinement, Vol. 4 Ch. 2 (Generic methodologies): Eq. 2.25, soil
organic carbon (SOC) stock change in mineral soils, with the reference stocks of Table 2.3;
Ch. 5 (Cropland) Table 5.5 and Ch. 6 (Grassland) Table 6.2 for the stock change factors;
Eq. 2.7 and 2.9-2.13 (biomass gain-loss) with Ch. 4 (Forest land) Tables 4.3-4.5 and 4.9.
A carbon stock gain is a removal: CO2 = -dC x 44/12 (Vol 4 Ch 2 Sect 2.2).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def soc_stock(
    area: ArrayLike, soc_ref: float, f_lu: float, f_mg: float, f_i: float = 1.0
) -> np.ndarray:
    """SOC stock of one stratum of mineral soil (Vol 4 Ch 2 Eq. 2.25, the sum's term).

    .. math:: SOC = SOC_{REF} \\cdot F_{LU} \\cdot F_{MG} \\cdot F_I \\cdot A

    Parameters
    ----------
    area
        Area of the stratum (climate, soil, land use, management, input) [ha].
    soc_ref
        Reference SOC stock, 0-30 cm [t C / ha] (Table 2.3).
    f_lu, f_mg, f_i
        Stock change factors for land use, management and input [-] (Tables 5.5, 6.2).

    Returns
    -------
    numpy.ndarray
        SOC stock [t C].
    """
    return np.asarray(area, float) * soc_ref * f_lu * f_mg * f_i


def soc_change(stock: ArrayLike, d_years: int) -> np.ndarray:
    """Annual change in SOC stocks of mineral soils (Vol 4 Ch 2 Eq. 2.25).

    .. math:: \\Delta C_{Mineral} = \\frac{SOC_0 - SOC_{(0-T)}}{D}, \\quad T = D

    Parameters
    ----------
    stock
        SOC stock on consecutive years [t C]; a year ``D`` years before the first has no
        change computed (NaN).
    d_years
        Time dependence of the stock change factors D [yr] (20 by default).

    Returns
    -------
    numpy.ndarray
        Stock change [t C / yr], positive for a gain; NaN for the first ``D`` years.
    """
    s = np.asarray(stock, float)
    out = np.full(s.shape, np.nan)
    if d_years < s.size:
        out[d_years:] = (s[d_years:] - s[:-d_years]) / d_years
    return out


def co2_from_carbon_change(delta_c: ArrayLike, c_to_co2: float) -> np.ndarray:
    """CO2 emissions of a carbon stock change: gains are removals (negative emissions).

    .. math:: CO_2 = -\\Delta C \\cdot \\tfrac{44}{12}

    Parameters
    ----------
    delta_c
        Carbon stock change [t C / yr], positive for a gain.
    c_to_co2
        CO2/C molecular-weight ratio (44/12).

    Returns
    -------
    numpy.ndarray
        CO2 emissions [t CO2 / yr], negative for a removal.
    """
    return -np.asarray(delta_c, float) * c_to_co2


def biomass_carbon_gain(area: ArrayLike, g_w: float, r: float, cf: float) -> np.ndarray:
    """Annual carbon gain in living biomass of land remaining in a land-use category,
    Tier 1 (Vol 4 Ch 2 Eq. 2.9 with Eq. 2.10).

    .. math:: \\Delta C_G = A \\cdot G_W \\cdot (1 + R) \\cdot CF

    Parameters
    ----------
    area
        Area of land remaining in the category [ha].
    g_w
        Above-ground net biomass growth [t d.m. / ha / yr] (Table 4.9).
    r
        Ratio of below-ground to above-ground biomass [-] (Table 4.4).
    cf
        Carbon fraction of dry matter [t C / t d.m.] (Table 4.3).

    Returns
    -------
    numpy.ndarray
        Carbon gain [t C / yr].
    """
    return np.asarray(area, float) * g_w * (1.0 + r) * cf


def removal_carbon_loss(volume: ArrayLike, bcef_r: float, r: float, cf: float) -> np.ndarray:
    """Annual carbon loss from wood removals (Vol 4 Ch 2 Eq. 2.12) or fuelwood removals of
    whole trees (Eq. 2.13, the FG_trees term).

    .. math:: L = H \\cdot BCEF_R \\cdot (1 + R) \\cdot CF

    Parameters
    ----------
    volume
        Volume removed [m3 / yr].
    bcef_r
        Biomass conversion and expansion factor for removals [t d.m. / m3] (Table 4.5).
    r
        Ratio of below-ground to above-ground biomass [-] (Table 4.4).
    cf
        Carbon fraction of dry matter [t C / t d.m.] (Table 4.3).

    Returns
    -------
    numpy.ndarray
        Carbon loss [t C / yr] (positive; Eq. 2.11 subtracts it from the gain).
    """
    return np.asarray(volume, float) * bcef_r * (1.0 + r) * cf
