"""Load a data package folder into validated tables, or reject it with every problem listed."""
from __future__ import annotations

import json
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from layers.errors import PackageError, Problem
from layers.data.manifest import MANIFEST, Manifest, parse_manifest
from layers.data.schemas import REFERENCE, TABLES, read_table

# How much of a child area may lie outside its parent before it does not nest (share of its area).
NESTING_TOLERANCE = 0.01
DEFAULT_REFERENCE_CODES = ("MALMO", "SE")


@dataclass
class DataPackage:
    """A validated data package. Boundaries are indexed by code, in EPSG:4326."""

    path: Path
    manifest: Manifest
    boundaries: dict[str, gpd.GeoDataFrame]
    indicators: pd.DataFrame
    population: pd.DataFrame
    uvas: pd.DataFrame
    facilities: pd.DataFrame
    reference: pd.DataFrame | None = None  # SCB's områdestyp per area of manifest.raw["reference"]["level"], if the package has it
    _generated: bool | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def children_age_group(self) -> str:
        """The population's age group that counts as children (the allocation's, the card's): "0-18"
        in Malmö's packages, "0-19" in SCB's (its own children's group, TAB6685)."""
        return str(self.manifest.raw.get("children_age_group") or "0-18")

    @property
    def children_ages(self) -> str:
        """The children's ages as written: "0–18"."""
        return self.children_age_group.replace("-", "–")

    def place(self, lang: str = "sv") -> str:
        """The place the package is about, as the page's title and the exports name it: its first
        reference area ("Malmö"), or its title."""
        for ref in self.manifest.raw.get("reference_areas") or []:
            labels = ref.get("labels") or {}
            if labels.get(lang) or labels.get("sv"):
                return str(labels.get(lang) or labels["sv"])
        return self.manifest.title

    @property
    def search_example(self) -> str:
        """An area name for the search field's hint: the manifest's `search_example`, else the first
        name at the index level."""
        names = self.boundaries[self.manifest.index_level]["name"]
        return str(self.manifest.raw.get("search_example") or (sorted(names)[0] if len(names) else ""))

    @property
    def reference_codes(self) -> list[str]:
        refs = self.manifest.raw.get("reference_areas")
        return [r["code"] for r in refs] if refs else list(DEFAULT_REFERENCE_CODES)

    def level_of(self) -> dict[str, str]:
        """Code → level id for every area in the package."""
        return {code: lid for lid, gdf in self.boundaries.items() for code in gdf.index}

    def is_generated(self) -> bool:
        """True when any table or level holds generated (demonstration) values (cached: a loaded
        package is not changed; asked on every slider move)."""
        if self._generated is None:
            from layers.data.provenance import generated_parts  # the one list of what is generated
            self._generated = bool(generated_parts(self))
        return self._generated


def _read_manifest(root: Path) -> tuple[Manifest | None, list[Problem]]:
    try:
        raw = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [Problem(MANIFEST, f"file is missing in {root}")]
    except OSError as exc:  # permission denied, a folder in its place, an I/O error: one line, no traceback
        return None, [Problem(MANIFEST, f"cannot be read: {exc.strerror or exc}")]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, [Problem(MANIFEST, f"is not valid JSON: {exc}")]
    return parse_manifest(raw)


def inside(root: Path, name: str) -> Path | None:
    """The file `name` of a package, resolved (links followed), if it lies inside the package folder."""
    target = (root / name).resolve()
    return target if target.is_relative_to(root.resolve()) else None


