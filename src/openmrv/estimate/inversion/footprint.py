"""Jacobians from footprints of Lagrangian particle models (STILT, FLEXPART).

A footprint f_i(c) [mixing ratio per flux] gives the enhancement of receptor i as
Δy_i = Σ_c f_i(c) E(c) for surface fluxes E(c) [flux unit] in grid cells c (emissions
constant over the footprint's time span). For a state vector of elements j made of
cells (an element map M: cell → element, −1 for cells outside the state):

- fluxes as elements (``prior_flux`` None): K_ij = Σ_{c∈j} f_i(c) [obs unit per flux unit]
  (a uniform flux over each element);
- scale factors (``prior_flux`` given): K_ij = Σ_{c∈j} f_i(c) E_a(c) [obs unit per unit
  scale factor].

Units are converted with pint: the footprint's unit is turned into
``obs_unit / flux_unit``; moles and mass of the gas convert through its molar mass, and a
mass mixing ratio (FLEXPART) into a mole fraction by M_air / M_gas
(:mod:`openmrv.constants`). Observations are mixing ratios in ppm, ppb or ppt.
Anything else that does not convert is a :class:`UnitError`.
"""

from __future__ import annotations

import numpy as np
import pint
from numpy.typing import ArrayLike

from openmrv.constants import constant
from openmrv.errors import InputError, UnitError
from openmrv.units import registry


def molar_mass(gas: str) -> float:
    """Molar mass of ``gas`` [kg/mol] from :mod:`openmrv.constants`."""
    try:
        return constant(f"M_{gas}", "kg / mol")
    except KeyError:
        raise InputError(f"no molar mass for gas '{gas}'; known: CH4, CO2", field="gas") from None


def footprint_factor(
    unit: str,
    obs_unit: str = "ppb",
    flux_unit: str = "kg / m**2 / s",
    gas: str = "CH4",
    mixing_ratio: str = "mole",
) -> float:
    """Factor that turns a footprint in ``unit`` into ``obs_unit`` per ``flux_unit``.

    Raises
    ------
    UnitError
        If the units cannot be parsed or do not convert (e.g. a footprint per area
        without time, or an observation that is not a mixing ratio).
    """
    ureg = registry()
    try:
        q = ureg.Quantity(1.0, unit)
        target = ureg.Quantity(1.0, obs_unit) / ureg.Quantity(1.0, flux_unit)
    except (pint.errors.PintError, AttributeError, TypeError, ValueError) as exc:
        raise UnitError(f"cannot parse footprint or target units ({exc})", field="unit") from None
    if mixing_ratio == "mass":
        if not q.dimensionality == (1 / ureg.Quantity(1.0, "kg / m**2 / s")).dimensionality:
            raise UnitError(
                f"a mass-mixing-ratio footprint must be per flux (e.g. 's m2 kg-1'), got '{unit}'",
                field="unit",
            )
        # kg/kg -> mol/mol (x M_air/M_gas); a mole fraction of 1 is 1e9 ppb (openscm_units
        # keeps mixing ratios as their own dimension)
        q = q * (constant("M_air") / molar_mass(gas)) * ureg.Quantity(1e9, "ppb")
    elif mixing_ratio != "mole":
        raise InputError(
            f"mixing_ratio '{mixing_ratio}' unknown; use 'mole' or 'mass'", field="mixing_ratio"
        )
    ratio = (q / target).to_base_units()
    dims = dict(ratio.dimensionality)
    mm = ureg.Quantity(molar_mass(gas), "kg / mol")
    if dims == {"[mass]": 1, "[substance]": -1}:
        ratio = ratio / mm  # footprint per mol, state per kg
    elif dims == {"[mass]": -1, "[substance]": 1}:
        ratio = ratio * mm  # footprint per kg, state per mol
    ratio = ratio.to_base_units()
    if not ratio.dimensionless:
        raise UnitError(
            f"footprint unit '{unit}' does not convert to '{obs_unit}' per '{flux_unit}' "
            f"(left over: {ratio.dimensionality}); the observation must be a mixing ratio "
            "and the flux an amount or mass per area and time",
            field="unit",
        )
    return float(ratio.magnitude)


