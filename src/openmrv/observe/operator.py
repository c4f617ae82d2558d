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


def boundary_layer_sensitivity(soundings: xr.Dataset, depth_fraction: float) -> xr.DataArray:
    """How much of a column enhancement mixed in the boundary layer each sounding sees.

    A model that transports column mass (e.g. the inversion's regional column model) gives
    the enhancement ΔX as a column average [ppb]. If that mass is mixed evenly through the
    boundary layer (the lowest ``depth_fraction`` of the column by pressure), the
    satellite sees ``s ΔX`` with ``s`` = the pressure-weighted mean of the averaging kernel
    over those layers. ``s`` is computed through :func:`apply_operator` (so in either
    operator form): the operator applied to prior + 1 ppb in the boundary-layer levels,
    minus the operator applied to the prior, over the column-average enhancement
    ``sum_BL w``. At least the lowest level counts as boundary layer.

    Parameters
    ----------
    soundings
        Soundings with ``averaging_kernel``, ``ch4_profile_apriori`` and
        ``pressure_weight`` or ``dry_air_subcolumns`` (levels surface first).
    depth_fraction
        Boundary-layer depth as a fraction of the surface pressure, in (0, 1].

    Returns
    -------
    xarray.DataArray
        ``s`` [1] per sounding (1 for a perfect instrument).
    """
    if not 0 < depth_fraction <= 1:
        raise ObservationError(f"depth_fraction must be in (0, 1], got {depth_fraction}")
    if "pressure_weight" in soundings:
        w = soundings["pressure_weight"].values
    elif "dry_air_subcolumns" in soundings:
        d = soundings["dry_air_subcolumns"].values
        w = d / np.nansum(d, axis=-1, keepdims=True)
    else:
        raise ObservationError("the operator needs pressure_weight or dry_air_subcolumns")
    w = np.where(np.isfinite(w), w, 0.0)
    below = np.cumsum(w, axis=-1) - w  # column fraction below each level's bottom
    bl = below < depth_fraction
    bl[:, 0] = True
    prior = soundings["ch4_profile_apriori"]
    plus = prior + xr.DataArray(bl.astype(float), dims=prior.dims)
    seen = apply_operator(soundings, plus) - apply_operator(soundings, prior)
    true = (w * bl).sum(axis=-1)
    out = seen / xr.DataArray(true, dims="sounding")
    out.attrs = {"units": "1", "long_name": "boundary-layer sensitivity of XCH4"}
    return out.rename("bl_sensitivity")
