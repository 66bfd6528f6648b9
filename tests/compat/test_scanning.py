"""Security scanning (security.md §1.6–1.9, §2.2, §4; issue 8): every commit (HTTP commit, git
push, Xet / LFS upload) is scanned asynchronously through a durable job queue.

What huggingface_hub 2.4.0 sees:
* `model_info(id, securityStatus=True).security_repo_status` =
  `{"scansDone": bool, "filesWithIssues": [{"path", "level"}]}` (datasets: the raw
  `GET /api/datasets/{id}?securityStatus=true`);
* `list_repo_tree(expand=True)` / `get_paths_info(expand=True)` → `RepoFile.security`
  (`BlobSecurityInfo` from the wire's `securityFileStatus`);
* `model_info(id).safetensors` (`SafeTensorsInfo`) and `.gguf` once the scan is done.

Stoa's own report: `GET /api/models/{id}/scan/{revision}` (with secrets, for writers only).
Org policies (`stoa admin org scan-policy`): warn (default), quarantine (403 `FileQuarantined` until
`stoa admin scan release`), reject (400 `CommitRejected`, git push refused, nothing moves).

The corpus (malicious and benign samples) is generated at run time by scan_corpus.py and uploaded
in one commit per group.
"""

from __future__ import annotations

import base64
import os
import pickle
import random
import signal
import socket
import string
import subprocess
import tempfile
import time
import shutil
import uuid
from pathlib import Path

import pytest

from compat_helpers import curl, unique_name
from git_helpers import commit_all, ls_remote, remote
from scan_corpus import (
    EvilSystem,
    LEVEL_OF_STATUS,
    OS_SYSTEM_P0,
    GARBAGE_PICKLE,
    benign_samples,
    http_error_in_chain,
    issues_by_path,
    malicious_samples,
    scan_report,
    self_check,
    sharded_safetensors,
    tiny_gguf,
    tiny_safetensors,
    tree_security,
    wait_for_scan,
    write_samples,
)

SECURITY_STATUSES = {"safe", "suspicious", "unsafe", "unscannable", "queued"}
SAFETY_LEVELS = {"innocuous", "suspicious", "dangerous"}
BENIGN_PICKLE = pickle.dumps({"a": [1, 2], "b": "text"}, protocol=4)
EVIL_P2 = pickle.dumps(EvilSystem(), protocol=2)  # posix.system


# -------------------------------------------------------------------------------------------------
# helpers
# -------------------------------------------------------------------------------------------------


def upload_samples(api, repo_id: str, samples, tmp_path: Path, repo_type: str | None = None) -> str:
    folder = write_samples(samples, tmp_path / f"corpus-{uuid.uuid4().hex[:8]}")
    commit = api.upload_folder(folder_path=folder, repo_id=repo_id, repo_type=repo_type, commit_message="corpus")
    return commit.oid


def new_org(stoa, *members: str) -> str:
    name = unique_name("scanorg")
    args = ["org", "create", name]
    for member in members:
        args += ["--member", member]
    stoa.admin(*args)
    return name


def org_repo(stoa, api_alice, policy: dict[str, str] | None) -> str:
    """A public model repo in a fresh organisation administered by alice, with `policy` set through
    `stoa admin org scan-policy` (None: the default)."""
    org = new_org(stoa, "alice:admin")
    if policy:
        args = ["org", "scan-policy", org]
        for key, value in policy.items():
            args += [f"--{key}", value]
        stoa.admin(*args)
    repo_id = f"{org}/{unique_name('scanned')}"
    api_alice.create_repo(repo_id)
    return repo_id


def download_bytes(api, repo_id: str, filename: str, tmp_path: Path, **kwargs) -> bytes:
    """hf_hub_download into a cache dir of its own (no fallback to an earlier download)."""
    cache = tmp_path / f"cache-{uuid.uuid4().hex[:8]}"
    return Path(api.hf_hub_download(repo_id, filename, cache_dir=cache, **kwargs)).read_bytes()


