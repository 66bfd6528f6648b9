"""Repo lifecycle: whoami, create_repo (all types, private, exist_ok, case-insensitivity), delete_repo,
and the existence checks."""

from __future__ import annotations

import datetime as dt

import pytest

from compat_helpers import HEX40, curl


def test_whoami_write_token(api_alice):
    me = api_alice.whoami()
    assert me["name"] == "alice"
    assert me["type"] == "user"
    assert me.get("fullname") == "Alice Liddell"
    assert isinstance(me.get("orgs"), list)
    assert me["auth"]["accessToken"]["role"] == "write"
    assert me["auth"]["accessToken"]["displayName"] == "alice-write"


def test_whoami_read_token_and_other_user(api_alice_read, api_bob):
    assert api_alice_read.whoami()["name"] == "alice"
    assert api_alice_read.whoami()["auth"]["accessToken"]["role"] == "read"
    assert api_bob.whoami()["name"] == "bob"


def test_create_model_repo(api_alice, api_anon, stoa, repo_name, hf):
    name = repo_name("model")
    url = api_alice.create_repo(f"alice/{name}")
    assert str(url) == f"{stoa.url}/alice/{name}"
    assert url.repo_id == f"alice/{name}"
    assert url.repo_type == "model"
    assert url.endpoint == stoa.url

    info = api_alice.model_info(f"alice/{name}")
    assert info.id == f"alice/{name}"
    assert info.private is False
    assert HEX40.match(info.sha), info.sha
    assert isinstance(info.last_modified, dt.datetime)
    # Public: readable anonymously too.
    assert api_anon.model_info(f"alice/{name}").sha == info.sha


def test_new_repo_has_initial_gitattributes(api_alice, new_repo):
    repo_id = new_repo("attrs")
    assert api_alice.list_repo_files(repo_id) == [".gitattributes"]
    path = api_alice.hf_hub_download(repo_id, ".gitattributes")
    text = open(path, encoding="utf-8").read()
    for pattern in ("*.bin", "*.safetensors", "*.pt", "*.pkl", "*.parquet", "*.zip", "*.onnx", "*.h5"):
        assert any(
            line.split()[:1] == [pattern] and "filter=lfs" in line for line in text.splitlines()
        ), f"{pattern} is not routed to LFS in the initial .gitattributes:\n{text}"


def test_create_bare_name_uses_token_namespace(api_alice, repo_name, stoa):
    name = repo_name("bare")
    url = api_alice.create_repo(name)
    assert url.repo_id == f"alice/{name}"
    assert str(url) == f"{stoa.url}/alice/{name}"
    assert api_alice.repo_exists(f"alice/{name}")


def test_create_dataset_repo(api_alice, repo_name, stoa):
    name = repo_name("ds")
    url = api_alice.create_repo(f"alice/{name}", repo_type="dataset")
    assert str(url) == f"{stoa.url}/datasets/alice/{name}"
    assert url.repo_type == "dataset"
    info = api_alice.dataset_info(f"alice/{name}")
    assert info.id == f"alice/{name}"
    assert HEX40.match(info.sha)
    assert ".gitattributes" in api_alice.list_repo_files(f"alice/{name}", repo_type="dataset")
    # Not visible as a model.
    assert not api_alice.repo_exists(f"alice/{name}", repo_type="model")
    assert api_alice.repo_exists(f"alice/{name}", repo_type="dataset")


def test_create_space_repo(api_alice, repo_name, stoa):
    name = repo_name("space")
    url = api_alice.create_repo(f"alice/{name}", repo_type="space", space_sdk="gradio")
    assert str(url) == f"{stoa.url}/spaces/alice/{name}"
    assert url.repo_type == "space"
    info = api_alice.space_info(f"alice/{name}")
    assert info.id == f"alice/{name}"
    assert info.sdk == "gradio"
    assert ".gitattributes" in api_alice.list_repo_files(f"alice/{name}", repo_type="space")


def test_create_private_repo(api_alice, api_anon, api_bob, repo_name, hf):
    repo_id = f"alice/{repo_name('private')}"
    api_alice.create_repo(repo_id, private=True)
    assert api_alice.model_info(repo_id).private is True
    assert api_alice.repo_exists(repo_id)
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_anon.model_info(repo_id)
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_bob.model_info(repo_id)
    assert api_anon.repo_exists(repo_id) is False
    assert api_bob.repo_exists(repo_id) is False


def test_create_exist_ok_returns_same_url(api_alice, repo_name, hf):
    repo_id = f"alice/{repo_name('exist')}"
    first = api_alice.create_repo(repo_id)
    head = api_alice.model_info(repo_id).sha
    again = api_alice.create_repo(repo_id, exist_ok=True)
    assert str(again) == str(first)
    assert again.repo_id == repo_id
    # exist_ok must not touch the repo.
    assert api_alice.model_info(repo_id).sha == head

    with pytest.raises(hf.errors.HfHubHTTPError) as exc:
        api_alice.create_repo(repo_id)
    assert exc.value.response.status_code == 409