def _read_boundaries(root: Path, level, problems: list[Problem]) -> gpd.GeoDataFrame | None:
    file = level.path
    if inside(root, file) is None:
        problems.append(Problem(file, f"boundary file for level '{level.id}' lies outside the package folder (a link or '..')"))
        return None
    try:
        data = json.loads((root / file).read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(Problem(file, f"boundary file for level '{level.id}' is missing"))
        return None
    except OSError as exc:
        problems.append(Problem(file, f"boundary file for level '{level.id}' cannot be read: {exc.strerror or exc}"))
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem(file, f"is not valid GeoJSON: {exc}"))
        return None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        problems.append(Problem(file, "must be a GeoJSON FeatureCollection"))
        return None
    crs_name = (((data.get("crs") or {}).get("properties") or {}).get("name") or "")
    if crs_name and not any(tag in crs_name.upper() for tag in ("4326", "CRS84")):
        problems.append(Problem(file, f"coordinates must be EPSG:4326 (lon/lat), file says {crs_name}"))
        return None
    rows, before = [], len(problems)
    for n, feature in enumerate(data.get("features") or [], start=1):
        props = (feature or {}).get("properties") or {}
        code, name, parent = props.get("code"), props.get("name"), props.get("parent")
        if not isinstance(code, str) or not code.strip():
            problems.append(Problem(file, f"'code' must be a non-empty string (got {code!r})", n, "code"))
            continue
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(file, f"area {code}: 'name' must be a non-empty string", n, "name"))
        if parent is not None and not isinstance(parent, str):
            problems.append(Problem(file, f"area {code}: 'parent' must be a string or null", n, "parent"))
        try:
            geom = shapely.geometry.shape(feature.get("geometry"))
        except Exception as exc:  # shapely raises several types for malformed GeoJSON
            problems.append(Problem(file, f"area {code}: geometry cannot be read ({exc})", n, "geometry"))
            continue
        if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(Problem(file, f"area {code}: geometry must be a non-empty Polygon or MultiPolygon (got {geom.geom_type})", n, "geometry"))
            continue
        if not geom.is_valid:
            problems.append(Problem(file, f"area {code}: invalid geometry ({shapely.is_valid_reason(geom)})", n, "geometry"))
            continue
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            problems.append(Problem(file, f"area {code}: coordinates are not lon/lat degrees (EPSG:4326)", n, "geometry"))
            continue
        rows.append({"code": code, "name": name if isinstance(name, str) else code,
                     "parent": parent, "feature": n,
                     **{k: v for k, v in props.items() if k not in ("code", "name", "parent")},
                     "geometry": geom})
    if not rows:
        if len(problems) == before:
            problems.append(Problem(file, "has no areas"))
        return None
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    for code in gdf.loc[gdf["code"].duplicated(), "code"].unique():
        problems.append(Problem(file, f"area code '{code}' appears more than once", int(gdf.loc[gdf["code"] == code, "feature"].iloc[1]), "code"))
    return gdf.drop_duplicates("code").set_index("code")


def _check_hierarchy(manifest: Manifest, boundaries: dict, problems: list[Problem]) -> None:
    seen: dict[str, str] = {}
    for level in manifest.levels:
        gdf = boundaries.get(level.id)
        if gdf is None:
            continue
        for code in gdf.index:
            if code in seen:
                problems.append(Problem(level.path, f"area code '{code}' is also used on level '{seen[code]}'", int(gdf.at[code, "feature"]), "code"))
            seen[code] = level.id
        if level.parent is None:
            with_parent = gdf.index[gdf["parent"].notna()]
            for code in with_parent:
                problems.append(Problem(level.path, f"area {code}: top level '{level.id}' has no parent level, but parent is '{gdf.at[code, 'parent']}'", int(gdf.at[code, "feature"]), "parent"))
            continue
        parents = boundaries.get(level.parent)
        if parents is None:
            continue
        metric = gdf.estimate_utm_crs()
        child_m, parent_m = gdf.to_crs(metric), parents.to_crs(metric)
        for code, row in gdf.iterrows():
            parent = row["parent"]
            if parent is None or parent not in parents.index:
                problems.append(Problem(level.path, f"area {code}: parent '{parent}' does not exist on level '{level.parent}'", int(row["feature"]), "parent"))
                continue
            geom = child_m.geometry[code]
            outside = geom.difference(parent_m.geometry[parent]).area
            if outside > NESTING_TOLERANCE * geom.area:
                problems.append(Problem(level.path, f"area {code}: {outside / geom.area:.0%} of it lies outside its parent {parent} (does not nest)", int(row["feature"]), "geometry"))


