"""Writing a run folder without losing data: :func:`check_out` (``--out`` checked before
anything is computed) and :class:`RunFolderWriter` (a private temporary sibling under an
exclusive lock, marked as openmrv's and swapped into place; nothing openmrv did not
create is ever deleted)."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import warnings
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

try:  # POSIX; elsewhere the lock is an exclusively created file
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]
from openmrv.runfolder.spec import (
    MARKER,
    OUTPUTS,
    STAGES,
    OutFolderError,
    Output,
    RunLockedError,
    _created_files,
    foreign_files,
    write_marker,
)
from openmrv.runfolder.validate import (
    ensure_valid_run,
)


# --------------------------------------------------------------------------- --out
def check_out(out: str | Path, *, case_root: str | Path | None = None) -> Path:
    """Check ``--out`` before anything is computed; return it as an absolute path.

    Refused (:class:`OutFolderError`, saying what to do): the file-system root, the current
    folder or any folder holding it, the home folder or any folder holding it, the case
    folder, any folder holding it or inside it, a symbolic link, an existing file, an
    existing folder with files openmrv did not write (its :data:`MARKER`, or for older
    run folders its manifest, says which files openmrv wrote), a parent folder that
    cannot be written.
    """
    text = str(out).strip()
    if not text:
        raise OutFolderError("--out is empty; name a new folder for the run", field="out")
    target = Path(os.path.abspath(Path(text).expanduser()))
    real = target.resolve()
    hint = "; name a new folder (e.g. --out runs/<case>-<date>)"
    if real == Path(real.anchor):
        raise OutFolderError("--out is the root folder" + hint, file=target)
    cwd = Path.cwd().resolve()
    if real == cwd or cwd.is_relative_to(real):
        raise OutFolderError(
            "--out is the current folder or holds it; replacing it would delete it" + hint,
            file=target,
        )
    home = Path.home().resolve()
    if real == home or home.is_relative_to(real):
        raise OutFolderError("--out is the home folder or holds it" + hint, file=target)
    if case_root is not None:
        case = Path(case_root).resolve()
        if real == case or case.is_relative_to(real):
            raise OutFolderError(
                f"--out is the case folder {case} or holds it; openmrv never writes over its "
                "inputs" + hint,
                file=target,
            )
        if real.is_relative_to(case):
            raise OutFolderError(
                f"--out lies inside the case folder {case}; keep run folders out of the case "
                "(its files are the run's inputs)" + hint,
                file=target,
            )
    if target.is_symlink():
        raise OutFolderError("--out is a symbolic link; name the folder itself", file=target)
    if target.exists() and not target.is_dir():
        raise OutFolderError(
            "--out is an existing file; openmrv writes a folder and never replaces a file" + hint,
            file=target,
        )
    if target.is_dir():
        foreign = foreign_files(target)
        if foreign:
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            raise OutFolderError(
                f"--out is an existing folder with files openmrv did not write ({shown}); "
                "openmrv replaces only its own run folders and never deletes other files" + hint,
                file=target,
            )
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise OutFolderError(
            f"cannot write in {parent}; choose a --out in a folder you can write", file=target
        )
    return target


# --------------------------------------------------------------------------- writer
def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


def _acquire(lock: Path, target: Path) -> int:
    busy = RunLockedError(
        f"another openmrv run is writing {target}; wait for it to finish or choose another --out",
        file=target,
    )
    while True:
        if fcntl is None:  # pragma: no cover
            try:
                return os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                raise busy from None
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise busy from None
        try:  # the lock file may have been removed by the run that held it: lock anew
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def _release(fd: int, lock: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(lock)  # while still holding it: a waiting run then locks a new file
    os.close(fd)


def _sibling(target: Path, kind: str) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.{kind}")


def _remove_created(folder: Path, target: Path) -> None:
    """Delete a run folder openmrv created (moved aside from ``target``); what it did not
    create is kept, visibly, beside ``target`` (and named in a warning)."""
    created = _created_files(folder) or set()
    for p in sorted(folder.rglob("*"), key=lambda q: len(q.parts), reverse=True):
        rel = p.relative_to(folder).as_posix()
        if p.is_dir() and not p.is_symlink():
            with contextlib.suppress(OSError):
                p.rmdir()
        elif rel in created:
            p.unlink()
    try:
        folder.rmdir()
    except OSError:
        kept = target.with_name(f"{target.name}.kept-{datetime.now(UTC):%Y%m%dT%H%M%S}")
        os.rename(folder, kept)
        warnings.warn(
            f"files openmrv did not write were added to the run folder during the run; "
            f"they are kept in {kept}",
            stacklevel=3,
        )


def _sweep(target: Path) -> None:
    """Remove temporary siblings of ``target`` that crashed openmrv runs left (only
    those holding openmrv's marker; called under the lock)."""
    for kind in ("tmp", "old"):
        for p in target.parent.glob(f".{target.name}.*.{kind}"):
            if p.is_dir() and not p.is_symlink() and (p / MARKER).is_file():
                shutil.rmtree(p, ignore_errors=True)


class RunFolderWriter:
    """Write a run folder safely (``with RunFolderWriter(out, case_root=...) as rf:``).

    On entry: :func:`check_out`; an exclusive lock (``.<name>.lock`` beside ``out``,
    non-blocking: a second run into the same ``out`` fails at once with
    :class:`RunLockedError`); a private temporary sibling ``.<name>.<random>.tmp``
    (:attr:`path`) with openmrv's :data:`MARKER`. Write every output into :attr:`path`.

    On a clean exit: the marker lists every file, the folder is checked with
    :func:`ensure_valid_run` (``validate``), then swapped in: an existing ``out`` (which
    :func:`check_out` found to be openmrv's) is renamed to a private sibling, the new
    folder renamed to ``out``, the old one deleted (only the files its marker or
    manifest says openmrv wrote). Between the two renames ``out`` does not exist (two
    ``rename`` calls, microseconds; a crash exactly then leaves both folders as hidden
    siblings, swept by the next run). On an exception: only the temporary sibling is
    removed; ``out`` is untouched. The lock is released in both cases.
    """

    def __init__(
        self, out: str | Path, *, case_root: str | Path | None = None, validate: bool = True
    ) -> None:
        self.out = out
        self.case_root = case_root
        self.validate = validate
        self.target = Path(os.path.abspath(Path(str(out)).expanduser()))
        self.path: Path | None = None
        self._fd: int | None = None
        self._created = ""
        self._committed = False

    def __enter__(self) -> RunFolderWriter:
        self.target = check_out(self.out, case_root=self.case_root)
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutFolderError(
                f"cannot create the run folder's parent ({exc}); choose a writable --out",
                file=self.target,
            ) from None
        lock = _lock_path(self.target)
        self._fd = _acquire(lock, self.target)
        try:
            check_out(self.out, case_root=self.case_root)  # again, now that we hold the lock
            _sweep(self.target)
            for _ in range(100):
                tmp = _sibling(self.target, "tmp")
                try:
                    tmp.mkdir()  # mode 0777 less umask, as a plain mkdir
                    break
                except FileExistsError:
                    continue
            self.path = tmp
            self._created = datetime.now(UTC).isoformat(timespec="seconds")
            write_marker(tmp, complete=False, created_utc=self._created)
        except BaseException:
            if self.path is not None:
                shutil.rmtree(self.path, ignore_errors=True)
            _release(self._fd, lock)
            self._fd = None
            raise
        return self

    def final(self, file: str | Path) -> Path:
        """Where a file written under :attr:`path` (the temporary folder) is once the run
        folder is in place (``target``)."""
        assert self.path is not None
        return self.target / Path(file).relative_to(self.path)

    def _commit(self) -> None:
        assert self.path is not None
        write_marker(self.path, complete=True, created_utc=self._created)
        if self.validate:
            ensure_valid_run(self.path)
        old = None
        if self.target.exists() or self.target.is_symlink():
            foreign = [] if not self.target.is_dir() else foreign_files(self.target)
            if foreign or not self.target.is_dir() or self.target.is_symlink():
                raise OutFolderError(
                    f"{self.target} changed during the run and now holds files openmrv did "
                    f"not write ({', '.join(foreign[:5]) or 'not a folder'}); nothing was "
                    "replaced: choose another --out",
                    file=self.target,
                )
            old = _sibling(self.target, "old")
            os.rename(self.target, old)
        try:
            os.rename(self.path, self.target)
        except BaseException:
            if old is not None:
                os.rename(old, self.target)
            raise
        self._committed = True
        if old is not None:
            _remove_created(old, self.target)

    def __exit__(self, exc_type, exc, tb) -> None:
        lock = _lock_path(self.target)
        try:
            if exc_type is None:
                self._commit()
        finally:
            if self.path is not None and not self._committed:
                shutil.rmtree(self.path, ignore_errors=True)
            if self._fd is not None:
                _release(self._fd, lock)
                self._fd = None


@contextlib.contextmanager
def open_run(
    out: str | Path, *, case_root: str | Path | None = None, validate: bool = True
) -> Iterator[Path]:
    """``with open_run(out, case_root=case_dir) as tmp:`` write the outputs into ``tmp``;
    on a clean exit the folder replaces ``out`` (see :class:`RunFolderWriter`)."""
    with RunFolderWriter(out, case_root=case_root, validate=validate) as rf:
        assert rf.path is not None
        yield rf.path


def describe(outputs: Iterable[Output] = OUTPUTS) -> Mapping[str, list[Output]]:
    """The outputs grouped by stage (for documentation)."""
    out: dict[str, list[Output]] = {s: [] for s in STAGES}
    for o in outputs:
        out[o.stage].append(o)
    return out
