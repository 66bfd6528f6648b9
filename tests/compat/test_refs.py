"""Refs and history through huggingface_hub: list_repo_refs, create_branch / delete_branch,
create_tag / delete_tag and list_repo_commits (hub-api.md §4.1 to §4.4), with the Hub's errors."""

from __future__ import annotations

import pytest

from compat_helpers import HEX40, unique_name


@pytest.fixture
def repo_with_history(api_alice, new_repo):
    repo_id = new_repo("history")
    for i in range(3):
        api_alice.upload_file(path_or_fileobj=f"v{i}".encode(), path_in_repo=f"f{i}.txt", repo_id=repo_id)
    return repo_id


def test_refs_list_branches_tags_and_prs(api_alice, api_anon, repo_with_history):
    head = api_alice.model_info(repo_with_history).sha
    refs = api_anon.list_repo_refs(repo_with_history)
    assert [(b.name, b.ref, b.target_commit) for b in refs.branches] == [("main", "refs/heads/main", head)]
    assert refs.tags == [] and refs.converts == [] and refs.pull_requests is None
    with_prs = api_alice.list_repo_refs(repo_with_history, include_pull_requests=True)
    assert with_prs.pull_requests == []


def test_branches_are_created_used_and_deleted(api_alice, hf, repo_with_history):
    repo_id = repo_with_history
    commits = api_alice.list_repo_commits(repo_id)
    api_alice.create_branch(repo_id, branch="dev")
    api_alice.create_branch(repo_id, branch="feature/old", revision=commits[2].commit_id)
    branches = {b.name: b.target_commit for b in api_alice.list_repo_refs(repo_id).branches}
    assert branches == {"main": commits[0].commit_id, "dev": commits[0].commit_id, "feature/old": commits[2].commit_id}
    assert api_alice.model_info(repo_id, revision="feature/old").sha == commits[2].commit_id
    # Committing to the branch moves it, not main.
    info = api_alice.upload_file(path_or_fileobj=b"on dev", path_in_repo="dev.txt", repo_id=repo_id, revision="dev")
    assert api_alice.model_info(repo_id, revision="dev").sha == info.oid
    assert api_alice.model_info(repo_id).sha == commits[0].commit_id

    with pytest.raises(hf.errors.HfHubHTTPError) as exists:
        api_alice.create_branch(repo_id, branch="dev")
    assert exists.value.response.status_code == 409
    assert "Reference refs/heads/dev already exists" in str(exists.value)
    api_alice.create_branch(repo_id, branch="dev", exist_ok=True)
    for reserved in ("refs/pr/5", "refs/something/random"):
        with pytest.raises(hf.errors.HfHubHTTPError) as invalid:
            api_alice.create_branch(repo_id, branch=reserved)
        assert invalid.value.response.status_code == 400
        assert "Invalid reference for a branch" in str(invalid.value)
    with pytest.raises(hf.errors.RevisionNotFoundError):
        api_alice.create_branch(repo_id, branch="from-nowhere", revision="no-such-revision")

    api_alice.delete_branch(repo_id, branch="dev")
    assert "dev" not in {b.name for b in api_alice.list_repo_refs(repo_id).branches}
    with pytest.raises(hf.errors.RevisionNotFoundError):
        api_alice.model_info(repo_id, revision="dev")
    with pytest.raises(hf.errors.HfHubHTTPError) as main:
        api_alice.delete_branch(repo_id, branch="main")
    assert "Cannot delete refs/heads/main" in str(main.value)
    with pytest.raises(hf.errors.RevisionNotFoundError):
        api_alice.delete_branch(repo_id, branch="never-existed")


def test_only_writers_change_branches(api_bob, api_alice_read, api_anon, hf, repo_with_history):
    for api in (api_bob, api_alice_read):
        with pytest.raises(hf.errors.HfHubHTTPError) as refused:
            api.create_branch(repo_with_history, branch="intruder")
        assert refused.value.response.status_code == 403
    with pytest.raises(hf.errors.HfHubHTTPError) as anonymous:
        api_anon.delete_branch(repo_with_history, branch="main")
    assert anonymous.value.response.status_code in (401, 403)
    assert [b.name for b in api_bob.list_repo_refs(repo_with_history).branches] == ["main"]


def test_commit_log_newest_first_with_authors_and_formatting(api_alice, api_anon, hf, repo_with_history):
    commits = api_anon.list_repo_commits(repo_with_history)
    assert len(commits) == 4, "three uploads on top of the repo-creation commit"
    assert commits[0].commit_id == api_alice.model_info(repo_with_history).sha
    assert all(HEX40.match(c.commit_id) for c in commits)
    assert [c.title for c in commits[:3]] == [f"Upload f{i}.txt with huggingface_hub" for i in (2, 1, 0)]
    assert commits[0].authors == ["alice"]
    assert commits[0].created_at >= commits[-1].created_at
    assert commits[0].formatted_title is None
    formatted = api_anon.list_repo_commits(repo_with_history, formatted=True)
    assert formatted[0].formatted_title == commits[0].title
    with pytest.raises(hf.errors.RevisionNotFoundError):
        api_anon.list_repo_commits(repo_with_history, revision="nope")
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_anon.list_repo_commits(f"alice/{unique_name('missing')}")


def test_commit_log_pages_follow_link_headers(api_alice, hf, new_repo):
    repo_id = new_repo("longlog")
    operations = hf.CommitOperationAdd
    for i in range(60):
        api_alice.create_commit(repo_id, operations=[operations(f"n{i}.txt", f"{i}".encode())], commit_message=f"c{i}")
    commits = api_alice.list_repo_commits(repo_id)
    assert len(commits) == 61
    assert len({c.commit_id for c in commits}) == 61
    assert [c.title for c in commits[:60]] == [f"c{i}" for i in range(59, -1, -1)]