def footprint_jacobian(
    values: ArrayLike,
    unit: str,
    grid_lat: ArrayLike,
    grid_lon: ArrayLike,
    receptor_lon: ArrayLike,
    receptor_lat: ArrayLike,
    element_map: ArrayLike | None = None,
    prior_flux: ArrayLike | None = None,
    obs_unit: str = "ppb",
    flux_unit: str = "kg / m**2 / s",
    gas: str = "CH4",
    mixing_ratio: str = "mole",
) -> np.ndarray:
    """Jacobian K (m, n) of receptors to state elements from footprints.

    Parameters
    ----------
    values
        Footprints (m, lat, lon) [``unit``].
    unit
        Footprint unit (mixing ratio per flux), e.g. ``"ppm / (umol / m**2 / s)"``.
    grid_lat, grid_lon
        Cell centres of the footprint grid [degree].
    receptor_lon, receptor_lat
        Receptor positions (m,) [degree]; one outside the grid is an :class:`InputError`.
    element_map
        Integer (lat, lon) array: the element of each cell, −1 for none. Default: every
        cell its own element (row-major order).
    prior_flux
        Prior flux per cell (lat, lon) [``flux_unit``]: elements become scale factors.
    obs_unit, flux_unit, gas, mixing_ratio
        Units of the observations and of the fluxes/state; the gas (for molar masses);
        ``"mass"`` for a footprint of mass mixing ratio (FLEXPART).
    """
    f = np.asarray(values, dtype=float)
    glat, glon = np.asarray(grid_lat, float), np.asarray(grid_lon, float)
    if f.ndim != 3 or f.shape[1:] != (glat.size, glon.size):
        raise InputError(
            f"footprints of shape {f.shape} do not match the grid ({glat.size} lat x "
            f"{glon.size} lon)",
            field="footprint",
        )
    _check_receptors(np.asarray(receptor_lon, float), np.asarray(receptor_lat, float), glat, glon)
    factor = footprint_factor(unit, obs_unit, flux_unit, gas, mixing_ratio)
    cells = f.reshape(f.shape[0], -1) * factor
    if prior_flux is not None:
        e = np.asarray(prior_flux, dtype=float)
        if e.shape != f.shape[1:]:
            raise InputError(
                f"prior flux of shape {e.shape} does not match the footprint grid {f.shape[1:]}",
                field="prior_flux",
            )
        cells = cells * e.ravel()
    if element_map is None:
        return cells
    emap = np.asarray(element_map)
    if emap.shape != f.shape[1:] or not np.issubdtype(emap.dtype, np.integer):
        raise InputError(
            f"element map must be an integer array of the grid's shape {f.shape[1:]}, "
            f"got {emap.dtype} {emap.shape}",
            field="element_map",
        )
    flat = emap.ravel()
    n = int(flat.max()) + 1
    if n <= 0:
        raise InputError("element map assigns no cell to any element", field="element_map")
    inside = flat >= 0
    # K = F M with M the one-hot (cell -> element) matrix, summed without forming M
    k = np.zeros((f.shape[0], n))
    order = np.argsort(flat[inside], kind="stable")
    idx = flat[inside][order]
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    sums = np.add.reduceat(cells[:, inside][:, order], starts, axis=1)
    k[:, idx[starts]] = sums
    return k


def _check_receptors(rlon, rlat, glat, glon) -> None:
    half_lat = abs(glat[1] - glat[0]) / 2 if glat.size > 1 else 0.0
    half_lon = abs(glon[1] - glon[0]) / 2 if glon.size > 1 else 0.0
    lat0, lat1 = glat.min() - half_lat, glat.max() + half_lat
    lon0, lon1 = glon.min() - half_lon, glon.max() + half_lon
    out = np.flatnonzero(~((rlon >= lon0) & (rlon <= lon1) & (rlat >= lat0) & (rlat <= lat1)))
    if out.size:
        where = ", ".join(f"{i} ({rlon[i]:.3f}, {rlat[i]:.3f})" for i in out[:5])
        raise InputError(
            f"{out.size} receptors lie outside the footprint domain lon [{lon0:.3f}, "
            f"{lon1:.3f}], lat [{lat0:.3f}, {lat1:.3f}] (0-based index, lon, lat: {where}); "
            "drop them or use footprints on a domain that contains them",
            field="receptor",
        )