def assert_quarantined_download(hf, api, repo_id: str, filename: str, tmp_path: Path):
    __tracebackhide__ = True
    with pytest.raises((hf.errors.HfHubHTTPError, hf.errors.LocalEntryNotFoundError)) as excinfo:
        download_bytes(api, repo_id, filename, tmp_path)
    http = http_error_in_chain(excinfo.value)
    assert http is not None, f"no HTTP answer behind {excinfo.value!r}"
    assert http.response.status_code == 403, f"{http.response.status_code}: {http}"
    assert http.response.headers.get("x-error-code") == "FileQuarantined", dict(http.response.headers)


def assert_quarantined_http(stoa, repo_id: str, filename: str, token: str | None):
    __tracebackhide__ = True
    for method in ("GET", "HEAD"):
        r = curl(method, f"{stoa.url}/{repo_id}/resolve/main/{filename}", token=token)
        assert r.status == 403, r.describe()
        assert r.header("x-error-code") == "FileQuarantined", r.describe()


def check_corpus(api, stoa, repo_id: str, sha: str, samples, status: dict) -> list[str]:
    """Every sample's status in the tree, in filesWithIssues and in the scan report; problems found."""
    problems = []
    security = tree_security(api, repo_id)
    issues = issues_by_path(status)
    report = scan_report(stoa.url, repo_id, sha, token=stoa.tokens["alice"])
    if report.status != 200:
        problems.append(f"scan report: {report.describe()}")
        report_files = {}
    else:
        body = report.json()
        if body.get("commit") != sha or body.get("scansDone") is not True:
            problems.append(f"scan report commit/scansDone: {body.get('commit')!r} {body.get('scansDone')!r}")
        report_files = {f["path"]: f for f in body.get("files", [])}
    for sample in samples:
        sec = security.get(sample.path)
        label = f"{sample.path} ({sample.note})" if sample.note else sample.path
        if sec is None:
            problems.append(f"{label}: no securityFileStatus in list_repo_tree(expand=True)")
            continue
        if sec.status not in sample.accept:
            problems.append(f"{label}: status {sec.status!r}, expected one of {sample.accept}; "
                            f"pickleImportScan={sec.pickle_import_scan!r}")
        if sec.safe != (sec.status == "safe"):
            problems.append(f"{label}: safe={sec.safe} with status {sec.status!r}")
        scan = sec.pickle_import_scan
        if scan is not None:
            if scan.get("highestSafetyLevel") not in SAFETY_LEVELS or not isinstance(scan.get("imports"), list):
                problems.append(f"{label}: pickleImportScan shape {scan!r}")
            elif sec.status == "unsafe" and scan["highestSafetyLevel"] != "dangerous":
                problems.append(f"{label}: unsafe but highestSafetyLevel {scan['highestSafetyLevel']!r}")
        if sample.dangerous_import:
            modules, name = sample.dangerous_import
            imports = (scan or {}).get("imports") or []
            if not any(i.get("module") in modules and i.get("name") == name and i.get("safety") == "dangerous"
                       for i in imports):
                problems.append(f"{label}: dangerous import {modules[0]}.{name} not listed: {imports!r}")
        expected_level = LEVEL_OF_STATUS.get(sec.status)
        listed = issues.get(sample.path)
        if expected_level in ("dangerous", "unscannable") and listed != expected_level:
            problems.append(f"{label}: filesWithIssues has {listed!r}, expected {expected_level!r}")
        if sec.status == "safe" and listed is not None:
            problems.append(f"{label}: safe but in filesWithIssues as {listed!r}")
        entry = report_files.get(sample.path)
        if report.status == 200:
            if entry is None:
                problems.append(f"{label}: missing from the scan report")
            else:
                missing = {"path", "status", "format", "pickleImportScan", "unscannableReason"} - set(entry)
                if missing:
                    problems.append(f"{label}: scan report entry lacks {sorted(missing)}: {entry!r}")
                if entry.get("status") != sec.status:
                    problems.append(f"{label}: report status {entry.get('status')!r} != tree status {sec.status!r}")
                if entry.get("status") == "unscannable" and not entry.get("unscannableReason"):
                    problems.append(f"{label}: unscannable without unscannableReason: {entry!r}")
    return problems


# -------------------------------------------------------------------------------------------------
# The corpus
# -------------------------------------------------------------------------------------------------


def test_corpus_generator_is_well_formed():
    """The generated samples are what they claim (opcodes walked with pickletools, never loaded)."""
    self_check()
    paths = [s.path for s in malicious_samples()] + [s.path for s in benign_samples()]
    assert len(paths) == len(set(paths))


