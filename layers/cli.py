"""Command line over the same engine as the dashboard: `python -m layers --help`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from layers.index.clusters import DEFAULT_EXTEND_THRESHOLD, DEFAULT_MIN_SHARED_M, DEFAULT_TOP_N, ClusterSettings, find_clusters
from layers.output.cells import neutralise_frame
from layers.index.engine import Engine
from layers.errors import EngineError, PackageError, SourceError
from layers.data.package import load_package
from layers.data.provenance import generated_areas
from layers.index.trends import trend_table
from layers.index.weights import parse_weights

DEFAULT_PACKAGE = Path(__file__).resolve().parents[1] / "data" / "malmo"


def _engine_and_weights(args) -> tuple[Engine, dict | None]:
    engine = Engine(load_package(args.package))
    weights = parse_weights(args.weights, engine.keys) if args.weights else None
    return engine, weights


def _cluster_settings(args) -> ClusterSettings:
    return ClusterSettings(top_n=args.top_n, threshold=args.threshold,
                           extend_threshold=None if args.no_extend else args.extend_threshold,
                           min_shared_m=args.min_shared_m)


def cmd_validate(args) -> int:
    pkg = load_package(args.package)
    levels = ", ".join(f"{lid} ({len(gdf)})" for lid, gdf in pkg.boundaries.items())
    print(f"{args.package}: valid. Levels: {levels}. Indicators: {', '.join(pkg.manifest.indicator_keys)}."
          + (" Contains generated (demo) values." if pkg.is_generated() else ""))
    return 0


def cmd_index(args) -> int:
    engine, weights = _engine_and_weights(args)
    result = engine.index(weights, args.level, args.normalisation, args.aggregation)
    frame = result.frame().drop(columns=[f"value_{k}" for k in engine.keys])
    generated = dict(zip(engine.pkg.boundaries[result.level].index, generated_areas(engine.pkg, result.level)))
    frame.insert(0, "generated", [bool(generated[c]) for c in frame["code"]])  # per area, as in the exports
    if args.format == "json":
        print(frame.to_json(orient="records", force_ascii=False, indent=1))
    else:  # names are data: a formula in one must not run when the CSV is opened
        neutralise_frame(frame).to_csv(sys.stdout, index=False, float_format="%.4f", lineterminator="\n")
    return 0


def cmd_clusters(args) -> int:
    engine, weights = _engine_and_weights(args)
    result = engine.index(weights, args.level, args.normalisation, args.aggregation)
    clusters = find_clusters(engine, result, _cluster_settings(args))
    print(json.dumps([c.as_dict() for c in clusters], ensure_ascii=False, indent=1))
    return 0


def cmd_trend(args) -> int:
    engine, weights = _engine_and_weights(args)
    if args.cluster:
        result = engine.index(weights, args.level, args.normalisation, args.aggregation)
        clusters = {c.id: c for c in find_clusters(engine, result, _cluster_settings(args))}
        if args.cluster not in clusters:
            raise EngineError(f"no cluster '{args.cluster}' for these settings (clusters: {', '.join(clusters)})")
        groups = {clusters[args.cluster].name: clusters[args.cluster].members}
    else:
        codes = [c.strip() for c in args.areas.split(",") if c.strip()]
        known = engine.pkg.level_of()
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise EngineError(f"unknown area code(s): {', '.join(unknown)}")
        groups = {",".join(codes): codes}
    table = trend_table(engine.pkg, groups, args.age_group)
    if args.project:
        from layers.index.trends import with_projection
        table = with_projection(table, args.project)
    table.to_csv(sys.stdout, index=False, float_format="%.2f", lineterminator="\n")
    return 0


def cmd_compare(args) -> int:
    """Per area: ranks, index and cluster ids under weightings A and B, and who enters and leaves the top N."""
    from layers.analysis.compare import compare, side
    engine = Engine(load_package(args.package))
    settings = _cluster_settings(args)
    sides = [side(engine, parse_weights(w, engine.keys) if w else None, args.level, args.normalisation, args.aggregation, settings)
             for w in (args.a, args.b)]
    result = compare(*sides, top_n=args.top_n)  # the top N is also the clusters' core, as in the cluster rule
    if args.format == "json":
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=1, default=float))
    else:
        neutralise_frame(result.areas).to_csv(sys.stdout, index=False, float_format="%.4f", lineterminator="\n")
    return 0


def _print_frame(frame: pd.DataFrame, fmt: str, extra: dict | None = None) -> None:
    """A per-area table as JSON ({..., "areas": [...]}) or CSV (text cells neutralised)."""
    if fmt == "json":
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        print(json.dumps({**(extra or {}), "areas": records}, ensure_ascii=False, indent=1, default=str))
    else:
        neutralise_frame(frame).to_csv(sys.stdout, index=False, float_format="%.4f", lineterminator="\n")


def cmd_robustness(args) -> int:
    from layers.analysis.robustness import RobustnessSettings, robustness
    engine, weights = _engine_and_weights(args)
    vary = tuple(v.strip() for v in args.vary.split(",") if v.strip())
    settings = RobustnessSettings(draws=args.draws, concentration=args.concentration, vary=vary, top_n=args.top_n, seed=args.seed)
    frame = robustness(engine, weights, args.level, args.normalisation, args.aggregation, settings, _cluster_settings(args))
    _print_frame(frame, args.format, {**frame.attrs, "generated": bool(engine.pkg.is_generated())})
    return 0


def cmd_hotspots(args) -> int:
    from layers.analysis.hotspots import HotspotSettings, hotspots
    engine, weights = _engine_and_weights(args)
    settings = HotspotSettings(statistic=args.statistic, permutations=args.permutations, alpha=args.alpha, fdr=args.fdr,
                               seed=args.seed, min_shared_m=args.min_shared_m)
    frame = hotspots(engine, weights, args.level, args.normalisation, args.aggregation, settings)
    _print_frame(frame, args.format, {**frame.attrs, "generated": bool(engine.pkg.is_generated())})
    return 0


def cmd_flags(args) -> int:
    from layers.analysis.flags import flags
    engine = Engine(load_package(args.package))
    frame = flags(engine, args.level, args.percentile)
    _print_frame(frame, args.format, {**frame.attrs, "generated": bool(engine.pkg.is_generated())})
    return 0


def cmd_method_report(args) -> int:
    from layers.analysis.drivers import method_report
    engine, weights = _engine_and_weights(args)
    print(json.dumps(method_report(engine, weights, args.level, args.normalisation, args.aggregation), ensure_ascii=False, indent=1))
    return 0


def cmd_allocate(args) -> int:
    from layers.analysis.allocation import allocate
    engine, weights = _engine_and_weights(args)
    frame = allocate(engine, args.budget, args.unit, args.rule, args.floor, weights, args.normalisation, args.aggregation,
                     _cluster_settings(args))
    _print_frame(frame, args.format, dict(frame.attrs))
    return 0


def cmd_import(args) -> int:
    from layers.data.importer import ImportError_, IndicatorColumns, import_table
    try:
        report = import_table(args.file, args.into, args.base, args.level, args.code_column, args.name_column,
                              [IndicatorColumns.parse(i) for i in args.indicator], args.year, args.source, args.licence,
                              args.sheet, args.allow_missing, args.replace)
    except ImportError_ as err:
        print(err.report.text(), file=sys.stderr)
        raise
    print(report.text())
    print(f"Written and valid: {report.written}")
    return 0


def cmd_fetch(args) -> int:
    from layers.data import connectors as c
    client = c.Client(args.base_url or {"scb": c.SCB_URL, "ckan": c.CKAN_URL, "kolada": c.KOLADA_URL, "scb-areas": c.SCB_WFS_URL}[args.service],
                      cache_dir=args.cache or c.DEFAULT_CACHE, offline=args.offline)
    if args.service == "scb-areas":  # a boundary file per level, not a CSV
        for level in (["regso", "deso"] if args.level == "both" else [args.level]):
            frame, provenance = c.fetch_wfs(client, level, args.kommun, args.year)
            out = c.write_areas(frame, provenance, Path(args.out) / f"{level}.geojson")
            print(f"{len(frame)} {level.upper()} areas of kommun {args.kommun} written to {out} (EPSG:4326; provenance beside it)")
        return 0
    if args.service == "scb":
        select = {}
        for item in args.select or []:
            name, _, codes = item.partition("=")
            select[name.strip()] = [x.strip() for x in codes.split(",") if x.strip()]
        frame, provenance = c.fetch_scb(client, args.table, args.regions, args.codelist, select)
    elif args.service == "ckan":
        if not args.resource:
            for r in c.ckan_resources(client, args.dataset):
                print(f"{r['id']}\t{r['format']}\t{r['name']}")
            return 0
        frame, provenance = c.fetch_ckan(client, args.resource)
    else:
        first, _, last = args.years.partition("-")
        years = list(range(int(first), int(last or first) + 1))
        frame, provenance = c.fetch_kolada(client, args.kpi, [m.strip() for m in args.municipalities.split(",")], years)
    out = c.write_output(frame, provenance, args.out)
    print(f"{len(frame)} rows written to {out} ({provenance.get('calls', 0)} calls; provenance in {out.name}.provenance.json)")
    return 0


def cmd_build_scb(args) -> int:
    from layers.data import connectors as c
    from layers.data.scb_package import ExtraTable, build_scb
    cache = args.cache or c.DEFAULT_CACHE
    extra = []
    if args.table:
        select = {}
        for item in args.select or []:
            name, _, codes = item.partition("=")
            select[name.strip()] = [x.strip() for x in codes.split(",") if x.strip()]
        extra.append(ExtraTable(args.table, select, args.label or ""))
    report = build_scb(c.Client(args.scb_url, cache_dir=cache, offline=args.offline),
                       c.Client(args.wfs_url, cache_dir=cache, offline=args.offline),
                       args.kommun, args.level, args.year, args.into, extra, args.places, args.replace, not args.no_reference)
    areas = ", ".join(f"{n} {'DeSO' if lv == 'deso' else 'RegSO'}" for lv, n in report["areas"].items())
    print(f"{report['name']} ({report['kommun']}): {areas}; index level {report['level']}. "
          f"{report['with_value']} areas with a value, {report['without_value']} without (suppressed by SCB or too few people). "
          f"Indicators: {', '.join(report['indicators'])}. SCB's områdestyp for {report['reference']} RegSO.")
    print(f"Written and valid: {args.into} (no generated values; provenance in {args.into / 'provenance'})")
    return 0


def cmd_reference(args) -> int:
    """The index against SCB's områdestyp, in words and as a cross-table."""
    from layers.analysis.reference import TYPES, comparison, type_label, words
    engine, weights = _engine_and_weights(args)
    result = comparison(engine, weights, args.normalisation, args.aggregation, args.top_n)
    if args.format == "json":
        print(json.dumps({**result.as_dict(), "words": words(result, args.lang)}, ensure_ascii=False, indent=1))
        return 0
    for line in words(result, args.lang):
        print(line)
    print()
    frame = pd.DataFrame(result.table, columns=[type_label(k, args.lang) for k in TYPES])
    frame.insert(0, "rank", [f"{a}-{b}" for a, b in result.groups])
    frame.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def cmd_crosswalk(args) -> int:
    from layers.data.crosswalk import MIN_COVERAGE, crosswalk
    report = crosswalk(args.source, args.indicator, args.target, args.into, args.as_key, args.replace)
    print(f"{report['key']} estimated for {report['areas']} {report['level']} areas from {args.source}; "
          f"{report['without']} without (covered less than {MIN_COVERAGE:.0%}). Median coverage {report['median_coverage']:.0%}.")
    print(f"Written and valid: {args.into} (the indicator's source says it is estimated)")
    return 0


