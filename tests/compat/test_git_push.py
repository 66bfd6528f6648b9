"""Git smart HTTP, pushing side (push rules, git-lfs both ways, races with API commits): the real `git` and `git-lfs` binaries against the server, checked
against what huggingface_hub sees (and the other way round).

git runs in a clean environment (`GitCli`: HOME in the test's tmp dir, no system config, no
prompts, git-lfs filters in the temp global config). Credentials are passed the way the Hub
documents them: HTTP Basic with any user name and the token as password, here in the URL.
Tokens never appear in assertion messages (`GitCli` masks them).

Unmarked tests run in the default (Xet) runs (a)/(c). `test_hf_upload_then_git_clone_and_pull`
has one variant per upload path: `xet` in (a)/(c), `classic-lfs` (marked `lfs`) in (b)/(d).
"""

from __future__ import annotations


import threading
import time
from pathlib import Path

import pytest

from compat_helpers import (
    curl,
    sha256_bytes,
    sha256_file,
    tree_files,
    unique_name,
    write_random_file,
)
from git_helpers import (
    MB,
    RECEIVE_PACK,
    SAMPLE_FILES,
    UPLOAD_PACK,
    basic,
    commit_all,
    lfs_pointer_oid,
    ls_remote,
    remote,
    upload_sample,
)


def test_push_regular_file_is_visible_to_huggingface_hub(api_alice, api_anon, new_repo, tmp_path, git, stoa, hf):
    repo_id = new_repo("gitpush")
    upload_sample(api_alice, repo_id, tmp_path)
    before = api_alice.model_info(repo_id)
    time.sleep(1.1)  # lastModified has second resolution

    work = tmp_path / "work"
    git.run("clone", "-q", remote(stoa, repo_id, stoa.tokens["alice"]), work)
    payload = b"pushed with git\n" + bytes(range(256))
    (work / "pushed" / "hello.raw").parent.mkdir()
    (work / "pushed" / "hello.raw").write_bytes(payload)
    (work / "config.json").write_bytes(b'{"model_type": "gpt2"}\n')
    (work / "nested" / "deeper" / "notes.txt").unlink()
    tag = unique_name("pushedtag")
    (work / "README.md").write_bytes(f"---\nlicense: mit\ntags:\n- {tag}\n---\n# pushed\n".encode())
    pushed = commit_all(git, work, "add, modify and delete with git")
    push = git.run("push", "origin", "main", cwd=work)
    assert "main -> main" in push.stderr, push.describe()

    info = api_alice.model_info(repo_id)
    assert info.sha == pushed
    assert info.last_modified > before.last_modified, (before.last_modified, info.last_modified)
    files = api_alice.list_repo_files(repo_id)
    assert "pushed/hello.raw" in files
    assert "nested/deeper/notes.txt" not in files
    assert Path(api_anon.hf_hub_download(repo_id, "pushed/hello.raw")).read_bytes() == payload
    assert Path(api_anon.hf_hub_download(repo_id, "config.json")).read_bytes() == b'{"model_type": "gpt2"}\n'
    assert Path(api_anon.hf_hub_download(repo_id, "pushed/hello.raw", revision=pushed)).read_bytes() == payload
    with pytest.raises(hf.errors.EntryNotFoundError):
        api_anon.hf_hub_download(repo_id, "nested/deeper/notes.txt")
    # The old commit is still reachable by sha.
    old = api_anon.hf_hub_download(repo_id, "config.json", revision=before.sha)
    assert Path(old).read_bytes() == SAMPLE_FILES["config.json"]
    assert git.out("ls-remote", remote(stoa, repo_id), "refs/heads/main").split()[0] == pushed
    # The model card's metadata follows the push (tags, search by tag).
    assert tag in (info.tags or []), info.tags
    assert "git-compat" not in (info.tags or []), info.tags
    assert info.card_data is not None and info.card_data.get("license") == "mit"
    assert [m.id for m in api_anon.list_models(filter=tag)] == [repo_id]