def test_malicious_corpus_is_flagged_unsafe(api_alice, new_repo, stoa, tmp_path):
    repo_id = new_repo("evilcorpus")
    samples = malicious_samples()
    sha = upload_samples(api_alice, repo_id, samples, tmp_path)
    status = wait_for_scan(api_alice, repo_id, timeout=90)
    problems = check_corpus(api_alice, stoa, repo_id, sha, samples, status)
    assert not problems, f"{len(problems)} problem(s) over {len(samples)} malicious samples:\n" + "\n".join(problems)

    # get_paths_info(expand=True) carries the same per-file status.
    some = ["raw/os_system_p0.pkl", "torch/evil_bad_crc.ckpt", "joblib/evil_lz4.joblib"]
    infos = {f.path: f for f in api_alice.get_paths_info(repo_id, some, expand=True)}
    assert sorted(infos) == sorted(some)
    for path in some:
        assert infos[path].security is not None, path
        assert infos[path].security.status == "unsafe", (path, infos[path].security)
        assert infos[path].security.safe is False


def test_benign_corpus_is_never_unsafe(api_alice, new_repo, stoa, tmp_path):
    repo_id = new_repo("benigncorpus")
    samples = benign_samples()
    sha = upload_samples(api_alice, repo_id, samples, tmp_path)
    status = wait_for_scan(api_alice, repo_id)
    problems = check_corpus(api_alice, stoa, repo_id, sha, samples, status)
    assert not problems, f"{len(problems)} problem(s) over {len(samples)} benign samples:\n" + "\n".join(problems)
    assert all(level != "dangerous" for level in issues_by_path(status).values()), status
    # Every file's securityFileStatus (when sent) has a known status.
    security = tree_security(api_alice, repo_id)
    for path, sec in security.items():
        assert sec is None or sec.status in SECURITY_STATUSES, (path, sec)


# -------------------------------------------------------------------------------------------------
# Scanning on every path, per commit, for datasets
# -------------------------------------------------------------------------------------------------


def test_git_push_of_pickles_is_scanned(api_alice, new_repo, stoa, git, tmp_path):
    repo_id = new_repo("pushscan")
    api_alice.upload_file(path_or_fileobj=b"# pushed pickles\n", path_in_repo="notes.txt", repo_id=repo_id)
    work = tmp_path / "work"
    git.run("clone", "-q", remote(stoa, repo_id, stoa.tokens["alice"]), work)
    git.run("lfs", "install", "--local", cwd=work)  # the pre-push hook that uploads LFS objects
    (work / "evil.pkl").write_bytes(OS_SYSTEM_P0)  # *.pkl is LFS-tracked by the default .gitattributes
    (work / "weights").mkdir()
    (work / "weights" / "legacy.dat").write_bytes(EVIL_P2)  # not LFS-tracked: a plain git blob
    (work / "ok.pkl").write_bytes(BENIGN_PICKLE)
    pushed = commit_all(git, work, "pickles through git")
    git.run("push", "origin", "main", cwd=work)
    assert api_alice.model_info(repo_id).sha == pushed

    status = wait_for_scan(api_alice, repo_id)
    issues = issues_by_path(status)
    assert issues.get("evil.pkl") == "dangerous", status
    assert issues.get("weights/legacy.dat") == "dangerous", status
    assert "ok.pkl" not in issues, status
    security = tree_security(api_alice, repo_id)
    assert security["evil.pkl"].status == "unsafe"
    assert security["ok.pkl"].status == "safe"
    report = scan_report(stoa.url, repo_id, pushed, token=stoa.tokens["alice"])
    assert report.status == 200, report.describe()
    assert report.json()["commit"] == pushed


