"""Rebuild the Turkmenistan case's facility register and pipeline file (run by hand).

Inputs (read at build time only; the case needs none of them at run time):

- ``examples/turkmenistan/geography/giant_fields_2018_TKM.csv`` (Horn 2014 as extended by
  Cust, Mihalyi and Rivera-Ballesteros): field centroids and estimated ultimate recovery;
- ``examples/turkmenistan/geography/gem_goget_extraction_2025-02-26_TKM.csv`` (GEM GOGET):
  units flagged ``location-accuracy = exact`` give site coordinates; the others sit at the
  country centroid and give no location (only names, operators, years);
- ``examples/turkmenistan/geography/gem_ggit_pipelines_2024-10-08_TKM.csv`` (GEM GGIT):
  the pipelines with status, capacity and start year;
- a local git copy of github.com/GlobalEnergyMonitor/GOIT-GGIT-pipeline-routes (the
  traced route of each pipeline, ``data/individual-routes/gas-pipelines/P*.geojson``),
  clipped here to a box around Turkmenistan;
- the previous ``examples/turkmenistan/facilities.csv``: the non-field facilities (plants,
  compressor stations, refineries, power and chemical plants) are kept as they are, with
  their location class (town centroid) made explicit.

Usage: python scripts/build_turkmenistan_register.py PATH/TO/GOIT-GGIT-pipeline-routes.git
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import shapely
from shapely.geometry import box, shape

CASE = Path(__file__).parents[1] / "examples/turkmenistan"
GEO = CASE / "geography"
#: box kept of each route [degree]: Turkmenistan (52.4-66.7 E, 35.1-42.8 N) plus a margin
CLIP = box(51.5, 34.5, 67.5, 43.5)
ROUTES_DIR = "data/individual-routes/gas-pipelines"

FACILITY_COLUMNS = [
    "facility_id", "name", "type", "category", "lat", "lon", "country", "operator",
    "start_year", "capacity", "capacity_unit", "source", "notes",
    "location_accuracy", "location_source", "eur_mmboe",
]  # fmt: skip
PIPELINE_COLUMNS = [
    "pipeline_id", "name", "category", "status", "start_year", "capacity",
    "capacity_unit", "location_accuracy", "source", "notes", "geometry",
]  # fmt: skip

HORN = (
    "Horn (2014) giant fields, giant_fields_2018.csv "
    "(alexis-ribal/giant-oil-and-gas-field-discoveries d4dc25eba0de)"
)
GOGET = (
    "GEM Global Oil and Gas Extraction Tracker 2025-02-26 (GlobalEnergyMonitor/maps 094c98ba5e88)"
)
GGIT = "GEM Global Gas Infrastructure Tracker 2024-10-08 (GlobalEnergyMonitor/maps 094c98ba5e88)"
ROUTES = "GEM GOIT-GGIT-pipeline-routes"

#: register field rows from the giant-field list (Horn FIELD_ID) or GEM (unit-id):
#: facility_id -> (Horn id or None, GEM unit id or None, name, notes)
FIELDS = {
    "TKM-GF-001": (961, "OG0018288", "Galkynysh gas field (South Yoloten-Osman, Minara, Yashlar)",
                   "Horn lists it as Yolotan/Osman at 37 N 62 E (whole degrees: not used); "
                   "GEM site coordinates used, EUR from Horn"),
    "TKM-GF-002": (519, "OG0018296", "Dauletabad (Dovletabad-Donmez) gas field",
                   "GEM site point (used) lies in Ahal on the Natural Earth polygons, Horn's "
                   "centroid 36.2 N 61.533 E in Mary: the field straddles the border"),
    "TKM-GF-003": (365, "OG0018388", "Shatlyk gas field", ""),
    "TKM-GF-005": (12, None, "Bagaja (Bagadzhin) gas field",
                   "Horn's Bagadzhin taken as the Bagaja field of the previous register "
                   "(transliteration; assumption)"),
    "TKM-GF-007": (334, "OG0018393", "Naip (Naipskoye) gas field", ""),
    "TKM-GF-008": (None, "OG0018046", "Samandepe gas field (Bagtyyarlyk contract area, Block A)",
                   "not in the giant-field list"),
    "TKM-GF-009": (524, "OG0018367", "Korpeje (Korpedzhe) gas field", ""),
    "TKM-GF-010": (335, None, "Ojak (Odzhak) gas field", ""),
    "TKM-GF-011": (13, "OG0018390", "Kirpichli (Kerpichly) gas field", ""),
    "TKM-GF-012": (333, None, "Achak gas field", ""),
    "TKM-GF-013": (903, None, "Bayramaly (Bayrmalinskoye) gas field", ""),
    "TKM-GF-014": (960, None, "Agayry gas field", ""),
    "TKM-OF-001": (613, "OG0018358", "Cheleken oil field (onshore)", ""),
    "TKM-OF-002": (531, "OG0018365", "Goturdepe oil field",
                   "Horn also lists Kotur-Tepe (TKM-OF-009) 13 km away: the Russian spelling "
                   "of the same name; kept as Horn gives them (possible double count of EUR)"),
    "TKM-OF-003": (529, "OG0018366", "Barsagelmez oil field", ""),
    "TKM-OF-008": (530, "OG0018402", "Burun (Burren) oil field", ""),
    "TKM-OF-009": (614, None, "Kotur-Tepe (Leninskoye) oil field", "see TKM-OF-002"),
}  # fmt: skip


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def field_rows(old: dict[str, dict]) -> list[dict]:
    horn = {int(r["FIELD_ID"]): r for r in read_csv(GEO / "giant_fields_2018_TKM.csv")}
    gem = {r["unit-id"]: r for r in read_csv(GEO / "gem_goget_extraction_2025-02-26_TKM.csv")}
    rows = []
    for fid, (hid, gid, name, note) in FIELDS.items():
        h, g = horn.get(hid), gem.get(gid)
        prev = old.get(fid, {})
        kind = (h["FIELD_TYPE"] if h else "Gas").lower()
        exact = g is not None and g["location-accuracy"] == "exact"
        if exact:
            lat, lon = float(g["lat"]), float(g["lng"])
            acc, loc = "exact", f"GEM GOGET unit {gid} (location-accuracy: exact)"
        else:
            lat, lon = float(h["LAT_DD"]), float(h["LON_DD"])
            acc, loc = "field_centroid", f"Horn (2014) field {hid} ({h['FLD_NAME']})"
        src = "; ".join(
            s
            for s in (
                f"{HORN}: {h['FLD_NAME']}, discovered {h['year']}, {h['ON_OFF_LOC']}" if h else "",
                f"{GOGET}: {g['wiki-name']} ({gid})" if g else "",
            )
            if s
        )
        start = prev.get("start_year", "") or (g or {}).get("production-start-year", "")
        rows.append(
            {
                "facility_id": fid,
                "name": name,
                "type": f"{kind}_field",
                "category": "1.B.2.b.iii.2" if kind == "gas" else "1.B.2.a.iii.2",
                "lat": f"{lat:.6f}",
                "lon": f"{lon:.6f}",
                "country": "TKM",
                "operator": prev.get("operator", "") or (g or {}).get("operator", ""),
                "start_year": start,
                "capacity": "",
                "capacity_unit": "",
                "source": src,
                "notes": note,
                "location_accuracy": acc,
                "location_source": loc,
                "eur_mmboe": f"{float(h['EUR_MMBOE']):.1f}" if h else "",
            }
        )
    return rows


def town_row(rec: dict) -> dict:
    """A previous register row kept at its town centroid, its class made explicit (a row
    that already has its class is kept as it is: the script can be run again)."""
    if rec.get("location_accuracy"):
        return rec
    out = dict(rec)
    town = rec["notes"].split("approximate (town centroid):", 1)[-1].split(";", 1)[0].strip()
    out["source"] = rec["source"].replace(
        "; coordinates: Wikipedia article on the town "
        "(coordinates recalled, not re-checked offline)",
        "",
    )
    out["notes"] = rec["notes"].replace(f"approximate (town centroid): {town}", "").strip("; ")
    out["location_accuracy"] = "town_centroid"
    out["location_source"] = (
        f"town centroid of {town}: Wikipedia article on the town (coordinates recalled, "
        "not re-checked offline)"
    )
    out["eur_mmboe"] = ""
    return out


def lng_row(ggit: list[dict]) -> dict:
    t = next(r for r in ggit if r["id"] == "T082701")
    return {
        "facility_id": "TKM-LNG-001",
        "name": t["name"],
        "type": "lng_terminal",
        "category": "1.B.2.b.iii.4",
        "lat": f"{float(t['Latitude']):.6f}",
        "lon": f"{float(t['Longitude']):.6f}",
        "country": "TKM",
        "operator": t["owner"].split(" [")[0],
        "start_year": t["start-year"],
        "capacity": t["capacity"],
        "capacity_unit": "Mt / yr",
        "source": f"{GGIT}: {t['id']} ({t['capacity-table']}, {t['tracker-display']})",
        "notes": "small-scale LNG export (0.2 Mt LNG per year)",
        "location_accuracy": "exact",
        "location_source": (
            f"GEM GGIT terminal point {t['id']} (site point; GGIT gives no accuracy flag)"
        ),
        "eur_mmboe": "",
    }


def route(repo: str, pid: str) -> tuple[object | None, str]:
    """The traced route of pipeline ``pid`` (the file whose internal name is ``pid``:
    P0742.geojson and P0749.geojson hold each other's route) and its commit."""
    names = subprocess.run(
        ["git", "--git-dir", repo, "ls-tree", "--name-only", "HEAD", ROUTES_DIR + "/"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    candidates = [n for n in names if n.endswith(".geojson") and "compressor" not in n]
    for name in [
        f"{ROUTES_DIR}/{pid}.geojson",
        *{f"{ROUTES_DIR}/P0742.geojson", f"{ROUTES_DIR}/P0749.geojson"},
    ]:
        if name not in candidates:
            continue
        text = subprocess.run(
            ["git", "--git-dir", repo, "show", f"HEAD:{name}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        obj = json.loads(text)
        if obj.get("name", pid) != pid:
            continue
        geoms = [shape(f["geometry"]) for f in obj["features"] if f.get("geometry")]
        commit = subprocess.run(
            ["git", "--git-dir", repo, "log", "-1", "--format=%H", "--", name],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        return (shapely.union_all(geoms) if geoms else None), f"{name} @ {commit[:12]}"
    return None, ""


def pipeline_rows(ggit: list[dict], repo: str) -> list[dict]:
    feats = json.loads((GEO / "velayats_naturalearth_admin1.geojson").read_text())["features"]
    country = shapely.union_all([shape(f["geometry"]) for f in feats])
    rows = []
    for r in ggit:
        if not r["id"].startswith("P"):
            continue
        coarse = shapely.from_wkt(r["geometry"])
        traced, where = route(repo, r["id"])
        if traced is not None and (
            traced.intersection(country).length < 0.5 * coarse.intersection(country).length
        ):  # the traced route stops short of Turkmenistan (CAC-3; CAC-China A-C)
            traced = None
            where += " (stops short of Turkmenistan: GGIT geometry used)"
        same = traced is not None and traced.equals_exact(coarse, 1e-6)
        geom = coarse if traced is None else traced
        clipped = shapely.set_precision(geom.intersection(CLIP), 1e-5)
        acc = "route" if traced is not None and not same else "coarse_route"
        name = r["name"] + (f", {r['unit-name']}" if r["unit-name"] else "")
        rows.append(
            {
                "pipeline_id": r["id"],
                "name": name,
                "category": "1.B.2.b.iii.4",
                "status": r["status"],
                "start_year": r["start-year"],
                "capacity": r["capacity"],
                "capacity_unit": "1e9 m**3 / yr",
                "location_accuracy": acc,
                "source": f"{GGIT}: {r['id']}, {r['url']}; route: {ROUTES} {where}".rstrip(": "),
                "notes": "route clipped to 51.5-67.5 E, 34.5-43.5 N"
                + ("" if acc == "route" else "; only GGIT's coarse geometry (few vertices)"),
                "geometry": clipped.wkt,
            }
        )
    return rows


def main(repo: str) -> None:
    old_rows = read_csv(CASE / "facilities.csv")
    old = {r["facility_id"]: r for r in old_rows}
    fields = field_rows(old)
    replaced = set(FIELDS)
    kept = [town_row(r) for r in old_rows if r["facility_id"] not in replaced]
    ggit = read_csv(GEO / "gem_ggit_pipelines_2024-10-08_TKM.csv")
    kept = [r for r in kept if r["facility_id"] != "TKM-LNG-001"]
    rows = fields + kept + [lng_row(ggit)]
    if "TKM-OF-007" not in old:  # the Dragon Oil contract area was in the old Cheleken row
        rows.append(
            {
                **town_row(old["TKM-OF-001"]),
                "facility_id": "TKM-OF-007",
                "name": "Cheleken contract area offshore (Jeytun, Jygalybeg; Dragon Oil)",
                "notes": "offshore blocks W of Hazar town; coordinates are the onshore town",
            }
        )
    rows.sort(key=lambda r: r["facility_id"])
    with (CASE / "facilities.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, FACILITY_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    with (CASE / "pipelines.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, PIPELINE_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(pipeline_rows(ggit, repo))


if __name__ == "__main__":
    main(sys.argv[1])
