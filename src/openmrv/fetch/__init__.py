"""``openmrv fetch``: the public archives a case needs, into a cache that never lies.

Science-free I/O: the product table (:mod:`.products`, ``data/products.csv``), the plan
for a box and a period (:mod:`.plan`), the archives' protocols (:mod:`.clients`,
:mod:`.http`), the cache and its manifest (:mod:`.cache`) and the run of a plan
(:mod:`.fetcher`). See docs/fetch.md.
"""