def test_scan_results_are_per_commit(api_alice, api_bob, api_anon, new_repo, stoa, hf):
    repo_id = new_repo("percommit", private=True)
    first = api_alice.upload_file(path_or_fileobj=OS_SYSTEM_P0, path_in_repo="evil.pkl", repo_id=repo_id).oid
    status = wait_for_scan(api_alice, repo_id)
    assert issues_by_path(status) == {"evil.pkl": "dangerous"}, status

    second = api_alice.delete_file("evil.pkl", repo_id=repo_id).oid
    status = wait_for_scan(api_alice, repo_id)
    assert status["filesWithIssues"] == [], status

    old = scan_report(stoa.url, repo_id, first, token=stoa.tokens["alice"])
    assert old.status == 200, old.describe()
    assert old.json()["commit"] == first
    old_files = {f["path"]: f for f in old.json()["files"]}
    assert old_files["evil.pkl"]["status"] == "unsafe", old_files
    new = scan_report(stoa.url, repo_id, second, token=stoa.tokens["alice"])
    assert new.status == 200, new.describe()
    assert "evil.pkl" not in {f["path"] for f in new.json()["files"]}
    by_branch = scan_report(stoa.url, repo_id, "main", token=stoa.tokens["alice"])
    assert by_branch.status == 200 and by_branch.json()["commit"] == second, by_branch.describe()
    assert tree_security(api_alice, repo_id, revision=first)["evil.pkl"].status == "unsafe"

    # A private repo's report is hidden like the repo itself.
    for token in (stoa.tokens["bob"], None):
        hidden = scan_report(stoa.url, repo_id, first, token=token)
        assert hidden.status in (401, 404), hidden.describe()
        assert hidden.header("x-error-code") == "RepoNotFound", hidden.describe()
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_bob.model_info(repo_id, securityStatus=True)


def test_dataset_repo_is_scanned(api_alice, stoa):
    repo_id = f"alice/{unique_name('scands')}"
    api_alice.create_repo(repo_id, repo_type="dataset")
    api_alice.upload_file(path_or_fileobj=OS_SYSTEM_P0, path_in_repo="data/evil.pkl", repo_id=repo_id,
                          repo_type="dataset")
    api_alice.upload_file(path_or_fileobj=b"a,b\n1,2\n", path_in_repo="data/train.csv", repo_id=repo_id,
                          repo_type="dataset")
    status = wait_for_scan(api_alice, repo_id, repo_type="dataset")
    assert issues_by_path(status) == {"data/evil.pkl": "dangerous"}, status
    security = tree_security(api_alice, repo_id, repo_type="dataset")
    assert security["data/evil.pkl"].status == "unsafe"
    assert security["data/train.csv"].status == "safe"


# -------------------------------------------------------------------------------------------------
# Secrets in the scan report
# -------------------------------------------------------------------------------------------------


def _random_secret(rng: random.Random, prefix: str, n: int, alphabet: str) -> str:
    while True:
        body = "".join(rng.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in body) and any(c.isalpha() for c in body):
            return prefix + body


def test_secrets_are_reported_to_writers_only(api_alice, new_repo, stoa):
    rng = random.Random(uuid.uuid4().int)
    alnum = string.ascii_letters + string.digits
    hf_token = _random_secret(rng, "hf_", 34, alnum)
    aws_key = _random_secret(rng, "AKIA", 16, string.ascii_uppercase + string.digits)
    github = _random_secret(rng, "ghp_", 36, alnum)
    pem_body = base64.b64encode(rng.randbytes(96)).decode()
    pem = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(
        pem_body[i:i + 64] for i in range(0, len(pem_body), 64)) + "\n-----END RSA PRIVATE KEY-----"
    placeholder = "hf_" + "x" * 34
    notes = "\n".join([
        "# deployment notes",              # 1
        f"HF_TOKEN={hf_token}",            # 2
        f"aws_access_key_id = {aws_key}",  # 3
        f"github: {github}",               # 4
        f"example: HF_TOKEN={placeholder}",  # 5: a placeholder, not reported
        pem,                               # 6..
        "end",
    ]) + "\n"
    config = f'{{\n  "model_type": "bert",\n  "api_token": "{hf_token}"\n}}\n'  # line 3
    repo_id = new_repo("secrets")
    from huggingface_hub import CommitOperationAdd

    sha = api_alice.create_commit(repo_id, [
        CommitOperationAdd("notes.txt", notes.encode()),
        CommitOperationAdd("config.json", config.encode()),
        CommitOperationAdd("clean.txt", b"nothing to see here\n"),
    ], commit_message="oops").oid
    wait_for_scan(api_alice, repo_id)
    all_secrets = [hf_token, aws_key, github, *(pem_body[i:i + 64] for i in range(0, len(pem_body), 64))]

    r = scan_report(stoa.url, repo_id, sha, token=stoa.tokens["alice"])
    assert r.status == 200, r.describe()
    files = {f["path"]: f for f in r.json()["files"]}
    found = files["notes.txt"].get("secrets")
    assert isinstance(found, list), files["notes.txt"]
    lines = {s["line"]: s for s in found}
    assert sorted(lines) == [2, 3, 4, 6], found
    assert len({s["kind"] for s in found}) == 4, f"four kinds of secret expected: {found}"
    for s in found:
        assert isinstance(s["kind"], str) and s["kind"], s
        assert isinstance(s["redacted"], str) and s["redacted"], s
    for secret in all_secrets:
        assert secret not in r.body.decode(), "the report shows a full secret"
    assert [s["line"] for s in files["config.json"].get("secrets") or []] == [3], files["config.json"]
    assert files["clean.txt"].get("secrets") in ([], None), files["clean.txt"]

    # Readers (another user, anonymous, alice's own read-only token) never see them.
    for token in (stoa.tokens["bob"], None, stoa.tokens["alice_read"]):
        r = scan_report(stoa.url, repo_id, sha, token=token)
        assert r.status == 200, r.describe()
        for f in r.json()["files"]:
            assert "secrets" not in f, f
        for secret in all_secrets:
            assert secret not in r.body.decode()


