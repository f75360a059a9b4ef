"""GEOS half of the side-by-side union benchmark (shapely.unary_union, GEOS via PyPI).

Reads the Lambert-93 GeoJSON written by `union_inputs` and dissolves the IRIS into communes,
ES, territoires and the département, as our build does; times the unions only (not the file
reading), best of RUNS. Prints one JSON line per input.

    python3 benches/geos_union.py RUNS FILE.geojson [FILE.geojson ...]
"""
import json
import sys
import time
from collections import defaultdict

import shapely
from shapely.geometry import shape


def dissolve_all_levels(geoms, props):
    out = {}
    for level in ("commune", "es", "territoire"):
        groups = defaultdict(list)
        for g, p in zip(geoms, props):
            groups[p[level]].append(g)
        out[level] = [shapely.unary_union(gs) for gs in groups.values()]
    out["departement"] = [shapely.unary_union(geoms)]
    return out


def main():
    runs = int(sys.argv[1])
    for path in sys.argv[2:]:
        with open(path) as f:
            fc = json.load(f)
        geoms = [shape(ft["geometry"]) for ft in fc["features"]]
        props = [ft["properties"] for ft in fc["features"]]
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            res = dissolve_all_levels(geoms, props)
            times.append(time.perf_counter() - t)
        area = sum(g.area for g in res["departement"]) / 1e6
        times.sort()
        print(json.dumps({
            "input": path.rsplit("/", 1)[-1].removesuffix(".geojson"),
            "iris": len(geoms),
            "best_s": round(times[0], 4),
            "median_s": round(times[len(times) // 2], 4),
            "departement_km2": round(area, 3),
            "geos": shapely.geos_version_string,
        }))


if __name__ == "__main__":
    main()
