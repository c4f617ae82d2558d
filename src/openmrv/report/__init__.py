"""Reporting: renders what the other stages computed (figures, the Common Reporting Tables
in :mod:`openmrv.report.crt` with the background tables of
:mod:`openmrv.report.background`, the BTR-ready report in :mod:`openmrv.report.btr`,
the signed provenance manifest in :mod:`openmrv.report.manifest`, and
:mod:`openmrv.report.reproduce`). It computes no new estimates.

:func:`openmrv.report.write.write_reports` writes a run's reports. The package itself
imports nothing, so that its light modules (the keyring, the manifest) load quickly."""