# -------------------------------------------------------------------------------------------------
# safetensors and GGUF metadata
# -------------------------------------------------------------------------------------------------


def test_safetensors_parameter_counts(api_alice, new_repo):
    from huggingface_hub import CommitOperationAdd

    single = new_repo("stsingle")
    data, counts = tiny_safetensors()
    api_alice.upload_file(path_or_fileobj=data, path_in_repo="model.safetensors", repo_id=single)
    sharded = new_repo("stsharded")
    files, sharded_counts = sharded_safetensors()
    api_alice.create_commit(sharded, [CommitOperationAdd(p, d) for p, d in files.items()], commit_message="shards")

    for repo_id, expected in ((single, counts), (sharded, sharded_counts)):
        wait_for_scan(api_alice, repo_id)
        info = api_alice.model_info(repo_id)
        assert info.safetensors is not None, f"{repo_id}: no safetensors in model_info"
        assert dict(info.safetensors.parameters) == expected, info.safetensors
        assert info.safetensors.total == sum(expected.values()), info.safetensors
        expanded = api_alice.model_info(repo_id, expand=["safetensors"])
        assert expanded.safetensors is not None and expanded.safetensors.total == sum(expected.values())


def test_gguf_metadata(api_alice, new_repo):
    repo_id = new_repo("gguf")
    data, params = tiny_gguf()
    api_alice.upload_file(path_or_fileobj=data, path_in_repo="tiny-Q4_K_M.gguf", repo_id=repo_id)
    wait_for_scan(api_alice, repo_id)
    for info in (api_alice.model_info(repo_id), api_alice.model_info(repo_id, expand=["gguf"])):
        assert isinstance(info.gguf, dict), f"no gguf in model_info: {info.gguf!r}"
        assert info.gguf.get("total") == params, info.gguf
        assert info.gguf.get("architecture") == "llama", info.gguf
        assert info.gguf.get("context_length") == 4096, info.gguf
    assert api_alice.model_info(new_repo("nogguf")).gguf is None


# -------------------------------------------------------------------------------------------------
# Org policies: warn, quarantine, reject
# -------------------------------------------------------------------------------------------------


def test_policy_warn_is_the_default(api_alice, api_anon, stoa, tmp_path):
    repo_id = org_repo(stoa, api_alice, None)
    api_alice.upload_file(path_or_fileobj=OS_SYSTEM_P0, path_in_repo="evil.pkl", repo_id=repo_id)
    status = wait_for_scan(api_alice, repo_id)
    assert issues_by_path(status) == {"evil.pkl": "dangerous"}, status
    assert download_bytes(api_anon, repo_id, "evil.pkl", tmp_path) == OS_SYSTEM_P0
    r = curl("GET", f"{stoa.url}/{repo_id}/resolve/main/evil.pkl")
    assert r.status in (200, 302, 307), r.describe()


