"""Reading many files: each file read, screened and cut to the region on a dask worker.

Only the kept soundings of each file travel back, so the orbits are never all in
memory at once; a bad file is listed, not fatal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from openmrv.errors import InputError, NoSoundingsError, OpenMRVError
from openmrv.observe import isolation
from openmrv.observe.qa import NO_RETRIEVAL, apply_qa, merge_counts
from openmrv.observe.region import Region, select_region
from openmrv.observe.registry import in_reading_process, read_soundings
from openmrv.observe.soundings import concat_soundings
from openmrv.runfolder.cf import cf_ready

OUTSIDE_REGION = "outside the region"
Progress = Callable[[int, int, str], None]


@dataclass
class ObserveSummary:
    """What a batch read did: files, soundings kept, dropped by reason, bad files."""

    files: int = 0
    soundings_read: int = 0
    soundings_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    bad_files: list[tuple[str, str]] = field(default_factory=list)
    by_product: dict[str, int] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per quantity: files, bad files, soundings read, kept, dropped by reason."""
        rows = [
            ("files", self.files),
            ("bad files", len(self.bad_files)),
            ("soundings read", self.soundings_read),
            *((f"dropped: {k}", v) for k, v in sorted(self.dropped.items())),
            ("soundings kept", self.soundings_kept),
            *((f"kept: {k}", v) for k, v in sorted(self.by_product.items())),
        ]
        return pd.DataFrame(rows, columns=["what", "count"])


def read_file(
    path: str | Path, region: Region | None = None, qa: bool = True
) -> tuple[xr.Dataset | None, dict[str, int], int, str | None]:
    """Read, screen and cut one file; never raises for bad input (any openmrv error).

    Returns
    -------
    soundings, dropped, read, error
        The kept soundings (None if the file is bad or nothing is kept), dropped
        counts by reason, soundings read (with the reader's fill values), and the
        error message of a bad file.

    A netCDF4/HDF5 file is read, screened and cut in this thread's reading process
    (:mod:`openmrv.observe.isolation`), so only the kept soundings travel back and a
    damaged file that makes the C libraries loop is stopped and listed as bad.
    """
    if isolation.wanted(path):
        try:
            return in_reading_process(Path(path), read_file, path, region, qa)
        except OpenMRVError as exc:  # did not finish in time, or the reader died
            return None, {}, 0, str(exc)
    try:
        ds = read_soundings(path, qa=qa)
        screened = json.loads(ds.attrs.get("qa_dropped", "{}"))  # dropped while reading
        n_read = (
            ds.sizes["sounding"]
            + int(ds.attrs.get("soundings_without_retrieval", 0))
            + sum(screened.values())
        )
        if qa:
            ds, dropped = apply_qa(ds)
        else:
            fill = int(ds.attrs.get("soundings_without_retrieval", 0))
            dropped = {NO_RETRIEVAL: fill} if fill else {}
        if region is not None:
            before = ds.sizes["sounding"]
            ds = select_region(ds, region)
            dropped[OUTSIDE_REGION] = before - ds.sizes["sounding"]
    except OpenMRVError as exc:  # every typed error of a bad file: listed, not fatal
        return None, {}, 0, str(exc)
    kept = ds.load() if ds.sizes["sounding"] else None
    return kept, dropped, n_read, None


def _client(scheduler: str | None, n_workers: int | None, processes: bool):
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,  # HDF5/netCDF-C are not thread-safe
        processes=processes,
        # a free port on this machine only: None still binds 8787 (all interfaces)
        dashboard_address="127.0.0.1:0",
        worker_dashboard_address="127.0.0.1:0",  # workers' HTTP (health, metrics) too
    )
    return Client(cluster), cluster


def observe(
    files: Iterable[str | Path],
    region: Region | None = None,
    out: str | Path | None = None,
    *,
    qa: bool = True,
    scheduler: str | None = None,
    n_workers: int | None = None,
    processes: bool = True,
    progress: Progress | None = None,
) -> tuple[xr.Dataset, ObserveSummary]:
    """Read many satellite files into one soundings dataset, on dask.distributed.

    Parameters
    ----------
    files
        Satellite files of any registered product (mixed products are fine).
    region
        ISO3 code, bounding box ``(lon_min, lat_min, lon_max, lat_max)`` [degree] or
        GeoJSON file; None keeps everything.
    out
        If given, the soundings are written there (netCDF4).
    qa
        Apply each product's quality rules (on by default).
    scheduler
        Address of a running dask scheduler; by default a LocalCluster is started
        (and closed) for this call.
    n_workers
        Workers of the LocalCluster (default: dask's choice).
    processes
        LocalCluster workers as processes (default) or threads in this process.
    progress
        Called as ``progress(done, total, file_name)`` after each file.

    Returns
    -------
    soundings, summary
        The kept soundings of all files and an :class:`ObserveSummary`.

    Raises
    ------
    openmrv.errors.NoSoundingsError
        If no sounding is left; its ``summary`` attribute holds the summary.
    """
    from distributed import as_completed

    paths = [Path(f) for f in files]
    summary = ObserveSummary(files=len(paths))
    parts: list[xr.Dataset] = []
    client, cluster = _client(scheduler, n_workers, processes)
    try:
        futures = {client.submit(read_file, p, region, qa, pure=False): p for p in paths}
        for done, fut in enumerate(as_completed(futures), start=1):
            path = futures[fut]
            ds, dropped, n_read, error = fut.result()
            fut.release()
            if error is not None:
                summary.bad_files.append((str(path), error))
            summary.soundings_read += n_read
            summary.dropped = merge_counts(summary.dropped, dropped)
            if ds is not None:
                parts.append(ds)
            if progress is not None:
                progress(done, len(paths), path.name)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    summary.bad_files.sort()
    if not parts:
        exc = NoSoundingsError(
            f"no sounding left from {len(paths)} files ({len(summary.bad_files)} bad); "
            f"dropped: {summary.dropped or 'none'}"
        )
        exc.summary = summary  # type: ignore[attr-defined]
        raise exc
    soundings = concat_soundings(sorted(parts, key=lambda d: str(d["source_file"].values[0])))
    summary.soundings_kept = soundings.sizes["sounding"]
    products, counts = np.unique(soundings["product"].values.astype(str), return_counts=True)
    summary.by_product = dict(zip(products.tolist(), counts.tolist(), strict=True))
    soundings.attrs["bad_files"] = "; ".join(p for p, _ in summary.bad_files)
    if out is not None:
        write_soundings(soundings, out)
    return soundings, summary


def write_soundings(soundings: xr.Dataset, path: str | Path) -> Path:
    """Write soundings to netCDF4 (strings as variable-length strings), atomically."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    enc = {v: {"dtype": str} for v in ("product", "product_version", "source_file")}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        out, enc = cf_ready(soundings, "soundings", enc)
        out.to_netcdf(tmp, engine="netcdf4", encoding=enc)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(
            f"cannot write the soundings ({exc}); choose a writable --out", file=path
        ) from None
    tmp.replace(path)
    return path
