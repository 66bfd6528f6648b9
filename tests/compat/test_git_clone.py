"""Git smart HTTP, fetching side (clone, fetch, protocol versions, shallow and partial clones): the real `git` and `git-lfs` binaries against the server, checked
against what huggingface_hub sees (and the other way round).

git runs in a clean environment (`GitCli`: HOME in the test's tmp dir, no system config, no
prompts, git-lfs filters in the temp global config). Credentials are passed the way the Hub
documents them: HTTP Basic with any user name and the token as password, here in the URL.
Tokens never appear in assertion messages (`GitCli` masks them).

Unmarked tests run in the default (Xet) runs (a)/(c). `test_hf_upload_then_git_clone_and_pull`
has one variant per upload path: `xet` in (a)/(c), `classic-lfs` (marked `lfs`) in (b)/(d).
"""

from __future__ import annotations


import re
import subprocess
import time
from pathlib import Path

import pytest

from compat_helpers import (
    curl,
    unique_name,
)
from git_helpers import (
    RECEIVE_PACK,
    SAMPLE_FILES,
    UPLOAD_PACK,
    assert_same_tree,
    basic,
    commit_all,
    expected_tree,
    remote,
    upload_sample,
)


def test_clone_public_model_with_and_without_git_suffix(api_alice, api_anon, new_repo, tmp_path, git, stoa):
    repo_id = new_repo("gitclone")
    head = upload_sample(api_alice, repo_id, tmp_path)
    expected = expected_tree(api_anon, repo_id)
    for path, data in SAMPLE_FILES.items():
        assert expected[path] == data
    assert ".gitattributes" in expected

    variants = {
        "anonymous, no suffix": remote(stoa, repo_id),
        "anonymous, .git": remote(stoa, f"{repo_id}.git"),
        "token, .git": remote(stoa, f"{repo_id}.git", stoa.tokens["alice"]),
    }
    for index, (label, url) in enumerate(variants.items()):
        work = tmp_path / f"clone-{index}"
        git.run("clone", "-q", url, work)
        assert git.out("rev-parse", "HEAD", cwd=work) == head, label
        assert git.out("symbolic-ref", "--short", "HEAD", cwd=work) == "main", label
        assert_same_tree(work, expected)
        assert git.out("status", "--porcelain", cwd=work) == "", f"{label}: checkout is dirty"
        git.run("fsck", "--strict", "--no-progress", cwd=work)


@pytest.mark.parametrize("repo_type", ["dataset", "space"])
def test_clone_dataset_and_space(repo_type, api_alice, api_anon, repo_name, tmp_path, git, stoa):
    repo_id = f"alice/{repo_name('git' + repo_type)}"
    kwargs = {"space_sdk": "static"} if repo_type == "space" else {}
    api_alice.create_repo(repo_id, repo_type=repo_type, **kwargs)
    head = upload_sample(api_alice, repo_id, tmp_path, repo_type=repo_type)
    expected = expected_tree(api_anon, repo_id, repo_type=repo_type)

    prefix = f"{repo_type}s/{repo_id}"
    for index, url in enumerate((remote(stoa, prefix), remote(stoa, prefix + ".git", stoa.tokens["alice"]))):
        work = tmp_path / f"clone-{index}"
        git.run("clone", "-q", url, work)
        assert git.out("rev-parse", "HEAD", cwd=work) == head
        assert_same_tree(work, expected)

    # A push lands in the right repo type.
    work = tmp_path / "clone-1"
    (work / "pushed.txt").write_bytes(b"pushed to a " + repo_type.encode())
    pushed = commit_all(git, work, f"push to a {repo_type}")
    git.run("push", "-q", "origin", "main", cwd=work)
    info = getattr(api_alice, f"{repo_type}_info")(repo_id)
    assert info.sha == pushed
    local = api_anon.hf_hub_download(repo_id, "pushed.txt", repo_type=repo_type)
    assert Path(local).read_bytes() == b"pushed to a " + repo_type.encode()

    # The same name without the type prefix is another (missing) repo: a model.
    missing = git.run("clone", "-q", remote(stoa, repo_id, stoa.tokens["alice"]), tmp_path / "as-model", check=False)
    assert missing.returncode != 0, missing.describe()
    assert "not found" in missing.stderr, missing.describe()


