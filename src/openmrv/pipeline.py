"""The orchestrator of ``openmrv run``: composes the stages of :mod:`openmrv.stages`
(observe -> estimate -> verify -> report) the way pvlib's ``ModelChain`` composes its
steps, and writes what each produced into the run folder.

:class:`RunChain` holds a case and runs one stage or all of them (``run_model``), each
stage's result kept in :class:`RunResult`; ``write`` then writes every stage's outputs,
reports and signed manifest last, into a private temporary folder that replaces the run
folder only when complete and valid (:mod:`openmrv.runfolder`: ``--out`` checked and
locked before computing; nothing deleted that openmrv did not write), so an interrupted
or failed run never leaves a half-written run folder and never damages the previous one.
It computes nothing itself. The command line and any other caller (a web server) use
this API: :func:`run` for the whole job, :func:`run_inventory` for the inventory alone,
:func:`reproduce` to re-run a run folder's case from its manifest and compare.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from openmrv.case import Case, load_case
from openmrv.errors import InputError
from openmrv.overlap import alongside
from openmrv.report.manifest import verify_manifest
from openmrv.report.qaqc import qc_procedures
from openmrv.report.reproduce import Reproduction, check_inputs, compare_runs, read_manifest
from openmrv.report.write import write_reports
from openmrv.runfolder import (
    OutFolderError,
    RunFolderError,
    RunFolderWriter,
    check_out,
    ensure_valid_run,
)
from openmrv.stages import (
    headline,
    improvement,
    inventory,
    inversion,
    observations,
    plumes,
    recalculations,
    regions,
    satellite_record,
    uncertainty,
    verification,
)
from openmrv.stages.country import check_country
from openmrv.stages.inventory import InventoryOutput
from openmrv.stages.inversion import CaseInversion
from openmrv.stages.observations import Observations
from openmrv.stages.plumes import Plumes
from openmrv.stages.regions import RegionResults
from openmrv.stages.satellite_record import SatelliteRecord
from openmrv.stages.uncertainty import UncertaintyResult
from openmrv.verify.evidence import inversion_evidence
from openmrv.verify.headline import Headline
from openmrv.verify.recalculation import recalculation

Progress = Callable[[str], None]


@dataclass
class RunResult:
    """What the stages of a run produced (None: the stage did not run) and, once written,
    the run folder and its files."""

    case: Case
    inventory: InventoryOutput | None = None
    uncertainty: UncertaintyResult | None = None
    observations: Observations | None = None
    plumes: Plumes | None = None
    inversion: CaseInversion | None = None
    satellite_record: SatelliteRecord | None = None
    verification: pd.DataFrame | None = None
    regions: RegionResults | None = None
    headline: Headline | None = None
    improvement: pd.DataFrame | None = None
    out: Path | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def result(self):
        """The compiled inventory (:class:`~openmrv.estimate.inventory.InventoryResult`)."""
        return None if self.inventory is None else self.inventory.result

    @property
    def comparison(self) -> pd.DataFrame:
        """The inventory against third-party estimates."""
        return pd.DataFrame() if self.inventory is None else self.inventory.comparison


class RunChain:
    """The stages of ``openmrv run`` on one case.

    Parameters
    ----------
    case
        The loaded case (:func:`openmrv.case.load_case`).
    with_uncertainty
        Run the Monte Carlo and key categories (when the case gives activity uncertainties).
    with_top_down
        Run the top-down stages (observations, plumes, inversion) and the verification;
        without them the run is the bottom-up inventory alone (``openmrv inventory``), whose
        report shows no comparison with an inventory interval it has not estimated.
    client
        A dask.distributed client: the Monte Carlo chunks and the satellite files run on
        its cluster (same draws, same outputs). None: this process, and a LocalCluster of
        threads for the satellite files.
    progress
        Called with a short text at each step.
    """

    def __init__(
        self,
        case: Case,
        *,
        with_uncertainty: bool = True,
        with_top_down: bool = True,
        client=None,
        progress: Progress | None = None,
        pdf: bool = True,
        previous: str | Path | None = None,
    ) -> None:
        self.case = case
        self.pdf = pdf
        self.previous = None if previous is None else Path(previous)
        if self.previous is not None:
            recalculations.check_previous(self.previous)
        self.with_uncertainty = with_uncertainty
        self.with_top_down = with_top_down
        self.client = client
        self.progress = progress
        self.results = RunResult(case)
        if with_top_down and case.inversion is not None:  # refused now, not after hours
            inversion.check_domain(inversion.inversion_settings(case), case.config_file)

    @classmethod
    def from_folder(cls, case_dir: str | Path, **kwargs) -> RunChain:
        """A chain on the case in ``case_dir`` (read and checked; its files must agree about
        the country, :func:`openmrv.stages.country.check_country`)."""
        case = load_case(case_dir)
        check_country(case)
        return cls(case, **kwargs)

    def _say(self, text: str) -> None:
        if self.progress is not None:
            self.progress(text)

    def run_inventory(self) -> RunChain:
        """The bottom-up inventory and its comparison with third-party estimates."""
        self.results.inventory = inventory.compute(self.case, self.progress)
        return self

    def run_uncertainty(self, rows: pd.DataFrame | None = None) -> RunChain:
        """Approach 1 and 2 and key categories (needs the inventory); ``rows``: the
        Approach 1 rows when already computed."""
        if self.case.uncertainty_file is not None:
            self._say(f"uncertainty: {self.case.mc_draws:,} Monte Carlo draws")
            self.results.uncertainty = uncertainty.compute(
                self.case, self._inventory().result, client=self.client, rows=rows
            )
        return self

    def run_observations(self) -> RunChain:
        """The case's satellite soundings over the country."""
        if self.case.sounding_files:
            self._say(f"observations: {len(self.case.sounding_files)} satellite files")
            address = self.client.scheduler.address if self.client is not None else None
            self.results.observations = observations.compute(self.case, address)
        return self

    def run_plumes(self) -> RunChain:
        """The plume catalogues and openmrv's own detections on the case's scenes."""
        self.results.plumes = plumes.compute(self.case, self.progress)
        return self

    def run_inversion(self, rows: pd.DataFrame | None = None) -> RunChain:
        """The national inversion (needs the inventory; uses the uncertainty's Approach 1
        rows, or ``rows`` when given: those of (first year, last year))."""
        if self.case.inversion is not None:
            self._say("inversion")
            unc = self.results.uncertainty
            year = inversion.inversion_settings(self.case).year
            if rows is None and unc is not None:
                rows = unc.rows
            rows = rows if year == self.case.last_year else None
            self.results.inversion = inversion.compute(
                self.case, self._inventory().result, self.progress, rows
            )
        return self

    def run_satellite_record(self) -> RunChain:
        """The national CH4 series from a gridded XCH4 record (``top_down: xch4_record:``)."""
        if self.case.xch4_record is not None:
            self._say("satellite record: mass balance of the gridded XCH4 record")
            self.results.satellite_record = satellite_record.compute(self.case)
        return self

    def run_verification(self) -> RunChain:
        """Every top-down row against the inventory (needs the top-down stages run)."""
        res = self.results
        top_down, contributors = [], []
        if res.plumes is not None:
            top_down += res.plumes.top_down
            contributors += res.plumes.contributors
        if res.inversion is not None:
            known = set(self._inventory().result.dataset[self._category_dim()].values.tolist())
            top_down.append(inversion_evidence(res.inversion.totals, self.case.country, known))
        if res.satellite_record is not None:
            top_down.append(res.satellite_record.top_down)
        published = verification.published_rows(self.case)
        if top_down or len(published):
            res.verification = verification.compute(
                self._inventory().result,
                self.case.last_year,
                self.case.gwp,
                res.uncertainty,
                pd.concat(top_down, ignore_index=True) if top_down else pd.DataFrame(),
                pd.concat(contributors, ignore_index=True) if contributors else None,
                published,
            )
        res.headline = headline.compute(self.case, res.verification)
        return self

    def run_improvement(self) -> RunChain:
        """The improvement plan (needs the uncertainty; uses verification and plumes)."""
        res = self.results
        if res.uncertainty is not None:
            res.improvement = improvement.compute(
                self.case, self._inventory().result, res.uncertainty, res.verification, res.plumes
            )
        return self

    def run_regions(self) -> RunChain:
        """Results by region (the case's regions; uses plumes and inversion if run)."""
        res = self.results
        res.regions = regions.compute(
            self.case, self._inventory().result, self.case.last_year, res.plumes, res.inversion
        )
        return self

    def run_model(self) -> RunChain:
        """Every stage in order: inventory -> uncertainty -> observations -> plumes ->
        inversion -> satellite record -> verification -> improvement plan -> regions.

        Without a dask client, the Monte Carlo runs in a second thread while the top-down
        stages (observations to satellite record) run in this one: they need only the
        inventory and the Approach 1 rows, the Monte Carlo has its own seeded streams and
        no BLAS products, and most of its time (drawing and transforming random numbers)
        is spent in numpy with the GIL released; same draws, same outputs. The
        verification waits for it (:func:`openmrv.overlap.alongside`).
        """
        self.run_inventory()
        if not self.with_top_down:
            if self.with_uncertainty:
                self.run_uncertainty()
            return self
        overlap = self.with_uncertainty and self.case.uncertainty_file is not None
        if not overlap or self.client is not None:
            if self.with_uncertainty:
                self.run_uncertainty()
            self.run_observations().run_plumes().run_inversion().run_satellite_record()
        else:
            rows = uncertainty.approach1_rows(self.case, self._inventory().result)
            with alongside(self.run_uncertainty, rows):
                self.run_observations().run_plumes().run_inversion(rows).run_satellite_record()
        self.run_verification().run_improvement()
        self.run_regions()
        return self

    def write_into(self, folder: Path) -> list[Path]:
        """Write every stage's outputs, then the reports and the signed manifest, into
        ``folder`` (which must exist); returns the files written."""
        res = self.results
        files = inventory.write(self._inventory(), self.case, folder)
        if self.previous is not None:  # from the emissions.csv and run.json just written
            files += recalculations.write(recalculations.compute(self.previous, folder), folder)
        if res.uncertainty is not None:
            files += uncertainty.write(res.uncertainty, folder)
        if res.observations is not None:
            files += observations.write(res.observations, folder)
        if res.plumes is not None:
            files += plumes.write(res.plumes, folder)
        if res.inversion is not None:
            res.inversion.files = inversion.write(res.inversion, folder)
            files += res.inversion.files
        if res.satellite_record is not None:
            unc = res.uncertainty
            files += satellite_record.write(
                res.satellite_record,
                folder,
                res.result.dataset,
                None if unc is None else unc.approach2.gas_summary,
                self.case.name,
            )
        if res.verification is not None:
            files += verification.write(res.verification, folder)
        if res.headline is not None:
            files += headline.write(res.headline, folder)
        if res.regions is not None:
            files += regions.write(res.regions, folder)
        if res.improvement is not None:
            files += improvement.write(res.improvement, folder)
        # last: the report shows and the manifest lists every file in the folder
        return files + write_reports(folder, self.case, res.result, res.uncertainty, pdf=self.pdf)

    def write(self, out: str | Path) -> RunResult:
        """Write the run folder ``out`` (:class:`openmrv.runfolder.RunFolderWriter`: a
        private temporary sibling under a lock, swapped in when complete and valid)."""
        with RunFolderWriter(out, case_root=self.case.root) as writer:
            files = self.write_into(writer.path)
        return self.written(writer, files)

    def written(self, writer: RunFolderWriter, files: list[Path]) -> RunResult:
        """The results with the run folder and its files where ``writer`` put them."""
        res = self.results
        res.out = writer.target
        res.files = [writer.final(f) for f in files]
        if res.inversion is not None:
            res.inversion.files = [writer.final(f) for f in res.inversion.files]
        return res

    def _inventory(self) -> InventoryOutput:
        if self.results.inventory is None:
            self.run_inventory()
        return self.results.inventory

    def _category_dim(self) -> str:
        return self._inventory().result.dataset.attrs["cat"]