# ---------------------------------------------------------------------------------------------
# 4. git-lfs push -> huggingface_hub
# ---------------------------------------------------------------------------------------------


def test_git_lfs_push_is_visible_to_huggingface_hub(api_alice, api_anon, new_repo, tmp_path, git, stoa):
    repo_id = new_repo("gitlfs")
    work = tmp_path / "work"
    # With the .git suffix (git-lfs then talks to <url>/info/lfs; test 3 pushes without it).
    git.run("clone", "-q", remote(stoa, f"{repo_id}.git", stoa.tokens["alice"]), work)
    git.run("lfs", "install", "--local", cwd=work)  # the pre-push hook that uploads LFS objects
    git.run("lfs", "track", "*.bin", cwd=work)
    size = 50 * MB + 17
    digest = write_random_file(work / "weights" / "model.bin", size)
    (work / "config.json").write_bytes(b"{}")
    pushed = commit_all(git, work, "model weights through git-lfs")
    assert lfs_pointer_oid(git, work, "HEAD:weights/model.bin") == digest, "git-lfs did not clean the file"
    assert git.out("lfs", "ls-files", "--long", cwd=work).split()[0] == digest

    # git-lfs asks the locks API before pushing (`lfs.locksverify`): no locks, push goes on.
    git.run("config", "lfs.locksverify", "true", cwd=work)
    push = git.run("push", "origin", "main", cwd=work, timeout=600)
    assert "main -> main" in push.stderr, push.describe()
    assert git.out("lfs", "locks", cwd=work) == ""
    lock = git.run("lfs", "lock", "weights/model.bin", cwd=work, check=False)
    assert lock.returncode != 0 and "not supported" in lock.stderr, lock.describe()

    info = api_alice.model_info(repo_id, files_metadata=True)
    assert info.sha == pushed
    siblings = {s.rfilename: s for s in info.siblings}
    entry = siblings["weights/model.bin"]
    assert entry.lfs is not None, "a git-lfs pointer must be exposed as an LFS file"
    assert entry.lfs.sha256 == digest
    assert entry.lfs.size == size
    assert entry.size == size
    assert siblings["config.json"].lfs is None
    assert sha256_file(api_anon.hf_hub_download(repo_id, "weights/model.bin")) == digest
    head = curl("HEAD", f"{stoa.url}/{repo_id}/resolve/main/weights/model.bin")
    assert head.header("x-linked-size") == str(size), head.describe()
    assert (head.header("x-linked-etag") or "").strip('"') == digest, head.describe()

    # And a fresh git clone smudges it back.
    again = tmp_path / "again"
    git.run("clone", "-q", remote(stoa, repo_id, stoa.tokens["alice"]), again, timeout=600)
    assert sha256_file(again / "weights" / "model.bin") == digest