def cmd_room(args) -> int:
    """A room's agreement from its votes (the wall's own kernel), e.g. the file the wall exports."""
    from layers.analysis.room import agreement
    from layers.output.texts import label
    engine = Engine(load_package(args.package))
    text = args.votes.read_text(encoding="utf-8-sig")
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip('"').startswith("#")]
    if not lines:
        raise EngineError(f"{args.votes}: no votes")
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    import io
    frame = pd.read_csv(io.StringIO("\n".join(lines)), sep=sep, dtype=str, keep_default_na=False)
    names = {k: k for k in engine.keys} | {label(i.labels, lang): i.key for i in engine.pkg.manifest.indicators for lang in ("sv", "en")}
    columns = {c: names[c.strip()] for c in frame.columns if c.strip() in names}
    missing = sorted(set(engine.keys) - set(columns.values()))
    if missing:
        raise EngineError(f"{args.votes}: no column for {', '.join(missing)} (columns: {', '.join(frame.columns)})")
    votes = []
    for n, (_, row) in enumerate(frame.iterrows(), start=2):
        vote = {}
        for column, key in columns.items():
            cell = str(row[column]).strip().replace(",", ".")
            try:
                vote[key] = float(cell)
            except ValueError:
                raise EngineError(f"{args.votes}, vote {n - 1}, column {column!r}: {cell!r} is not a number") from None
        votes.append(vote)
    result = agreement(engine, votes, args.level, args.normalisation, args.aggregation, args.top_n)
    _print_frame(result, args.format, {"votes": result.attrs["votes"], "top_n": result.attrs["top_n"], "median": result.attrs["median"],
                                       "generated": bool(engine.pkg.is_generated())})
    return 0


