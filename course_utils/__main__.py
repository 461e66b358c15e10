"""Command line: `python -m course_utils assets [--prefetch] [--to DIR] [NAME ...]`,
`python -m course_utils train [--epochs N]`,
`python -m course_utils notebooks [NN ...|--all]`."""
from __future__ import annotations

import argparse
import sys


def _assets(args) -> int:
    from . import assets

    names = args.names or list(assets.manifest())
    for name in names:
        assets.get_asset(name)  # unknown names fail here with the list of known ones
    if args.prefetch or args.to or args.all:
        # A teacher filling a mirror (--to) wants everything, the 786 MB cats-vs-dogs archive too.
        rows = assets.prefetch(args.names, dest=args.to, include_large=bool(args.to or args.all))
        fetched = {row.name for row in rows}
        for row in assets.status([n for n in names if n not in fetched]):
            if row.path is None:
                row.notes = ["optional; comes from Microsoft's 786 MB archive: fetched on demand, or now with --prefetch --all"]
            rows.append(row)
    else:
        rows = assets.status(names)
    missing_required = []
    for loc in rows:
        asset = assets.get_asset(loc.name)
        if loc.path is not None:
            print(f"  ok       {loc.name:28s} {loc.path}")
        else:
            print(f"  missing  {loc.name:28s} {'; '.join(loc.notes) or 'not found'}")
            if asset.required:
                missing_required.append(loc.name)
    if missing_required:
        print(f"Required assets missing: {', '.join(missing_required)}. "
              f"Run `python -m course_utils assets {missing_required[0]}` for how to get them.", file=sys.stderr)
        return 1
    return 0


def _train(args) -> int:
    import json

    from . import assets
    from .small_convnet import train_small_convnet

    record = train_small_convnet(assets.asset_path("cats_vs_dogs_small"), epochs=args.epochs, seed=args.seed)
    print(json.dumps({k: v for k, v in record.items() if k != "history"}, indent=2))
    return 0


def _notebooks(args) -> int:
    from . import notebooks

    sources = notebooks.chapter_sources() if args.all else [notebooks.find_source(s) for s in args.chapters]
    if not sources:
        print("Name a chapter (e.g. 03) or pass --all.", file=sys.stderr)
        return 2
    for source in sources:
        print(f"executing {source.name} ...", flush=True)
        print(f"  wrote {notebooks.build(source, execute=not args.no_execute)}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("assets", help="list course assets and where they were found; --prefetch fetches them")
    p.add_argument("names", nargs="*", help="asset names (default: all)")
    p.add_argument("--prefetch", action="store_true", help="download what is missing into the project cache")
    p.add_argument("--all", action="store_true",
                   help="with --prefetch: also the large optional assets (cats-vs-dogs, 786 MB download)")
    p.add_argument("--to", metavar="DIR", help="fill DIR as an offline mirror folder with everything (implies --all)")
    p.set_defaults(func=_assets)
    p = sub.add_parser("train", help="train chapter 1's small convnet and write data/small_convnet.*")
    p.add_argument("--epochs", type=int, default=45)
    p.add_argument("--seed", type=int, default=1337)
    p.set_defaults(func=_train)
    p = sub.add_parser("notebooks", help="rebuild chapter notebooks from their .py sources and execute them")
    p.add_argument("chapters", nargs="*", help="chapter numbers or names, e.g. 03")
    p.add_argument("--all", action="store_true", help="every chapter in notebooks/")
    p.add_argument("--no-execute", action="store_true", help="only rebuild the cells (outputs dropped)")
    p.set_defaults(func=_notebooks)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
