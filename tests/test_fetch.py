"""openmrv fetch: the product table, the plan, and the cache against a local HTTP server
(127.0.0.1, started by the tests) that speaks the archives' protocols: plain GET with and
without Range, truncated bodies, 401, 429 with Retry-After, an S3 ListObjectsV2 listing,
a STAC item search and an OIDC token endpoint. The payloads are real files of the case
(the UoL GOSAT day of examples/turkmenistan)."""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from typer.testing import CliRunner

from openmrv.cli import app
from openmrv.fetch import clients
from openmrv.fetch.cache import Cache
from openmrv.fetch.fetcher import execute
from openmrv.fetch.http import FetchError, NotAvailable, Settings, download, redact
from openmrv.fetch.plan import Item, Request, plan
from openmrv.fetch.products import load_products, select

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "examples" / "turkmenistan"
PAYLOAD = (CASE / "observations" / "ESACCI-GHG-L2-CH4-GOSAT-OCPR-20120102-fv7.2.nc").read_bytes()
SHA = hashlib.sha256(PAYLOAD).hexdigest()
FAST = Settings(retries=3, backoff_s=0.0, timeout_s=5.0, sleep=lambda s: None)
SECRET = "s3cr3t-PASSWORD-xyz"


class Archive(BaseHTTPRequestHandler):
    """One test archive; its behaviour is set on the server object."""

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        srv = self.server
        srv.log.append((self.path, self.headers.get("Range"), self.headers.get("Authorization")))
        url = urlsplit(self.path)
        if url.path == "/":  # S3 ListObjectsV2
            q = parse_qs(url.query)
            return self._send(200, srv.listing(q.get("prefix", [""])[0]).encode())
        if url.path.startswith("/missing"):
            return self._send(404, b"no")
        if url.path.startswith("/private"):
            return self._send(401, f"bad credential {SECRET}".encode())
        if url.path.startswith("/busy") and srv.busy > 0:
            srv.busy -= 1
            return self._send(429, b"slow down", {"Retry-After": "7"})
        body = srv.files.get(url.path.rsplit("/", 1)[-1], srv.default)
        rng = self.headers.get("Range")
        if rng and srv.ranges:
            start = int(rng.split("=")[1].split("-")[0])
            part = body[start:]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.send_header("Content-Length", str(len(part)))
            self.end_headers()
            self.wfile.write(part)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if srv.truncate_once:
            srv.truncate_once = False
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def do_POST(self):
        srv = self.server
        data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/token"):
            form = parse_qs(data.decode())
            if form.get("password") == [srv.good_password]:
                return self._send(200, json.dumps({"access_token": "TOKEN123"}).encode())
            return self._send(401, f"invalid password {form.get('password')}".encode())
        if self.path.startswith("/search"):
            srv.searches.append(json.loads(data))
            return self._send(200, json.dumps(srv.stac).encode())
        return self._send(404)


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Archive)
    srv.log, srv.searches, srv.files = [], [], {}
    srv.ranges, srv.truncate_once, srv.busy = True, False, 0
    srv.good_password = SECRET
    srv.default = PAYLOAD
    srv.listing = lambda prefix: ""
    srv.stac = {}
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}"
    yield srv
    srv.shutdown()
    srv.server_close()


def _get(server, cache, name="ESACCI-GHG-L2-CH4-GOSAT-OCPR-20120102-fv7.2.nc", path="/d/", **kw):
    kw.setdefault("settings", FAST)
    return download(
        f"{server.url}{path}{name}", f"uol/{name}", cache, product="uol", licence="ESA CCI", **kw
    )


# --- the product table and the plan ------------------------------------------------------


def test_product_table_rows_are_complete():
    ps = load_products()
    assert {
        "acos_gosat_l2_lite",
        "uol_gosat_proxy_v72",
        "nies_gosat_l2_ch4",
        "nies_gosat2_l2_ch4",
        "blended_tropomi_gosat",
        "tropomi_l2_ch4_offl",
        "era5_single_levels",
        "era5_pressure_levels",
        "edgar_v8_ch4_gridded",
        "c3s_xch4_l3_merged",
    } <= set(ps)
    for p in ps.values():
        assert p.licence and p.citation and p.account and p.api_doc, p.id
        if p.client == "http":
            assert p.url_template.startswith("https://"), p.id


