"""Repo lifecycle through huggingface_hub 2.4.0 (hub-api.md §4.4 to §4.6, §4.8, §4.12): super-squash,
settings (visibility, gating not yet), move (with the old name redirecting), duplicate (full history
and Xet/LFS content), file and folder deletions; and two Stoa extensions checked with curl: per-path
history (`commits/{rev}?path=`) and `compare/{rev1}..{rev2}`."""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

import pytest

from compat_helpers import HEX40, curl, fetch, sha256_bytes, sha256_file, unique_name, wait_until


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def commit_ids(api, repo_id, revision=None, repo_type=None):
    return [c.commit_id for c in api.list_repo_commits(repo_id, revision=revision, repo_type=repo_type)]


def tree_state(api, repo_id, revision=None, repo_type=None):
    """What a tree is made of: every file with its git blob id, size and LFS sha256."""
    out = {}
    for entry in api.list_repo_tree(repo_id, revision=revision, repo_type=repo_type, recursive=True):
        if hasattr(entry, "blob_id"):
            out[entry.path] = (entry.blob_id, entry.size, entry.lfs.sha256 if entry.lfs else None)
    return out


def read_file(stoa, repo_id, path, revision="main", token=None, prefix=""):
    r = fetch(f"{stoa.url}/{prefix}{repo_id}/resolve/{revision}/{path}", token=token)
    assert r.status == 200, r.describe()
    return r.body


def error_status(excinfo) -> int:
    return excinfo.value.response.status_code


def http_error_of(hf, call, *args, **kwargs):
    """Runs a call that must fail with an HfHubHTTPError; returns the error."""
    with pytest.raises(hf.errors.HfHubHTTPError) as excinfo:
        call(*args, **kwargs)
    return excinfo.value


def same_as_missing(stoa, method, url_of, hidden_id, token):
    """`hidden_id` must answer exactly like a repo that never existed (status, error headers, body,
    no Location): nothing tells a stranger it exists or where it went."""
    missing_id = f"alice/{unique_name('never')}"
    hidden = curl(method, url_of(hidden_id), token=token)
    missing = curl(method, url_of(missing_id), token=token)
    assert hidden.status == missing.status, f"{hidden.describe()}\n---\n{missing.describe()}"
    assert hidden.status in (401, 404), hidden.describe()
    assert hidden.header("x-error-code") == missing.header("x-error-code") == "RepoNotFound", hidden.describe()
    assert hidden.header("x-error-message") == missing.header("x-error-message"), hidden.describe()
    assert hidden.header("location") is None, hidden.describe()
    if method != "HEAD":
        assert hidden.body.replace(hidden_id.encode(), b"<id>") == missing.body.replace(missing_id.encode(), b"<id>")


# ---------------------------------------------------------------------------------------------
# super_squash_history (§4.5)
# ---------------------------------------------------------------------------------------------