def test_create_conflict_body_carries_url(api_alice, repo_name, stoa):
    """A 409 on create must still carry `url` (the client reads it with exist_ok=True)."""
    name = repo_name("conflict")
    api_alice.create_repo(f"alice/{name}")
    r = curl(
        "POST",
        f"{stoa.url}/api/repos/create",
        token=stoa.tokens["alice"],
        headers={"Content-Type": "application/json"},
        data=f'{{"name": "{name}", "organization": "alice"}}',
    )
    assert r.status == 409, r.describe()
    assert r.json().get("url") == f"{stoa.url}/alice/{name}", r.describe()


def test_same_name_different_types_are_distinct(api_alice, repo_name):
    name = repo_name("multi")
    api_alice.create_repo(f"alice/{name}")
    api_alice.create_repo(f"alice/{name}", repo_type="dataset")
    assert api_alice.repo_exists(f"alice/{name}")
    assert api_alice.repo_exists(f"alice/{name}", repo_type="dataset")
    api_alice.delete_repo(f"alice/{name}", repo_type="dataset")
    assert api_alice.repo_exists(f"alice/{name}")
    assert not api_alice.repo_exists(f"alice/{name}", repo_type="dataset")


def test_repo_ids_are_case_insensitive(api_alice, repo_name, hf):
    name = repo_name("MixedCase").replace("mixedcase", "MixedCase")
    repo_id = f"alice/{name}"
    assert repo_id != repo_id.lower()
    api_alice.create_repo(repo_id)

    # Committing to the lower-cased id works (a huggingface_hub test does exactly this).
    commit = api_alice.upload_file(path_or_fileobj=b"hello", path_in_repo="hello.txt", repo_id=repo_id.lower())
    assert HEX40.match(commit.oid)

    info = api_alice.model_info(f"alice/{name.upper()}")
    assert info.sha == commit.oid
    assert info.id.lower() == repo_id.lower()
    assert "hello.txt" in api_alice.list_repo_files(repo_id)

    # Creating it again under another casing is the same repo: 409.
    with pytest.raises(hf.errors.HfHubHTTPError) as exc:
        api_alice.create_repo(repo_id.lower())
    assert exc.value.response.status_code == 409


def test_delete_repo(api_alice, new_repo, hf):
    repo_id = new_repo("delete")
    api_alice.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
    api_alice.delete_repo(repo_id)
    assert api_alice.repo_exists(repo_id) is False
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_alice.model_info(repo_id)
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_alice.delete_repo(repo_id)
    api_alice.delete_repo(repo_id, missing_ok=True)  # no error

    # The name can be reused and the new repo starts fresh.
    api_alice.create_repo(repo_id)
    assert api_alice.list_repo_files(repo_id) == [".gitattributes"]


def test_delete_dataset_repo(api_alice, repo_name):
    repo_id = f"alice/{repo_name('deleteds')}"
    api_alice.create_repo(repo_id, repo_type="dataset")
    api_alice.delete_repo(repo_id, repo_type="dataset")
    assert not api_alice.repo_exists(repo_id, repo_type="dataset")


def test_delete_missing_ok(api_alice, repo_name, hf):
    repo_id = f"alice/{repo_name('never')}"
    api_alice.delete_repo(repo_id, missing_ok=True)
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_alice.delete_repo(repo_id)


def test_existence_checks(api_alice, api_anon, new_repo, repo_name):
    repo_id = new_repo("exists")
    commit = api_alice.upload_file(path_or_fileobj=b"{}", path_in_repo="sub/config.json", repo_id=repo_id)

    assert api_alice.repo_exists(repo_id) is True
    assert api_anon.repo_exists(repo_id) is True
    assert api_alice.repo_exists(f"alice/{repo_name('nope')}") is False
    assert api_anon.repo_exists(f"alice/{repo_name('nope')}") is False

    assert api_alice.file_exists(repo_id, "sub/config.json") is True
    assert api_anon.file_exists(repo_id, "sub/config.json") is True
    assert api_alice.file_exists(repo_id, "sub/missing.json") is False
    assert api_alice.file_exists(repo_id, "sub/config.json", revision="does-not-exist") is False
    assert api_alice.file_exists(f"alice/{repo_name('nope')}", "config.json") is False

    assert api_alice.revision_exists(repo_id, "main") is True
    assert api_alice.revision_exists(repo_id, commit.oid) is True
    assert api_alice.revision_exists(repo_id, commit.oid[:7]) is True
    assert api_alice.revision_exists(repo_id, "does-not-exist") is False
    assert api_alice.revision_exists(f"alice/{repo_name('nope')}", "main") is False


def test_bob_cannot_delete_or_create_in_alices_namespace(api_alice, api_bob, new_repo, repo_name, hf):
    repo_id = new_repo("guarded")
    with pytest.raises(hf.errors.HfHubHTTPError) as exc:
        api_bob.delete_repo(repo_id)
    assert exc.value.response.status_code == 403
    assert api_alice.repo_exists(repo_id)

    with pytest.raises(hf.errors.HfHubHTTPError) as exc:
        api_bob.create_repo(f"alice/{repo_name('intruder')}")
    assert exc.value.response.status_code == 403