def cmd_disclosure(args) -> int:
    engine = Engine(load_package(args.package))
    levels = [args.level] if args.level else engine.pkg.manifest.level_ids
    engine.disclosure_report(levels).to_csv(sys.stdout, index=False, float_format="%.2f", lineterminator="\n")
    return 0


def cmd_demo_build(args) -> int:
    from layers.index.demo_promises import build_and_check
    build_and_check(args.package)
    return 0


def cmd_export(args) -> int:
    """Every export of the app, for one view, through the same registry (layers/output/export.py)."""
    from layers.analysis.allocation import check_terms
    from layers.output.export import FORMATS, allocation_csv, allocation_filename, allocation_frame, export_data, filename
    from layers.release import Release
    from layers.output.texts import t
    from layers.view import parse_query, query_from_cli, skipped_text, view_settings
    release = Release.load(args.package)
    state, skipped = parse_query(query_from_cli(args), release.options)
    if skipped:  # as the page's notice says it; the files' headers say it too
        labels = {i.key: i.key for i in release.pkg.manifest.indicators}
        print(f"skipped: {skipped_text('en', skipped, labels)}", file=sys.stderr)
    if args.product == "allocation":  # the allocation panel's CSV, as /api/allocation.csv writes it
        terms, problem = check_terms(args.budget, state.alloc_rule, args.unit, args.floor)  # the rule is the view's (--rule)
        if problem:
            raise EngineError(t("en", problem))
        body = allocation_csv(release, state, skipped, allocation_frame(release, view_settings(state), *terms), terms)
        path = args.output / allocation_filename() if args.output and not args.output.suffix else args.output
        if path is None:
            sys.stdout.buffer.write(body)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            print(f"{path} ({len(body):,} bytes)", file=sys.stderr)
        return 0
    formats = list(FORMATS) if args.format == "all" else [args.format]
    data = export_data(release, state, skipped)
    to_stdout = args.output is None and len(formats) == 1
    folder = None if to_stdout or (args.output and len(formats) == 1 and args.output.suffix) else (args.output or Path("."))
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    for fmt in formats:
        body = FORMATS[fmt].render(release, data)
        if to_stdout:
            sys.stdout.buffer.write(body)
            sys.stdout.flush()
            continue
        path = folder / filename(release, state, fmt) if folder is not None else args.output
        path.write_bytes(body)
        print(f"{path} ({len(body):,} bytes)", file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m layers", description="Malmö index engine: validate packages, compute index, clusters and UVAS trends.")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check a data package; exit 1 and list every problem if it is not valid")
    v.add_argument("package", type=Path)
    v.set_defaults(func=cmd_validate)

    def engine_options(sp, level: bool = True):
        sp.add_argument("--package", type=Path, default=DEFAULT_PACKAGE, help="data package folder (default: data/malmo)")
        sp.add_argument("--weights", help="e.g. inte_behorig=1,trangboddhet=1,ekonomiskt_bistand=1,lag_inkomststandard=1 (indicators not named get 0)")
        if level:
            sp.add_argument("--level", help="geography level (default: the package's index level)")
        sp.add_argument("--normalisation", default="minmax", choices=["minmax", "zscore", "rank", "ratio"])
        sp.add_argument("--aggregation", default="arithmetic", choices=["arithmetic", "geometric"])

    def cluster_options(sp):
        sp.add_argument("--top-n", type=int, default=DEFAULT_TOP_N)
        sp.add_argument("--threshold", type=float, help="core = every area with index ≥ this (instead of --top-n)")
        sp.add_argument("--extend-threshold", type=float, default=DEFAULT_EXTEND_THRESHOLD)
        sp.add_argument("--no-extend", action="store_true", help="do not add neighbouring areas")
        sp.add_argument("--min-shared-m", type=float, default=DEFAULT_MIN_SHARED_M, help="metres of shared border that make two areas neighbours")

    i = sub.add_parser("index", help="index and rank per area")
    engine_options(i)
    i.add_argument("--format", choices=["csv", "json"], default="csv")
    i.set_defaults(func=cmd_index)

    c = sub.add_parser("clusters", help="clusters of high-index neighbouring areas, as JSON")
    engine_options(c)
    cluster_options(c)
    c.add_argument("--format", choices=["json"], default="json")
    c.set_defaults(func=cmd_clusters)

    t = sub.add_parser("trend", help="UVAS series as CSV for areas or a cluster, with Malmö and Sweden")
    engine_options(t)
    cluster_options(t)
    group = t.add_mutually_exclusive_group(required=True)
    group.add_argument("--areas", help="comma-separated area codes (any level at or above the index level)")
    group.add_argument("--cluster", help="cluster id as printed by 'clusters' (e.g. k48104)")
    t.add_argument("--age-group", default="16-29")
    t.add_argument("--project", type=int, metavar="YEAR", help="add a linear projection (last ten years) with a 95 %% prediction "
                                                               "interval up to YEAR, e.g. 2035: columns projected, lower, upper")
    t.set_defaults(func=cmd_trend)

    cmp = sub.add_parser("compare", help="two weightings side by side: per area rank_a, rank_b, index_a, index_b, "
                                         "in_top_a, in_top_b and cluster ids; JSON adds who enters and leaves the top N")
    engine_options(cmp)
    cluster_options(cmp)
    cmp.add_argument("--a", default="", help="weighting A (default: equal weights, as published)")
    cmp.add_argument("--b", default="", help="weighting B (default: equal weights)")
    cmp.add_argument("--format", choices=["json", "csv"], default="json")
    cmp.set_defaults(func=cmd_compare)

    rb = sub.add_parser("robustness", help="how sure the ranking is: p_top, p_cluster and the 5–95 %% rank interval per area "
                                            "over random variants (weights, normalisation, values)")
    engine_options(rb)
    cluster_options(rb)
    rb.add_argument("--draws", type=int, default=10_000)
    rb.add_argument("--concentration", type=float, default=20.0, help="Dirichlet concentration around the weights (larger = closer; inf = fixed)")
    rb.add_argument("--vary", default="weights", help="comma-separated: weights, normalisation, values (default: weights)")
    rb.add_argument("--seed", type=int, default=0)
    rb.add_argument("--format", choices=["json", "csv"], default="json")
    rb.set_defaults(func=cmd_robustness)

    hs = sub.add_parser("hotspots", help="Local Moran's I or Getis-Ord Gi* per area with permutation inference (PySAL esda)")
    engine_options(hs)
    hs.add_argument("--statistic", choices=["lisa", "gi"], default="lisa")
    hs.add_argument("--permutations", type=int, default=999)
    hs.add_argument("--alpha", type=float, default=0.05)
    hs.add_argument("--fdr", action="store_true", help="Benjamini–Hochberg false-discovery-rate correction")
    hs.add_argument("--seed", type=int, default=0)
    hs.add_argument("--min-shared-m", type=float, default=DEFAULT_MIN_SHARED_M, help="metres of shared border that make neighbours (default 25)")
    hs.add_argument("--format", choices=["json", "csv"], default="json")
    hs.set_defaults(func=cmd_hotspots)

    fl = sub.add_parser("flags", help="per area, one flag per indicator at or above its percentile (default 90th), and their count")
    fl.add_argument("--package", type=Path, default=DEFAULT_PACKAGE)
    fl.add_argument("--level")
    fl.add_argument("--percentile", type=float, default=90.0)
    fl.add_argument("--format", choices=["json", "csv"], default="json")
    fl.set_defaults(func=cmd_flags)

    mr = sub.add_parser("method-report", help="correlations of the scaled indicators and each one's effective weight (main effect) against its nominal weight")
    engine_options(mr)
    mr.set_defaults(func=cmd_method_report)

    al = sub.add_parser("allocate", help="split a budget in whole thousands of kronor by need, children or both (as shown), with a floor")
    engine_options(al, level=False)
    cluster_options(al)
    al.add_argument("--budget", type=int, required=True, help="kronor, e.g. 10000000")
    al.add_argument("--level", dest="unit", choices=["geso", "delomrade", "cluster"], default="geso", help="the units that get money")
    al.add_argument("--rule", choices=["need", "children", "need_children"], default="need")
    al.add_argument("--floor", type=int, default=0, help="every amount is 0 or at least this (kronor)")
    al.add_argument("--format", choices=["json", "csv"], default="json")
    al.set_defaults(func=cmd_allocate)

    im = sub.add_parser("import", help="import the city's own table (Excel or CSV, one row per area) into a complete, valid package")
    im.add_argument("file", type=Path)
    im.add_argument("--into", type=Path, required=True, help="the new package's folder (must be new or empty; --replace writes over it)")
    im.add_argument("--base", type=Path, default=DEFAULT_PACKAGE, help="boundaries and other tables come from here (default data/malmo)")
    im.add_argument("--sheet", help="the Excel sheet (default: the first)")
    im.add_argument("--level", help="the level of the rows (default: the index level)")
    who = im.add_mutually_exclusive_group(required=True)
    who.add_argument("--code-column", help="the column with area codes")
    who.add_argument("--name-column", help="the column with area names (matched as a Swede writes them)")
    im.add_argument("--indicator", action="append", required=True, metavar="KEY=COLUMN[,denominator=COLUMN]")
    im.add_argument("--year", type=int, help="the year of the values (default: the package's year per indicator)")
    im.add_argument("--source", default="", help='e.g. "Stadskontoret, Malmö stad"')
    im.add_argument("--licence", default="", help="e.g. CC BY 4.0")
    im.add_argument("--allow-missing", action="store_true", help="import even when rows match no area or areas have no row (they are listed)")
    im.add_argument("--replace", action="store_true", help="write over an existing --into folder")
    im.set_defaults(func=cmd_import)

    fe = sub.add_parser("fetch", help="fetch open data (SCB PxWeb v2 and geodata, Malmö CKAN, Kolada) into a file with its provenance")
    fsub = fe.add_subparsers(dest="service", required=True)

    def fetch_options(sp):
        sp.add_argument("--base-url", help="the service's API (default: the real one)")
        sp.add_argument("--out", type=Path, required=True, help="the CSV to write (a .provenance.json goes beside it)")
        sp.add_argument("--cache", type=Path, default=None, help="answers kept on disk, a re-run is offline (default ~/.cache/malmo-index/fetch)")
        sp.add_argument("--offline", action="store_true", help="use only the cache")
        sp.set_defaults(func=cmd_fetch)
    scb = fsub.add_parser("scb", help="a table from SCB's Statistikdatabasen (json-stat2), split to the cell limit")
    scb.add_argument("--table", required=True, help="e.g. TAB6685")
    scb.add_argument("--regions", required=True, help="kommun:1280 (every region code starting 1280) or a comma list")
    scb.add_argument("--codelist", help="e.g. vs_RegSO2025 or vs_DeSO2025")
    scb.add_argument("--select", action="append", metavar="VARIABLE=CODE[,CODE]", help="only these values of a variable (default: all)")
    fetch_options(scb)
    ckan = fsub.add_parser("ckan", help="a datastore resource of Malmö stad's CKAN (paged), or the resources of a dataset")
    target = ckan.add_mutually_exclusive_group(required=True)
    target.add_argument("--resource", help="a resource id (datastore_search)")
    target.add_argument("--dataset", help="a dataset name: list its resources (package_show)")
    fetch_options(ckan)
    areas = fsub.add_parser("scb-areas", help="a municipality's RegSO and DeSO polygons from SCB's WFS, as boundary files (EPSG:4326)")
    areas.add_argument("--kommun", required=True, help="the municipality's four-digit code, e.g. 1280 (Malmö)")
    areas.add_argument("--level", choices=["regso", "deso", "both"], default="both", help="default both (a DeSO names its RegSO as parent)")
    areas.add_argument("--year", type=int, default=2025, help="the code lists' year: 2025 (RegSO, DeSO), 2020 (RegSO), 2018 (DeSO)")
    fetch_options(areas)
    areas._option_string_actions["--out"].help = "the folder for <level>.geojson (a .provenance.json beside each)"
    kol = fsub.add_parser("kolada", help="a KPI for Malmö and Sweden from Kolada v3 (paged by next_url)")
    kol.add_argument("--kpi", required=True, help="e.g. N02797 (unga 16–24 som varken arbetar eller studerar)")
    kol.add_argument("--municipalities", default="1280,0000", help="default 1280 (Malmö), 0000 (Sweden)")
    kol.add_argument("--years", required=True, help="e.g. 2012-2024")
    fetch_options(kol)

    bd = sub.add_parser("build", help="build a data package from open data")
    bsub = bd.add_subparsers(dest="build_source", required=True)
    bs = bsub.add_parser("scb", help="a package for any Swedish municipality from SCB alone: RegSO and DeSO polygons (WFS), "
                                     "low economic standard 0–19 (TAB6685), population by age (TAB6574), SCB's områdestyp (TAB6586)")
    bs.add_argument("--kommun", required=True, help="the municipality's four-digit code, e.g. 1280 (Malmö), 0180 (Stockholm)")
    bs.add_argument("--level", choices=["regso", "deso"], default="regso", help="the index level (both levels are in the package)")
    bs.add_argument("--year", type=int, default=2024, help="the statistics year (2024 and later: SCB's 2025 code lists)")
    bs.add_argument("--into", type=Path, required=True, help="the package folder to write (must be new or empty; --replace writes over it)")
    bs.add_argument("--table", help="a further SCB table as an indicator, e.g. TAB1234: one percentage per area after --select")
    bs.add_argument("--select", action="append", metavar="VARIABLE=CODE[,CODE]", help="for --table: the values to take")
    bs.add_argument("--label", help="for --table: the indicator's name on screen")
    bs.add_argument("--places", type=Path, help="a places CSV (the package's facilities.csv columns); without it, no places")
    bs.add_argument("--no-reference", action="store_true", help="leave out SCB's områdestyp (TAB6586)")
    bs.add_argument("--replace", action="store_true")
    from layers.data.connectors import SCB_URL, SCB_WFS_URL
    bs.add_argument("--scb-url", default=SCB_URL, help="SCB's PxWeb API (default: the real one)")
    bs.add_argument("--wfs-url", default=SCB_WFS_URL, help="SCB's geodata WFS (default: the real one)")
    bs.add_argument("--cache", type=Path, default=None, help="answers kept on disk, a re-run is offline (default ~/.cache/malmo-index/fetch)")
    bs.add_argument("--offline", action="store_true", help="use only the cache")
    bs.set_defaults(func=cmd_build_scb)

    rf = sub.add_parser("reference", help="the index against SCB's områdestyp (a package built by 'build scb'): "
                                          "rank correlation and a cross-table, in words")
    engine_options(rf, level=False)
    rf.add_argument("--top-n", type=int, default=DEFAULT_TOP_N)
    rf.add_argument("--lang", choices=["sv", "en"], default="sv")
    rf.add_argument("--format", choices=["text", "json"], default="text")
    rf.set_defaults(func=cmd_reference)

    cw = sub.add_parser("crosswalk", help="an indicator of one package (SCB's DeSO) estimated for another's areas (Malmö's "
                                          "delområden) by areal interpolation of counts (tobler), marked as estimated")
    cw.add_argument("--source", type=Path, required=True, help="the package with the values, e.g. data/scb-1280-deso")
    cw.add_argument("--indicator", required=True, help="its indicator key, e.g. lag_ekonomisk_standard")
    cw.add_argument("--target", type=Path, default=DEFAULT_PACKAGE, help="the package whose areas get estimates (default data/malmo)")
    cw.add_argument("--as", dest="as_key", help="the target's indicator to replace or add (default: the same key)")
    cw.add_argument("--into", type=Path, required=True, help="the new package's folder (must be new or empty; --replace writes over it)")
    cw.add_argument("--replace", action="store_true")
    cw.set_defaults(func=cmd_crosswalk)

    rm = sub.add_parser("room", help="where a room agrees: per area the share of votes that put it in the top N, and its rank's "
                                     "spread (the wall's kernel), from a votes file such as the wall's export")
    engine_options(rm)
    rm.add_argument("--votes", type=Path, required=True, help="CSV, one row per vote: a column per indicator (key or label), slider positions 0–100")
    rm.add_argument("--top-n", type=int, default=DEFAULT_TOP_N)
    rm.add_argument("--format", choices=["csv", "json"], default="csv")
    rm.set_defaults(func=cmd_room)

    r = sub.add_parser("disclosure", help="every cell whose shown value differs from its raw value (parent's value, shown as 0, "
                                          "or an aggregate without protected cells), at every level, as CSV")
    r.add_argument("--package", type=Path, default=DEFAULT_PACKAGE)
    r.add_argument("--level", help="only this geography level (default: every level)")
    r.set_defaults(func=cmd_disclosure)

    ex = sub.add_parser("export", help="the app's exports (CSV, XLSX, GeoJSON, PNG, PDF) for a view, e.g. "
                                       "python -m layers export --format xlsx '?w=inte_behorig:2&level=geso'")
    from layers.output.export import FORMATS
    from layers.view import add_cli_options
    add_cli_options(ex)
    ex.add_argument("--format", choices=[*FORMATS, "all"], default="csv", help="for the ranking (the allocation is CSV)")
    ex.add_argument("--product", choices=["ranking", "allocation"], default="ranking",
                    help="the ranking (every format) or the allocation panel's split of a budget (CSV)")
    ex.add_argument("--budget", help="allocation: kronor, e.g. 10000000")
    ex.add_argument("--unit", default="level", help="allocation: level (the view's areas) or cluster")
    ex.add_argument("--floor", default="0", help="allocation: every amount is 0 or at least this (kronor)")
    ex.add_argument("--output", type=Path, help="a file, or a folder for --format all (default: the standard output; "
                                                 "for all, the current folder)")
    ex.add_argument("--package", type=Path, default=DEFAULT_PACKAGE, help="data package folder (default: data/malmo)")
    ex.set_defaults(func=cmd_export)

    d = sub.add_parser("demo", help="demonstration data")
    dsub = d.add_subparsers(dest="demo_command", required=True)
    b = dsub.add_parser("build", help="(re)generate the demo tables of a package, seeded and reproducible")
    b.add_argument("--package", type=Path, default=DEFAULT_PACKAGE)
    b.set_defaults(func=cmd_demo_build)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except PackageError as err:
        print(err.report(), file=sys.stderr)
        return 1
    except (EngineError, SourceError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except OSError as err:  # a file that cannot be read or written (missing, a folder, no permission, disk full)
        where = f"{err.filename}: " if err.filename else ""
        print(f"error: {where}{err.strerror or err}", file=sys.stderr)
        return 2
