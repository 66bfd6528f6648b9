"""Validated cards (cards-datasets.md §1, §2, §5; issue 8): every write path refuses a README.md
whose metadata is invalid (HTTP commit, git push, `POST /api/validate-yaml` used by
huggingface_hub's pre-flight and by `RepoCard.validate`), and valid cards become `cardData` and
derived tags (`license:`, `dataset:`, `base_model:`, `base_model:<relation>:`, `arxiv:`, library,
pipeline tag, `gguf` / `safetensors`) that `list_models(filter=...)` finds.

How huggingface_hub 2.4.0 reports a refused card: `upload_file` / `create_commit` first call
`POST /api/validate-yaml` and raise a plain `ValueError("Invalid metadata in README.md.\n- ...")`
(from a `BadRequestError`) before anything is uploaded. The server's own check of the commit is
reached only without that pre-flight, so those tests switch it off on their `HfApi` instance.
"""

from __future__ import annotations

import json

import pytest

from compat_helpers import curl, unique_name
from git_helpers import commit_all, ls_remote, remote
from scan_corpus import tiny_gguf, tiny_safetensors, wait_for_scan

ARXIV_ID = "2106.09685"

INVALID_CARDS = {
    "license": "---\nlicense: not-a-licence\n---\n# Model\n",
    "pipeline_tag": "---\nlicense: mit\npipeline_tag: not-a-task\n---\n# Model\n",
    "base_model_relation": "---\nlicense: mit\nbase_model: alice/some-base\nbase_model_relation: cousin\n---\n# Model\n",
}
PYTHON_TAG_CARD = "---\nlicense: mit\nwidget: !!python/tuple [a, b]\n---\n# Model\n"
VALID_CARD = "---\nlicense: mit\ntags:\n- card-test\n---\n# A valid card\n"


def _state(api, repo_id: str, repo_type: str | None = None) -> tuple[str, list[str]]:
    info = api.repo_info(repo_id, repo_type=repo_type)
    return info.sha, api.list_repo_files(repo_id, repo_type=repo_type)


def _no_preflight(hf, stoa, monkeypatch):
    """An HfApi for alice whose client-side validate-yaml pre-flight is off."""
    api = hf.HfApi(endpoint=stoa.url, token=stoa.tokens["alice"])
    monkeypatch.setattr(api, "_validate_yaml", lambda *args, **kwargs: None)
    return api


# -------------------------------------------------------------------------------------------------
# Invalid cards are refused on every path
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", sorted(INVALID_CARDS))
def test_upload_of_invalid_card_is_refused_by_the_preflight(api_alice, new_repo, hf, field):
    repo_id = new_repo("badcard")
    before = _state(api_alice, repo_id)
    with pytest.raises(ValueError) as excinfo:
        api_alice.upload_file(path_or_fileobj=INVALID_CARDS[field].encode(), path_in_repo="README.md",
                              repo_id=repo_id)
    message = str(excinfo.value)
    assert "Invalid metadata in README.md" in message, message
    assert field in message, f"the error does not name {field!r}: {message}"
    cause = excinfo.value.__cause__
    assert isinstance(cause, hf.errors.BadRequestError) and cause.response.status_code == 400, repr(cause)
    assert _state(api_alice, repo_id) == before


@pytest.mark.parametrize("field", sorted(INVALID_CARDS) + ["unknown tag"])
def test_commit_of_invalid_card_is_refused_by_the_server(hf, stoa, new_repo, monkeypatch, field):
    api = _no_preflight(hf, stoa, monkeypatch)
    repo_id = new_repo("badcommit")
    before = _state(api, repo_id)
    card = PYTHON_TAG_CARD if field == "unknown tag" else INVALID_CARDS[field]
    with pytest.raises(hf.errors.HfHubHTTPError) as excinfo:
        api.upload_file(path_or_fileobj=card.encode(), path_in_repo="README.md", repo_id=repo_id)
    err = excinfo.value
    assert isinstance(err, hf.errors.BadRequestError), repr(err)
    assert err.response.status_code == 400, err
    assert field in str(err), f"the error does not name {field!r}: {err}"
    assert _state(api, repo_id) == before