# ---------------------------------------------------------------------------------------------
# 5. huggingface_hub upload (Xet or classic LFS) -> git clone / pull with git-lfs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "upload_path", [pytest.param("xet", id="xet"), pytest.param("classic-lfs", id="classic-lfs", marks=pytest.mark.lfs)]
)
def test_hf_upload_then_git_clone_and_pull(upload_path, request, api_alice, new_repo, tmp_path, git, stoa):
    if upload_path == "xet":
        if stoa.xet_disabled:
            pytest.fail("the xet variant runs in the default run (tests/compat/run.sh: -m 'not lfs')", pytrace=False)
    else:
        request.getfixturevalue("lfs_mode")
    repo_id = new_repo("githf", private=True)  # git-lfs must authenticate its downloads too
    first = tmp_path / "first.bin"
    first_digest = write_random_file(first, 12 * MB)
    api_alice.upload_file(path_or_fileobj=str(first), path_in_repo="model.bin", repo_id=repo_id)
    entry = next(e for e in api_alice.list_repo_tree(repo_id) if e.path == "model.bin")
    assert entry.lfs is not None and entry.lfs.sha256 == first_digest
    if upload_path == "xet":
        assert entry.xet_hash, "the 12 MB file was expected to travel through Xet in the default run"
    else:
        assert not entry.xet_hash, "with HF_HUB_DISABLE_XET=1 the file must have gone through classic LFS"

    work = tmp_path / "work"
    git.run("clone", "-q", remote(stoa, repo_id, stoa.tokens["alice"]), work, timeout=300)
    assert lfs_pointer_oid(git, work, "HEAD:model.bin") == first_digest
    assert (work / "model.bin").stat().st_size == 12 * MB, "git-lfs did not smudge the file"
    assert sha256_file(work / "model.bin") == first_digest

    second = tmp_path / "second.bin"
    second_digest = write_random_file(second, 12 * MB + 1)
    api_alice.upload_file(path_or_fileobj=str(second), path_in_repo="model.bin", repo_id=repo_id,
                          commit_message="new weights")
    api_alice.upload_file(path_or_fileobj=b"v2\n", path_in_repo="VERSION", repo_id=repo_id)
    head = api_alice.model_info(repo_id).sha

    git.run("pull", "-q", "--ff-only", "origin", "main", cwd=work, timeout=300)
    assert git.out("rev-parse", "HEAD", cwd=work) == head
    assert sha256_file(work / "model.bin") == second_digest
    assert (work / "VERSION").read_bytes() == b"v2\n"
    assert git.out("status", "--porcelain", cwd=work) == ""


# ---------------------------------------------------------------------------------------------
# 6. a large file without LFS is refused
# ---------------------------------------------------------------------------------------------


def test_push_of_large_non_lfs_file_is_rejected(api_alice, new_repo, tmp_path, git, stoa, hf):
    """The limit for a plain git blob is 10,000,000 bytes (max_git_blob_bytes), as on the Hub. The repo
    is private: git-lfs authenticates with the credentials of the URL in the last step."""
    repo_id = new_repo("gitbig", private=True)
    upload_sample(api_alice, repo_id, tmp_path)
    work = tmp_path / "work"
    git.run("clone", "-q", remote(stoa, repo_id, stoa.tokens["alice"]), work)
    git.run("lfs", "install", "--local", cwd=work)

    # Just under the limit: accepted as a plain blob (a pack over 1 MB: git's chunked request).
    under_digest = write_random_file(work / "under.dat", 9_900_000)
    head = commit_all(git, work, "large file, but under the limit")
    git.run("push", "-q", "origin", "main", cwd=work, timeout=300)
    info = api_alice.model_info(repo_id, files_metadata=True)
    assert info.sha == head
    entry = {s.rfilename: s for s in info.siblings}["under.dat"]
    assert entry.lfs is None and entry.size == 9_900_000
    assert sha256_file(api_alice.hf_hub_download(repo_id, "under.dat")) == under_digest

    digest = write_random_file(work / "big.dat", 11 * MB)  # *.dat is not LFS-tracked
    commit_all(git, work, "large file without lfs")
    assert lfs_pointer_oid(git, work, "HEAD:big.dat") is None

    push = git.run("push", "origin", "main", cwd=work, check=False, timeout=300)
    assert push.returncode != 0, push.describe()
    assert "git-lfs.github.com" in push.stderr or "larger than" in push.stderr, push.describe()
    assert "remote rejected" in push.stderr, push.describe()
    assert api_alice.model_info(repo_id).sha == head
    assert "big.dat" not in api_alice.list_repo_files(repo_id)
    assert ls_remote(git, remote(stoa, repo_id, stoa.tokens["alice"]))["refs/heads/main"] == head

    # The usual fix: track it with LFS, amend, push again.
    git.run("rm", "-q", "--cached", "big.dat", cwd=work)
    git.run("lfs", "track", "*.dat", cwd=work)
    git.run("add", ".gitattributes", "big.dat", cwd=work)
    git.run("commit", "-q", "--amend", "--no-edit", cwd=work)
    assert lfs_pointer_oid(git, work, "HEAD:big.dat") == digest
    pushed = git.out("rev-parse", "HEAD", cwd=work)
    git.run("push", "origin", "main", cwd=work, timeout=300)
    info = api_alice.model_info(repo_id, files_metadata=True)
    assert info.sha == pushed
    entry = {s.rfilename: s for s in info.siblings}["big.dat"]
    assert entry.lfs is not None and entry.lfs.sha256 == digest
    assert sha256_file(api_alice.hf_hub_download(repo_id, "big.dat")) == digest