def test_tags_are_created_used_and_deleted(api_alice, api_anon, hf, repo_with_history, tmp_path):
    repo_id = repo_with_history
    commits = api_alice.list_repo_commits(repo_id)
    api_alice.create_tag(repo_id, tag="v1")
    api_alice.create_tag(repo_id, tag="v0", revision=commits[2].commit_id, tag_message="first files")
    tags = {t.name: (t.ref, t.target_commit) for t in api_anon.list_repo_refs(repo_id).tags}
    # The annotated tag is listed with the commit it points at.
    assert tags == {"v1": ("refs/tags/v1", commits[0].commit_id), "v0": ("refs/tags/v0", commits[2].commit_id)}
    assert api_anon.model_info(repo_id, revision="v0").sha == commits[2].commit_id
    path = api_anon.hf_hub_download(repo_id, "f0.txt", revision="v0", cache_dir=tmp_path)
    assert open(path, "rb").read() == b"v0"

    with pytest.raises(hf.errors.HfHubHTTPError) as exists:
        api_alice.create_tag(repo_id, tag="v1")
    assert exists.value.response.status_code == 409
    api_alice.create_tag(repo_id, tag="v1", exist_ok=True)
    with pytest.raises(hf.errors.RevisionNotFoundError):
        api_alice.create_tag(repo_id, tag="v9", revision="no-such-revision")
    with pytest.raises(hf.errors.HfHubHTTPError) as invalid:
        api_alice.create_tag(repo_id, tag="with space")
    assert 400 <= invalid.value.response.status_code < 500

    api_alice.delete_tag(repo_id, tag="v0")
    assert {t.name for t in api_alice.list_repo_refs(repo_id).tags} == {"v1"}
    with pytest.raises(hf.errors.RevisionNotFoundError):
        api_alice.delete_tag(repo_id, tag="v0")
    with pytest.raises(hf.errors.HfHubHTTPError) as refused:
        api_anon.delete_tag(repo_id, tag="v1")
    assert refused.value.response.status_code in (401, 403)


def test_stale_parent_commit_on_a_branch_and_a_pr_is_refused(api_alice, api_bob, hf, repo_with_history):
    """A commit pinned to an old head of a branch (or of a PR) answers 412 and moves nothing;
    pinned to the current head it lands. main is untouched throughout."""
    from huggingface_hub import CommitOperationAdd
    from huggingface_hub.errors import HfHubHTTPError

    repo_id = repo_with_history
    main_head = api_alice.model_info(repo_id).sha
    api_alice.create_branch(repo_id, branch="dev")
    first = api_alice.create_commit(
        repo_id, operations=[CommitOperationAdd("d.txt", b"1")], commit_message="d1", revision="dev"
    )
    second = api_alice.create_commit(
        repo_id, operations=[CommitOperationAdd("d.txt", b"2")], commit_message="d2", revision="dev"
    )
    with pytest.raises(HfHubHTTPError) as stale:
        api_alice.create_commit(
            repo_id,
            operations=[CommitOperationAdd("d.txt", b"stale")],
            commit_message="stale",
            revision="dev",
            parent_commit=first.oid,
        )
    assert stale.value.response.status_code == 412
    assert api_alice.model_info(repo_id, revision="dev").sha == second.oid
    landed = api_alice.create_commit(
        repo_id,
        operations=[CommitOperationAdd("d.txt", b"3")],
        commit_message="d3",
        revision="dev",
        parent_commit=second.oid,
    )
    assert api_alice.model_info(repo_id, revision="dev").sha == landed.oid

    # The same on a pull request opened by another user.
    pr = api_bob.create_commit(
        repo_id, operations=[CommitOperationAdd("p.txt", b"1")], commit_message="Proposal", create_pr=True
    )
    pr_ref = f"refs/pr/{pr.pr_num}"
    with pytest.raises(HfHubHTTPError) as stale_pr:
        api_bob.create_commit(
            repo_id,
            operations=[CommitOperationAdd("p.txt", b"stale")],
            commit_message="stale",
            revision=pr_ref,
            parent_commit=main_head,
        )
    assert stale_pr.value.response.status_code == 412
    assert api_alice.model_info(repo_id, revision=pr_ref).sha == pr.oid
    assert api_alice.model_info(repo_id).sha == main_head


def test_empty_branch_starts_with_no_files_and_no_history(api_alice, hf, repo_with_history, stoa):
    """`emptyBranch: true` (the Hub's create-branch option) makes a branch on a root commit with no
    files; combined with `startingPoint` it is refused."""
    from compat_helpers import curl

    repo_id = repo_with_history
    url = f"{stoa.url}/api/models/{repo_id}/branch/blank"
    headers = {"Content-Type": "application/json"}
    created = curl("POST", url, token=stoa.tokens["alice"], headers=headers, data='{"emptyBranch": true}')
    assert created.status == 200, created.describe()
    assert api_alice.list_repo_files(repo_id, revision="blank") == []
    history = api_alice.list_repo_commits(repo_id, revision="blank")
    assert len(history) == 1 and history[0].commit_id != api_alice.model_info(repo_id).sha
    both = curl(
        "POST", f"{url}2", token=stoa.tokens["alice"], headers=headers, data='{"emptyBranch": true, "startingPoint": "main"}'
    )
    assert both.status == 400 and both.header("x-error-code"), both.describe()
    assert "blank2" not in {b.name for b in api_alice.list_repo_refs(repo_id).branches}
