"""Fluorinated substitutes for ozone-depleting substances: refrigeration and air
conditioning (2.F.1), the emission-factor approach of the Guidelines applied with their
default factors.

References
----------
IPCC (2006) Vol. 3 Ch. 7 (Emissions of Fluorinated Substitutes for Ozone Depleting
Substances), Sect. 7.5: emissions of a refrigerant are those at charging new equipment,
over the equipment's life (from the bank) and at its end of life (Eq. 7.10, 7.12-7.14;
equation numbers recalled, not re-checked), with charge, lifetime and emission-factor
ranges by sub-application in Table 7.9.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def refrigerant_bank(new_charge: ArrayLike, lifetime_yr: int) -> np.ndarray:
    """Refrigerant banked in equipment in use: the charge of equipment installed in the
    last ``lifetime_yr`` years, the current year included.

    .. math:: B_t = \\sum_{\\tau = t-d+1}^{t} M_\\tau

    The equipment is taken to be kept at full charge by servicing (the refrigerant sold
    for servicing replaces what leaked), so the bank is the installed charge; years before
    the series count as 0 (give the history back to the first year minus the lifetime).

    Parameters
    ----------
    new_charge
        Refrigerant charged into new equipment each year, M_t [t], consecutive years.
    lifetime_yr
        Equipment lifetime d [yr], at least 1.

    Returns
    -------
    numpy.ndarray
        Bank B_t [t], one value per year.
    """
    m = np.nan_to_num(np.asarray(new_charge, float))
    d = int(lifetime_yr)
    if d < 1:
        raise ValueError(f"lifetime {lifetime_yr} yr: must be at least 1 year")
    cum = np.concatenate([[0.0], np.cumsum(m)])
    idx = np.arange(m.size)
    return cum[idx + 1] - cum[np.maximum(idx + 1 - d, 0)]


def retired_charge(new_charge: ArrayLike, lifetime_yr: int) -> np.ndarray:
    """Initial charge of the equipment retired in each year, M_{t-d} [t] (0 before the
    series)."""
    m = np.nan_to_num(np.asarray(new_charge, float))
    d = int(lifetime_yr)
    out = np.zeros_like(m)
    if d < m.size:
        out[d:] = m[: m.size - d]
    return out


def refrigeration_emissions(
    new_charge: ArrayLike,
    bank: ArrayLike,
    retired: ArrayLike,
    k_charge: float,
    x_lifetime_per_yr: float,
    p_remaining: float,
    eta_recovery: float,
) -> np.ndarray:
    """Emissions of one refrigerant from one sub-application (Vol 3 Ch 7 Eq. 7.10, 7.12-7.14).

    .. math:: E_t = M_t \\cdot k + B_t \\cdot x + M_{t-d} \\cdot p \\cdot (1 - \\eta_{rec})

    (charging new equipment, leaks and servicing over the life, and end of life; emissions
    from handling containers, Eq. 7.11, are not estimated at this tier).

    Parameters
    ----------
    new_charge
        Refrigerant charged into new equipment, M_t [t].
    bank
        Refrigerant banked in equipment in use, B_t [t].
    retired
        Initial charge of the equipment retired, M_{t-d} [t].
    k_charge
        Initial (charging) emission factor, fraction of the initial charge [-].
    x_lifetime_per_yr
        Operation emission factor, fraction of the bank per year [1/yr].
    p_remaining
        Charge remaining at end of life, fraction of the initial charge [-].
    eta_recovery
        Recovery efficiency at end of life, fraction of the remaining charge [-].

    Returns
    -------
    numpy.ndarray
        Emissions [t / yr].
    """
    return (
        np.asarray(new_charge, float) * k_charge
        + np.asarray(bank, float) * x_lifetime_per_yr
        + np.asarray(retired, float) * p_remaining * (1.0 - eta_recovery)
    )
