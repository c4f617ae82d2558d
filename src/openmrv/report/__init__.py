"""Reporting: renders what the other stages computed (figures now; CRT tables and the BTR
report as they land). It computes nothing new."""
