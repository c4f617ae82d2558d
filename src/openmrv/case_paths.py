"""The paths case.yaml names, resolved against the case folder (split from
:mod:`openmrv.case`): a missing file or a path that leaves the folder is a
:class:`~openmrv.errors.CaseError` naming the line of case.yaml."""

from __future__ import annotations

from pathlib import Path

from openmrv.case_limits import excerpt
from openmrv.errors import CaseError
from openmrv.settings_errors import YamlLines


class CasePaths:
    """Resolves the paths of case.yaml against the case folder, naming the line if not found."""

    def __init__(self, root: Path, path: Path, lines: YamlLines, outside: bool = False) -> None:
        self.root, self.path, self.lines, self.outside = root, path, lines, outside

    def _inside(self, rel: str, loc: tuple[str | int, ...]) -> None:
        """Refuse a path that leaves the case folder, unless allow_outside_paths."""
        if self.outside:
            return
        base = self.root.resolve()
        if Path(rel).is_absolute() or not (base / rel).resolve().is_relative_to(base):
            raise CaseError(
                f"path '{excerpt(rel)}' points outside the case folder; copy the file into "
                "the case folder, or set 'allow_outside_paths: true' in case.yaml",
                file=self.path,
                row=self.lines.line(loc),
                field=".".join(str(x) for x in loc if isinstance(x, str)),
            )

    def one(self, rel: str, *loc: str | int) -> Path:
        self._inside(rel, loc)
        p = (self.root / rel).resolve()
        if not rel or not p.is_file():
            raise CaseError(
                f"file '{excerpt(rel)}' does not exist (looked in {self.root})",
                file=self.path,
                row=self.lines.line(loc),
                field=".".join(str(x) for x in loc if isinstance(x, str)),
            )
        return p

    def some(self, rels: list[str], *loc: str) -> list[Path]:
        return [self.one(r, *loc, i) for i, r in enumerate(rels)]

    def maybe(self, rel: str | None, *loc: str) -> Path | None:
        return None if not rel else self.one(rel, *loc)

    def glob(self, patterns: list[str], *loc: str) -> list[Path]:
        files = []
        for i, pat in enumerate(patterns):
            self._inside(pat, (*loc, i))
            hits = (
                sorted(
                    h
                    for h in self.root.glob(pat)
                    if self.outside or h.resolve().is_relative_to(self.root.resolve())
                )
                if not Path(pat).is_absolute()
                else sorted(Path("/").glob(pat.lstrip("/")))
            )
            if not hits:
                raise CaseError(
                    f"no file matches '{pat}' (looked in {self.root})",
                    file=self.path,
                    row=self.lines.line((*loc, i)),
                    field=".".join(loc),
                )
            files += [h.resolve() for h in hits]
        return files
