"""Local services listen on this machine only (issue 20, item 8): the dask dashboard of the
LocalClusters openmrv starts binds 127.0.0.1, not every interface."""

from __future__ import annotations

from urllib.parse import urlparse

import psutil

from openmrv.cli._common import client as cli_client
from openmrv.observe.batch import _client as observe_client


def _listening() -> set[str]:
    """The addresses this process listens on (TCP)."""
    conns = psutil.Process().net_connections(kind="tcp")
    return {c.laddr.ip for c in conns if c.status == psutil.CONN_LISTEN}


def test_observe_cluster_dashboard_is_local():
    client, cluster = observe_client(None, 1, False)
    try:
        assert cluster.scheduler.http_server is not None  # the dashboard runs
        assert _listening() == {"127.0.0.1"}
    finally:
        client.close()
        cluster.close()


def test_command_line_cluster_dashboard_is_local():
    client = cli_client("local")
    try:
        assert urlparse(client.dashboard_link).hostname == "127.0.0.1"
        assert _listening() <= {"127.0.0.1"}
        assert urlparse(client.scheduler.address).hostname == "127.0.0.1"
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()