def test_super_squash_main_keeps_tree_and_other_branches(api_alice, hf, new_repo, stoa):
    repo_id = new_repo("squash")
    api_alice.upload_file(repo_id=repo_id, path_in_repo="file.txt", path_or_fileobj=b"content")
    api_alice.upload_file(repo_id=repo_id, path_in_repo="lfs.bin", path_or_fileobj=b"content")
    api_alice.upload_file(repo_id=repo_id, path_in_repo="file.txt", path_or_fileobj=b"another_content")
    api_alice.create_branch(repo_id, branch="release/v0.1")
    api_alice.upload_file(repo_id=repo_id, path_in_repo="file.txt", path_or_fileobj=b"foo", revision="release/v0.1")

    main_before = commit_ids(api_alice, repo_id)
    branch_before = commit_ids(api_alice, repo_id, revision="release/v0.1")
    tree_before = tree_state(api_alice, repo_id)
    assert len(main_before) == 4 and len(branch_before) == 5

    assert api_alice.super_squash_history(repo_id=repo_id) is None
    squashed = api_alice.list_repo_commits(repo_id)
    assert len(squashed) == 1, [c.title for c in squashed]
    assert squashed[0].title == "Super-squash branch 'main' using huggingface_hub"
    assert squashed[0].commit_id not in main_before, "a new root commit replaces the history"
    assert squashed[0].authors == ["alice"]
    assert api_alice.model_info(repo_id).sha == squashed[0].commit_id
    assert tree_state(api_alice, repo_id) == tree_before, "same files, same blobs"
    assert read_file(stoa, repo_id, "file.txt") == b"another_content"
    assert read_file(stoa, repo_id, "lfs.bin") == b"content"

    # The other branch keeps the old commits, which stay reachable by sha.
    branch_commits = api_alice.list_repo_commits(repo_id, revision="release/v0.1")
    assert [c.commit_id for c in branch_commits] == branch_before
    assert branch_commits[-1].title == "initial commit"
    assert api_alice.model_info(repo_id, revision=main_before[0]).sha == main_before[0]
    assert read_file(stoa, repo_id, "file.txt", revision=main_before[1]) == b"content"

    # Squash a branch (its name has a slash: sent as one %2F segment) with the default message.
    api_alice.super_squash_history(repo_id=repo_id, branch="release/v0.1")
    branch_squashed = api_alice.list_repo_commits(repo_id, revision="release/v0.1")
    assert len(branch_squashed) == 1
    assert branch_squashed[0].title == "Super-squash branch 'release/v0.1' using huggingface_hub"
    assert read_file(stoa, repo_id, "file.txt", revision="release%2Fv0.1") == b"foo"
    assert commit_ids(api_alice, repo_id) == [squashed[0].commit_id], "main untouched"

    # A given message; new commits stack on the squashed root.
    api_alice.upload_file(repo_id=repo_id, path_in_repo="more.txt", path_or_fileobj=b"more")
    tree_before = tree_state(api_alice, repo_id)
    api_alice.super_squash_history(repo_id=repo_id, commit_message="Squashed by the compat suite")
    again = api_alice.list_repo_commits(repo_id)
    assert [c.title for c in again] == ["Squashed by the compat suite"]
    assert tree_state(api_alice, repo_id) == tree_before


def test_super_squash_errors(api_alice, api_bob, api_anon, hf, new_repo):
    repo_id = new_repo("squasherr")
    api_alice.upload_file(repo_id=repo_id, path_in_repo="a.txt", path_or_fileobj=b"a")
    before = commit_ids(api_alice, repo_id)
    with pytest.raises(hf.errors.RevisionNotFoundError):
        api_alice.super_squash_history(repo_id=repo_id, branch="no-such-branch")
    refused = http_error_of(hf, api_bob.super_squash_history, repo_id=repo_id)
    assert refused.response.status_code == 403
    anonymous = http_error_of(hf, api_anon.super_squash_history, repo_id=repo_id)
    assert anonymous.response.status_code in (401, 403)
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_alice.super_squash_history(repo_id=f"alice/{unique_name('missing')}")
    assert commit_ids(api_alice, repo_id) == before


# ---------------------------------------------------------------------------------------------
# update_repo_settings (§4.8)
# ---------------------------------------------------------------------------------------------