def test_python_yaml_tags_are_refused(api_alice, new_repo, stoa):
    r = curl("POST", f"{stoa.url}/api/validate-yaml", headers={"Content-Type": "application/json"},
             data=json.dumps({"content": PYTHON_TAG_CARD, "repoType": "model"}))
    assert r.status == 400, r.describe()
    messages = " ".join(e.get("message", "") for e in r.json().get("errors", []))
    assert "unknown tag" in messages, r.describe()

    repo_id = new_repo("pytag")
    before = _state(api_alice, repo_id)
    with pytest.raises(ValueError, match="unknown tag"):
        api_alice.upload_file(path_or_fileobj=PYTHON_TAG_CARD.encode(), path_in_repo="README.md", repo_id=repo_id)
    assert _state(api_alice, repo_id) == before


def test_repocard_validate(hf):
    from huggingface_hub import DatasetCard, ModelCard

    ModelCard(VALID_CARD).validate()
    ModelCard("---\nlicense: apache-2.0\npipeline_tag: text-generation\nbase_model: alice/x\n"
              "base_model_relation: quantized\n---\n# ok\n").validate()
    for field, card in INVALID_CARDS.items():
        with pytest.raises(ValueError) as excinfo:
            ModelCard(card).validate()
        assert field in str(excinfo.value), f"{field}: {excinfo.value}"
    DatasetCard("---\nlicense: cc-by-4.0\n---\n# data\n").validate()
    with pytest.raises(ValueError, match="license"):
        DatasetCard("---\nlicense: not-a-licence\n---\n# data\n").validate()


def test_metadata_update(api_alice, new_repo, stoa, hf):
    repo_id = new_repo("metaupdate")
    api_alice.upload_file(path_or_fileobj=VALID_CARD.encode(), path_in_repo="README.md", repo_id=repo_id)
    before = _state(api_alice, repo_id)
    with pytest.raises(ValueError, match="license"):
        hf.metadata_update(repo_id, {"license": "not-a-licence"}, overwrite=True, token=stoa.tokens["alice"])
    assert _state(api_alice, repo_id) == before

    hf.metadata_update(repo_id, {"license": "apache-2.0", "pipeline_tag": "fill-mask"}, overwrite=True,
                       token=stoa.tokens["alice"])
    info = api_alice.model_info(repo_id)
    assert info.card_data.license == "apache-2.0", info.card_data
    assert info.pipeline_tag == "fill-mask", info.pipeline_tag
    assert "license:apache-2.0" in info.tags and "license:mit" not in info.tags, info.tags


def test_git_push_of_invalid_card_is_rejected(api_alice, new_repo, stoa, git, tmp_path):
    repo_id = new_repo("gitcard")
    head = api_alice.upload_file(path_or_fileobj=VALID_CARD.encode(), path_in_repo="README.md", repo_id=repo_id).oid
    url = remote(stoa, repo_id, stoa.tokens["alice"])
    work = tmp_path / "work"
    git.run("clone", "-q", url, work)

    (work / "README.md").write_text("---\nlicense: not-a-licence\n---\n# pushed\n")
    (work / "other.txt").write_text("in the same push\n")
    commit_all(git, work, "bad card")
    push = git.run("push", "origin", "main", cwd=work, check=False)
    assert push.returncode != 0, push.describe()
    assert "license" in push.output, push.describe()
    assert ls_remote(git, url)["refs/heads/main"] == head
    assert api_alice.model_info(repo_id).sha == head

    # A valid change goes through.
    git.run("reset", "-q", "--hard", head, cwd=work)
    (work / "README.md").write_text("---\nlicense: apache-2.0\n---\n# pushed\n")
    pushed = commit_all(git, work, "good card")
    git.run("push", "origin", "main", cwd=work)
    info = api_alice.model_info(repo_id)
    assert info.sha == pushed and info.card_data.license == "apache-2.0"