# ---------------------------------------------------------------------------------------------
# 2. private repos
# ---------------------------------------------------------------------------------------------


def test_private_repo_clone_needs_credentials_and_membership(api_alice, new_repo, tmp_path, git, stoa):
    repo_id = new_repo("gitpriv", private=True)
    head = upload_sample(api_alice, repo_id, tmp_path)
    missing_id = f"alice/{unique_name('gitnone')}"

    # Anonymous: git is asked for credentials (and cannot prompt).
    anon = git.run("clone", "-q", remote(stoa, repo_id), tmp_path / "anon", check=False)
    assert anon.returncode != 0, anon.describe()
    assert "could not read Username" in anon.stderr, anon.describe()
    assert not (tmp_path / "anon").exists()
    for rid in (repo_id, missing_id):
        r = curl("GET", f"{stoa.url}/{rid}/info/refs?{UPLOAD_PACK}")
        assert r.status == 401, r.describe()
        assert (r.header("www-authenticate") or "").lower().startswith("basic"), r.describe()
    r = curl("POST", f"{stoa.url}/{repo_id}/git-upload-pack", data=b"0000",
             headers={"Content-Type": "application/x-git-upload-pack-request"})
    assert r.status == 401, r.describe()
    assert r.header("www-authenticate"), r.describe()

    # alice (owner): clones.
    work = tmp_path / "alice"
    git.run("clone", "-q", remote(stoa, repo_id, stoa.tokens["alice"]), work)
    assert git.out("rev-parse", "HEAD", cwd=work) == head
    assert_same_tree(work, expected_tree(api_alice, repo_id))

    # bob (signed in, not a member): exactly what a missing repo answers.
    bob = stoa.tokens["bob"]
    answers = {}
    for label, rid in (("private", repo_id), ("missing", missing_id)):
        for service in (UPLOAD_PACK, RECEIVE_PACK):
            r = curl("GET", f"{stoa.url}/{rid}/info/refs?{service}", headers=basic(bob))
            answers[(label, service)] = r
            assert r.status == 404, r.describe()
            assert r.header("www-authenticate") is None, r.describe()
    for service in (UPLOAD_PACK, RECEIVE_PACK):
        private, missing = answers[("private", service)], answers[("missing", service)]
        assert (private.status, private.header("x-error-code"), private.body) == (
            missing.status, missing.header("x-error-code"), missing.body,
        ), f"a private repo is told apart from a missing one:\n{private.describe()}\n---\n{missing.describe()}"
        assert private.header("x-error-message") == missing.header("x-error-message")

    outputs = {}
    for label, rid in (("private", repo_id), ("missing", missing_id)):
        result = git.run("clone", "-q", remote(stoa, rid, bob), tmp_path / f"bob-{label}", check=False)
        assert result.returncode != 0, result.describe()
        outputs[label] = result.stderr.replace(rid, "<repo>").replace(f"bob-{label}", "<dir>")
    assert "not found" in outputs["private"], outputs["private"]
    assert outputs["private"] == outputs["missing"]


# ---------------------------------------------------------------------------------------------
# 3. a pushed commit is what huggingface_hub sees, at once
# ---------------------------------------------------------------------------------------------


# 7. shallow, protocol v2 / v0, partial clones
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def history_repo(api_alice, new_repo, tmp_path):
    """A public repo with 3 commits on top of the initial one; config.json changes in each."""
    repo_id = new_repo("githist")
    for i in range(3):
        api_alice.upload_file(path_or_fileobj=f'{{"version": {i}}}\n'.encode(), path_in_repo="config.json",
                              repo_id=repo_id, commit_message=f"version {i}")
        api_alice.upload_file(path_or_fileobj=f"file {i}\n".encode(), path_in_repo=f"files/{i}.txt",
                              repo_id=repo_id, commit_message=f"file {i}")
    return repo_id


