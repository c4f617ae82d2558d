"""Estimation: bottom-up inventory methods (and, in later stages, plumes and inversions).

Nothing in ``estimate`` opens files: it works on arrays, tables and datasets it is handed.
"""