def test_update_repo_settings_visibility(api_alice, api_bob, api_anon, hf, new_repo, stoa):
    repo_id = new_repo("settings")
    api_alice.upload_file(repo_id=repo_id, path_in_repo="a.txt", path_or_fileobj=b"a")
    assert api_alice.model_info(repo_id).private is False

    # 2.4.0 sends {"visibility": "private"|"public"}
    api_alice.update_repo_settings(repo_id, private=True)
    assert api_alice.model_info(repo_id).private is True
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_bob.model_info(repo_id)
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_anon.hf_hub_download(repo_id, "a.txt")
    api_alice.update_repo_settings(repo_id, private=False)
    assert api_alice.model_info(repo_id).private is False
    assert api_anon.model_info(repo_id).private is False
    api_alice.update_repo_settings(repo_id, visibility="private")
    assert api_alice.model_info(repo_id, expand=["private"]).private is True
    api_alice.update_repo_settings(repo_id, visibility="public")
    assert api_alice.model_info(repo_id, expand=["private"]).private is False

    # Older clients send {"private": bool}.
    url = f"{stoa.url}/api/models/{repo_id}/settings"
    headers = {"Content-Type": "application/json"}
    r = curl("PUT", url, token=stoa.tokens["alice"], headers=headers, data='{"private": true}')
    assert 200 <= r.status < 300, r.describe()
    assert api_alice.model_info(repo_id).private is True
    r = curl("PUT", url, token=stoa.tokens["alice"], headers=headers, data='{"private": false}')
    assert 200 <= r.status < 300, r.describe()
    assert api_anon.model_info(repo_id).private is False

    # Other settings of the Hub's settings page are accepted from the owner.
    r = curl("PUT", url, token=stoa.tokens["alice"], headers=headers, data='{"discussionsDisabled": true}')
    assert 200 <= r.status < 300, r.describe()
    r = curl("PUT", url, token=stoa.tokens["alice"], headers=headers, data='{"discussionsDisabled": false}')
    assert 200 <= r.status < 300, r.describe()
    assert api_anon.model_info(repo_id).private is False

    # Datasets too.
    dataset_id = f"alice/{unique_name('dssettings')}"
    api_alice.create_repo(dataset_id, repo_type="dataset")
    api_alice.update_repo_settings(dataset_id, repo_type="dataset", private=True)
    assert api_alice.dataset_info(dataset_id).private is True
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_anon.dataset_info(dataset_id)


def test_update_repo_settings_needs_write_access(api_alice, api_bob, api_alice_read, api_anon, hf, new_repo, stoa):
    public_id = new_repo("setpub")
    for api in (api_bob, api_alice_read):
        refused = http_error_of(hf, api.update_repo_settings, public_id, private=True)
        assert refused.response.status_code == 403
    anonymous = http_error_of(hf, api_anon.update_repo_settings, public_id, private=True)
    assert anonymous.response.status_code in (401, 403)
    r = curl(
        "PUT",
        f"{stoa.url}/api/models/{public_id}/settings",
        token=stoa.tokens["bob"],
        headers={"Content-Type": "application/json"},
        data='{"discussionsDisabled": true}',
    )
    assert r.status == 403, r.describe()
    assert api_anon.model_info(public_id).private is False

    private_id = new_repo("setpriv", private=True)
    with pytest.raises(hf.errors.RepositoryNotFoundError) as hidden:
        api_bob.update_repo_settings(private_id, private=False)
    assert error_status(hidden) == 404
    assert api_alice.model_info(private_id).private is True


def test_move_repo_and_old_name_redirects(api_alice, api_anon, hf, new_repo, stoa, tmp_path):
    old_id = new_repo("move")
    api_alice.upload_file(repo_id=old_id, path_in_repo="file.txt", path_or_fileobj=b"moved content")
    sha = api_alice.model_info(old_id).sha
    history = commit_ids(api_alice, old_id)
    new_id = f"alice/{unique_name('moved')}"

    assert api_alice.move_repo(old_id, new_id) is None
    info = api_anon.model_info(new_id)
    assert (info.id, info.sha) == (new_id, sha)
    assert commit_ids(api_alice, new_id) == history

    # The old name answers a redirect with a relative Location, for the API and for resolve ...
    api = curl("GET", f"{stoa.url}/api/models/{old_id}")
    assert api.status in (307, 308), api.describe()
    assert api.header("location") == f"/api/models/{new_id}", api.describe()
    revision = curl("GET", f"{stoa.url}/api/models/{old_id}/revision/main")
    assert revision.status in (307, 308), revision.describe()
    assert revision.header("location") == f"/api/models/{new_id}/revision/main", revision.describe()
    resolve = curl("HEAD", f"{stoa.url}/{old_id}/resolve/main/file.txt")
    assert resolve.status in (307, 308), resolve.describe()
    assert resolve.header("location") == f"/{new_id}/resolve/main/file.txt", resolve.describe()

    # ... which the client follows (httpx follows redirects for API calls; the download HEAD follows
    # same-origin redirects itself).
    via_old = api_anon.model_info(old_id)
    assert (via_old.id, via_old.sha) == (new_id, sha)
    assert api_anon.list_repo_files(old_id) == api_anon.list_repo_files(new_id)
    path = api_anon.hf_hub_download(old_id, "file.txt", cache_dir=tmp_path / "cache")
    assert Path(path).read_bytes() == b"moved content"

    # Listings know only the new name.
    assert [m.id for m in api_anon.list_models(search=old_id.split("/")[1])] == []
    assert [m.id for m in api_anon.list_models(search=new_id.split("/")[1])] == [new_id]

    # Commits go to the new name.
    commit = api_alice.upload_file(repo_id=new_id, path_in_repo="after.txt", path_or_fileobj=b"after")
    assert api_anon.model_info(old_id).sha == commit.oid


