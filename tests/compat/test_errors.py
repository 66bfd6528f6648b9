"""Error classes the client derives from the server's answers (X-Error-Code / X-Error-Message / status)."""

from __future__ import annotations

import pytest

from compat_helpers import unique_name

BAD_TOKEN = "hf_" + "Z" * 34


@pytest.fixture(scope="module")
def public_repo(api_alice):
    repo_id = f"alice/{unique_name('errpub')}"
    api_alice.create_repo(repo_id)
    api_alice.upload_file(path_or_fileobj=b"{}", path_in_repo="config.json", repo_id=repo_id)
    return repo_id


@pytest.fixture(scope="module")
def private_repo(api_alice):
    repo_id = f"alice/{unique_name('errpriv')}"
    api_alice.create_repo(repo_id, private=True)
    api_alice.upload_file(path_or_fileobj=b"{}", path_in_repo="config.json", repo_id=repo_id)
    return repo_id


# ---------------------------------------------------------------------------------------------
# RepositoryNotFoundError: missing repos and other users' private repos look the same
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anon", "bob", "alice"])
def test_missing_repo(who, api_anon, api_bob, api_alice, hf):
    api = {"anon": api_anon, "bob": api_bob, "alice": api_alice}[who]
    repo_id = f"alice/{unique_name('missing')}"
    E = hf.errors.RepositoryNotFoundError
    with pytest.raises(E) as exc:
        api.model_info(repo_id)
    assert exc.value.response.status_code == (401 if who == "anon" else 404)
    with pytest.raises(E):
        api.dataset_info(repo_id)
    with pytest.raises(E):
        api.list_repo_files(repo_id)
    with pytest.raises(E):
        api.list_repo_tree(repo_id).__next__()
    with pytest.raises(E):
        api.get_paths_info(repo_id, ["config.json"])
    with pytest.raises(E):
        api.hf_hub_download(repo_id, "config.json")
    with pytest.raises(E):
        api.snapshot_download(repo_id)
    assert api.repo_exists(repo_id) is False


def test_missing_single_segment_repo_id(api_anon, api_alice, hf):
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_anon.model_info(unique_name("gpt"))
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_alice.model_info(unique_name("gpt"))
    assert api_alice.repo_exists(unique_name("gpt")) is False


@pytest.mark.parametrize("who", ["anon", "bob"])
def test_private_repo_of_another_user(who, api_anon, api_bob, api_alice, private_repo, hf, stoa):
    api = {"anon": api_anon, "bob": api_bob}[who]
    E = hf.errors.RepositoryNotFoundError
    with pytest.raises(E) as exc:
        api.model_info(private_repo)
    assert exc.value.response.status_code == (401 if who == "anon" else 404)
    with pytest.raises(E):
        api.list_repo_files(private_repo)
    with pytest.raises(E):
        api.get_paths_info(private_repo, ["config.json"])
    with pytest.raises(E):
        api.hf_hub_download(private_repo, "config.json")
    with pytest.raises(E):
        api.snapshot_download(private_repo)
    assert api.repo_exists(private_repo) is False
    assert api.file_exists(private_repo, "config.json") is False
    fs = hf.HfFileSystem(token=stoa.tokens["bob"] if who == "bob" else False, skip_instance_cache=True)
    assert fs.exists(f"{private_repo}/config.json") is False
    # The owner sees it.
    assert api_alice.model_info(private_repo).private is True
    assert api_alice.file_exists(private_repo, "config.json")


def test_private_repo_read_token_can_read(api_alice_read, private_repo):
    assert api_alice_read.model_info(private_repo).private is True
    assert open(api_alice_read.hf_hub_download(private_repo, "config.json"), "rb").read() == b"{}"


# ---------------------------------------------------------------------------------------------
# RevisionNotFoundError, EntryNotFoundError
# ---------------------------------------------------------------------------------------------


def test_revision_not_found(api_anon, public_repo, hf):
    E = hf.errors.RevisionNotFoundError
    with pytest.raises(E) as exc:
        api_anon.model_info(public_repo, revision="no-such-branch")
    assert exc.value.response.status_code == 404
    with pytest.raises(E):
        api_anon.hf_hub_download(public_repo, "config.json", revision="no-such-branch")
    with pytest.raises(E):
        api_anon.model_info(public_repo, revision="0" * 40)
    with pytest.raises(E):
        api_anon.list_repo_files(public_repo, revision="no-such-branch")
    with pytest.raises(E):
        api_anon.snapshot_download(public_repo, revision="no-such-branch")
    assert api_anon.revision_exists(public_repo, "no-such-branch") is False


