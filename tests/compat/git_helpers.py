"""Shared pieces of the git tests (test_git_clone.py, test_git_push.py): remote URLs with Basic
credentials, commits, and tree checks. The `git` fixture (the real binary in a clean
environment) is in conftest.py."""

from __future__ import annotations

import base64
from pathlib import Path

from compat_helpers import (
    GitCli,
    Secret,
    tree_files,
    unique_name,
)


MB = 1024 * 1024
UPLOAD_PACK = "service=git-upload-pack"
RECEIVE_PACK = "service=git-receive-pack"


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def remote(stoa, path: str, token: str | None = None, user: str = "hf-user") -> str:
    """`http://[user:token@]127.0.0.1:PORT/<path>`; `path` is `alice/x`, `datasets/alice/x`, ..."""
    if token is None:
        return f"{stoa.url}/{path}"
    return Secret(f"{stoa.url}/{path}".replace("://", f"://{user}:{token}@", 1))


def basic(token: str, user: str = "git") -> dict[str, str]:
    """The Authorization header git sends (curl's own -u would show up in the command line)."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()}


def commit_all(git: GitCli, work: Path, message: str) -> str:
    git.run("add", "-A", cwd=work)
    git.run("commit", "-q", "-m", message, cwd=work)
    return git.out("rev-parse", "HEAD", cwd=work)


def expected_tree(api, repo_id: str, repo_type: str | None = None, revision: str | None = None) -> dict[str, bytes]:
    """Every file of the repo, with its bytes, as huggingface_hub downloads them."""
    files = {}
    for path in api.list_repo_files(repo_id, repo_type=repo_type, revision=revision):
        local = api.hf_hub_download(repo_id, path, repo_type=repo_type, revision=revision)
        files[path] = Path(local).read_bytes()
    return files


def assert_same_tree(work: Path, expected: dict[str, bytes]):
    got = tree_files(work)
    assert sorted(got) == sorted(expected), f"working tree files {sorted(got)} != repo files {sorted(expected)}"
    for path, data in expected.items():
        assert got[path] == data, f"{path}: {len(got[path])} bytes in the working tree, {len(data)} on the hub"


def ls_remote(git: GitCli, url: str) -> dict[str, str]:
    refs = {}
    for line in git.out("ls-remote", url).splitlines():
        oid, name = line.split("\t", 1)
        refs[name] = oid
    return refs


def lfs_pointer_oid(git: GitCli, work: Path, rev_path: str) -> str | None:
    """The sha256 of the LFS pointer stored in git at `rev:path`, None if it is not a pointer."""
    text = git.out("cat-file", "-p", rev_path, cwd=work)
    if not text.startswith("version https://git-lfs.github.com/spec/v1"):
        return None
    for line in text.splitlines():
        if line.startswith("oid sha256:"):
            return line.split(":", 1)[1]
    return None


SAMPLE_FILES = {
    "config.json": b'{"model_type": "bert", "hidden_size": 8}\n',
    "README.md": b"---\nlicense: mit\ntags:\n- git-compat\n---\n# hello from git\n",
    "nested/deeper/notes.txt": "accents \u00e9\u00e8 and a tab\there\n".encode(),
    "data/small.raw": bytes(range(256)) * 40,  # binary, not LFS-tracked, ~10 kB
}


def upload_sample(api, repo_id: str, tmp_path: Path, repo_type: str | None = None) -> str:
    src = tmp_path / f"src-{unique_name('s')}"
    for path, data in SAMPLE_FILES.items():
        (src / path).parent.mkdir(parents=True, exist_ok=True)
        (src / path).write_bytes(data)
    return api.upload_folder(folder_path=src, repo_id=repo_id, repo_type=repo_type, commit_message="sample").oid


# ---------------------------------------------------------------------------------------------
# 1. clones match what huggingface_hub uploaded
# ---------------------------------------------------------------------------------------------
