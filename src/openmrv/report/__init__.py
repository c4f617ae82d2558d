"""Reporting: renders what the other stages computed (figures, the Common Reporting Tables
in :mod:`openmrv.report.crt`; the BTR report as it lands). It computes no new estimates."""
