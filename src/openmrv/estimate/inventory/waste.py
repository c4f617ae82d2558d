"""Waste (4.A solid waste disposal, 4.D wastewater).

References
----------
IPCC (2006), Vol. 5 Ch. 3 (Solid Waste Disposal: first-order decay, Eq. 3.1-3.6 and
Annex 3A.1) and Ch. 6 (Wastewater Treatment and Discharge: Eq. 6.1-6.3, 6.7, 6.8);
IPCC (2019), 2019 Refinement, Vol. 5 Ch. 6.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def fod_ch4(
    deposited: ArrayLike,
    doc: ArrayLike,
    docf: float,
    mcf: float,
    f_ch4: float,
    k: ArrayLike,
    ox: float,
    ch4_to_c: float,
    delay_months: float = 6.0,
    recovered: ArrayLike = 0.0,
) -> np.ndarray:
    """CH4 from solid waste disposal by first-order decay (Vol 5 Ch 3 Eq. 3.1-3.6).

    Decomposable degradable organic carbon deposited in year T is
    :math:`DDOCm_d = W \\cdot DOC \\cdot DOC_f \\cdot MCF` (Eq. 3.2). It starts to
    decay after a delay of ``delay_months``. Waste is taken as deposited on average
    at mid-year, so decay starts in month :math:`M = 7 + delay` (Annex 3A.1,
    Eq. 3A1.15-3A1.16); with the default 6-month delay, M = 13: none of it decays in
    the year of deposition. Then (Eq. 3.4, 3.5):

    .. math::
        DDOCma_T = DDOCmd_T \\, e^{-k(13-M)/12} + DDOCma_{T-1} e^{-k} \\\\
        DDOCm\\,decomp_T = DDOCmd_T (1 - e^{-k(13-M)/12}) + DDOCma_{T-1} (1 - e^{-k}) \\\\
        CH_4 = (DDOCm\\,decomp_T \\cdot F \\cdot 16/12 - R_T)(1 - OX)

    Parameters
    ----------
    deposited
        Waste deposited each year, first year first [Gg]; shape (years,), (types, years)
        or (draws, types, years) for Monte Carlo.
    doc
        Degradable organic carbon of the waste [Gg C / Gg waste]; scalar, (types,) or
        (draws, types). ``k`` likewise; ``docf``, ``mcf``, ``f_ch4`` and ``ox`` are
        scalars or (draws,).
    docf
        Fraction of DOC that decomposes [-].
    mcf
        Methane correction factor of the disposal sites [-].
    f_ch4
        Fraction of CH4 in generated landfill gas [-].
    k
        Decay rate [1 / yr].
    ox
        Oxidation factor [-].
    ch4_to_c
        CH4/C molecular-weight ratio (16/12).
    delay_months
        Months between deposition and the start of decay, 0 to 6 (default 6).
    recovered
        CH4 recovered each year [Gg CH4].

    Returns
    -------
    numpy.ndarray
        CH4 emitted each year [Gg CH4], summed over waste types: shape (years,) or
        (draws, years).
    """
    w = np.asarray(deposited, float)
    if w.ndim == 1:
        w = w[None, :]
    # parameters per waste type broadcast against the leading (draw) axes and the type axis
    docv = np.asarray(doc, float)
    kk = np.asarray(k, float)
    if not 0.0 <= float(np.max(delay_months)) <= 6.0 or float(np.min(delay_months)) < 0.0:
        raise ValueError(f"delay_months must lie in [0, 6], got {delay_months}")
    scalar = np.asarray(docf, float) * np.asarray(mcf, float)
    per_mass = docv * scalar[..., None] if scalar.ndim else docv * scalar  # (..., types)
    first = np.exp(-kk * (6.0 - np.asarray(delay_months, float)) / 12.0)
    keep = np.exp(-kk)
    # DDOCm_d = W DOC DOCf MCF (Eq. 3.2), written year-major in one pass; then year by
    # year (each year's deposits contiguous), summing the waste types as each year is
    # done: the same operations in the same order as on the (..., types, years) layout,
    # without keeping every year's decomposition
    shape = np.broadcast_shapes(w.shape, (*np.shape(per_mass), 1))
    by_year = np.empty((shape[-1], *shape[:-1]))  # (years, ..., types)
    np.multiply(np.moveaxis(w, -1, 0), per_mass, out=by_year)
    decays_first, decays = 1.0 - first, 1.0 - keep
    stock = np.zeros(shape[:-1])
    total = np.empty((shape[-1], *shape[:-2]))  # (years, ...)
    for t, new in enumerate(by_year):
        decomposed = new * decays_first
        decomposed += stock * decays
        acc = total[t, ...]  # a view, also where it holds one number
        acc[...] = decomposed[..., 0]
        for i in range(1, decomposed.shape[-1]):  # types in order, as sum(axis=-2)
            acc += decomposed[..., i]
        stock *= keep
        stock += new * first
    f = np.asarray(f_ch4, float)
    generated = np.moveaxis(total, 0, -1) * (f[..., None] if f.ndim else f) * ch4_to_c
    oxf = 1.0 - np.asarray(ox, float)
    return (generated - np.asarray(recovered, float)) * (oxf[..., None] if oxf.ndim else oxf)


def wastewater_tow(
    population: ArrayLike, bod: ArrayLike, industrial_correction: ArrayLike
) -> np.ndarray:
    """Total organics in domestic wastewater (Vol 5 Ch 6 Eq. 6.3).

    .. math:: TOW = P \\cdot BOD \\cdot 0.001 \\cdot I \\cdot 365

    Parameters
    ----------
    population
        Population [person].
    bod
        Per-capita BOD generation [g BOD / person / day].
    industrial_correction
        Correction for industrial BOD discharged into sewers (1.25 collected, 1.00
        uncollected) [-].

    Returns
    -------
    numpy.ndarray
        Organics [kg BOD / yr].
    """
    return (
        np.asarray(population, float)
        * np.asarray(bod, float)
        * 0.001
        * np.asarray(industrial_correction, float)
        * 365.0
    )


def wastewater_ch4(
    tow: ArrayLike,
    fractions: ArrayLike,
    b0: float,
    mcf: ArrayLike,
    sludge: ArrayLike = 0.0,
    recovered: ArrayLike = 0.0,
) -> np.ndarray:
    """CH4 from domestic wastewater (Vol 5 Ch 6 Eq. 6.1 and 6.2).

    .. math:: CH_4 = \\left[\\sum_j U_j T_{j} \\, B_0 \\, MCF_j\\right] (TOW - S) - R

    Parameters
    ----------
    tow
        Total organics in wastewater [kg BOD / yr].
    fractions
        Share of the organics handled by each treatment or discharge pathway j
        (:math:`\\sum_i U_i T_{i,j}`) [-]; last axis j.
    b0
        Maximum CH4 producing capacity [kg CH4 / kg BOD].
    mcf
        Methane correction factor of each pathway [-]; last axis j.
    sludge
        Organics removed as sludge [kg BOD / yr].
    recovered
        CH4 recovered [kg CH4 / yr].

    Returns
    -------
    numpy.ndarray
        Emissions [kg CH4 / yr].
    """
    ef = (np.asarray(fractions, float) * b0 * np.asarray(mcf, float)).sum(axis=-1)
    return ef * (np.asarray(tow, float) - np.asarray(sludge, float)) - np.asarray(recovered, float)


def wastewater_n2o(
    population: ArrayLike,
    protein: ArrayLike,
    f_npr: float,
    f_non_con: float,
    f_ind_com: float,
    ef_effluent: float,
    n2on_to_n2o: float,
    n_sludge: ArrayLike = 0.0,
) -> np.ndarray:
    """N2O from domestic wastewater effluent (Vol 5 Ch 6 Eq. 6.7 and 6.8).

    .. math::
        N_{EFFLUENT} = P \\cdot Protein \\cdot F_{NPR} \\cdot F_{NON-CON}
                       \\cdot F_{IND-COM} - N_{SLUDGE} \\\\
        N_2O = N_{EFFLUENT} \\cdot EF_{EFFLUENT} \\cdot 44/28

    Parameters
    ----------
    population
        Population [person].
    protein
        Annual per-capita protein consumption [kg protein / person / yr].
    f_npr, f_non_con, f_ind_com
        Fraction of N in protein, factor for non-consumed protein, factor for
        industrial and commercial co-discharged protein [-].
    ef_effluent
        Emission factor [kg N2O-N / kg N].
    n2on_to_n2o
        N2O/N2O-N molecular-weight ratio (44/28).
    n_sludge
        N removed with sludge [kg N / yr].

    Returns
    -------
    numpy.ndarray
        Emissions [kg N2O / yr].
    """
    n_eff = np.asarray(population, float) * np.asarray(
        protein, float
    ) * f_npr * f_non_con * f_ind_com - np.asarray(n_sludge, float)
    return n_eff * ef_effluent * n2on_to_n2o