def run_inventory(
    case_dir: str | Path,
    out: str | Path,
    progress: Progress | None = None,
    with_uncertainty: bool = False,
    with_top_down: bool = False,
    client=None,
    pdf: bool = True,
    previous: str | Path | None = None,
) -> RunResult:
    """Run the inventory of a case (and, as asked, the other stages) and write its
    outputs to the run folder ``out`` (replaced atomically if it exists)."""
    # --out is checked and locked before anything is computed
    with RunFolderWriter(out, case_root=case_dir) as writer:
        chain = RunChain.from_folder(
            case_dir,
            with_uncertainty=with_uncertainty,
            with_top_down=with_top_down,
            client=client,
            progress=progress,
            pdf=pdf,
            previous=previous,
        )
        chain.run_model()
        files = chain.write_into(writer.path)
    return chain.written(writer, files)


def run(
    case_dir: str | Path,
    out: str | Path,
    progress: Progress | None = None,
    client=None,
    pdf: bool = True,
    previous: str | Path | None = None,
) -> RunResult:
    """The whole job for a case: inventory, Monte Carlo uncertainty and key categories
    (when the case gives activity uncertainties), observations, plumes, inversion,
    verification, CRT tables, report and signed manifest (``docs/architecture.md``)."""
    return run_inventory(
        case_dir,
        out,
        progress,
        with_uncertainty=True,
        with_top_down=True,
        client=client,
        pdf=pdf,
        previous=previous,
    )