def test_move_repo_refusals(api_alice, api_bob, api_anon, hf, new_repo):
    repo_id = new_repo("moverefuse")
    api_alice.upload_file(repo_id=repo_id, path_in_repo="a.txt", path_or_fileobj=b"a")
    sha = api_alice.model_info(repo_id).sha
    target = new_repo("movetarget")
    target_sha = api_alice.model_info(target).sha

    exists = http_error_of(hf, api_alice.move_repo, repo_id, target)
    assert exists.response.status_code == 409
    assert f"A model repository called {target} already exists" in str(exists)

    anonymous = http_error_of(hf, api_anon.move_repo, repo_id, f"alice/{unique_name('anon')}")
    assert anonymous.response.status_code in (401, 403)
    for to_id in (f"bob/{unique_name('stolen')}", f"alice/{unique_name('renamed-by-bob')}"):
        refused = http_error_of(hf, api_bob.move_repo, repo_id, to_id)
        assert refused.response.status_code == 403, to_id
    # Nobody moves a repo into a namespace they cannot write to.
    foreign = http_error_of(hf, api_alice.move_repo, repo_id, f"bob/{unique_name('gift')}")
    assert 400 <= foreign.response.status_code < 500
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_alice.move_repo(f"alice/{unique_name('missing')}", f"alice/{unique_name('nowhere')}")
    with pytest.raises(ValueError, match="Invalid repo_id"):
        api_alice.move_repo(repo_id, "no-namespace")

    assert api_alice.model_info(repo_id).sha == sha, "nothing moved"
    assert api_alice.model_info(target).sha == target_sha
    assert {m.id for m in api_anon.list_models(author="bob", search="stolen")} == set()


def test_move_private_repo_old_name_hides_from_others(api_alice, api_bob, api_anon, hf, new_repo, stoa, tmp_path):
    """huggingface_hub's regression test #1999: download through the old name of a moved private
    repo; and the old name tells strangers nothing."""
    old_id = new_repo("privmove", private=True)
    api_alice.upload_file(repo_id=old_id, path_in_repo="file.txt", path_or_fileobj=b"content")
    new_id = old_id + "_renamed"
    api_alice.move_repo(old_id, new_id)

    path = api_alice.hf_hub_download(old_id, filename="file.txt", cache_dir=tmp_path / "cache")
    assert Path(path).read_text() == "content"
    info = api_alice.model_info(old_id)
    assert (info.id, info.private) == (new_id, True)

    for api, status in ((api_bob, 404), (api_anon, 401)):
        for repo in (old_id, new_id):
            with pytest.raises(hf.errors.RepositoryNotFoundError) as hidden:
                api.model_info(repo)
            assert error_status(hidden) == status
        with pytest.raises(hf.errors.RepositoryNotFoundError):
            api.hf_hub_download(old_id, "file.txt", cache_dir=tmp_path / "other")
    for token in (stoa.tokens["bob"], None):
        same_as_missing(stoa, "GET", lambda rid: f"{stoa.url}/api/models/{rid}", old_id, token)
        same_as_missing(stoa, "HEAD", lambda rid: f"{stoa.url}/{rid}/resolve/main/file.txt", old_id, token)

    # Moving back onto the old name (now only a redirect) works and serves it directly again.
    api_alice.move_repo(new_id, old_id)
    direct = curl("GET", f"{stoa.url}/api/models/{old_id}", token=stoa.tokens["alice"])
    assert direct.status == 200 and direct.json()["id"] == old_id, direct.describe()
    assert read_file(stoa, old_id, "file.txt", token=stoa.tokens["alice"]) == b"content"