def test_bad_product_table_names_row_and_field(tmp_path):
    text = (load_products.__globals__["table_path"]()).read_text(encoding="utf-8")
    bad = tmp_path / "products.csv"
    bad.write_text(text.replace(",http,https://dap.ceda", ",ftp,https://dap.ceda"), "utf-8")
    with pytest.raises(Exception) as err:
        load_products(bad)
    assert "unknown client 'ftp'" in str(err.value) and "line 5" in str(err.value)
    with pytest.raises(Exception, match="unknown product"):
        select(load_products(), ["no_such_product"])


def test_plan_expands_dates_sectors_and_areas():
    req = Request(51.5, 34.25, 67.75, 44.0, pd.Timestamp("2020-02-27"), pd.Timestamp("2020-03-02"))
    items = plan(select(load_products(), None), req)
    uol = [i for i in items if i.product.id == "uol_gosat_proxy_v72"]
    # 27, 28, 29 Feb (leap year), 1, 2 Mar
    assert [i.target[-17:-9] for i in uol] == [
        "20200227",
        "20200228",
        "20200229",
        "20200301",
        "20200302",
    ]
    era = [i for i in items if i.product.id == "era5_pressure_levels"]
    assert [i.query["day"] for i in era] == [["27", "28", "29"], ["01", "02"]]
    assert era[0].query["area"] == [44.0, 51.5, 34.25, 67.75]  # N, W, S, E
    edgar = [i for i in items if i.product.id == "edgar_v8_ch4_gridded"]
    assert len(edgar) == 13 and all("_2020_" in i.url for i in edgar)
    late = Request(51.5, 34.25, 67.75, 44.0, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"))
    edgar_late = [i for i in plan(select(load_products(), None), late) if "edgar" in i.product.id]
    assert [i.kind for i in edgar_late] == ["none"] and "2022-12-31" in edgar_late[0].note


# --- the cache --------------------------------------------------------------------------


def test_full_download_is_recorded_with_checksum(server, tmp_path):
    cache = Cache(tmp_path)
    e = _get(server, cache)
    assert e.sha256 == SHA and e.size == len(PAYLOAD)
    assert (tmp_path / e.path).read_bytes() == PAYLOAD
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert (
        manifest["files"][0]["url"].startswith(server.url) and manifest["files"][0]["sha256"] == SHA
    )
    assert Cache(tmp_path).verify(e.path) == "ok"


def test_resume_after_truncated_partial(server, tmp_path):
    cache = Cache(tmp_path)
    name = "ESACCI-GHG-L2-CH4-GOSAT-OCPR-20120102-fv7.2.nc"
    part = cache.part_path(f"uol/{name}")
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD[:100_000])  # an earlier, interrupted try
    e = _get(server, cache)
    assert e.sha256 == SHA and not part.exists()
    assert server.log[-1][1] == "bytes=100000-"  # resumed, not restarted


def test_server_without_range_restarts(server, tmp_path):
    server.ranges = False
    cache = Cache(tmp_path)
    part = cache.part_path("uol/x.nc")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"garbage that is not the start of the file")
    e = _get(server, cache, name="x.nc")
    assert e.sha256 == SHA  # 200 answer: the partial file was discarded, not appended to


def test_interrupted_download_never_looks_complete_then_resumes(server, tmp_path):
    cache = Cache(tmp_path)
    server.truncate_once = True
    no_retry = Settings(retries=0, backoff_s=0, timeout_s=5, sleep=lambda s: None)
    with pytest.raises(FetchError, match="partial file is kept"):
        _get(server, cache, name="y.nc", settings=no_retry)
    assert not (tmp_path / "uol" / "y.nc").exists() and "uol/y.nc" not in cache.entries
    assert cache.verify("uol/y.nc") == "missing"
    assert list((tmp_path / "uol").glob("*.nc")) == []  # only the dot-file .part remains
    e = _get(server, cache, name="y.nc")
    assert e.sha256 == SHA and server.log[-1][1] is not None


def test_checksum_mismatch_from_catalogue_discards(server, tmp_path):
    cache = Cache(tmp_path)
    with pytest.raises(FetchError, match="SHA-256"):
        _get(server, cache, name="z.nc", expected_sha256="0" * 64)
    assert not (tmp_path / "uol" / "z.nc").exists()
    assert not cache.part_path("uol/z.nc").exists()


