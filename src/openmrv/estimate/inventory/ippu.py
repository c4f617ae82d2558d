"""Industrial processes (2.A.1 cement, 2.A.2 lime, 2.B.1 ammonia, 2.B.2 nitric acid, 2.B.8
petrochemicals, 2.C.1 iron and steel).

References
----------
IPCC (2006), Vol. 3 Ch. 2 (Mineral Industry: Eq. 2.1, 2.2 cement; Eq. 2.8 lime), Ch. 3
(Chemical Industry: Eq. 3.1, 3.3 ammonia; Eq. 3.5 nitric acid; Eq. 3.15, 3.16, 3.19
petrochemicals) and Ch. 4 (Metal Industry: Eq. 4.4-4.8 iron and steel, Tier 1);
IPCC (2019), 2019 Refinement, Vol. 3 Ch. 3 (revised petrochemical factors).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def cement_tier1(
    cement_production: ArrayLike,
    clinker_fraction: ArrayLike,
    ef_clc: ArrayLike,
    clinker_imports: ArrayLike = 0.0,
    clinker_exports: ArrayLike = 0.0,
) -> np.ndarray:
    """CO2 from cement production, Tier 1 (Vol 3 Ch 2 Eq. 2.1).

    .. math:: CO_2 = \\left(M_c \\cdot C_{cl} - Im + Ex\\right) \\cdot EF_{clc}

    Parameters
    ----------
    cement_production
        Cement produced [t].
    clinker_fraction
        Clinker fraction of the cement [-].
    ef_clc
        Emission factor for clinker (0.52 default, CKD correction included) [t CO2 / t].
    clinker_imports, clinker_exports
        Clinker imported for and exported from consumption [t].

    Returns
    -------
    numpy.ndarray
        CO2 emissions [t CO2].
    """
    clinker = (
        np.asarray(cement_production, float) * np.asarray(clinker_fraction, float)
        - np.asarray(clinker_imports, float)
        + np.asarray(clinker_exports, float)
    )
    return clinker * np.asarray(ef_clc, float)


def cement_tier2(
    clinker_production: ArrayLike, ef_cl: ArrayLike, cf_ckd: ArrayLike = 1.0
) -> np.ndarray:
    """CO2 from cement production based on clinker data (Vol 3 Ch 2 Eq. 2.2).

    .. math:: CO_2 = M_{cl} \\cdot EF_{cl} \\cdot CF_{ckd}

    Parameters
    ----------
    clinker_production
        Clinker produced [t].
    ef_cl
        Emission factor per tonne of clinker, without the CKD correction [t CO2 / t].
    cf_ckd
        Cement kiln dust correction factor [-] (1.02 default).

    Returns
    -------
    numpy.ndarray
        CO2 emissions [t CO2].
    """
    return (
        np.asarray(clinker_production, float) * np.asarray(ef_cl, float) * np.asarray(cf_ckd, float)
    )


def ammonia_co2(
    ammonia_production: ArrayLike,
    fuel_requirement: ArrayLike,
    carbon_content: ArrayLike,
    oxidation_factor: ArrayLike,
    c_to_co2: float,
    co2_recovered: ArrayLike = 0.0,
) -> np.ndarray:
    """CO2 from ammonia production, Tier 1 and 2 (Vol 3 Ch 3 Eq. 3.1 with 3.3).

    .. math:: E_{CO_2} = AP \\cdot FR \\cdot CCF \\cdot COF \\cdot \\tfrac{44}{12} - R_{CO_2}

    Parameters
    ----------
    ammonia_production
        Ammonia produced [t NH3].
    fuel_requirement
        Total fuel requirement per unit of output (Table 3.1) [GJ / t NH3].
    carbon_content
        Carbon content of the fuel [kg C / GJ].
    oxidation_factor
        Carbon oxidation factor of the fuel [-].
    c_to_co2
        CO2/C molecular-weight ratio (44/12).
    co2_recovered
        CO2 recovered for downstream use, e.g. urea production (:func:`urea_co2_recovered`)
        [kg CO2].

    Returns
    -------
    numpy.ndarray
        CO2 emissions [kg CO2].
    """
    gross = (
        np.asarray(ammonia_production, float)
        * np.asarray(fuel_requirement, float)
        * np.asarray(carbon_content, float)
        * np.asarray(oxidation_factor, float)
        * c_to_co2
    )
    return gross - np.asarray(co2_recovered, float)


def urea_co2_recovered(
    urea_production: ArrayLike, urea_c_fraction: float, c_to_co2: float
) -> np.ndarray:
    """CO2 recovered from ammonia production into urea (Vol 3 Ch 3 Eq. 3.3 note).

    .. math:: R_{CO_2} = M_{urea} \\cdot \\tfrac{12}{60} \\cdot \\tfrac{44}{12}

    Parameters
    ----------
    urea_production
        Urea produced [t].
    urea_c_fraction
        Carbon mass fraction of urea CO(NH2)2 (12/60) [-].
    c_to_co2
        CO2/C molecular-weight ratio (44/12) [-].

    Returns
    -------
    numpy.ndarray
        CO2 recovered [t CO2]; it is emitted where the urea is used (3.C.3).
    """
    return np.asarray(urea_production, float) * urea_c_fraction * c_to_co2


def petrochemical_tier1(
    production: ArrayLike, emission_factor: ArrayLike, geographic_adjustment_pct: ArrayLike = 100.0
) -> np.ndarray:
    """CO2 or CH4 from a petrochemical, Tier 1 (Vol 3 Ch 3 Eq. 3.15 and 3.16/3.19).

    .. math:: E_i = PP_i \\cdot EF_i \\cdot \\frac{GAF}{100}

    The geographic adjustment factor (Table 3.15) applies to ethylene CO2 only; pass
    100 for the other cases.

    Parameters
    ----------
    production
        Annual production of the petrochemical [t].
    emission_factor
        Emission factor [t CO2 / t] or [kg CH4 / t].
    geographic_adjustment_pct
        Geographic adjustment factor [%].

    Returns
    -------
    numpy.ndarray
        Emissions in the factor's mass unit.
    """
    return (
        np.asarray(production, float)
        * np.asarray(emission_factor, float)
        * np.asarray(geographic_adjustment_pct, float)
        / 100.0
    )


def lime_co2(lime_production: ArrayLike, ef_lime: ArrayLike) -> np.ndarray:
    """CO2 from lime production, Tier 1 and 2 by lime type (Vol 3 Ch 2 Eq. 2.8).

    .. math:: CO_2 = \\sum_i M_{l,i} \\cdot EF_{lime,i}

    Parameters
    ----------
    lime_production
        Lime of one type produced [t].
    ef_lime
        Emission factor of that lime type (Table 2.4; 0.75 where the types are unknown,
        85 % high-calcium and 15 % dolomitic) [t CO2 / t lime].

    Returns
    -------
    numpy.ndarray
        CO2 emissions [t CO2].
    """
    return np.asarray(lime_production, float) * np.asarray(ef_lime, float)


def nitric_acid_n2o(nitric_acid_production: ArrayLike, ef: ArrayLike) -> np.ndarray:
    """N2O from nitric acid production, Tier 1 (Vol 3 Ch 3 Eq. 3.5).

    .. math:: E_{N_2O} = EF \\cdot NAP

    Parameters
    ----------
    nitric_acid_production
        Nitric acid produced, 100 % acid basis [t].
    ef
        Emission factor of the plant type (Table 3.3) [kg N2O / t].

    Returns
    -------
    numpy.ndarray
        N2O emissions [kg N2O].
    """
    return np.asarray(ef, float) * np.asarray(nitric_acid_production, float)


def iron_steel_co2(production: ArrayLike, ef: ArrayLike) -> np.ndarray:
    """CO2 from one route of iron and steel production, Tier 1 (Vol 3 Ch 4 Eq. 4.4-4.8).

    .. math:: E_{CO_2} = \\sum_r P_r \\cdot EF_r

    where r is steel by furnace (BOF, EAF, OHF; Eq. 4.4), pig iron not converted into
    steel (Eq. 4.5), direct reduced iron (4.6), sinter (4.7) and pellets (4.8).

    Parameters
    ----------
    production
        Output of the route [t].
    ef
        Tier 1 factor of the route (Table 4.1) [t CO2 / t].

    Returns
    -------
    numpy.ndarray
        CO2 emissions [t CO2].
    """
    return np.asarray(production, float) * np.asarray(ef, float)