def test_move_dataset(api_alice, api_anon, hf, stoa, tmp_path):
    old_id = f"alice/{unique_name('dsmove')}"
    api_alice.create_repo(old_id, repo_type="dataset")
    api_alice.upload_file(repo_id=old_id, repo_type="dataset", path_in_repo="data.csv", path_or_fileobj=b"a,b\n1,2\n")
    sha = api_alice.dataset_info(old_id).sha
    new_id = f"alice/{unique_name('dsmoved')}"
    api_alice.move_repo(old_id, new_id, repo_type="dataset")

    assert api_anon.dataset_info(new_id).sha == sha
    assert (api_anon.dataset_info(old_id).id, api_anon.dataset_info(old_id).sha) == (new_id, sha)
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_anon.model_info(new_id)
    r = curl("GET", f"{stoa.url}/api/datasets/{old_id}")
    assert r.status in (307, 308) and r.header("location") == f"/api/datasets/{new_id}", r.describe()
    r = curl("HEAD", f"{stoa.url}/datasets/{old_id}/resolve/main/data.csv")
    assert r.status in (307, 308) and r.header("location") == f"/datasets/{new_id}/resolve/main/data.csv", r.describe()
    path = api_anon.hf_hub_download(old_id, "data.csv", repo_type="dataset", cache_dir=tmp_path / "cache")
    assert Path(path).read_bytes() == b"a,b\n1,2\n"

    other = f"alice/{unique_name('dstarget')}"
    api_alice.create_repo(other, repo_type="dataset")
    exists = http_error_of(hf, api_alice.move_repo, new_id, other, repo_type="dataset")
    assert exists.response.status_code == 409
    assert "already exists" in str(exists)


# ---------------------------------------------------------------------------------------------
# duplicate_repo (§4.12)
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def source_with_big_file(api_alice, new_repo, stoa, tmp_path):
    """A public repo with history, a small file and a 12 MB weight file (through Xet in the default
    run, classic LFS with HF_HUB_DISABLE_XET=1)."""
    repo_id = new_repo("dupsrc")
    api_alice.upload_file(repo_id=repo_id, path_in_repo="README.md", path_or_fileobj=b"# v1\n")
    data = os.urandom(12_000_000)
    digest = sha256_bytes(data)
    big = tmp_path / "weights.bin"
    big.write_bytes(data)
    api_alice.upload_file(repo_id=repo_id, path_in_repo="weights.bin", path_or_fileobj=str(big))
    api_alice.upload_file(repo_id=repo_id, path_in_repo="README.md", path_or_fileobj=b"# v2\n")
    entry = next(e for e in api_alice.list_repo_tree(repo_id) if e.path == "weights.bin")
    assert entry.lfs is not None and entry.lfs.sha256 == digest
    if not stoa.xet_disabled:
        assert entry.xet_hash, "the 12 MB file went through Xet"
    return repo_id, digest


def download_ok(api, repo_id, filename, digest, cache_dir, timeout=10.0):
    """The copy may be announced as pending (`filesCopyPending`); give it a few seconds."""
    result = {}

    def attempt():
        try:
            result["path"] = api.hf_hub_download(repo_id, filename, cache_dir=cache_dir, force_download=True)
            return True
        except Exception as error:  # noqa: BLE001 - reported below
            result["error"] = error
            return False

    assert wait_until(attempt, timeout=timeout, interval=0.5), f"{repo_id}/{filename}: {result.get('error')!r}"
    assert sha256_file(result["path"]) == digest