def test_push_of_lfs_pointer_without_uploaded_object_is_rejected(api_alice, api_bob, new_repo, repo_name, tmp_path,
                                                                 git, stoa):
    """A pointer is only accepted for an object uploaded to this very repo: neither a never-uploaded
    one nor one of another user's private repo (whose oid bob might know)."""
    secret_repo = new_repo("gitsecret", private=True)
    secret = tmp_path / "secret.bin"
    secret_digest = write_random_file(secret, 2 * MB + 3)
    api_alice.upload_file(path_or_fileobj=str(secret), path_in_repo="secret.bin", repo_id=secret_repo)

    bob_repo = f"bob/{repo_name('gitthief')}"
    api_bob.create_repo(bob_repo)
    head = api_bob.model_info(bob_repo).sha
    work = tmp_path / "work"
    git.run("clone", "-q", remote(stoa, bob_repo, stoa.tokens["bob"]), work)
    git.run("lfs", "install", "--local", cwd=work)
    # *.bin is LFS-tracked (git-lfs keeps a pointer as it is); *.txt is not, the text is committed as is.
    cases = {
        "never uploaded": (sha256_bytes(b"never uploaded anywhere"), 23, "stolen.bin"),
        "another user's private object": (secret_digest, 2 * MB + 3, "stolen.bin"),
        "a pointer in a file LFS does not track": (secret_digest, 2 * MB + 3, "stolen.txt"),
    }
    for label, (oid, size, path) in cases.items():
        git.run("reset", "-q", "--hard", head, cwd=work)
        pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n"
        (work / path).write_text(pointer)
        commit_all(git, work, label)
        assert lfs_pointer_oid(git, work, f"HEAD:{path}") == oid
        # GIT_LFS_SKIP_PUSH: git-lfs uploads nothing (it has no such object anyway).
        push = git.run("push", "origin", "main", cwd=work, check=False, env={"GIT_LFS_SKIP_PUSH": "1"})
        assert push.returncode != 0, f"{label}:\n{push.describe()}"
        assert "remote rejected" in push.stderr and oid in push.stderr, f"{label}:\n{push.describe()}"
        assert api_bob.model_info(bob_repo).sha == head
        assert path not in api_bob.list_repo_files(bob_repo)


def pkt(line: bytes) -> bytes:
    return b"%04x" % (len(line) + 4) + line


def test_corrupt_pack_is_reported_and_moves_nothing(api_alice, new_repo, stoa):
    repo_id = new_repo("gitcorrupt")
    head = api_alice.model_info(repo_id).sha
    new = "1" * 40
    request = pkt(f"{head} {new} refs/heads/main\0report-status agent=compat\n".encode()) + b"0000"
    request += b"PACK\0\0\0\x02\0\0\0\x01" + b"not a valid object" * 4
    r = curl("POST", f"{stoa.url}/{repo_id}.git/git-receive-pack", data=request, headers={
        **basic(stoa.tokens["alice"]), "Content-Type": "application/x-git-receive-pack-request"})
    assert r.status == 200, r.describe()
    assert r.header("content-type") == "application/x-git-receive-pack-result", r.describe()
    body = r.body.decode("latin-1")
    assert "unpack " in body and "unpack ok" not in body, r.describe()
    assert "ng refs/heads/main" in body, r.describe()
    assert api_alice.model_info(repo_id).sha == head