def test_corrupted_cached_file_is_detected_and_refetched(server, tmp_path):
    products = load_products()
    p = products["uol_gosat_proxy_v72"]
    req = Request(51.5, 34.25, 67.75, 44.0, pd.Timestamp("2012-01-02"), pd.Timestamp("2012-01-02"))
    name = "ESACCI-GHG-L2-CH4-GOSAT-OCPR-20120102-fv7.2.nc"
    item = Item(p, "file", url=f"{server.url}/d/{name}", target=f"{p.id}/{name}")
    cache = Cache(tmp_path)
    assert execute([item], req, cache, settings=FAST)[0].status == "downloaded"
    f = tmp_path / item.target
    data = bytearray(f.read_bytes())
    data[5000] ^= 0xFF  # one flipped byte, same size
    f.write_bytes(bytes(data))
    offline = execute([item], req, Cache(tmp_path), offline=True, settings=FAST)[0]
    assert offline.status == "missing" and "checksum changed" in offline.message
    assert (tmp_path / (item.target + ".corrupt")).exists()  # moved aside, not deleted
    again = execute([item], req, Cache(tmp_path), settings=FAST)[0]
    assert again.status == "downloaded" and f.read_bytes() == PAYLOAD


def test_rate_limit_waits_retry_after(server, tmp_path):
    server.busy = 2
    waits = []
    s = Settings(retries=3, backoff_s=0, timeout_s=5, sleep=waits.append)
    e = _get(server, Cache(tmp_path), path="/busy/", settings=s)
    assert e.sha256 == SHA and waits == [7.0, 7.0]


def test_not_found_is_absent_not_failure(server, tmp_path):
    with pytest.raises(NotAvailable):
        _get(server, Cache(tmp_path), path="/missing/")
    # a day without a file upstream is remembered, so that offline it is not "missing"
    p = load_products()["uol_gosat_proxy_v72"]
    req = Request(51.5, 34.25, 67.75, 44.0, pd.Timestamp("2012-01-03"), pd.Timestamp("2012-01-03"))
    item = Item(p, "file", url=f"{server.url}/missing/a.nc", target=f"{p.id}/a.nc")
    assert execute([item], req, Cache(tmp_path), settings=FAST)[0].status == "absent"
    offline = execute([item], req, Cache(tmp_path), offline=True)[0]
    assert offline.status == "absent" and "when asked" in offline.message


def test_credentials_never_echoed(server, tmp_path, monkeypatch):
    rc = tmp_path / "netrc"
    rc.write_text(f"machine 127.0.0.1 login analyst password {SECRET}\n")
    rc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(rc))
    with pytest.raises(FetchError) as err:
        _get(server, Cache(tmp_path / "c"), path="/private/")
    assert "401" in str(err.value) and "renew" in str(err.value)
    assert SECRET not in str(err.value) and "analyst" not in str(err.value)
    assert server.log[-1][2].startswith("Basic ")  # the credential was sent, not shown
    assert "***" in redact(f"{server.url}/f.nc?token={SECRET}&x=1")
    assert SECRET not in redact(f"https://analyst:{SECRET}@host/f.nc")
    # a third-party client whose error quotes the key (cdsapi): scrubbed
    monkeypatch.setenv("CDSAPI_KEY", SECRET)
    fake = types.ModuleType("cdsapi")

    class Client:
        def __init__(self, **kw):
            pass

        def retrieve(self, *a):
            raise RuntimeError(f"401 Unauthorized for key {SECRET}")

    fake.Client = Client
    monkeypatch.setitem(sys.modules, "cdsapi", fake)
    p = load_products()["era5_single_levels"]
    with pytest.raises(FetchError) as err:
        clients.cds_retrieve(Item(p, "file", query={}, target=f"{p.id}/a.nc"), Cache(tmp_path))
    assert SECRET not in str(err.value) and "licence" in str(err.value)


def test_cdse_token_from_netrc_and_wrong_password_not_shown(server, tmp_path, monkeypatch):
    p = load_products()["tropomi_l2_ch4_offl"]
    local = p.__class__(
        **{**p.__dict__, "request": {**p.request, "token_url": f"{server.url}/token"}}
    )
    rc = tmp_path / "netrc"
    rc.write_text(f"machine 127.0.0.1 login analyst password {SECRET}\n")
    rc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(rc))
    assert clients.bearer_token(Item(local, "search"), FAST) == {"Authorization": "Bearer TOKEN123"}
    server.good_password = "another"
    with pytest.raises(FetchError) as err:
        clients.bearer_token(Item(local, "search"), FAST)
    assert SECRET not in str(err.value)
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    with pytest.raises(FetchError, match=r"~/\.netrc"):
        clients.bearer_token(Item(local, "search"), FAST)