def test_duplicate_repo_copies_history_and_large_files(api_alice, api_anon, hf, stoa, source_with_big_file, tmp_path):
    src, digest = source_with_big_file
    dst = f"alice/{unique_name('dupdst')}"
    url = api_alice.duplicate_repo(src, dst)
    assert isinstance(url, hf.hf_api.DuplicatedRepoUrl)
    assert str(url) == f"{stoa.url}/{dst}"
    assert (url.repo_id, url.repo_type, url.namespace) == (dst, "model", "alice")

    assert commit_ids(api_anon, dst) == commit_ids(api_anon, src), "full history, same commit ids"
    assert api_anon.model_info(dst).sha == api_anon.model_info(src).sha
    assert api_anon.model_info(dst).private is False
    assert tree_state(api_anon, dst) == tree_state(api_anon, src)
    assert read_file(stoa, dst, "README.md") == b"# v2\n"
    download_ok(api_anon, dst, "weights.bin", digest, tmp_path / "c1")
    whole = curl("GET", f"{stoa.url}/{dst}/resolve/main/weights.bin")
    assert whole.status == 200 and sha256_bytes(whole.body) == digest, "plain HTTP download of the copy"

    # The copy is independent: it moves alone, and survives the source's deletion.
    src_sha = api_anon.model_info(src).sha
    api_alice.upload_file(repo_id=dst, path_in_repo="only-in-copy.txt", path_or_fileobj=b"x")
    assert api_anon.model_info(src).sha == src_sha
    api_alice.delete_repo(src)
    download_ok(api_anon, dst, "weights.bin", digest, tmp_path / "c2")


def test_duplicate_repo_conflicts_visibility_and_permissions(api_alice, api_bob, api_anon, hf, new_repo, stoa):
    src = new_repo("dup")
    api_alice.upload_file(repo_id=src, path_in_repo="a.txt", path_or_fileobj=b"a")
    history = commit_ids(api_alice, src)
    dst = f"alice/{unique_name('dupexists')}"
    api_alice.duplicate_repo(src, dst)

    # 409 on an existing target; exist_ok reads `url` from the error body.
    conflict = http_error_of(hf, api_alice.duplicate_repo, src, dst)
    assert conflict.response.status_code == 409
    try:
        again = api_alice.duplicate_repo(src, dst, exist_ok=True)
    except KeyError:
        pytest.fail(f"409 body must carry `url`: {conflict.response.text!r}")
    assert again.repo_id == dst and str(again) == f"{stoa.url}/{dst}"

    # private=True sends {"visibility": "private"}.
    hidden = f"alice/{unique_name('dupprivate')}"
    api_alice.duplicate_repo(src, hidden, private=True)
    assert api_alice.model_info(hidden).private is True
    assert commit_ids(api_alice, hidden) == history
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_bob.model_info(hidden)
    # Without private/visibility the copy keeps the source's visibility.
    hidden_copy = api_alice.duplicate_repo(hidden, f"alice/{unique_name('dupofprivate')}")
    assert api_alice.model_info(hidden_copy.repo_id).private is True
    assert api_alice.model_info(dst).private is False

    # Bob copies alice's public repo into his namespace (given or, by default, his own).
    mine = f"bob/{unique_name('bobcopy')}"
    url = api_bob.duplicate_repo(src, mine)
    assert url.repo_id == mine
    assert commit_ids(api_bob, mine) == history
    api_bob.upload_file(repo_id=mine, path_in_repo="bob.txt", path_or_fileobj=b"bob")
    default = api_bob.duplicate_repo(src)
    assert default.repo_id == f"bob/{src.split('/')[1]}"
    assert api_bob.model_info(default.repo_id).sha == history[0]

    # ... but not a private one (it does not exist for him), nor into alice's namespace.
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_bob.duplicate_repo(hidden, f"bob/{unique_name('peek')}")
    into_alice = http_error_of(hf, api_bob.duplicate_repo, src, f"alice/{unique_name('bobwrites')}")
    assert into_alice.response.status_code == 403
    anonymous = http_error_of(hf, api_anon.duplicate_repo, src, f"alice/{unique_name('anon')}")
    assert anonymous.response.status_code in (401, 403)
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_alice.duplicate_repo(f"bob/{unique_name('missing')}", f"alice/{unique_name('x')}")

    # Datasets go through /api/datasets/{id}/duplicate.
    ds = f"alice/{unique_name('dsdup')}"
    api_alice.create_repo(ds, repo_type="dataset")
    api_alice.upload_file(repo_id=ds, repo_type="dataset", path_in_repo="d.csv", path_or_fileobj=b"x\n1\n")
    ds_copy = f"alice/{unique_name('dscopy')}"
    url = api_alice.duplicate_repo(ds, ds_copy, repo_type="dataset")
    assert (url.repo_id, url.repo_type) == (ds_copy, "dataset")
    assert str(url) == f"{stoa.url}/datasets/{ds_copy}"
    assert api_alice.dataset_info(ds_copy).sha == api_alice.dataset_info(ds).sha


