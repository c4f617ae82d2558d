"""The team workspace (issue 16; docs/workspace.md): a database of users, cases, activity
rows, an append-only audit trail and approved inventory versions, a JSON API over it and the
``openmrv workspace``/``users``/``serve`` commands.

It sits above the stage layer: it may import :mod:`openmrv.stages`, :mod:`openmrv.pipeline`,
:mod:`openmrv.case` and :mod:`openmrv.runfolder`; nothing below imports it.
"""