def recalculation_report(
    previous_run: str | Path, current_run: str | Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare two run folders (see :func:`openmrv.verify.recalculation.recalculation`)."""
    for run_dir in (previous_run, current_run):
        recalculations.check_previous(Path(run_dir))
    (a, ia), (b, ib) = (recalculations.read_run(Path(d)) for d in (previous_run, current_run))
    return recalculation(a, b, ia, ib)


def reproduce(
    run_dir: str | Path,
    out: str | Path,
    *,
    inputs_root: str | Path | None = None,
    progress=None,
) -> Reproduction:
    """Re-run the case recorded in ``run_dir``'s manifest into ``out`` and compare.

    Parameters
    ----------
    run_dir
        A run folder with ``manifest.json``.
    out
        New run folder to write (an earlier run folder there is replaced; anything else
        is refused before the run, see :func:`openmrv.runfolder.check_out`).
    inputs_root
        The case folder, when it moved since the run (default: the manifest's
        ``inputs_root``).
    progress
        Callback receiving a short text per step (passed to the pipeline).

    Raises
    ------
    ManifestError
        No readable manifest.
    InputChangedError
        An input is missing or changed: the run cannot be reproduced.
    OutFolderError
        ``out`` is the run folder, lies inside it, or is refused by
        :func:`openmrv.runfolder.check_out`.
    RunFolderError
        The new run folder is not a valid run folder (:func:`ensure_valid_run`).
    """
    run_dir = Path(run_dir)
    doc = read_manifest(run_dir)
    root = check_inputs(doc, inputs_root)
    if Path(out).resolve() == run_dir.resolve():
        raise InputError("--out must differ from the run folder being reproduced", file=out)
    if Path(out).resolve().is_relative_to(run_dir.resolve()):
        raise OutFolderError("--out must not lie inside the run folder being reproduced", file=out)
    check_out(out, case_root=root)  # before the run: never replaces what openmrv did not write
    run(root, out, progress)
    ensure_valid_run(out, require_marker=False)
    res = compare_runs(run_dir, out, doc)
    res.manifest_problems = verify_manifest(run_dir)
    try:
        ensure_valid_run(run_dir, require_marker=False)
    except RunFolderError as exc:
        res.manifest_problems.append(f"not a valid run folder: {exc}")
    return res


def qc_procedure_list() -> pd.DataFrame:
    """The general inventory QC procedures (IPCC 2006 Vol 1 Ch 6, Table 6.1) as the report
    checks them (``report/data/qc_procedures.csv``: id, activity, openmrv, evidence, result);
    the workspace's reviewers mark them done."""
    return qc_procedures()
