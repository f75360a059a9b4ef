"""pandas half of the side-by-side indicator benchmark.

Same work as `indicators::compute` + classification on the Val-de-Marne census file: join the
IRIS rows to the zones, aggregate the eight census rates as ratios of sums to commune, ES,
territoire and département, compare with the département and the région (gap and index), and
classify each level (quantiles; pandas has no Jenks). The file is read once, outside the
timing, like the Rust benchmark. Prints the best of RUNS in seconds.

    python3 benches/indicators_pandas.py RUNS CENSUS.csv IRIS_ZONES.csv
"""
import sys
import time

import pandas as pd

RATES = {
    "chomage_15_64": (["P16_CHOM1564"], ["P16_ACT1564"]),
    "chomage_15_24": (["P16_CHOM1524"], ["P16_ACT1524"]),
    "activite_15_64": (["P16_ACT1564"], ["P16_POP1564"]),
    "activite_femmes_15_64": (["P16_FACT1564"], ["P16_F1564"]),
    "emploi_15_64": (["P16_ACTOCC1564"], ["P16_POP1564"]),
    "emplois_precaires": (["P16_SAL15P_CDD", "P16_SAL15P_INTERIM", "P16_SAL15P_EMPAID", "P16_SAL15P_APPR"], ["P16_SAL15P"]),
    "temps_partiel_salaries": (["P16_SAL15P_TP"], ["P16_SAL15P"]),
    "ouvriers_employes": (["C16_ACT1564_CS5", "C16_ACT1564_CS6"], ["C16_ACT1564"]),
}


def compute(census, zones):
    parts = {}
    for ind, (num, den) in RATES.items():
        parts[ind + "_n"] = census[num].sum(axis=1)
        parts[ind + "_d"] = census[den].sum(axis=1)
    p = pd.DataFrame(parts)
    p["IRIS"] = census["IRIS"]
    region = p.drop(columns="IRIS").sum()
    joined = zones.merge(p, left_on="code", right_on="IRIS", how="left")
    dep = joined.drop(columns=["code", "commune", "es", "territoire", "IRIS"]).sum()
    out = []
    for level in ["code", "commune", "es", "territoire"]:
        g = joined.groupby(level).sum(numeric_only=True)
        for ind in RATES:
            v = 100 * g[ind + "_n"] / g[ind + "_d"]
            ref_dep = 100 * dep[ind + "_n"] / dep[ind + "_d"]
            ref_reg = 100 * region[ind + "_n"] / region[ind + "_d"]
            frame = pd.DataFrame({"value": v, "gap_dep": v - ref_dep, "index_dep": v / ref_dep * 100, "gap_reg": v - ref_reg, "rank": v.rank(ascending=False)})
            k = max(1, round(1 + 3.3 * __import__("math").log10(len(v))))
            frame["class"] = pd.qcut(v, q=min(k, len(v)), labels=False, duplicates="drop")
            out.append(frame)
    return out


def main():
    runs = int(sys.argv[1])
    census = pd.read_csv(sys.argv[2], sep=";", dtype={"IRIS": str, "COM": str})
    zones = pd.read_csv(sys.argv[3], dtype=str)[["code", "commune", "es", "territoire"]]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        compute(census, zones)
        times.append(time.perf_counter() - t)
    print(f"{min(times):.4f}")


if __name__ == "__main__":
    main()
