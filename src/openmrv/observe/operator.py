"""Observation operator: a model CH4 profile seen as the satellite sees it (pure functions).

Two equivalent forms are given, as the products document them:

- **pressure-weight form** (UoL GOSAT proxy, GOSAT-2; Parker et al. 2020, ESA GHG-CCI PUG):

  .. math:: X_m = \\sum_j h_j \\left[x_{a,j} + a_j (x_j - x_{a,j})\\right]

  with pressure weights :math:`h_j` (sum 1), column averaging kernel :math:`a_j`,
  prior :math:`x_{a,j}` and model :math:`x_j` mole fractions on the retrieval levels.
- **layer sub-column form** (TROPOMI ATBD, SRON-S5P-LEV2-RP-001; Lorente et al. 2021):

  .. math:: X_m = \\frac{\\sum_i \\left[A_i s_i + (1 - A_i) s_{a,i}\\right]}{\\sum_i d_i}

  with model and prior CH4 sub-columns :math:`s_i`, :math:`s_{a,i}` and dry-air
  sub-columns :math:`d_i` [mol m-2] per layer.

With :math:`h_i = d_i / \\sum d` and :math:`s = x d` the two are the same. Levels
that are NaN (padding after concatenating products) are left out of the sums.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from openmrv.errors import ObservationError


def column_pressure_weight(
    model: np.ndarray, prior: np.ndarray, kernel: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    """Satellite-equivalent column in the pressure-weight form.

    Parameters
    ----------
    model
        Model mole fraction on the retrieval levels [ppb], shape (..., level).
    prior
        Prior mole fraction [ppb], same shape.
    kernel
        Column averaging kernel [1], same shape.
    weight
        Pressure weights [1], same shape, summing to 1 over the last axis.

    Returns
    -------
    numpy.ndarray
        XCH4 the satellite would retrieve from the model profile [ppb], shape (...).

    References
    ----------
    Parker, R. J. et al. (2020), Earth Syst. Sci. Data 12, 3383-3412,
    doi:10.5194/essd-12-3383-2020.
    """
    model, prior, kernel, weight = np.broadcast_arrays(model, prior, kernel, weight)
    return np.nansum(weight * (prior + kernel * (model - prior)), axis=-1)


def column_subcolumns(
    model_subcolumns: np.ndarray,
    prior_subcolumns: np.ndarray,
    kernel: np.ndarray,
    dry_air_subcolumns: np.ndarray,
) -> np.ndarray:
    """Satellite-equivalent column in the TROPOMI layer sub-column form.

    Parameters
    ----------
    model_subcolumns
        Model CH4 per layer [mol m-2], shape (..., layer).
    prior_subcolumns
        Prior CH4 per layer [mol m-2].
    kernel
        Column averaging kernel [1].
    dry_air_subcolumns
        Dry air per layer [mol m-2].

    Returns
    -------
    numpy.ndarray
        XCH4 [ppb], shape (...).

    References
    ----------
    Lorente, A. et al. (2021), Atmos. Meas. Tech. 14, 665-684, doi:10.5194/amt-14-665-2021;
    Hasekamp, O. et al., TROPOMI ATBD of the methane retrieval, SRON-S5P-LEV2-RP-001.
    """
    s, sa, a, d = np.broadcast_arrays(
        model_subcolumns, prior_subcolumns, kernel, dry_air_subcolumns
    )
    return np.nansum(a * s + (1.0 - a) * sa, axis=-1) / np.nansum(d, axis=-1) * 1e9


def apply_operator(soundings: xr.Dataset, model: xr.DataArray) -> xr.DataArray:
    """Apply each sounding's averaging kernel to a model profile on its levels.

    Parameters
    ----------
    soundings
        Soundings with ``averaging_kernel``, ``ch4_profile_apriori`` and either
        ``dry_air_subcolumns`` (layer form) or ``pressure_weight``.
    model
        Model mole fraction [ppb] with dims (sounding, level), already on the
        soundings' levels (surface first).

    Returns
    -------
    xarray.DataArray
        Model XCH4 as the satellite sees it [ppb], dim ``sounding``.
    """
    need = ("averaging_kernel", "ch4_profile_apriori")
    absent = [n for n in need if n not in soundings]
    if absent:
        raise ObservationError(f"the operator needs {absent}, which these soundings lack")
    a = soundings["averaging_kernel"].values
    xa = soundings["ch4_profile_apriori"].values
    x = model.transpose("sounding", "level").values
    if "dry_air_subcolumns" in soundings:
        d = soundings["dry_air_subcolumns"].values
        out = column_subcolumns(x * d * 1e-9, xa * d * 1e-9, a, d)
    elif "pressure_weight" in soundings:
        out = column_pressure_weight(x, xa, a, soundings["pressure_weight"].values)
    else:
        raise ObservationError("the operator needs pressure_weight or dry_air_subcolumns")
    return xr.DataArray(out, dims="sounding", attrs={"units": "ppb"}, name="xch4_model")
