"""Agriculture (3.A livestock, 3.C aggregate sources on land, 3.C.7 rice).

References
----------
IPCC (2006) and IPCC (2019), 2019 Refinement, Vol. 4 Ch. 10 (Emissions from
Livestock and Manure Management: Eq. 10.19, 10.22, 10.25-10.30) and Ch. 11
(N2O from Managed Soils and CO2 from Urea Application: Eq. 11.1, 11.9, 11.10, 11.13);
IPCC (2006) Vol. 4 Ch. 5 Sect. 5.5 (rice cultivation: Eq. 5.1, 5.2).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def livestock_ch4(population: ArrayLike, emission_factor: ArrayLike) -> np.ndarray:
    """CH4 from enteric fermentation or manure management of one livestock category.

    .. math:: E_T = EF_T \\cdot N_T \\cdot 10^{-6}

    (Vol 4 Ch 10 Eq. 10.19 enteric fermentation; Eq. 10.22 manure management, Tier 1.)

    Parameters
    ----------
    population
        Number of animals [head].
    emission_factor
        Emission factor [kg CH4 / head / yr].

    Returns
    -------
    numpy.ndarray
        Emissions [Gg CH4 / yr].
    """
    return np.asarray(population, float) * np.asarray(emission_factor, float) * 1e-6


def nitrogen_excretion(n_rate: ArrayLike, typical_animal_mass: ArrayLike) -> np.ndarray:
    """Annual N excretion per head (Vol 4 Ch 10 Eq. 10.30).

    .. math:: Nex_T = N_{rate,T} \\cdot \\frac{TAM_T}{1000} \\cdot 365

    Parameters
    ----------
    n_rate
        Default N excretion rate [kg N / (1000 kg animal mass) / day].
    typical_animal_mass
        Typical animal mass [kg / head].

    Returns
    -------
    numpy.ndarray
        N excretion [kg N / head / yr].
    """
    return np.asarray(n_rate, float) * np.asarray(typical_animal_mass, float) / 1000.0 * 365.0


def manure_n2o_direct(
    population: ArrayLike,
    n_excretion: ArrayLike,
    system_fraction: ArrayLike,
    ef3: ArrayLike,
    n2on_to_n2o: float,
) -> np.ndarray:
    """Direct N2O from one manure management system for one livestock category (Eq. 10.25).

    .. math:: N_2O_{D(mm)} = N_T \\cdot Nex_T \\cdot MS_{T,S} \\cdot EF_{3,S} \\cdot \\tfrac{44}{28}

    Parameters
    ----------
    population
        Number of animals [head].
    n_excretion
        Annual N excretion [kg N / head / yr].
    system_fraction
        Fraction of the N managed in system S [-].
    ef3
        Emission factor of system S [kg N2O-N / kg N].
    n2on_to_n2o
        N2O/N2O-N molecular-weight ratio (44/28).

    Returns
    -------
    numpy.ndarray
        Emissions [kg N2O / yr].
    """
    return (
        np.asarray(population, float)
        * np.asarray(n_excretion, float)
        * np.asarray(system_fraction, float)
        * np.asarray(ef3, float)
        * n2on_to_n2o
    )


def manure_n_lost(
    population: ArrayLike,
    n_excretion: ArrayLike,
    system_fractions: ArrayLike,
    loss_fractions: ArrayLike,
) -> np.ndarray:
    """Manure N lost from manure management systems by volatilisation (Vol 4 Ch 10 Eq. 10.26)
    or by leaching and runoff (Eq. 10.28), for one livestock category.

    .. math:: N_{loss} = \\sum_S N_T \\cdot Nex_T \\cdot MS_{T,S} \\cdot Frac_{loss,T,S}

    (Eq. 10.26 with :math:`Frac_{GasMS}`, Eq. 10.28 with :math:`Frac_{LeachMS}`; the
    Guidelines give the fractions in percent and divide by 100, here they are fractions.)

    Parameters
    ----------
    population
        Number of animals [head], one value per year.
    n_excretion
        Annual N excretion per head [kg N / head / yr], one value per year or one.
    system_fractions
        Fraction of the manure managed in each system S [-].
    loss_fractions
        Fraction of the managed N lost in each system S [-], same order.

    Returns
    -------
    numpy.ndarray
        N lost [kg N / yr], one value per year.
    """
    mix = float(np.sum(np.asarray(system_fractions, float) * np.asarray(loss_fractions, float)))
    return np.asarray(population, float) * np.asarray(n_excretion, float) * mix


def manure_n2o_indirect(
    n_volatilised: ArrayLike,
    ef4: ArrayLike,
    n_leached: ArrayLike,
    ef5: ArrayLike,
    n2on_to_n2o: float,
) -> np.ndarray:
    """Indirect N2O from manure management (Vol 4 Ch 10 Eq. 10.27 and 10.29).

    .. math:: N_2O_{G(mm)} + N_2O_{L(mm)} = (N_{volatilization-MMS} \\cdot EF_4
              + N_{leaching-MMS} \\cdot EF_5) \\cdot \\tfrac{44}{28}

    Parameters
    ----------
    n_volatilised
        Manure N volatilised as NH3 and NOx (Eq. 10.26) [kg N].
    ef4
        Factor for atmospheric deposition (Vol 4 Ch 11 Table 11.3) [kg N2O-N / kg N].
    n_leached
        Manure N leached (Eq. 10.28) [kg N].
    ef5
        Factor for leaching and runoff (Vol 4 Ch 11 Table 11.3) [kg N2O-N / kg N].
    n2on_to_n2o
        N2O/N2O-N molecular-weight ratio (44/28).

    Returns
    -------
    numpy.ndarray
        Emissions [kg N2O].
    """
    return (
        np.asarray(n_volatilised, float) * np.asarray(ef4, float)
        + np.asarray(n_leached, float) * np.asarray(ef5, float)
    ) * n2on_to_n2o


def urea_application_co2(
    urea: ArrayLike, emission_factor: ArrayLike, c_to_co2: float
) -> np.ndarray:
    """CO2 from urea fertilisation (Vol 4 Ch 11 Eq. 11.13).

    .. math:: CO_2 = M \\cdot EF \\cdot \\tfrac{44}{12}

    Parameters
    ----------
    urea
        Urea applied [t].
    emission_factor
        Carbon emitted per tonne of urea (0.20 default) [t C / t].
    c_to_co2
        CO2/C molecular-weight ratio (44/12).

    Returns
    -------
    numpy.ndarray
        Emissions [t CO2].
    """
    return np.asarray(urea, float) * np.asarray(emission_factor, float) * c_to_co2


def soils_direct_n2o(
    n_inputs: ArrayLike, ef1: ArrayLike, n_prp: ArrayLike, ef3_prp: ArrayLike, n2on_to_n2o: float
) -> np.ndarray:
    """Direct N2O from managed soils, Tier 1 (Vol 4 Ch 11 Eq. 11.1, without organic soils).

    .. math:: N_2O_{Direct} = \\left[(F_{SN} + F_{ON} + F_{CR} + F_{SOM}) EF_1
              + F_{PRP} \\, EF_{3PRP}\\right] \\cdot \\tfrac{44}{28}

    Parameters
    ----------
    n_inputs
        Annual N applied or mineralised: synthetic, organic, crop residues, SOM [kg N].
    ef1
        Emission factor for N additions [kg N2O-N / kg N].
    n_prp
        Urine and dung N deposited by grazing animals [kg N].
    ef3_prp
        Emission factor for that N [kg N2O-N / kg N].
    n2on_to_n2o
        N2O/N2O-N molecular-weight ratio (44/28).

    Returns
    -------
    numpy.ndarray
        Emissions [kg N2O].
    """
    n2o_n = np.asarray(n_inputs, float) * np.asarray(ef1, float) + np.asarray(
        n_prp, float
    ) * np.asarray(ef3_prp, float)
    return n2o_n * n2on_to_n2o


def soils_indirect_n2o(
    f_sn: ArrayLike,
    f_on_prp: ArrayLike,
    n_leachable: ArrayLike,
    frac_gasf: ArrayLike,
    frac_gasm: ArrayLike,
    ef4: ArrayLike,
    frac_leach: ArrayLike,
    ef5: ArrayLike,
    n2on_to_n2o: float,
) -> np.ndarray:
    """Indirect N2O from managed soils, Tier 1 (Vol 4 Ch 11 Eq. 11.9 and 11.10).

    .. math::
        N_2O_{(ATD)} = (F_{SN} Frac_{GASF} + (F_{ON}+F_{PRP}) Frac_{GASM}) EF_4 \\\\
        N_2O_{(L)} = F_{leachable} \\, Frac_{LEACH} \\, EF_5

    Parameters
    ----------
    f_sn
        Synthetic fertiliser N applied [kg N].
    f_on_prp
        Organic N applied plus N deposited by grazing animals [kg N].
    n_leachable
        All N additions in regions where leaching occurs [kg N].
    frac_gasf, frac_gasm
        Fractions volatilised as NH3 and NOx from synthetic and organic N [-].
    ef4
        Factor for atmospheric deposition [kg N2O-N / kg N volatilised].
    frac_leach
        Fraction of N lost by leaching and runoff [-].
    ef5
        Factor for leaching and runoff [kg N2O-N / kg N leached].
    n2on_to_n2o
        N2O/N2O-N molecular-weight ratio (44/28).

    Returns
    -------
    numpy.ndarray
        Emissions [kg N2O].
    """
    atd = (
        np.asarray(f_sn, float) * np.asarray(frac_gasf, float)
        + np.asarray(f_on_prp, float) * np.asarray(frac_gasm, float)
    ) * np.asarray(ef4, float)
    leach = np.asarray(n_leachable, float) * np.asarray(frac_leach, float) * np.asarray(ef5, float)
    return (atd + leach) * n2on_to_n2o


#: Density of methane used to turn B0 volumes into mass [kg CH4 / m3] (2019R Vol 4 Eq. 10.23).
CH4_DENSITY = 0.67


def manure_ch4_ef_2019r(
    vs_rate: float,
    typical_animal_mass: float,
    b0: float,
    mcf: ArrayLike,
    awms: ArrayLike,
) -> float:
    """Manure-management CH4 emission factor, 2019 Refinement Tier 1 (Vol 4 Eq. 10.22A, 10.23).

    ``EF = VS x B0 x 0.67 x sum_S(MCF_S x AWMS_S)`` with the annual volatile solids
    ``VS = VS_rate x TAM / 1000 x 365``.

    Parameters
    ----------
    vs_rate
        Volatile solids excreted [kg VS / (1000 kg animal mass) / day].
    typical_animal_mass
        Typical animal mass, TAM [kg / head].
    b0
        Maximum CH4-producing capacity [m3 CH4 / kg VS].
    mcf
        CH4 conversion factor of each manure-management system [fraction].
    awms
        Share of the animals' manure handled in each system [fraction].

    Returns
    -------
    float
        Emission factor [kg CH4 / head / yr].
    """
    vs = vs_rate * typical_animal_mass / 1000.0 * 365.0
    mix = float(np.sum(np.asarray(mcf, float) * np.asarray(awms, float)))
    return vs * b0 * CH4_DENSITY * mix


def rice_ch4(
    area_harvested: ArrayLike,
    cultivation_days: ArrayLike,
    ef_c: ArrayLike,
    sf_w: ArrayLike,
    sf_p: ArrayLike,
    sf_o: ArrayLike = 1.0,
    sf_sr: ArrayLike = 1.0,
) -> np.ndarray:
    """CH4 from rice cultivation for one set of conditions (Vol 4 Ch 5 Eq. 5.1, 5.2).

    .. math:: CH_4 = EF_i \\cdot t_i \\cdot A_i, \\quad
              EF_i = EF_c \\cdot SF_w \\cdot SF_p \\cdot SF_o \\cdot SF_{s,r}

    Parameters
    ----------
    area_harvested
        Annual harvested area under the conditions i [ha / yr].
    cultivation_days
        Cultivation period of rice [day].
    ef_c
        Baseline factor for continuously flooded fields without organic amendments
        [kg CH4 / ha / day] (Table 5.11).
    sf_w, sf_p
        Scaling factors for the water regime during (Table 5.12) and before (Table 5.13)
        the cultivation period [-].
    sf_o, sf_sr
        Scaling factors for organic amendments (Eq. 5.3) and for soil type and cultivar
        [-]; 1 where not known.

    Returns
    -------
    numpy.ndarray
        CH4 emissions [kg CH4 / yr] (Eq. 5.1 multiplies by 10^-6 for Gg).
    """
    ef = (
        np.asarray(ef_c, float)
        * np.asarray(sf_w, float)
        * np.asarray(sf_p, float)
        * np.asarray(sf_o, float)
        * np.asarray(sf_sr, float)
    )
    return ef * np.asarray(cultivation_days, float) * np.asarray(area_harvested, float)