def _check_references(manifest: Manifest, tables: dict, all_codes: set[str], reference_codes: set[str], problems: list[Problem]) -> None:
    def unknown(file: str, df: pd.DataFrame, column: str, allowed: set[str]):
        values = df[column].dropna()
        for idx in values.index[~values.isin(allowed)]:
            problems.append(Problem(file, f"unknown area code '{df.at[idx, column]}'", int(idx) + 2, column))

    ind = tables.get("indicators.csv")
    if ind is not None:
        unknown("indicators.csv", ind, "code", all_codes)
        keys = set(manifest.indicator_keys)
        for idx in ind.index[~ind["indicator"].isin(keys)]:
            problems.append(Problem("indicators.csv", f"indicator '{ind.at[idx, 'indicator']}' is not declared in {MANIFEST} ({', '.join(sorted(keys))})", int(idx) + 2, "indicator"))
        dup = ind.duplicated(["code", "year", "indicator"], keep="first")
        for idx in ind.index[dup]:
            problems.append(Problem("indicators.csv", f"second value for area {ind.at[idx, 'code']}, {ind.at[idx, 'indicator']}, {ind.at[idx, 'year']}", int(idx) + 2))
    pop = tables.get("population.csv")
    if pop is not None:
        unknown("population.csv", pop, "code", all_codes | reference_codes)
        for idx in pop.index[pop.duplicated(["code", "year", "age_group"])]:
            problems.append(Problem("population.csv", f"second count for area {pop.at[idx, 'code']}, {pop.at[idx, 'age_group']}, {pop.at[idx, 'year']}", int(idx) + 2))
    uvas = tables.get("uvas.csv")
    if uvas is not None:
        unknown("uvas.csv", uvas, "code", all_codes | reference_codes)
        for idx in uvas.index[uvas.duplicated(["code", "year", "age_group"])]:
            problems.append(Problem("uvas.csv", f"second value for area {uvas.at[idx, 'code']}, {uvas.at[idx, 'age_group']}, {uvas.at[idx, 'year']}", int(idx) + 2))
    fac = tables.get("facilities.csv")
    if fac is not None:
        unknown("facilities.csv", fac, "area_code", all_codes)
        kinds = {k["id"] for k in manifest.raw.get("facility_kinds", []) if isinstance(k, dict) and "id" in k}
        if kinds:
            for idx in fac.index[~fac["kind"].isin(kinds)]:
                problems.append(Problem("facilities.csv", f"kind '{fac.at[idx, 'kind']}' is not declared in facility_kinds ({', '.join(sorted(kinds))})", int(idx) + 2, "kind"))
        needs_point = fac["position"].eq("coordinates") & (fac["lat"].isna() | fac["lon"].isna())
        for idx in fac.index[needs_point]:
            problems.append(Problem("facilities.csv", "position is 'coordinates' but lat or lon is empty", int(idx) + 2, "lat"))
        needs_area = fac["position"].eq("area") & fac["area_code"].isna()
        for idx in fac.index[needs_area]:
            problems.append(Problem("facilities.csv", "position is 'area' but area_code is empty", int(idx) + 2, "area_code"))


def _check_index_values(manifest: Manifest, tables: dict, boundaries: dict, problems: list[Problem]) -> None:
    """Every indicator needs values at the index level, in its year, and two different ones at least
    (fewer cannot be scaled): else the index has no value for any area, though the package loads."""
    ind = tables.get("indicators.csv")
    areas = boundaries.get(manifest.index_level)
    if ind is None or areas is None:
        return
    rows = ind[ind["code"].isin(areas.index) & ind["value"].notna()]
    for i in manifest.indicators:
        values = rows.loc[(rows["indicator"] == i.key) & (rows["year"] == i.year), "value"]
        if values.empty:
            problems.append(Problem("indicators.csv", f"indicator '{i.key}' has no values at the index level '{manifest.index_level}' "
                                    f"for its year {i.year}: the index cannot be computed for any area"))
        elif values.nunique() < 2:
            problems.append(Problem("indicators.csv", f"indicator '{i.key}' has {len(values)} value(s) at the index level "
                                    f"'{manifest.index_level}' for {i.year}, all equal: too few to scale (two different values at least)"))


