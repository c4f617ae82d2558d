"""Satellite products described as data: one :class:`ProductSpec` per product.

A spec says how to recognise a file (file-name pattern, attributes), which
variables it must hold, where each canonical variable lives in it, which units
are accepted, and the product's recommended quality screening with its source.
The code that turns a file into soundings is a small handler in
:mod:`openmrv.observe.readers`; :mod:`openmrv.observe.registry` pairs the two.

References
----------
.. [UoL] Parker, R. J. et al. (2020), A decade of GOSAT Proxy satellite CH4
   observations, Earth Syst. Sci. Data 12, 3383-3412, doi:10.5194/essd-12-3383-2020;
   ESA GHG-CCI Product User Guide, CH4_GOS_OCPR v7.2.
.. [TROPOMI] Lorente, A. et al. (2021), Methane retrieved from TROPOMI: improvement
   of the data product and validation of the first 2 years of measurements,
   Atmos. Meas. Tech. 14, 665-684, doi:10.5194/amt-14-665-2021; SRON S5P CH4
   ATBD (SRON-S5P-LEV2-RP-001) and Product Readme File (qa_value >= 0.5).
.. [BLND] Balasus, N. et al. (2023), A blended TROPOMI+GOSAT satellite data product
   for atmospheric methane using machine learning to correct retrieval biases,
   Atmos. Meas. Tech. 16, 3787-3807, doi:10.5194/amt-16-3787-2023, and its
   Product User Manual (2024).
.. [NIES] NIES GOSAT TANSO-FTS SWIR Level 2 Product Format Description
   (GOSAT_ProductDescription_21_FTSSWIRL2); NIES GOSAT-2 TANSO-FTS-2 SWIR L2
   Product Description. No real file of either was available offline: the test
   files are written from these descriptions, and the variable paths were checked
   against open code that reads the real files (``docs/observe.md``, "GOSAT and
   GOSAT-2 variable paths": which path is confirmed, and by what).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Op = Literal["==", "!=", ">=", "<=", ">", "<"]


@dataclass(frozen=True)
class Condition:
    """``(variable & mask) <op> value`` on a canonical variable."""

    variable: str
    op: Op
    value: float
    mask: int | None = None


@dataclass(frozen=True)
class QARule:
    """One screening rule: keep soundings where ``keep`` holds (where ``applies_if`` holds).

    Parameters
    ----------
    reason
        The label of the soundings this rule drops, used in summaries.
    keep
        The condition a sounding must meet to be kept.
    source
        Where the rule comes from (document, section).
    applies_if
        If given, the rule only drops soundings that also meet this condition.
    """

    reason: str
    keep: Condition
    source: str
    applies_if: Condition | None = None


@dataclass(frozen=True)
class ProductSpec:
    """A satellite product described as data.

    Parameters
    ----------
    name
        Registry name, e.g. ``"tropomi_ch4_offl"``.
    description
        One line, with the producer.
    filename
        Regular expression matched against the file's base name.
    format
        ``"netcdf"``, ``"hdf5"`` or ``"npz"``.
    required
        Variables (paths, with groups) the file must hold; one of several
        alternatives is written ``"a|b"``.
    variables
        Canonical name -> path(s) in the file; the first existing one is read.
    units
        Canonical name -> the unit assumed where the file gives none (only where
        the product's documentation states it).
    qa
        The product's recommended screening, on canonical variables.
    attributes
        Global attribute -> regular expression, to recognise a renamed file.
    reference
        The product's documentation.
    published
        False for products whose layout is not yet published.
    """

    name: str
    description: str
    filename: str
    format: Literal["netcdf", "hdf5", "npz"]
    required: tuple[str, ...]
    variables: Mapping[str, tuple[str, ...]]
    qa: tuple[QARule, ...]
    reference: str
    units: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, str] = field(default_factory=dict)
    published: bool = True


def _v(**paths: str | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {k: (p,) if isinstance(p, str) else p for k, p in paths.items()}


UOL_PROXY = ProductSpec(
    name="gosat_uol_proxy",
    description="GOSAT XCH4 proxy retrieval, University of Leicester (ESA CCI v7.2, UoL v9.0)",
    filename=r"^(ESACCI|UoL)-GHG-L2-CH4-GOSAT-OCPR-\d{8}-fv\d+(\.\d+)*\.nc$",
    format="netcdf",
    required=("time", "latitude", "longitude", "xch4", "xch4_uncertainty", "xch4_quality_flag"),
    variables=_v(
        time="time",
        latitude="latitude",
        longitude="longitude",
        xch4="xch4",
        xch4_uncertainty="xch4_uncertainty",
        quality_flag="xch4_quality_flag",
        averaging_kernel="xch4_averaging_kernel",
        ch4_profile_apriori="ch4_profile_apriori",
        pressure_levels="pressure_levels",
        pressure_weight="pressure_weight",
        surface_pressure="surface_air_pressure_apriori",
    ),
    qa=(
        QARule(
            "xch4_quality_flag != 0",
            Condition("quality_flag", "==", 0),
            "UoL/ESA GHG-CCI PUG CH4_GOS_OCPR: xch4_quality_flag 0 = good, 1 = potentially bad",
        ),
    ),
    attributes={"title": r"GOSAT OCPR CH4", "institution": r"Leicester"},
    reference="Parker et al. (2020), doi:10.5194/essd-12-3383-2020",
)

_TROPOMI_L2 = "PRODUCT/SUPPORT_DATA"
#: canonical name -> (group under PRODUCT/SUPPORT_DATA, variable) of the TROPOMI L2 support
#: data; the blended product keeps the same variable names in a flat file
_TROPOMI_SUPPORT = {
    "latitude_bounds": ("GEOLOCATIONS", "latitude_bounds"),
    "longitude_bounds": ("GEOLOCATIONS", "longitude_bounds"),
    "averaging_kernel": ("DETAILED_RESULTS", "column_averaging_kernel"),
    "ch4_profile_apriori": ("INPUT_DATA", "methane_profile_apriori"),
    "dry_air_subcolumns": ("INPUT_DATA", "dry_air_subcolumns"),
    "surface_pressure": ("INPUT_DATA", "surface_pressure"),
    "pressure_interval": ("INPUT_DATA", "pressure_interval"),
    "surface_albedo": ("DETAILED_RESULTS", "surface_albedo_SWIR"),
    "surface_classification": ("INPUT_DATA", "surface_classification"),
    "chi_square_swir": ("DETAILED_RESULTS", "chi_square_SWIR"),
}
TROPOMI_OFFL = ProductSpec(
    name="tropomi_ch4_l2",
    description="Sentinel-5P TROPOMI operational L2 CH4 (OFFL/RPRO/NRTI), grouped netCDF",
    filename=r"^S5P_(OFFL|RPRO|NRTI)_L2__CH4____\d{8}T\d{6}_\d{8}T\d{6}_\d{5}_\d{2}_\d{6}_\d{8}T\d{6}.*\.nc4?$",
    format="netcdf",
    required=(
        "PRODUCT/latitude",
        "PRODUCT/longitude",
        "PRODUCT/time",
        "PRODUCT/delta_time",
        "PRODUCT/methane_mixing_ratio_bias_corrected|PRODUCT/methane_mixing_ratio",
    ),
    variables={
        **_v(
            latitude="PRODUCT/latitude",
            longitude="PRODUCT/longitude",
            xch4=("PRODUCT/methane_mixing_ratio_bias_corrected", "PRODUCT/methane_mixing_ratio"),
            xch4_uncertainty="PRODUCT/methane_mixing_ratio_precision",
            qa_value="PRODUCT/qa_value",
            eastward_wind=f"{_TROPOMI_L2}/INPUT_DATA/eastward_wind",
            northward_wind=f"{_TROPOMI_L2}/INPUT_DATA/northward_wind",
        ),
        **{k: (f"{_TROPOMI_L2}/{group}/{leaf}",) for k, (group, leaf) in _TROPOMI_SUPPORT.items()},
    },
    qa=(
        QARule(
            "qa_value < 0.5",
            Condition("qa_value", ">=", 0.5),
            "S5P CH4 Product Readme File and ATBD (Lorente et al. 2021): use qa_value >= 0.5",
        ),
    ),
    attributes={"title": r"TROPOMI/S5P CH4", "sensor": r"TROPOMI"},
    reference="Lorente et al. (2021), doi:10.5194/amt-14-665-2021",
)

_BLENDED_VARS = {
    **_v(
        latitude="latitude",
        longitude="longitude",
        time="time_utc",
        xch4="methane_mixing_ratio_blended",
        xch4_uncertainty="methane_mixing_ratio_precision",
        qa_value="qa_value",
    ),
    **{k: (leaf,) for k, (_, leaf) in _TROPOMI_SUPPORT.items()},
}
_BLND_SOURCE = "Balasus et al. (2023), Sect. 2, and Product User Manual (2024)"
TROPOMI_BLENDED = ProductSpec(
    name="tropomi_gosat_blended",
    description="Blended TROPOMI+GOSAT XCH4 (Balasus et al. 2023), flat netCDF per orbit",
    filename=r"^S5P_BLND_L2__CH4____\d{8}T\d{6}_\d{8}T\d{6}_\d{5}_\d{2}_\d{6}_\d{8}T\d{6}\.nc$",
    format="netcdf",
    required=("latitude", "longitude", "time_utc", "methane_mixing_ratio_blended", "qa_value"),
    variables=_BLENDED_VARS,
    qa=(
        QARule(
            "qa_value < 1",
            Condition("qa_value", ">=", 1.0),
            f"{_BLND_SOURCE}: the correction applies to qa_value == 1 only",
        ),
        QARule(
            "coastal pixel",
            Condition("surface_classification", "!=", 3, mask=3),
            f"{_BLND_SOURCE}: remove coastal scenes (surface_classification & 3 == 3)",
        ),
        QARule(
            "some-water pixel with chi_square_SWIR > 20000",
            Condition("chi_square_swir", "<=", 20000.0),
            f"{_BLND_SOURCE}: remove scenes with surface_classification & 3 == 2 and "
            "chi_square_SWIR > 20000",
            applies_if=Condition("surface_classification", "==", 2, mask=3),
        ),
    ),
    attributes={"Title": r"Blended TROPOMI\+GOSAT Methane"},
    reference="Balasus et al. (2023), doi:10.5194/amt-16-3787-2023",
)

TROPOMI_BLENDED_SUPEROBS = ProductSpec(
    name="tropomi_gosat_blended_superobs",
    description="Super-observations of the blended product on a model grid (IMI output)",
    filename=r"^S5P_BLND_L2__CH4____.*_superobservations\.nc$",
    format="netcdf",
    required=("latitude", "longitude", "time_utc", "methane_mixing_ratio_blended"),
    variables={**_BLENDED_VARS, "observation_count": ("observation_count",)},
    qa=(),  # built from screened soundings already
    units={
        "latitude": "degrees_north",
        "longitude": "degrees_east",
        "xch4": "1e-9",
        "averaging_kernel": "1",
        "ch4_profile_apriori": "mol m-2",
        "dry_air_subcolumns": "mol m-2",
        "surface_pressure": "Pa",
        "pressure_interval": "Pa",
        "surface_albedo": "1",
        "qa_value": "1",
        "observation_count": "1",
    },
    attributes={"title": r"^Superobservations"},
    reference="Integrated Methane Inversion (IMI) satellite operator output; units as the "
    "blended product it averages (Balasus et al. 2023)",
)

PLUME_PATCH = ProductSpec(
    name="tropomi_plume_patch",
    description="TROPOMI 32x32 XCH4 patches around plumes (DLR-MF-DAS methane-super-emitters)",
    filename=r"^\d{8}_\d{2}-\d{2}-\d{2}_-?\d+\.\d+_-?\d+\.\d+_\d+\.npz$",
    format="npz",
    required=("methane", "qa", "lat", "lon", "time"),
    variables=_v(
        xch4="methane",
        xch4_uncertainty="methane_precision",
        qa_value="qa",
        latitude="lat",
        longitude="lon",
        latitude_bounds="lat_bounds",
        longitude_bounds="lon_bounds",
        surface_albedo="surface_albedo",
        eastward_wind="u10",
        northward_wind="v10",
        time="time",
    ),
    qa=(
        QARule(
            "qa_value < 0.5",
            Condition("qa_value", ">=", 0.5),
            "S5P CH4 Product Readme File: use qa_value >= 0.5 (patches keep the L2 qa_value)",
        ),
    ),
    units={
        "xch4": "ppb",
        "xch4_uncertainty": "ppb",
        "qa_value": "1",
        "latitude": "degrees_north",
        "longitude": "degrees_east",
        "surface_albedo": "1",
        "eastward_wind": "m s-1",
        "northward_wind": "m s-1",
    },
    reference="github.com/DLR-MF-DAS/methane-super-emitters data/dataset (keys as documented "
    "in shared/data/SOURCES.md); upstream modified Copernicus Sentinel-5P data 2021",
)

GOSAT_NIES = ProductSpec(
    name="gosat_nies_swir_l2",
    description="GOSAT TANSO-FTS SWIR L2 CH4, NIES (HDF5)",
    filename=r"^GOSATTFTS\d{8,16}_02C02S\w*\.h5$",
    format="hdf5",
    required=(
        "Data/geolocation/latitude",
        "Data/geolocation/longitude",
        "Data/mixingRatio/XCH4",
        "scanAttribute/time",
        "Data/retrievalQuality/totalPostScreeningResult",
    ),
    variables=_v(
        latitude="Data/geolocation/latitude",
        longitude="Data/geolocation/longitude",
        time="scanAttribute/time",
        xch4="Data/mixingRatio/XCH4",
        xch4_uncertainty="Data/mixingRatio/XCH4Error",
        quality_flag="Data/retrievalQuality/totalPostScreeningResult",
        surface_pressure="Data/auxiliaryParameter/surfacePressure",
    ),
    qa=(
        QARule(
            "post-screening failed",
            Condition("quality_flag", "==", 0),
            "NIES FTS SWIR L2 product description: totalPostScreeningResult 0 = passed all "
            "post-screening tests",
        ),
    ),
    reference="NIES GOSAT TANSO-FTS SWIR L2 Product Format Description (no real file offline)",
)

GOSAT2_NIES = ProductSpec(
    name="gosat2_nies_swir_l2",
    description="GOSAT-2 TANSO-FTS-2 SWIR L2 column amounts, NIES (HDF5)",
    filename=r"^GOSAT2TFTS2\d+_02SWFP\w*\.h5$",
    format="hdf5",
    required=(
        "SoundingGeometry/latitude",
        "SoundingGeometry/longitude",
        "SoundingAttribute/observationTime",
        "RetrievalResult/xch4",
        "RetrievalResult/xch4_quality_flag",
    ),
    variables=_v(
        latitude="SoundingGeometry/latitude",
        longitude="SoundingGeometry/longitude",
        time="SoundingAttribute/observationTime",
        xch4="RetrievalResult/xch4",
        xch4_uncertainty="RetrievalResult/xch4_uncert",
        xco2="RetrievalResult/xco2",
        xco2_uncertainty="RetrievalResult/xco2_uncert",
        quality_flag="RetrievalResult/xch4_quality_flag",
        averaging_kernel="RetrievalResult/xch4_column_averaging_kernel",
        ch4_profile_apriori="RetrievalResult/ch4_profile_apriori",
        pressure_levels="RetrievalResult/pressure_level",
        pressure_weight="RetrievalResult/pressure_weighting_function",
        surface_pressure="RetrievalResult/surface_pressure",
    ),
    qa=(
        QARule(
            "xch4_quality_flag != 0",
            Condition("quality_flag", "==", 0),
            "NIES GOSAT-2 FTS-2 SWIR L2 product description: xch4_quality_flag 0 = good",
        ),
    ),
    reference="NIES GOSAT-2 TANSO-FTS-2 SWIR L2 Product Description (no real file offline)",
)

GOSAT_GW = ProductSpec(
    name="gosat_gw_tanso3_l2",
    description="GOSAT-GW TANSO-3 L2 GHG (wide and focus modes), NIES",
    filename=r"^GWT3[WF]_L2_GHG.*",
    format="hdf5",
    required=(),
    variables={},
    qa=(),
    reference="NIES GOSAT-GW TANSO-3 L2 format document (not yet published)",
    published=False,
)

BUILTIN_SPECS: tuple[ProductSpec, ...] = (
    UOL_PROXY,
    TROPOMI_OFFL,
    TROPOMI_BLENDED,
    TROPOMI_BLENDED_SUPEROBS,
    PLUME_PATCH,
    GOSAT_NIES,
    GOSAT2_NIES,
    GOSAT_GW,
)