def _xet_reconstruction(stoa, repo_id: str, xet_hash: str):
    """What a Xet client gets from the CAS for a file (bypassing resolve): a read token, then the plan."""
    r = curl("GET", f"{stoa.url}/api/models/{repo_id}/xet-read-token/main", token=stoa.tokens["alice"])
    assert r.status == 200, r.describe()
    grant = r.json()
    plan = curl("GET", f"{grant['casUrl']}/v1/reconstructions/{xet_hash}", token=grant["accessToken"])
    if plan.status == 403:
        assert plan.header("x-error-code") == "FileQuarantined", plan.describe()
    return plan


def test_policy_quarantine_until_released(api_alice, api_bob, api_anon, stoa, hf, tmp_path):
    repo_id = org_repo(stoa, api_alice, {"dangerous": "quarantine", "unscannable": "warn"})
    from huggingface_hub import CommitOperationAdd

    sha = api_alice.create_commit(repo_id, [
        CommitOperationAdd("evil.pkl", OS_SYSTEM_P0),
        CommitOperationAdd("garbage.pkl", GARBAGE_PICKLE),
        CommitOperationAdd("ok.pkl", BENIGN_PICKLE),
    ], commit_message="one bad file").oid
    assert api_alice.model_info(repo_id).sha == sha, "the commit lands under quarantine"
    status = wait_for_scan(api_alice, repo_id)
    assert issues_by_path(status) == {"evil.pkl": "dangerous", "garbage.pkl": "unscannable"}, status

    for api in (api_anon, api_bob, api_alice):
        assert_quarantined_download(hf, api, repo_id, "evil.pkl", tmp_path)
        assert download_bytes(api, repo_id, "ok.pkl", tmp_path) == BENIGN_PICKLE
        assert download_bytes(api, repo_id, "garbage.pkl", tmp_path) == GARBAGE_PICKLE  # unscannable: warn
    for token in (None, stoa.tokens["bob"], stoa.tokens["alice"]):
        assert_quarantined_http(stoa, repo_id, "evil.pkl", token)
    assert "evil.pkl" in api_anon.list_repo_files(repo_id), "a quarantined file is still listed"
    xet_hash = api_alice.get_paths_info(repo_id, ["evil.pkl"])[0].xet_hash
    if not stoa.xet_disabled:
        assert xet_hash, "uploaded through Xet, so a Xet client could ask the CAS for it directly"
        assert _xet_reconstruction(stoa, repo_id, xet_hash).status == 403

    released = stoa.admin("scan", "release", f"model/{repo_id}", "evil.pkl")
    assert released.returncode == 0
    if not stoa.xet_disabled:
        assert _xet_reconstruction(stoa, repo_id, xet_hash).status == 200
    assert download_bytes(api_anon, repo_id, "evil.pkl", tmp_path) == OS_SYSTEM_P0
    r = curl("GET", f"{stoa.url}/{repo_id}/resolve/main/evil.pkl", token=stoa.tokens["bob"])
    assert r.status in (200, 302, 307), r.describe()
    missing = stoa.admin("scan", "release", f"model/{repo_id}", "no-such-file.pkl", check=False)
    assert missing.returncode != 0, "releasing a file that is not quarantined must fail"


def test_policy_reject_refuses_the_http_commit(api_alice, stoa, hf, tmp_path):
    repo_id = org_repo(stoa, api_alice, {"dangerous": "reject"})
    head = api_alice.upload_file(path_or_fileobj=BENIGN_PICKLE, path_in_repo="ok.pkl", repo_id=repo_id).oid

    with pytest.raises(hf.errors.HfHubHTTPError) as excinfo:
        api_alice.upload_file(path_or_fileobj=OS_SYSTEM_P0, path_in_repo="evil.pkl", repo_id=repo_id)
    err = excinfo.value
    assert err.response.status_code == 400, err
    assert err.response.headers.get("x-error-code") == "CommitRejected", dict(err.response.headers)
    assert "evil.pkl" in str(err) and "os.system" in str(err), str(err)
    assert api_alice.model_info(repo_id).sha == head
    assert "evil.pkl" not in api_alice.list_repo_files(repo_id)

    # A commit with a good and a bad file is refused whole.
    folder = tmp_path / "mixed"
    (folder / "sub").mkdir(parents=True)
    (folder / "good.txt").write_bytes(b"fine\n")
    (folder / "sub" / "model.pt").write_bytes(OS_SYSTEM_P0)
    with pytest.raises(hf.errors.HfHubHTTPError) as excinfo:
        api_alice.upload_folder(folder_path=folder, repo_id=repo_id)
    assert excinfo.value.response.status_code == 400
    assert "sub/model.pt" in str(excinfo.value), str(excinfo.value)
    assert api_alice.model_info(repo_id).sha == head
    assert "good.txt" not in api_alice.list_repo_files(repo_id)