def test_missing_client_package_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "earthaccess", None)
    p = load_products()["acos_gosat_l2_lite"]
    with pytest.raises(FetchError, match="pip install earthaccess"):
        clients.earthaccess_fetch(Item(p, "search", query={}), Cache(tmp_path))


# --- the archives' catalogues ----------------------------------------------------------


def _listing_xml(keys):
    rows = "".join(f"<Contents><Key>{k}</Key><Size>{len(PAYLOAD)}</Size></Contents>" for k in keys)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult '
        'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>false</IsTruncated>'
        f"{rows}</ListBucketResult>"
    )


def test_s3_listing_keeps_the_orbits_over_the_box(server, tmp_path):
    p = load_products()["blended_tropomi_gosat"]
    local = p.__class__(**{**p.__dict__, "endpoint": server.url})
    # box centre 59.6 E: local 13:30 is 09:32 UTC; real orbit names of May 2018, with one
    # made-up orbit crossing 09:32 UTC on 2018-05-02
    names = [
        "S5P_BLND_L2__CH4____20180501T032352_20180501T050523_02834_03_020400_20230614T000922.nc",
        "S5P_BLND_L2__CH4____20180502T062755_20180502T080925_02850_03_020400_20230614T000922.nc",
        "S5P_BLND_L2__CH4____20180502T084000_20180502T102130_02851_03_020400_20230614T000922.nc",
        "S5P_BLND_L2__CH4____20180505T204433_20180505T222604_02901_03_020400_20230614T001047.nc",
        "S5P_BLND_L2__CH4____20180505T190303_20180505T204433_02900_03_020400_20230614T000922_s.nc4",
    ]
    server.listing = lambda prefix: _listing_xml([prefix + n for n in names])
    req = Request(51.5, 34.25, 67.75, 44.0, pd.Timestamp("2018-05-01"), pd.Timestamp("2018-05-31"))
    items = plan([local], req)
    assert len(items) == 1 and items[0].kind == "listing"
    outcomes = execute(items, req, Cache(tmp_path), settings=FAST)
    got = sorted(o.item.target.rsplit("/", 1)[-1][20:35] for o in outcomes)
    # 06:27-08:09 UTC ends within 1.5 h of 09:32; 08:40-10:21 covers it; 03:23-05:05 and
    # the evening orbits do not; the .nc4 does not match the file pattern
    assert got == ["20180502T062755", "20180502T084000"]
    assert all(o.status == "downloaded" for o in outcomes)


def test_stac_search_follows_the_protocol_and_checks_sha256(server, tmp_path):
    p = load_products()["tropomi_l2_ch4_offl"]
    local = p.__class__(**{**p.__dict__, "endpoint": server.url, "request": {"limit": 10}})
    name = "S5P_OFFL_L2__CH4____20200105T081234_20200105T095404_11645_01_010302_20200111T000000"
    server.stac = {
        "type": "FeatureCollection",
        "features": [
            {
                "id": name,
                "assets": {
                    "product": {
                        "href": f"{server.url}/odata/{name}.nc",
                        "file:checksum": "1220" + SHA,
                        "file:size": len(PAYLOAD),
                    }
                },
            }
        ],
        "links": [],
    }
    req = Request(51.5, 34.25, 67.75, 44.0, pd.Timestamp("2020-01-01"), pd.Timestamp("2020-01-31"))
    out = execute(plan([local], req), req, Cache(tmp_path), settings=FAST)
    assert [o.status for o in out] == ["downloaded"]
    body = server.searches[0]
    assert body["collections"] == ["sentinel-5p-l2-ch4-offl"]
    assert body["bbox"] == [51.5, 34.25, 67.75, 44.0]
    assert body["datetime"] == "2020-01-01T00:00:00Z/2020-01-31T23:59:59Z"


def test_manual_archive_adopts_files_placed_by_hand(tmp_path):
    p = load_products()["nies_gosat_l2_ch4"]
    req = Request(51.5, 34.25, 67.75, 44.0, pd.Timestamp("2020-01-01"), pd.Timestamp("2020-12-31"))
    (tmp_path / p.id).mkdir()
    (tmp_path / p.id / "GOSATTFTS2020010100SWIRL2CH4xx.h5").write_bytes(b"x" * 10)
    out = execute(plan([p], req), req, Cache(tmp_path))
    assert out[0].status == "manual" and out[0].files == 1 and "GDAS" in out[0].message
    assert Cache(tmp_path).entries[f"{p.id}/GOSATTFTS2020010100SWIRL2CH4xx.h5"].origin == (
        "placed by hand"
    )