# ---------------------------------------------------------------------------------------------
def test_git_pushes_racing_api_commits_lose_nothing(api_alice, new_repo, tmp_path, git, stoa):
    """Round i: git commits locally and pushes at once while the API commits api/i.txt at the same
    moment; whichever loses (git: rejected, then `pull --rebase` and push again) must not lose data."""
    repo_id = new_repo("gitrace")
    url = remote(stoa, repo_id, stoa.tokens["alice"])
    work = tmp_path / "work"
    git.run("clone", "-q", url, work)
    base_count = int(git.out("rev-list", "--count", "HEAD", cwd=work))
    rounds, max_attempts = 10, 25
    committed = [threading.Event() for _ in range(rounds)]
    errors: list[str] = []
    pushed: list[str] = []
    api_commits: list[str] = []
    rejections: list[str] = []

    def git_side():
        try:
            for i in range(rounds):
                (work / "git").mkdir(exist_ok=True)
                (work / "git" / f"{i}.txt").write_text(f"git {i}\n")
                commit_all(git, work, f"git {i}")
                committed[i].set()  # the API side starts its commit now, racing this push
                for _ in range(max_attempts):
                    push = git.run("push", "origin", "HEAD:main", cwd=work, check=False, timeout=120)
                    if push.returncode == 0:
                        pushed.append(git.out("rev-parse", "HEAD", cwd=work))
                        break
                    if "rejected" not in push.stderr:  # only a lost race may be retried
                        raise AssertionError(f"push {i} failed for another reason:\n{push.describe()}")
                    rejections.append(push.stderr)
                    git.run("pull", "-q", "--rebase", "origin", "main", cwd=work, timeout=120)
                else:
                    raise AssertionError(f"push {i} still rejected after {max_attempts} attempts")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(f"git side: {error}")
        finally:
            for event in committed:
                event.set()

    def api_side():
        try:
            for i in range(rounds):
                committed[i].wait(timeout=300)
                info = api_alice.upload_file(path_or_fileobj=f"api {i}\n".encode(), path_in_repo=f"api/{i}.txt",
                                             repo_id=repo_id, commit_message=f"api {i}")
                api_commits.append(info.oid)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(f"api side: {error!r}")

    threads = [threading.Thread(target=git_side), threading.Thread(target=api_side)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in threads), "the race did not finish within 10 minutes"
    assert not errors, "\n".join(errors)
    assert len(pushed) == rounds and len(api_commits) == rounds
    server_side = sum("remote rejected" in stderr for stderr in rejections)
    # Shown with -s: "fetch first" is git's own check; "remote rejected" the server's compare-and-swap.
    print(f"race: {len(rejections)} pushes retried, {server_side} of them refused by the server")

    head = api_alice.model_info(repo_id).sha
    expected = {f"git/{i}.txt": f"git {i}\n".encode() for i in range(rounds)}
    expected |= {f"api/{i}.txt": f"api {i}\n".encode() for i in range(rounds)}
    files = set(api_alice.list_repo_files(repo_id))
    assert set(expected) <= files, f"lost updates: {sorted(set(expected) - files)}"

    final = tmp_path / "final"
    git.run("clone", "-q", url, final)
    assert git.out("rev-parse", "HEAD", cwd=final) == head
    got = tree_files(final)
    for path, data in expected.items():
        assert got.get(path) == data, path
    # Linear: no merge commit, one commit per update on top of the initial ones.
    for line in git.out("rev-list", "--parents", "HEAD", cwd=final).splitlines():
        assert len(line.split()) <= 2, f"merge commit in the history: {line}"
    assert int(git.out("rev-list", "--count", "HEAD", cwd=final)) == base_count + 2 * rounds
    subjects = git.out("log", "--format=%s", cwd=final).splitlines()
    for i in range(rounds):
        assert f"git {i}" in subjects and f"api {i}" in subjects, subjects
    sides = "".join(subject[0] for subject in reversed(subjects) if subject.split(" ")[0] in ("git", "api"))
    assert "ag" in sides and "ga" in sides, f"the two writers did not interleave at all: {sides}"
    for oid in pushed + api_commits:
        check = git.run("merge-base", "--is-ancestor", oid, "HEAD", cwd=final, check=False)
        assert check.returncode == 0, f"commit {oid} is not in the history of main"