def test_shallow_clone(history_repo, api_alice, tmp_path, git, stoa):
    head = api_alice.model_info(history_repo).sha
    work = tmp_path / "shallow"
    git.run("clone", "-q", "--depth", "1", remote(stoa, history_repo), work)
    assert git.out("rev-parse", "HEAD", cwd=work) == head
    assert git.out("rev-parse", "--is-shallow-repository", cwd=work) == "true"
    assert git.out("rev-list", "--count", "HEAD", cwd=work) == "1"
    assert len(git.out("log", "--format=%H", cwd=work).splitlines()) == 1
    assert_same_tree(work, expected_tree(api_alice, history_repo))

    git.run("fetch", "-q", "--deepen", "2", cwd=work)
    assert git.out("rev-list", "--count", "HEAD", cwd=work) == "3"
    git.run("fetch", "-q", "--unshallow", cwd=work)
    assert git.out("rev-parse", "--is-shallow-repository", cwd=work) == "false"
    assert git.out("rev-list", "--count", "HEAD", cwd=work) == "7"  # initial commit + 6
    git.run("fsck", "--no-progress", cwd=work)


def test_push_from_shallow_clone(history_repo, api_alice, tmp_path, git, stoa):
    work = tmp_path / "shallow"
    git.run("clone", "-q", "--depth", "1", remote(stoa, history_repo, stoa.tokens["alice"]), work)
    (work / "from-shallow.txt").write_bytes(b"pushed from a shallow clone\n")
    pushed = commit_all(git, work, "push from a shallow clone")
    push = git.run("push", "origin", "main", cwd=work, check=False)
    assert push.returncode == 0, push.describe()
    assert api_alice.model_info(history_repo).sha == pushed
    assert "from-shallow.txt" in api_alice.list_repo_files(history_repo)


