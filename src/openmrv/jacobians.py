"""Readers of external Jacobians for the inversion.

IMI (Integrated Methane Inversion) per-orbit files ``*_GCtoSatellite.npz``: ``K``
(n_obs x n_state, mol/mol per unit of each state element: a scale factor for emission
elements, 1 ppb for boundary-condition elements), ``obs_GC`` (n_obs x 5: observed XCH4,
modelled XCH4 at the prior [ppb], longitude, latitude, number of pixels averaged).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from openmrv.errors import InputError

MOL_PER_MOL_TO_PPB = 1e9  # unit conversion (definition of ppb), not a coefficient


@dataclass
class JacobianChunk:
    """One file's observations and Jacobian rows, in ppb."""

    file: Path
    k: np.ndarray  # (m, n) ppb per state unit
    dy: np.ndarray  # (m,) observed - prior model [ppb]
    lon: np.ndarray
    lat: np.ndarray
    count: np.ndarray


def read_imi_jacobian(path: str | Path) -> JacobianChunk:
    """Read one IMI ``*_GCtoSatellite.npz`` file.

    Raises
    ------
    InputError
        Naming the file, for an unreadable file, a missing array, mismatched shapes or
        non-finite values.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = {"K", "obs_GC"} - set(z.files)
            if missing:
                raise InputError(
                    f"arrays {sorted(missing)} missing (have {z.files}); is this "
                    "an IMI GCtoSatellite file?",
                    file=path,
                )
            k = np.asarray(z["K"], dtype=float) * MOL_PER_MOL_TO_PPB
            obs = np.asarray(z["obs_GC"], dtype=float)
    except InputError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise InputError(f"cannot be read as a numpy .npz file ({exc})", file=path) from None
    if k.ndim != 2 or obs.ndim != 2 or obs.shape[1] < 5 or obs.shape[0] != k.shape[0]:
        raise InputError(
            f"K {k.shape} and obs_GC {obs.shape} do not match (expected "
            "n_obs x n_state and n_obs x 5)",
            file=path,
        )
    if not (np.isfinite(k).all() and np.isfinite(obs[:, :2]).all()):
        raise InputError(
            "K or the observed/modelled columns contain NaN or infinite values", file=path
        )
    return JacobianChunk(path, k, obs[:, 0] - obs[:, 1], obs[:, 2], obs[:, 3], obs[:, 4])


def read_imi_jacobians(directory: str | Path) -> list[JacobianChunk]:
    """All ``*_GCtoSatellite.npz`` files of a directory, in name order."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError("Jacobian directory not found", file=directory)
    files = sorted(directory.glob("*_GCtoSatellite.npz"))
    if not files:
        raise InputError("no *_GCtoSatellite.npz files in the directory", file=directory)
    chunks = [read_imi_jacobian(f) for f in files]
    widths = {c.k.shape[1] for c in chunks}
    if len(widths) > 1:
        raise InputError(
            f"files disagree on the state-vector size: {sorted(widths)}", file=directory
        )
    return chunks
