"""The stages of ``openmrv run``, one module each: :mod:`.inventory`, :mod:`.uncertainty`
(Approach 1 and 2, key categories), :mod:`.observations`, :mod:`.plumes`,
:mod:`.inversion`, :mod:`.verification`; the reports are written by
:func:`openmrv.report.write.write_reports`.

Each stage has ``compute(...)``, which takes typed inputs, calls the pure functions of
:mod:`openmrv.estimate`, :mod:`openmrv.observe` and :mod:`openmrv.verify` and returns a
typed result, and ``write(result, run_dir)``, a thin step that writes that result into
the run folder and returns the files written. :class:`openmrv.pipeline.RunChain`
composes them.
"""