def load_package(path: str | Path) -> DataPackage:
    """Load and validate a package folder.

    Raises PackageError listing every problem (file, row, column); nothing is returned
    half-loaded.
    """
    root = Path(path)
    if not root.is_dir():
        raise PackageError([Problem(str(root), "is not a folder")])
    manifest, problems = _read_manifest(root)
    if manifest is None:
        raise PackageError(problems)
    boundaries = {}
    for level in manifest.levels:
        gdf = _read_boundaries(root, level, problems)
        if gdf is not None:
            boundaries[level.id] = gdf
    _check_hierarchy(manifest, boundaries, problems)
    tables = {}
    for file, schema in TABLES.items():
        if inside(root, file) is None:
            problems.append(Problem(file, "lies outside the package folder (a link)"))
            continue
        df, table_problems = read_table(root / file, schema)
        problems += table_problems
        if df is not None:
            tables[file] = df
    unread = [lv.path for lv in manifest.levels if lv.id not in boundaries]
    if unread:  # every code on an unread level would be "unknown": one cause, reported once
        problems.append(Problem(", ".join(unread), "area codes in the tables were not checked, because this boundary file could not be read"))
    else:
        all_codes = {c for gdf in boundaries.values() for c in gdf.index}
        refs = {r.get("code") for r in manifest.raw.get("reference_areas", [])} or set(DEFAULT_REFERENCE_CODES)
        _check_references(manifest, tables, all_codes, refs, problems)
        _check_index_values(manifest, tables, boundaries, problems)
    reference = _read_reference(root, manifest, boundaries, problems)
    if problems:
        raise PackageError(problems)
    return DataPackage(root, manifest, boundaries, tables["indicators.csv"], tables["population.csv"],
                       tables["uvas.csv"], tables["facilities.csv"], reference)


def _read_reference(root: Path, manifest: Manifest, boundaries: dict, problems: list[Problem]) -> pd.DataFrame | None:
    """The optional reference classification: a CSV inside the package whose codes are areas of its level."""
    spec = manifest.raw.get("reference")
    if spec is None:
        return None
    from layers.data.manifest import check_relative_path
    path, level = (spec.get("path"), spec.get("level")) if isinstance(spec, dict) else (None, None)
    if not isinstance(path, str) or not check_relative_path(path, "reference", problems):
        if not isinstance(path, str):
            problems.append(Problem(MANIFEST, "reference: 'path' (a CSV in the package) is required"))
        return None
    if level not in boundaries:
        problems.append(Problem(MANIFEST, f"reference: level {level!r} is not one of the levels {sorted(boundaries)}"))
        return None
    if inside(root, path) is None:
        problems.append(Problem(path, "lies outside the package folder (a link)"))
        return None
    df, found = read_table(root / path, REFERENCE)
    for problem in found:
        problems.append(Problem(path, problem.message, problem.row, problem.column))
    if df is None:
        return None
    for idx in df.index[~df["code"].isin(boundaries[level].index)]:
        problems.append(Problem(path, f"unknown area code '{df.at[idx, 'code']}' on level '{level}'", int(idx) + 2, "code"))
    return df


def check_target(into: Path, replace: bool) -> Path:
    """The folder a new package is written to: new or empty, unless `replace` (EngineError otherwise)."""
    from layers.errors import EngineError
    into = Path(into)
    if into.exists() and any(into.iterdir()) and not replace:
        raise EngineError(f"{into} already exists and is not empty (give --replace to write over it)")
    return into


@contextmanager
def building(into: Path, replace: bool = False):
    """Build a package in a folder beside `into` (yielded); when the block ends, validate it whole
    (load_package: PackageError with every problem) and move it into place, an old one renamed away
    first and removed after. On any error nothing is left: the import, `build scb` and `crosswalk`
    never leave a half-written package."""
    from layers.errors import EngineError
    into = check_target(into, replace).resolve()
    into.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{into.name}-", dir=into.parent))
    try:
        yield work
        load_package(work)
        if into.exists():
            if not replace:
                raise EngineError(f"{into} appeared while the package was being built")
            old = into.with_name(f".{into.name}-old")
            shutil.rmtree(old, ignore_errors=True)
            into.rename(old)
            work.rename(into)
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(into)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