def test_fetch_with_long_negotiation(history_repo, api_alice, tmp_path, git, stoa):
    """Hundreds of local commits the server does not have: git sends many `have` lines, in gzip'd
    requests (and several rounds in protocol v0)."""
    work = tmp_path / "many"
    git.run("clone", "-q", remote(stoa, history_repo), work)
    stream = []
    parent = git.out("rev-parse", "HEAD", cwd=work)
    now = int(time.time())  # newer than the server's commits, so the negotiator walks these first
    for i in range(300):
        message = f"local {i}\n".encode()
        stream.append(b"commit refs/heads/local\ncommitter C <c@example.com> %d +0000\n" % (now + i))
        stream.append(b"data %d\n%s" % (len(message), message))
        if i == 0:
            stream.append(f"from {parent}\n".encode())
        stream.append(b"M 644 inline local.txt\ndata %d\n%s\n" % (len(message), message))
    proc = subprocess.run(["git", "fast-import", "--quiet"], cwd=work, input=b"".join(stream), env=git.env,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    git.run("checkout", "-q", "local", cwd=work)
    for version in (0, 2):
        api_alice.upload_file(path_or_fileobj=f"remote {version}\n".encode(), path_in_repo=f"remote{version}.txt",
                              repo_id=history_repo)
        head = api_alice.model_info(history_repo).sha
        fetch = git.run("-c", f"protocol.version={version}", "fetch", "origin", cwd=work,
                        env={"GIT_TRACE_CURL": "1", "GIT_TRACE_CURL_NO_DATA": "1"})
        assert "Content-Encoding: gzip" in fetch.stderr, f"v{version}: no gzip'd request was sent:\n" + fetch.stderr[-2000:]
        assert git.out("rev-parse", "origin/main", cwd=work) == head, f"v{version}"
        assert git.out("show", f"origin/main:remote{version}.txt", cwd=work) == f"remote {version}"
    git.run("fsck", "--no-progress", cwd=work)


def test_protocol_v2_clone(history_repo, api_alice, tmp_path, git, stoa):
    head = api_alice.model_info(history_repo).sha
    work = tmp_path / "v2"
    clone = git.run("-c", "protocol.version=2", "clone", remote(stoa, history_repo), work,
                    env={"GIT_TRACE_PACKET": "1"})
    assert "git< version 2" in clone.stderr, "the server did not answer with protocol v2:\n" + clone.stderr[-3000:]
    for command in ("ls-refs", "fetch"):  # v2 commands, sent by whichever git process fetches
        assert re.search(rf"packet:\s+[\w-]+> command={command}$", clone.stderr, re.M), clone.stderr[-3000:]
    assert git.out("rev-parse", "HEAD", cwd=work) == head
    assert_same_tree(work, expected_tree(api_alice, history_repo))

    r = curl("GET", f"{stoa.url}/{history_repo}/info/refs?{UPLOAD_PACK}", headers={"Git-Protocol": "version=2"})
    assert r.status == 200, r.describe()
    assert r.header("content-type") == "application/x-git-upload-pack-advertisement", r.describe()
    assert r.body.startswith(b"000eversion 2\n"), r.describe()
    for capability in (b"ls-refs", b"fetch=", b"shallow", b"filter"):
        assert capability in r.body, r.describe()
    assert r.body.endswith(b"0000"), r.describe()


@pytest.mark.parametrize("version", [0, 1])
def test_protocol_v0_and_v1_clone(version, history_repo, api_alice, tmp_path, git, stoa):
    head = api_alice.model_info(history_repo).sha
    work = tmp_path / f"v{version}"
    clone = git.run("-c", f"protocol.version={version}", "clone", remote(stoa, history_repo), work,
                    env={"GIT_TRACE_PACKET": "1"})
    assert "version 2" not in clone.stderr, clone.stderr[-3000:]
    assert "# service=git-upload-pack" in clone.stderr, clone.stderr[-3000:]
    assert ("git< version 1" in clone.stderr) == (version == 1), clone.stderr[-3000:]
    assert git.out("rev-parse", "HEAD", cwd=work) == head
    assert_same_tree(work, expected_tree(api_alice, history_repo))

    r = curl("GET", f"{stoa.url}/{history_repo}/info/refs?{UPLOAD_PACK}")
    assert r.status == 200, r.describe()
    assert r.header("content-type") == "application/x-git-upload-pack-advertisement", r.describe()
    assert r.body.startswith(b"001e# service=git-upload-pack\n0000"), r.describe()
    assert f"{head} HEAD\0".encode() in r.body, r.describe()
    assert f"{head} refs/heads/main\n".encode() in r.body, r.describe()
    assert b"symref=HEAD:refs/heads/main" in r.body, r.describe()


def test_partial_clone_fetches_blobs_lazily(history_repo, api_alice, tmp_path, git, stoa):
    work = tmp_path / "partial"
    git.run("clone", "-q", "--filter=blob:none", "--no-checkout", remote(stoa, history_repo), work)
    assert git.out("config", "remote.origin.promisor", cwd=work) == "true"
    missing = [line for line in git.out("rev-list", "--objects", "--all", "--missing=print", cwd=work).splitlines()
               if line.startswith("?")]
    assert missing, "a blob:none clone must not have downloaded any blob"

    git.run("checkout", "-q", "main", cwd=work)
    assert_same_tree(work, expected_tree(api_alice, history_repo))
    # Older versions of config.json are still not here...
    old_oid = git.out("rev-parse", "HEAD~5:config.json", cwd=work)
    still_missing = git.out("rev-list", "--objects", "--all", "--missing=print", cwd=work)
    assert f"?{old_oid}" in still_missing.splitlines()
    # ...and come from the server on demand.
    assert git.out("show", "HEAD~5:config.json", cwd=work) == '{"version": 0}'
    assert f"?{old_oid}" not in git.out("rev-list", "--objects", "--all", "--missing=print", cwd=work).splitlines()


# ---------------------------------------------------------------------------------------------
# 8. git pushes racing huggingface_hub commits
# ---------------------------------------------------------------------------------------------