def test_policy_reject_refuses_the_git_push(api_alice, stoa, git, tmp_path):
    repo_id = org_repo(stoa, api_alice, {"dangerous": "reject"})
    head = api_alice.upload_file(path_or_fileobj=b"hello\n", path_in_repo="notes.txt", repo_id=repo_id).oid
    url = remote(stoa, repo_id, stoa.tokens["alice"])
    work = tmp_path / "work"
    git.run("clone", "-q", url, work)
    git.run("lfs", "install", "--local", cwd=work)

    # Through git-lfs (*.pkl is LFS-tracked), then as a plain blob.
    for path in ("evil.pkl", "weights/legacy.dat"):
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_bytes(OS_SYSTEM_P0)
        commit_all(git, work, f"add {path}")
        push = git.run("push", "origin", "main", cwd=work, check=False)
        assert push.returncode != 0, push.describe()
        assert path in push.output, push.describe()
        assert ls_remote(git, url)["refs/heads/main"] == head
        assert api_alice.model_info(repo_id).sha == head
        git.run("reset", "-q", "--hard", head, cwd=work)


def test_every_pushed_commit_is_scanned_not_only_the_head(api_alice, stoa, git, tmp_path):
    """A file added and removed again inside one push stays downloadable by its commit id: the
    scan covers every commit the push brings, and `reject` refuses such a push."""
    for policy in ("warn", "reject"):
        repo_id = org_repo(stoa, api_alice, {"dangerous": policy})
        head = api_alice.upload_file(path_or_fileobj=b"hello\n", path_in_repo="notes.txt", repo_id=repo_id).oid
        url = remote(stoa, repo_id, stoa.tokens["alice"])
        work = tmp_path / f"work-{policy}"
        git.run("clone", "-q", url, work)
        git.run("lfs", "install", "--local", cwd=work)
        (work / "evil.pkl").write_bytes(OS_SYSTEM_P0)
        middle = commit_all(git, work, "add a model")
        git.run("rm", "-q", "evil.pkl", cwd=work)
        commit_all(git, work, "remove it again")
        push = git.run("push", "origin", "main", cwd=work, check=False)
        if policy == "reject":
            assert push.returncode != 0 and "evil.pkl" in push.output, push.describe()
            assert ls_remote(git, url)["refs/heads/main"] == head
            continue
        assert push.returncode == 0, push.describe()
        assert issues_by_path(wait_for_scan(api_alice, repo_id)) == {}, "the head no longer holds it"
        deadline = time.monotonic() + 60
        while True:
            report = scan_report(stoa.url, repo_id, middle, token=stoa.tokens["alice"])
            assert report.status == 200, report.describe()
            if report.json()["scansDone"] or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        files = {f["path"]: f["status"] for f in report.json()["files"]}
        assert files.get("evil.pkl") == "unsafe", report.json()


def test_policy_unscannable_reject(api_alice, stoa, hf):
    repo_id = org_repo(stoa, api_alice, {"dangerous": "warn", "unscannable": "reject"})
    head = api_alice.upload_file(path_or_fileobj=OS_SYSTEM_P0, path_in_repo="evil.pkl", repo_id=repo_id).oid
    with pytest.raises(hf.errors.HfHubHTTPError) as excinfo:
        api_alice.upload_file(path_or_fileobj=GARBAGE_PICKLE, path_in_repo="garbage.pkl", repo_id=repo_id)
    assert excinfo.value.response.status_code == 400
    assert excinfo.value.response.headers.get("x-error-code") == "CommitRejected"
    assert "garbage.pkl" in str(excinfo.value)
    assert api_alice.model_info(repo_id).sha == head
    assert issues_by_path(wait_for_scan(api_alice, repo_id)) == {"evil.pkl": "dangerous"}