# ---------------------------------------------------------------------------------------------
# delete_file / delete_folder / delete_files (§4.6)
# ---------------------------------------------------------------------------------------------


def test_deletions_are_one_commit_each(api_alice, api_anon, hf, new_repo):
    repo_id = new_repo("deletes")
    files = ["a.txt", "b.txt", "keep.md", "dir/x.txt", "dir/y.txt", "dir/sub/z.txt", "logs/1.log", "logs/2.log"]
    api_alice.create_commit(
        repo_id,
        operations=[hf.CommitOperationAdd(f, f.encode()) for f in files],
        commit_message="many files",
    )
    start = commit_ids(api_alice, repo_id)

    info = api_alice.delete_file("a.txt", repo_id=repo_id)
    commits = api_alice.list_repo_commits(repo_id)
    assert [c.commit_id for c in commits[1:]] == start and commits[0].commit_id == info.oid
    assert commits[0].title == "Delete a.txt with huggingface_hub"
    assert "a.txt" not in api_anon.list_repo_files(repo_id)

    info = api_alice.delete_folder("dir", repo_id=repo_id)
    commits = api_alice.list_repo_commits(repo_id)
    assert len(commits) == len(start) + 2 and commits[0].commit_id == info.oid
    assert commits[0].title == "Delete folder dir with huggingface_hub"
    assert not any(f.startswith("dir/") for f in api_anon.list_repo_files(repo_id))

    info = api_alice.delete_files(repo_id, delete_patterns=["*.log", "b.txt"])
    commits = api_alice.list_repo_commits(repo_id)
    assert len(commits) == len(start) + 3 and commits[0].commit_id == info.oid
    assert commits[0].title == "Delete files *.log b.txt with huggingface_hub"
    assert sorted(api_anon.list_repo_files(repo_id)) == [".gitattributes", "keep.md"]

    # A missing file: 404 EntryNotFound, nothing committed.
    head = api_alice.model_info(repo_id).sha
    with pytest.raises(hf.errors.EntryNotFoundError) as missing:
        api_alice.delete_file("a.txt", repo_id=repo_id)
    assert error_status(missing) == 404
    assert missing.value.response.headers.get("X-Error-Code") == "EntryNotFound"
    assert api_alice.model_info(repo_id).sha == head


# ---------------------------------------------------------------------------------------------
# Stoa extensions: per-path history and compare
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def five_commits(api_alice, hf, new_repo):
    repo_id = new_repo("pathlog")
    add, delete = hf.CommitOperationAdd, hf.CommitOperationDelete
    steps = [
        ("c1 add a", [add("a.txt", b"hello\n")]),
        ("c2 add b", [add("b.txt", b"bye\n")]),
        ("c3 modify a", [add("a.txt", b"hello world\n")]),
        ("c4 delete b", [delete("b.txt")]),
        ("c5 add dir/c", [add("dir/c.txt", b"new\n")]),
    ]
    ids = {}
    for message, ops in steps:
        ids[message.split()[0]] = api_alice.create_commit(repo_id, operations=ops, commit_message=message).oid
    return repo_id, ids