# ---------------------------------------------------------------------------------------------
# 9. branches and tags
# ---------------------------------------------------------------------------------------------


def test_branches_and_tags(api_alice, api_anon, new_repo, tmp_path, git, stoa, hf):
    repo_id = new_repo("gitrefs")
    upload_sample(api_alice, repo_id, tmp_path)
    head = api_alice.model_info(repo_id).sha
    url = remote(stoa, repo_id, stoa.tokens["alice"])
    work = tmp_path / "work"
    git.run("clone", "-q", url, work)

    # The default branch cannot be deleted.
    for spec in ([":main"], [":refs/heads/main"], ["--delete", "main"]):
        refused = git.run("push", "origin", *spec, cwd=work, check=False)
        assert refused.returncode != 0, refused.describe()
        assert "remote rejected" in refused.stderr, refused.describe()
    assert ls_remote(git, url)["refs/heads/main"] == head
    assert api_alice.model_info(repo_id).sha == head

    # A new branch.
    git.run("checkout", "-q", "-b", "feature", cwd=work)
    (work / "feature.txt").write_bytes(b"on a branch\n")
    feature = commit_all(git, work, "feature work")
    git.run("push", "-q", "origin", "feature", cwd=work)
    refs = ls_remote(git, url)
    assert refs["refs/heads/feature"] == feature
    assert refs["refs/heads/main"] == head
    assert api_alice.model_info(repo_id, revision="feature").sha == feature
    assert Path(api_anon.hf_hub_download(repo_id, "feature.txt", revision="feature")).read_bytes() == b"on a branch\n"
    assert "feature.txt" not in api_alice.list_repo_files(repo_id)

    # Tags: lightweight and annotated.
    git.run("tag", "v1.0", feature, cwd=work)
    git.run("tag", "-a", "v2.0", "-m", "release 2.0", head, cwd=work)
    annotated = git.out("rev-parse", "v2.0", cwd=work)
    git.run("push", "-q", "origin", "v1.0", "v2.0", cwd=work)
    refs = ls_remote(git, url)
    assert refs["refs/tags/v1.0"] == feature
    assert refs["refs/tags/v2.0"] == annotated
    assert Path(api_anon.hf_hub_download(repo_id, "feature.txt", revision="v1.0")).read_bytes() == b"on a branch\n"
    fresh = tmp_path / "tagged"
    git.run("clone", "-q", "--branch", "v2.0", url, fresh)
    assert git.out("rev-parse", "HEAD", cwd=fresh) == head

    # A branch at a commit the server already has (the push brings no object), and one with a
    # slash in its name.
    git.run("push", "-q", "origin", f"{head}:refs/heads/copy", f"{feature}:refs/heads/dev/slash", cwd=work)
    refs = ls_remote(git, url)
    assert refs["refs/heads/copy"] == head and refs["refs/heads/dev/slash"] == feature, refs
    assert api_alice.model_info(repo_id, revision="copy").sha == head
    assert api_alice.model_info(repo_id, revision="dev/slash").sha == feature

    # --atomic: one refused ref (only branches, tags and refs/pr/N) and nothing moves.
    atomic = git.run("push", "--atomic", "origin", "feature:refs/heads/atomic", "feature:refs/notes/x", cwd=work,
                     check=False)
    assert atomic.returncode != 0, atomic.describe()
    assert "remote rejected" in atomic.stderr, atomic.describe()
    assert "refs/heads/atomic" not in ls_remote(git, url)
    # Without it, the good ref moves and only the bad one is refused.
    mixed = git.run("push", "origin", "feature:refs/heads/mixed", "feature:refs/notes/y", cwd=work, check=False)
    assert mixed.returncode != 0 and "refs/notes/y" in mixed.stderr, mixed.describe()
    refs = ls_remote(git, url)
    assert refs["refs/heads/mixed"] == feature and "refs/notes/y" not in refs, refs

    # A force push (allowed, as on the Hub) rewrites the branch, and the API follows.
    git.run("checkout", "-q", "-B", "copy", head, cwd=work)
    (work / "rewritten.txt").write_bytes(b"rewritten\n")
    rewritten = commit_all(git, work, "rewrite copy")
    git.run("push", "-q", "origin", "copy", cwd=work)
    git.run("reset", "-q", "--hard", head, cwd=work)
    (work / "other.txt").write_bytes(b"other\n")
    forced = commit_all(git, work, "force over it")
    refused = git.run("push", "origin", "copy", cwd=work, check=False)
    assert refused.returncode != 0 and "non-fast-forward" in refused.stderr, refused.describe()
    git.run("push", "-q", "--force", "origin", "copy", cwd=work)
    assert ls_remote(git, url)["refs/heads/copy"] == forced != rewritten
    copy_files = api_alice.list_repo_files(repo_id, revision="copy")
    assert "other.txt" in copy_files and "rewritten.txt" not in copy_files, copy_files

    # Deleting the branch and a tag.
    git.run("push", "-q", "origin", "--delete", "feature", cwd=work)
    git.run("push", "-q", "origin", ":refs/tags/v1.0", cwd=work)
    refs = ls_remote(git, url)
    assert "refs/heads/feature" not in refs and "refs/tags/v1.0" not in refs, refs
    assert refs["refs/heads/copy"] == forced
    assert refs["refs/heads/main"] == head and refs["refs/tags/v2.0"] == annotated
    with pytest.raises(hf.errors.RevisionNotFoundError):
        api_alice.model_info(repo_id, revision="feature")
    assert api_alice.model_info(repo_id).sha == head