# --- the command line -------------------------------------------------------------------


def test_dry_run_plan_for_turkmenistan(tmp_path):
    r = CliRunner().invoke(
        app,
        [
            "fetch",
            str(CASE),
            "--year",
            "2020",
            "--dry-run",
            "--offline",
            "--cache",
            str(tmp_path),
        ],
    )
    assert r.exit_code == 0, r.output
    out = r.output.replace("\n", " ")
    assert "box W 51.5 S 34.25 E 67.75 N 44, 2020-01-01 to 2020-12-31" in r.output
    for pid in ("blended_tropomi_gosat", "uol_gosat_proxy_v72", "c3s_xch4_l3_merged"):
        assert pid in out
    assert not any(tmp_path.iterdir())  # nothing downloaded


def test_offline_with_and_without_cache(server, tmp_path):
    p = load_products()["uol_gosat_proxy_v72"]
    req = Request(51.5, 34.25, 67.75, 44.0, pd.Timestamp("2012-01-02"), pd.Timestamp("2012-01-02"))
    (item,) = plan([p], req)
    assert execute([item], req, Cache(tmp_path), offline=True)[0].status == "missing"
    local = Item(p, "file", url=f"{server.url}/d/x.nc", target=item.target)
    execute([local], req, Cache(tmp_path), settings=FAST)
    n = len(server.log)
    assert execute([item], req, Cache(tmp_path), offline=True)[0].status == "cached"
    assert len(server.log) == n  # offline: the archive was not asked
    r = CliRunner().invoke(
        app,
        [
            "fetch",
            str(CASE),
            "--year",
            "2012",
            "--products",
            "uol_gosat_proxy_v72",
            "--offline",
            "--cache",
            str(tmp_path),
        ],
    )
    assert r.exit_code == 2 and "missing" in r.output


def test_empty_listing_is_absent(server, tmp_path):
    p = load_products()["blended_tropomi_gosat"]
    local = p.__class__(**{**p.__dict__, "endpoint": server.url})
    server.listing = lambda prefix: _listing_xml([])
    req = Request(51.5, 34.25, 67.75, 44.0, pd.Timestamp("2020-01-01"), pd.Timestamp("2020-01-31"))
    out = execute(plan([local], req), req, Cache(tmp_path), settings=FAST)
    assert [o.status for o in out] == ["absent"] and "no file" in out[0].message


def test_fetch_command_end_to_end_from_a_mirror(server, tmp_path):
    """A product table pointing at a mirror (the local server): fetch two GOSAT days,
    then --offline finds both and exits 0."""
    text = (load_products.__globals__["table_path"]()).read_text(encoding="utf-8")
    mirror = tmp_path / "products.csv"
    mirror.write_text(text.replace("https://dap.ceda.ac.uk/", f"{server.url}/"), "utf-8")
    args = ["fetch", str(CASE), "--products", "uol_gosat_proxy_v72", "--table", str(mirror)]
    args += ["--cache", str(tmp_path / "cache")]
    r = CliRunner().invoke(app, [*args, "--year", "2012"], catch_exceptions=False)
    # the plan asks for 366 days; the mirror answers every one (a small payload)
    server.default = b"x" * 1000
    assert r.exit_code == 0, r.output
    assert "downloaded" in r.output
    r2 = CliRunner().invoke(app, [*args, "--year", "2012", "--offline"])
    assert r2.exit_code == 0 and "cached" in r2.output