def test_entry_not_found(api_anon, public_repo, hf):
    with pytest.raises(hf.errors.RemoteEntryNotFoundError) as exc:
        api_anon.hf_hub_download(public_repo, "missing.bin")
    assert isinstance(exc.value, hf.errors.EntryNotFoundError)
    assert exc.value.response.status_code == 404
    with pytest.raises(hf.errors.EntryNotFoundError):
        api_anon.hf_hub_download(public_repo, "missing/nested/file.txt")
    with pytest.raises(hf.errors.EntryNotFoundError):
        list(api_anon.list_repo_tree(public_repo, path_in_repo="missing-dir"))
    assert api_anon.file_exists(public_repo, "missing.bin") is False


# ---------------------------------------------------------------------------------------------
# Authentication and authorization
# ---------------------------------------------------------------------------------------------


def test_unknown_token_is_401_invalid_credentials(hf, stoa, public_repo):
    api = hf.HfApi(endpoint=stoa.url, token=BAD_TOKEN)
    for call in (
        lambda: api.model_info(public_repo),
        lambda: api.list_repo_files(public_repo),
        lambda: list(api.list_models(author="alice", limit=1)),
        lambda: api.create_repo(unique_name("badtok")),
    ):
        with pytest.raises(hf.errors.HfHubHTTPError) as exc:
            call()
        assert exc.value.response.status_code == 401
        assert "Invalid credentials in Authorization header" in str(exc.value)
        # A token problem must not be disguised as a missing repo.
        assert not isinstance(exc.value, hf.errors.RepositoryNotFoundError)

    with pytest.raises(hf.errors.HfHubHTTPError) as exc:
        api.whoami()
    assert exc.value.response.status_code == 401


def test_unknown_token_on_private_repo_is_still_invalid_credentials(hf, stoa, private_repo):
    api = hf.HfApi(endpoint=stoa.url, token=BAD_TOKEN)
    with pytest.raises(hf.errors.HfHubHTTPError) as exc:
        api.model_info(private_repo)
    assert exc.value.response.status_code == 401
    assert "Invalid credentials in Authorization header" in str(exc.value)


def test_whoami_anonymous_is_refused(api_anon):
    # The client refuses to call whoami without a token.
    with pytest.raises(Exception):
        api_anon.whoami()


def test_bob_cannot_write_to_alices_repo(api_alice, api_bob, public_repo, hf):
    head = api_alice.model_info(public_repo).sha
    with pytest.raises(hf.errors.HfHubHTTPError) as exc:
        api_bob.upload_file(path_or_fileobj=b"evil", path_in_repo="evil.txt", repo_id=public_repo)
    assert exc.value.response.status_code == 403
    with pytest.raises(hf.errors.HfHubHTTPError) as exc:
        api_bob.delete_file("config.json", repo_id=public_repo)
    assert exc.value.response.status_code == 403
    assert api_alice.model_info(public_repo).sha == head


def test_bob_cannot_write_to_alices_private_repo(api_alice, api_bob, private_repo, hf):
    head = api_alice.model_info(private_repo).sha
    with pytest.raises(hf.errors.HfHubHTTPError) as exc:
        api_bob.upload_file(path_or_fileobj=b"evil", path_in_repo="evil.txt", repo_id=private_repo)
    # Not readable for bob: it must look like a missing repo (404), never 403.
    assert isinstance(exc.value, hf.errors.RepositoryNotFoundError)
    assert exc.value.response.status_code == 404
    assert api_alice.model_info(private_repo).sha == head


def test_read_token_cannot_write(api_alice, api_alice_read, public_repo, repo_name, hf):
    head = api_alice.model_info(public_repo).sha
    with pytest.raises(hf.errors.HfHubHTTPError) as exc:
        api_alice_read.upload_file(path_or_fileobj=b"nope", path_in_repo="nope.txt", repo_id=public_repo)
    assert exc.value.response.status_code == 403
    with pytest.raises(hf.errors.HfHubHTTPError) as exc:
        api_alice_read.create_repo(f"alice/{repo_name('readtok')}")
    assert exc.value.response.status_code == 403
    with pytest.raises(hf.errors.HfHubHTTPError) as exc:
        api_alice_read.delete_repo(public_repo)
    assert exc.value.response.status_code == 403
    assert api_alice.model_info(public_repo).sha == head
    # ... but it reads fine.
    assert api_alice_read.model_info(public_repo).sha == head


def test_anonymous_cannot_write(api_anon, public_repo, hf, stoa):
    # token=False: the client sends no Authorization header at all.
    from compat_helpers import curl, ndjson

    r = curl(
        "POST",
        f"{stoa.url}/api/models/{public_repo}/commit/main",
        headers={"Content-Type": "application/x-ndjson"},
        data=ndjson(
            {"key": "header", "value": {"summary": "anon"}},
            {"key": "file", "value": {"path": "anon.txt", "content": "aGk=", "encoding": "base64"}},
        ),
    )
    assert r.status in (401, 403), r.describe()
    assert "anon.txt" not in api_anon.list_repo_files(public_repo)