def test_invalid_dataset_card_is_refused(api_alice, hf):
    repo_id = f"alice/{unique_name('dscard')}"
    api_alice.create_repo(repo_id, repo_type="dataset")
    before = _state(api_alice, repo_id, "dataset")
    with pytest.raises(ValueError, match="license"):
        api_alice.upload_file(path_or_fileobj=b"---\nlicense: not-a-licence\n---\n# data\n", path_in_repo="README.md",
                              repo_id=repo_id, repo_type="dataset")
    assert _state(api_alice, repo_id, "dataset") == before
    api_alice.upload_file(path_or_fileobj=b"---\nlicense: mit\n---\n# data\n", path_in_repo="README.md",
                          repo_id=repo_id, repo_type="dataset")
    info = api_alice.dataset_info(repo_id)
    assert info.card_data.license == "mit", info.card_data


# -------------------------------------------------------------------------------------------------
# Valid cards: cardData, derived tags, filters
# -------------------------------------------------------------------------------------------------


def test_valid_card_fields_and_derived_tags(api_alice, api_anon, stoa):
    from huggingface_hub import CommitOperationAdd

    prefix = unique_name("tagged")
    parent = f"alice/{prefix}-base"
    dataset = f"alice/{prefix}-data"
    repo_id = f"alice/{prefix}-mit"
    other = f"alice/{prefix}-apache"
    api_alice.create_repo(parent)
    api_alice.upload_file(path_or_fileobj=b"---\nlicense: apache-2.0\n---\n# base\n", path_in_repo="README.md",
                          repo_id=parent)
    api_alice.create_repo(dataset, repo_type="dataset")
    api_alice.create_repo(repo_id)
    api_alice.create_repo(other)

    card = f"""---
license: mit
library_name: transformers
pipeline_tag: text-generation
datasets:
- {dataset}
base_model: {parent}
language:
- en
tags:
- custom-tag
---
# A quantized model

Based on the method of https://arxiv.org/abs/{ARXIV_ID} (LoRA).
"""
    gguf, _ = tiny_gguf()
    weights, _ = tiny_safetensors()
    api_alice.create_commit(repo_id, [
        CommitOperationAdd("README.md", card.encode()),
        CommitOperationAdd("model-Q4_K_M.gguf", gguf),
        CommitOperationAdd("model.safetensors", weights),
    ], commit_message="card and weights")
    api_alice.upload_file(path_or_fileobj=b"---\nlicense: apache-2.0\ntags:\n- custom-tag\n---\n# other\n",
                          path_in_repo="README.md", repo_id=other)
    wait_for_scan(api_alice, repo_id)

    info = api_anon.model_info(repo_id)
    data = info.card_data
    assert data is not None
    assert data.license == "mit"
    assert data.library_name == "transformers"
    assert data.pipeline_tag == "text-generation"
    assert data.datasets == [dataset]
    assert data.base_model == parent
    assert "custom-tag" in (data.tags or [])
    assert info.pipeline_tag == "text-generation"
    assert info.library_name == "transformers"
    expected = {
        "license:mit", f"dataset:{dataset}", f"base_model:{parent}", f"base_model:quantized:{parent}",
        f"arxiv:{ARXIV_ID}", "transformers", "text-generation", "gguf", "safetensors", "custom-tag",
    }
    assert expected <= set(info.tags or []), f"missing tags: {sorted(expected - set(info.tags or []))}; {info.tags}"
    other_tags = set(api_anon.model_info(other).tags or [])
    assert "license:apache-2.0" in other_tags and "gguf" not in other_tags and "license:mit" not in other_tags

    def ids(**kwargs) -> list[str]:
        return sorted(m.id for m in api_anon.list_models(**kwargs))

    assert ids(filter="license:mit", search=prefix) == [repo_id]
    assert ids(filter="license:apache-2.0", search=prefix) == sorted([parent, other])
    assert ids(filter="custom-tag", search=prefix) == sorted([repo_id, other])
    assert ids(filter=f"base_model:quantized:{parent}") == [repo_id]
    assert ids(filter=f"base_model:{parent}") == [repo_id]
    assert ids(filter=f"arxiv:{ARXIV_ID}", search=prefix) == [repo_id]
    assert ids(filter=f"dataset:{dataset}") == [repo_id]
    assert ids(filter=["license:mit", "gguf"], search=prefix) == [repo_id]
