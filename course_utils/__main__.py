"""Command line: `python -m course_utils assets [--prefetch] [--to DIR] [NAME ...]`,
`python -m course_utils train [--epochs N]`,
`python -m course_utils notebooks [NN ...|--all]`."""
from __future__ import annotations

import argparse
import sys


def _assets(args) -> int:
    """`assets`: a user mistake (unknown name, a --to that is not a folder) or Ctrl-C is one line."""
    from .asset_files import AssetError

    try:
        return _assets_command(args)
    except AssetError as exc:  # already in the course's words
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # "[Errno 28] …" reads as a crash: say what failed, on what
        what = f"{exc.strerror}: {exc.filename}" if exc.strerror and exc.filename else exc
        print(f"error: {what}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing half-written was kept", file=sys.stderr)
        return 130


def _assets_command(args) -> int:
    """List, fetch (--prefetch) or copy to a mirror (--to) the named assets (default: all).
    Exit 0 only when everything asked for is verified in place: every named asset; without
    names, the required ones (listing, --prefetch) or every asset (--to fills a whole mirror)."""
    from . import assets

    for problem in assets.settings_problems():
        print(f"warning: {problem}", file=sys.stderr)
    names = list(dict.fromkeys(args.names)) or list(assets.manifest())  # each once, in the order given
    for name in names:
        assets.get_asset(name)  # unknown names fail here with the list of known ones
    if args.to is not None:  # `--to ""` is a mistake to report, not "no --to"
        assets.mirror_folder(args.to)
        asked = names  # a teacher filling a mirror wants everything named (default: everything)
        rows = assets.prefetch(asked, dest=args.to)
    elif args.prefetch or args.all:
        wanted = args.names or [n for n in names if assets.get_asset(n).prefetch or args.all]
        rows = assets.prefetch(wanted)
        rows += [_not_fetched(assets, row) for row in assets.status([n for n in names if n not in wanted])]
        # Named: each must arrive. Unnamed ("what can be had", as `make setup` runs it offline):
        # only the required ones fail the command; the others' rows say why they are missing.
        asked = args.names or [n for n in wanted if assets.get_asset(n).required]
    else:
        asked = args.names or [n for n in names if assets.get_asset(n).required]
        rows = assets.status(names)
    failed = []
    for loc in rows:
        if loc.path is not None:
            print(f"  ok       {loc.name:28s} {loc.path}")
        else:
            origin = assets.get_asset(loc.name).origin()
            said = args.to or any(origin in n for n in loc.notes)  # --to: the copy's failure is the news
            notes = loc.notes if said else [*loc.notes, origin]
            print(f"  missing  {loc.name:28s} {'; '.join(notes)}")
            if loc.name in asked:
                failed.append(loc.name)
    if failed:
        print(f"Not verified in place: {', '.join(failed)}. "
              f"Run `python -m course_utils assets {failed[0]}` for how to get it.", file=sys.stderr)
        return 1
    return 0


def _not_fetched(assets, row):
    """A row for an asset --prefetch left alone: say where it would come from."""
    if row.path is None:
        origin = assets.get_asset(row.name).origin()
        row.notes = [f"not fetched: {origin}; fetch it with --prefetch --all or by name"]
    return row


def _train(args) -> int:
    import json

    from . import assets
    from .asset_files import AssetError
    from .small_convnet import train_small_convnet

    if args.epochs < 1 or args.seed < 0:  # a user mistake is one line, not a Keras traceback
        print(f"error: --epochs must be at least 1 and --seed at least 0 (got {args.epochs}, {args.seed}).",
              file=sys.stderr)
        return 2
    try:
        data = assets.asset_path("cats_vs_dogs_small")
    except AssetError as exc:
        print(f"error: training needs the cats-vs-dogs photos: {exc}", file=sys.stderr)
        return 2
    record = train_small_convnet(data, epochs=args.epochs, seed=args.seed)
    print(json.dumps({k: v for k, v in record.items() if k != "history"}, indent=2))
    return 0


def _notebooks(args) -> int:
    from . import notebooks

    sources = notebooks.chapter_sources() if args.all else [notebooks.find_source(s) for s in args.chapters]
    if not sources:
        print("Name a chapter (e.g. 03) or pass --all.", file=sys.stderr)
        return 2
    for source in sources:
        if args.prose_only:
            print(f"  wrote {notebooks.refresh_prose(source)} (prose only, outputs kept)")
            continue
        print(f"executing {source.name} ...", flush=True)
        print(f"  wrote {notebooks.build(source, execute=not args.no_execute)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("assets", help="list course assets and where they were found; --prefetch fetches them")
    p.add_argument("names", nargs="*", help="asset names (default: all)")
    p.add_argument("--prefetch", action="store_true", help="download what is missing into the project cache")
    p.add_argument("--all", action="store_true",
                   help="with --prefetch: also the large optional assets (cats-vs-dogs, 786 MB download)")
    p.add_argument("--to", metavar="DIR", help="fill DIR as an offline mirror folder with the named assets (default: all)")
    p.set_defaults(func=_assets)
    p = sub.add_parser("train", help="train chapter 1's small convnet and write data/small_convnet.*")
    p.add_argument("--epochs", type=int, default=45)
    p.add_argument("--seed", type=int, default=1337)
    p.set_defaults(func=_train)
    p = sub.add_parser("notebooks", help="rebuild chapter notebooks from their .py sources and execute them")
    p.add_argument("chapters", nargs="*", help="chapter numbers or names, e.g. 03")
    p.add_argument("--all", action="store_true", help="every chapter in notebooks/")
    p.add_argument("--no-execute", action="store_true", help="only rebuild the cells (outputs dropped)")
    p.add_argument("--prose-only", action="store_true",
                   help="only markdown changed: rewrite it and keep the saved outputs (refused if code changed)")
    p.set_defaults(func=_notebooks)
    args = parser.parse_args(argv)  # a wrong option: argparse prints usage and one line, exit 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