# ---------------------------------------------------------------------------------------------
# 10. who may push
# ---------------------------------------------------------------------------------------------


def test_push_needs_a_write_token_of_a_member(api_alice, new_repo, tmp_path, git, stoa):
    repo_id = new_repo("gitauth")
    upload_sample(api_alice, repo_id, tmp_path)
    head = api_alice.model_info(repo_id).sha
    work = tmp_path / "work"
    git.run("clone", "-q", remote(stoa, repo_id), work)  # anonymous clone of a public repo
    (work / "intruder.txt").write_bytes(b"should not land\n")
    commit_all(git, work, "unauthorised")

    # Anonymous: 401, git asks for credentials.
    anon = git.run("push", "origin", "main", cwd=work, check=False)
    assert anon.returncode != 0, anon.describe()
    assert "could not read Username" in anon.stderr, anon.describe()
    r = curl("GET", f"{stoa.url}/{repo_id}/info/refs?{RECEIVE_PACK}")
    assert r.status == 401, r.describe()
    assert (r.header("www-authenticate") or "").lower().startswith("basic"), r.describe()
    r = curl("POST", f"{stoa.url}/{repo_id}/git-receive-pack", data=b"0000",
             headers={"Content-Type": "application/x-git-receive-pack-request"})
    assert r.status == 401, r.describe()
    assert r.header("www-authenticate"), r.describe()

    # alice's read-only token, and bob (a write token, but not a member): 403.
    for who in ("alice_read", "bob"):
        token = stoa.tokens[who]
        result = git.run("push", remote(stoa, repo_id, token), "main", cwd=work, check=False)
        assert result.returncode != 0, result.describe()
        assert "403" in result.stderr, f"{who}:\n{result.describe()}"
        r = curl("GET", f"{stoa.url}/{repo_id}/info/refs?{RECEIVE_PACK}", headers=basic(token))
        assert r.status == 403, f"{who}:\n{r.describe()}"
        assert r.header("www-authenticate") is None, r.describe()
        # ...while fetching stays allowed.
        r = curl("GET", f"{stoa.url}/{repo_id}/info/refs?{UPLOAD_PACK}", headers=basic(token))
        assert r.status == 200, f"{who}:\n{r.describe()}"

    assert api_alice.model_info(repo_id).sha == head
    assert "intruder.txt" not in api_alice.list_repo_files(repo_id)
    assert ls_remote(git, remote(stoa, repo_id))["refs/heads/main"] == head