def test_commits_filtered_by_path(api_alice, five_commits, stoa):
    repo_id, ids = five_commits
    base = f"{stoa.url}/api/models/{repo_id}/commits"
    everything = curl("GET", f"{base}/main")
    assert everything.status == 200, everything.describe()
    by_id = {item["id"]: item for item in everything.json()}

    def history(path, revision="main"):
        r = curl("GET", f"{base}/{revision}?{urllib.parse.urlencode({'path': path})}")
        assert r.status == 200, r.describe()
        items = r.json()
        for item in items:
            assert HEX40.match(item["id"]), item
            assert {"id", "title", "message", "date", "authors"} <= item.keys(), item
            assert [a["user"] for a in item["authors"]] == ["alice"], item
            assert item == by_id[item["id"]], "same item as in the unfiltered log"
        return [item["id"] for item in items]

    assert history("a.txt") == [ids["c3"], ids["c1"]]
    assert history("b.txt") == [ids["c4"], ids["c2"]], "a deletion touches the file"
    assert history("dir/c.txt") == [ids["c5"]]
    raw = curl("GET", f"{base}/main?path=dir/c.txt")
    assert raw.status == 200 and [i["id"] for i in raw.json()] == [ids["c5"]], raw.describe()
    creation = everything.json()[-1]["id"]
    assert history(".gitattributes") == [creation], "only the repo-creation commit touched it"
    assert history("a.txt", revision=ids["c2"]) == [ids["c1"]]
    titles = [by_id[i]["title"] for i in history("a.txt")]
    assert titles == ["c3 modify a", "c1 add a"]


def test_compare_two_revisions(api_alice, five_commits, stoa, hf):
    repo_id, ids = five_commits
    api_alice.create_branch(repo_id, branch="old", revision=ids["c2"])
    base = f"{stoa.url}/api/models/{repo_id}/compare"

    r = curl("GET", f"{base}/{ids['c2']}..{ids['c5']}")
    assert r.status == 200, r.describe()
    body = r.json()
    assert (body["base"], body["head"]) == (ids["c2"], ids["c5"])
    files = {f["path"]: f for f in body["files"]}
    assert set(files) == {"a.txt", "b.txt", "dir/c.txt"}, body["files"]
    assert files["a.txt"]["status"] == "modified"
    assert (files["a.txt"]["oldSize"], files["a.txt"]["newSize"]) == (6, 12)
    assert files["b.txt"]["status"] == "deleted" and files["b.txt"]["oldSize"] == 4
    assert files["b.txt"].get("newSize") in (None, 0)
    assert files["dir/c.txt"]["status"] == "added" and files["dir/c.txt"]["newSize"] == 4
    assert files["dir/c.txt"].get("oldSize") in (None, 0)
    diff = body["diff"]
    assert isinstance(diff, str)
    assert "--- a/a.txt" in diff and "+++ b/a.txt" in diff, diff
    assert "\n-hello\n" in diff and "\n+hello world\n" in diff, diff
    assert "-bye" in diff and "+new" in diff, diff

    # Branch names resolve to their commits (anonymously too: the repo is public).
    by_name = curl("GET", f"{base}/old..main")
    assert by_name.status == 200, by_name.describe()
    assert by_name.json() == body
    same = curl("GET", f"{base}/main..main").json()
    assert same["files"] == [] and same["diff"] == ""

    for spec in (f"{ids['c2']}..no-such-rev", "no-such-rev..main", f"{'0' * 40}..main"):
        missing = curl("GET", f"{base}/{spec}")
        assert missing.status == 404, missing.describe()
        assert missing.header("x-error-code") == "RevisionNotFound", missing.describe()
    missing_repo = f"alice/{unique_name('missing')}"
    gone = curl("GET", f"{stoa.url}/api/models/{missing_repo}/compare/main..main", token=stoa.tokens["alice"])
    assert gone.status == 404 and gone.header("x-error-code") == "RepoNotFound", gone.describe()
