"""Read a PMTiles archive written by `observatoire export-tiles` with independent readers
(PyPI `pmtiles` for the archive, `mapbox-vector-tile` for the tiles) and print a JSON summary
for the Rust test to check: header, metadata layers, tile count per zoom, and, per layer, the
codes found at one zoom."""
import gzip
import json
import sys
from collections import Counter, defaultdict

import mapbox_vector_tile
from pmtiles.reader import MmapSource, Reader, all_tiles

path, zoom = sys.argv[1], int(sys.argv[2])
with open(path, "rb") as f:
    source = MmapSource(f)
    reader = Reader(source)
    header = reader.header()
    metadata = reader.metadata()
    per_zoom = Counter()
    codes = defaultdict(set)
    for (z, x, y), data in all_tiles(source):
        per_zoom[z] += 1
        if z != zoom:
            continue
        tile = mapbox_vector_tile.decode(gzip.decompress(data))
        for name, layer in tile.items():
            assert layer["extent"] == 4096, layer["extent"]
            for feat in layer["features"]:
                assert feat["geometry"]["type"] in ("Polygon", "MultiPolygon"), feat["geometry"]["type"]
                codes[name].add(feat["properties"]["code"])
    # Random access through the directory, as a map client does.
    z, x, y = next(iter(sorted((k for k, _ in all_tiles(source) if k[0] == zoom))))
    assert reader.get(z, x, y) is not None

print(json.dumps({
    "spec_version": header["version"],
    "tile_type": header["tile_type"].value,
    "tile_compression": header["tile_compression"].value,
    "min_zoom": header["min_zoom"],
    "max_zoom": header["max_zoom"],
    "clustered": header["clustered"],
    "layers": [l["id"] for l in metadata["vector_layers"]],
    "tiles_per_zoom": {str(k): v for k, v in sorted(per_zoom.items())},
    "codes": {k: sorted(v) for k, v in codes.items()},
}))