def test_scan_policy_cli_refuses_bad_input(stoa):
    org = new_org(stoa, "alice:admin")
    bad_value = stoa.admin("org", "scan-policy", org, "--dangerous", "ignore", check=False)
    assert bad_value.returncode != 0, bad_value
    unknown_org = stoa.admin("org", "scan-policy", unique_name("noorg"), "--dangerous", "reject", check=False)
    assert unknown_org.returncode != 0, unknown_org
    ok = stoa.admin("org", "scan-policy", org, "--dangerous", "quarantine", "--unscannable", "reject", check=False)
    assert ok.returncode == 0, ok


# -------------------------------------------------------------------------------------------------
# The queue is durable: kill -9 right after a commit, restart, the scan completes
# -------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _embedded_env() -> dict[str, str]:
    """Without any STOA_* setting: this server runs on the embedded defaults, even in the
    PostgreSQL + S3 runs (whose database the suite's own server uses)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOA_")}
    env.update(RUST_LOG="info", NO_COLOR="1", STOA_RATE_LIMIT="off")
    return env


def _admin(binary: Path, data_dir: Path, *args: str) -> str:
    cmd = [str(binary), "admin", *args, "--data-dir", str(data_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=_embedded_env())
    assert proc.returncode == 0, f"admin command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}"
    return proc.stdout


def _serve(binary: Path, data_dir: Path, log_path: Path,
           extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [str(binary), "serve", "--data-dir", str(data_dir), "--listen", f"127.0.0.1:{port}", "--public-url", url],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env={**_embedded_env(), **(extra_env or {})},
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while True:
        r = None
        try:
            r = curl("GET", f"{url}/api/models", timeout=2)
        except AssertionError:
            pass
        if r is not None and r.status == 200:
            return proc, url
        if proc.poll() is not None or time.monotonic() > deadline:
            _kill(proc, signal.SIGTERM)
            raise AssertionError(f"stoa serve did not start:\n{log_path.read_text(errors='replace')[-4000:]}")
        time.sleep(0.2)


def _kill(proc: subprocess.Popen, sig: int) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_scan_survives_kill_9(stoa, hf, tmp_path):
    work = Path(tempfile.mkdtemp(prefix="stoa-scan-restart-"))
    data_dir = work / "data"
    data_dir.mkdir()
    log_path = work / "server.log"
    _admin(stoa.binary, data_dir, "user", "create", "alice")
    token = _admin(stoa.binary, data_dir, "token", "create", "--user", "alice", "--role", "write",
                   "--name", "restart").strip().splitlines()[-1].strip()
    proc, url = _serve(stoa.binary, data_dir, log_path)
    restarted = None
    try:
        api = hf.HfApi(endpoint=url, token=token)
        repo_id = f"alice/{unique_name('restart')}"
        api.create_repo(repo_id)
        samples = [s for s in malicious_samples() if s.accept == ("unsafe",)]
        sha = upload_samples(api, repo_id, samples, tmp_path)
        _kill(proc, signal.SIGKILL)  # right after the commit: the scan jobs are (most likely) still queued

        restarted, url = _serve(stoa.binary, data_dir, log_path)
        api = hf.HfApi(endpoint=url, token=token)
        assert api.model_info(repo_id).sha == sha, "the commit itself survives"
        status = wait_for_scan(api, repo_id, timeout=90)
        issues = issues_by_path(status)
        missing = [s.path for s in samples if issues.get(s.path) != "dangerous"]
        assert not missing, f"not flagged after the restart: {missing}\n{status}"
        report = scan_report(url, repo_id, sha, token=token)
        assert report.status == 200 and report.json()["commit"] == sha, report.describe()
    except BaseException:
        print(f"--- restart server log ---\n{log_path.read_text(errors='replace')[-8000:]}")
        raise
    finally:
        _kill(proc, signal.SIGTERM)
        if restarted is not None:
            _kill(restarted, signal.SIGTERM)
        shutil.rmtree(work, ignore_errors=True)