def test_run_reverifies_cached_soundings(server, tmp_path):
    """The inversion stage reads a real GOSAT day from the cache only while it verifies:
    three good-flag soundings in the Turkmenistan domain (data/SOURCES.md), then an
    error naming the file once a byte changed."""
    from openmrv.errors import InputError
    from openmrv.stages.inversion import read_inversion_soundings

    p = load_products()["uol_gosat_proxy_v72"]
    name = "ESACCI-GHG-L2-CH4-GOSAT-OCPR-20120102-fv7.2.nc"
    item = Item(p, "file", url=f"{server.url}/d/{name}", target=f"{p.id}/{name}")
    req = Request(51.5, 34.25, 67.75, 44.0, pd.Timestamp("2012-01-02"), pd.Timestamp("2012-01-02"))
    execute([item], req, Cache(tmp_path), settings=FAST)
    f = tmp_path / item.target
    ds = read_inversion_soundings([f], req.bbox, None)
    assert ds.sizes["sounding"] == 3
    data = bytearray(f.read_bytes())
    data[-10] ^= 0xFF
    f.write_bytes(bytes(data))
    with pytest.raises(InputError, match="changed since it was fetched"):
        read_inversion_soundings([f], req.bbox, None)
    stray = tmp_path / p.id / "ESACCI-GHG-L2-CH4-GOSAT-OCPR-20120101-fv7.2.nc"
    stray.write_bytes(PAYLOAD)
    with pytest.raises(InputError, match="never verified"):
        read_inversion_soundings([stray], req.bbox, None)


def _era5_month(path, month: str, rng) -> None:
    """A synthetic ERA5 single-level month in the CDS layout (valid_time, latitude
    descending), 6-hourly, over the Turkmenistan box: values drawn at random, kept."""
    import numpy as np
    import xarray as xr

    t = pd.date_range(
        f"{month}-01", periods=pd.Timestamp(f"{month}-01").days_in_month * 4, freq="6h"
    )
    lat, lon = np.arange(44.0, 34.0, -2.0), np.arange(52.0, 68.0, 2.0)
    shape = (t.size, lat.size, lon.size)
    ds = xr.Dataset(
        {
            "u10": (("valid_time", "latitude", "longitude"), rng.normal(2, 3, shape)),
            "v10": (("valid_time", "latitude", "longitude"), rng.normal(-1, 3, shape)),
        },
        coords={"valid_time": t, "latitude": lat, "longitude": lon},
    )
    ds["u10"].attrs["units"] = ds["v10"].attrs["units"] = "m s**-1"
    ds.to_netcdf(path)


def test_era5_months_through_cdsapi_joined_into_the_winds_file(tmp_path, monkeypatch):
    """cdsapi's retrieve (a stand-in writing synthetic ERA5 months, the truth kept) is
    called with the planned request; the months are joined unchanged into one winds
    file that the inversion's winds reader reads back value for value."""
    import numpy as np
    import xarray as xr

    from openmrv.stages.inversion import open_winds

    rng = np.random.default_rng(20251220)
    truth = {}
    calls = []
    # the fetcher calls retrieve from parallel threads; the real client only downloads
    # bytes, but this stand-in writes netCDF, and the HDF5 library is not thread-safe
    hdf5 = threading.Lock()

    class Client:
        def __init__(self, **kw):
            pass

        def retrieve(self, dataset, request, target):
            calls.append((dataset, request))
            month = f"{request['year'][0]}-{request['month'][0]}"
            with hdf5:
                _era5_month(target, month, rng)
                with xr.open_dataset(target) as ds:
                    truth[month] = ds.load()

    fake = types.ModuleType("cdsapi")
    fake.Client = Client
    monkeypatch.setitem(sys.modules, "cdsapi", fake)
    p = load_products()["era5_single_levels"]
    req = Request(51.5, 34.25, 67.75, 44.0, pd.Timestamp("2020-01-01"), pd.Timestamp("2020-02-29"))
    cache = Cache(tmp_path)
    out = execute(plan([p], req), req, cache)
    assert [o.status for o in out] == ["downloaded", "downloaded", "joined"]
    assert calls[0][0] == "reanalysis-era5-single-levels"
    assert calls[0][1]["area"] == [44.0, 51.5, 34.25, 67.75]
    assert not any(k.startswith("openmrv_") for k in calls[0][1])  # openmrv's keys stay home
    joined = tmp_path / "era5_single_levels" / "era5_sl_20200101_20200229.nc"
    assert cache.verify("era5_single_levels/era5_sl_20200101_20200229.nc") == "ok"
    w = open_winds(joined)
    assert w.sizes["time"] == (31 + 29) * 4
    expect = xr.concat([truth["2020-01"], truth["2020-02"]], dim="valid_time")
    got = w["u"].sel(time="2020-02-10T06:00", latitude=38.0, longitude=60.0).item()
    want = expect["u10"].sel(valid_time="2020-02-10T06:00", latitude=38.0, longitude=60.0).item()
    assert got == pytest.approx(want, rel=1e-6)
    again = execute(plan([p], req), req, Cache(tmp_path), offline=True)
    assert [o.status for o in again] == ["cached", "cached", "cached"]
