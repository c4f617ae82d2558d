"""Verification: bottom-up estimates compared with independent estimates.

``verify`` compares datasets and tables it is handed; it opens no files itself
except its own packaged mapping tables.
"""
