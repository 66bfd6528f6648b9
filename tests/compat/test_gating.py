"""Gated repos (hub-api.md §4.8, §4.9; security.md §5.1, §5.4): `update_repo_settings(gated=...)`,
the request form from the card's `extra_gated_fields`, the access-request lists and decisions
(`list_*_access_requests`, `accept/reject/cancel_access_request`, `grant_access`), `auth_check`,
and the gate itself on every path that carries file contents (resolve GET/HEAD, LFS batch, Xet read
token, git clone), with its bypasses (owner, writers, members of the owning organisation) and
fine-grained tokens (`canReadGatedRepos`).

Every test makes its own repos (and organisations / users), so tests are independent. Downloads
go to a fresh cache dir each time: huggingface_hub falls back to a cached copy when its HEAD call
fails, which would hide a refusal.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from compat_helpers import curl, fetch, sha256_bytes, unique_name
from git_helpers import UPLOAD_PACK, basic, remote

GATE_MESSAGE = re.compile(r"Access to model .* is restricted and you are not in the authorized list")
LFS_CT = "application/vnd.git-lfs+json"

AGREE = "I agree to use this model for non-commercial use ONLY"
CARD = f"""---
license: other
extra_gated_prompt: "You agree to not use the model to conduct experiments that cause harm to human subjects."
extra_gated_heading: "Acknowledge the license"
extra_gated_fields:
  Company: text
  Country: country
  Date of birth: date_picker
  Intended use:
    type: select
    options:
      - Research
      - label: Commercial
        value: commercial
  {AGREE}: checkbox
---
# A gated model

Ask for access first.
"""
GOOD_ANSWERS = {
    "Company": "Acme Research",
    "Country": "FR",
    "Date of birth": "1990-02-03",
    "Intended use": "commercial",
    AGREE: True,
}
# Each one wrong in exactly one way.
BAD_ANSWERS = {
    "missing field": {k: v for k, v in GOOD_ANSWERS.items() if k != "Company"},
    "unknown field": {**GOOD_ANSWERS, "Favourite colour": "blue"},
    "empty text": {**GOOD_ANSWERS, "Company": "  "},
    "country name instead of code": {**GOOD_ANSWERS, "Country": "France"},
    "lower-case country": {**GOOD_ANSWERS, "Country": "fr"},
    "bad date": {**GOOD_ANSWERS, "Date of birth": "03/02/1990"},
    "option not offered": {**GOOD_ANSWERS, "Intended use": "warfare"},
    "option label instead of value": {**GOOD_ANSWERS, "Intended use": "Commercial"},
    "checkbox unticked": {**GOOD_ANSWERS, AGREE: False},
    "checkbox as string": {**GOOD_ANSWERS, AGREE: "true"},
}

CONFIG = b'{"model_type": "gated-test", "secret": "sesame-7f3a"}\n'
SECRET_TEXT = b"the gated secret: sesame-7f3a\n"
WEIGHTS = bytes(range(256)) * 16 + b"gated-weights"  # *.bin: goes through LFS / Xet (.gitattributes)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _upload_gated_files(api, repo_id: str, card: str = CARD, repo_type: str | None = None,
                        weights: bytes = WEIGHTS) -> str:
    from huggingface_hub import CommitOperationAdd

    ops = [
        CommitOperationAdd("README.md", card.encode()),
        CommitOperationAdd("config.json", CONFIG),
        CommitOperationAdd("secret.txt", SECRET_TEXT),
        CommitOperationAdd("weights.bin", weights),
    ]
    return api.create_commit(repo_id, ops, commit_message="gated files", repo_type=repo_type).oid


def make_gated(api_owner, repo_id: str, mode: str = "manual", *, private: bool = False, card: str = CARD,
               weights: bytes = WEIGHTS) -> str:
    """Creates `repo_id` (owned by the caller of `api_owner`), uploads the files, then gates it."""
    api_owner.create_repo(repo_id, private=private)
    _upload_gated_files(api_owner, repo_id, card, weights=weights)
    api_owner.update_repo_settings(repo_id, gated=mode)
    info = api_owner.model_info(repo_id)
    assert info.gated == mode, f"repo info says gated={info.gated!r} after update_repo_settings(gated={mode!r})"
    return repo_id


def new_gated(api_alice, mode: str = "manual", **kwargs) -> str:
    return make_gated(api_alice, f"alice/{unique_name('gated')}", mode, **kwargs)


def request_access(stoa, repo_id: str, token: str | None, fields: dict | None = None, repo_type: str = "models"):
    """What the web form sends."""
    body = json.dumps({"fields": fields if fields is not None else GOOD_ANSWERS})
    return curl(
        "POST",
        f"{stoa.url}/api/{repo_type}/{repo_id}/user-access-request/request",
        token=token,
        headers={"Content-Type": "application/json"},
        data=body,
    )


def raw_list(stoa, repo_id: str, status: str, token: str | None):
    return curl("GET", f"{stoa.url}/api/models/{repo_id}/user-access-request/{status}", token=token)


def handle(stoa, repo_id: str, token: str | None, **body):
    return curl(
        "POST",
        f"{stoa.url}/api/models/{repo_id}/user-access-request/handle",
        token=token,
        headers={"Content-Type": "application/json"},
        data=json.dumps(body),
    )


def grant(stoa, repo_id: str, token: str | None, user: str):
    return curl(
        "POST",
        f"{stoa.url}/api/models/{repo_id}/user-access-request/grant",
        token=token,
        headers={"Content-Type": "application/json"},
        data=json.dumps({"user": user}),
    )


def download(api, repo_id: str, filename: str, tmp_path: Path, **kwargs) -> bytes:
    """hf_hub_download into a cache dir of its own (no fallback to an earlier download)."""
    cache = tmp_path / f"cache-{uuid.uuid4().hex[:8]}"
    return Path(api.hf_hub_download(repo_id, filename, cache_dir=cache, **kwargs)).read_bytes()


def assert_gated_error(excinfo, status: int):
    err = excinfo.value
    assert err.response is not None, f"no response on {err!r}"
    assert err.response.status_code == status, f"status {err.response.status_code}, expected {status}: {err}"
    assert err.response.headers.get("x-error-code") == "GatedRepo", dict(err.response.headers)
    assert GATE_MESSAGE.search(str(err)), f"gate message missing from the client's error: {err}"


def assert_gated_response(r, status: int, repo_id: str | None = None):
    assert r.status == status, r.describe()
    assert r.header("x-error-code") == "GatedRepo", r.describe()
    message = r.header("x-error-message") or ""
    assert GATE_MESSAGE.search(message), r.describe()
    if repo_id is not None:
        expected = (
            f"Access to model {repo_id} is restricted and you are not in the authorized list. "
            "Visit the repo page to ask for access."
        )
        assert message == expected, r.describe()


def assert_denied(hf, api, repo_id: str, tmp_path: Path, status: int = 403):
    for filename in ("config.json", "weights.bin"):
        with pytest.raises(hf.errors.GatedRepoError) as excinfo:
            download(api, repo_id, filename, tmp_path)
        assert_gated_error(excinfo, status)


def assert_allowed(api, repo_id: str, tmp_path: Path, weights: bytes = WEIGHTS):
    assert download(api, repo_id, "config.json", tmp_path) == CONFIG
    assert download(api, repo_id, "weights.bin", tmp_path) == weights


def new_user(stoa, prefix: str = "carol", role: str = "write") -> tuple[str, str]:
    """A third user with a token of its own."""
    name = unique_name(prefix)
    stoa.admin("user", "create", name)
    out = stoa.admin("token", "create", "--user", name, "--role", role, "--name", f"{name}-{role}")
    return name, out.stdout.strip().splitlines()[-1].strip()


def new_org(stoa, *members: str) -> str:
    name = unique_name("org")
    args = ["org", "create", name]
    for member in members:
        args += ["--member", member]
    stoa.admin(*args)
    return name


def usernames(requests) -> list[str]:
    return sorted(r.username for r in requests)


# ---------------------------------------------------------------------------------------------
# 1. the full story (manual gating)
# ---------------------------------------------------------------------------------------------


def test_manual_gate_full_download_story(hf, api_alice, api_bob, api_anon, stoa, tmp_path):
    repo_id = new_gated(api_alice, "manual")
    bob = stoa.tokens["bob"]

    # The card carries the form.
    card = hf.ModelCard.load(repo_id, token=bob)
    assert card.data.extra_gated_prompt.startswith("You agree to not use the model")
    assert set(card.data.extra_gated_fields) == set(GOOD_ANSWERS)

    # Metadata and the file list stay visible to everyone.
    for api in (api_bob, api_anon):
        info = api.model_info(repo_id)
        assert info.gated == "manual"
        assert sorted(api.list_repo_files(repo_id)) == sorted(
            [".gitattributes", "README.md", "config.json", "secret.txt", "weights.bin"]
        )
        assert {p.path for p in api.get_paths_info(repo_id, ["config.json", "weights.bin"])} == {
            "config.json", "weights.bin"
        }
        # README.md and .gitattributes stay downloadable.
        assert download(api, repo_id, "README.md", tmp_path) == CARD.encode()
        assert b"*.bin" in download(api, repo_id, ".gitattributes", tmp_path)

    # Contents: GatedRepoError, 403 signed in, 401 anonymous.
    assert_denied(hf, api_bob, repo_id, tmp_path, 403)
    assert_denied(hf, api_anon, repo_id, tmp_path, 401)
    with pytest.raises(hf.errors.GatedRepoError) as excinfo:
        api_bob.auth_check(repo_id)
    assert_gated_error(excinfo, 403)
    with pytest.raises(hf.errors.GatedRepoError) as excinfo:
        api_bob.snapshot_download(repo_id, cache_dir=tmp_path / "snap-denied")
    assert_gated_error(excinfo, 403)

    # Bad answers: 400 each, nothing stored.
    for label, answers in BAD_ANSWERS.items():
        r = request_access(stoa, repo_id, bob, answers)
        assert r.status == 400, f"{label}: {r.describe()}"
    assert list(api_alice.list_pending_access_requests(repo_id)) == []
    assert list(api_alice.list_accepted_access_requests(repo_id)) == []
    assert list(api_alice.list_rejected_access_requests(repo_id)) == []

    # Good answers: pending, with the answers.
    r = request_access(stoa, repo_id, bob)
    assert r.status == 200, r.describe()
    saved = r.json()
    assert saved["status"] == "pending" and saved["user"]["user"] == "bob", saved
    assert saved["fields"] == GOOD_ANSWERS, saved
    again = request_access(stoa, repo_id, bob)
    assert again.status == 409, again.describe()

    pending = list(api_alice.list_pending_access_requests(repo_id))
    assert usernames(pending) == ["bob"]
    assert pending[0].status == "pending"
    assert pending[0].request_id == saved["requestId"]
    assert pending[0].fields == GOOD_ANSWERS
    assert pending[0].timestamp is not None
    assert list(api_alice.list_accepted_access_requests(repo_id)) == []
    # Still pending: still gated.
    assert_denied(hf, api_bob, repo_id, tmp_path, 403)

    # Accept (by user name): bob downloads, snapshot_download too.
    api_alice.accept_access_request(repo_id, "bob")
    assert usernames(api_alice.list_accepted_access_requests(repo_id)) == ["bob"]
    assert list(api_alice.list_pending_access_requests(repo_id)) == []
    api_bob.auth_check(repo_id)
    assert_allowed(api_bob, repo_id, tmp_path)
    snap = Path(api_bob.snapshot_download(repo_id, cache_dir=tmp_path / "snap"))
    assert (snap / "config.json").read_bytes() == CONFIG
    assert (snap / "weights.bin").read_bytes() == WEIGHTS
    assert (snap / "secret.txt").read_bytes() == SECRET_TEXT
    # Anonymous is still out.
    assert_denied(hf, api_anon, repo_id, tmp_path, 401)

    # Cancel: back to pending, denied again.
    api_alice.cancel_access_request(repo_id, "bob")
    assert usernames(api_alice.list_pending_access_requests(repo_id)) == ["bob"]
    assert list(api_alice.list_accepted_access_requests(repo_id)) == []
    assert_denied(hf, api_bob, repo_id, tmp_path, 403)

    # Reject with a reason: denied, and bob cannot ask again.
    api_alice.reject_access_request(repo_id, "bob", rejection_reason="Not for commercial use.")
    rejected = list(api_alice.list_rejected_access_requests(repo_id))
    assert usernames(rejected) == ["bob"] and rejected[0].status == "rejected"
    raw = raw_list(stoa, repo_id, "rejected", stoa.tokens["alice"])
    assert raw.status == 200, raw.describe()
    assert raw.json()[0]["rejectionReason"] == "Not for commercial use.", raw.json()
    assert list(api_alice.list_pending_access_requests(repo_id)) == []
    assert_denied(hf, api_bob, repo_id, tmp_path, 403)
    r = request_access(stoa, repo_id, bob)
    assert r.status == 403, r.describe()
    assert usernames(api_alice.list_rejected_access_requests(repo_id)) == ["bob"]
    assert list(api_alice.list_pending_access_requests(repo_id)) == []


def test_accept_by_request_id(hf, api_alice, api_bob, stoa, tmp_path):
    repo_id = new_gated(api_alice, "manual")
    r = request_access(stoa, repo_id, stoa.tokens["bob"])
    assert r.status == 200, r.describe()
    [pending] = list(api_alice.list_pending_access_requests(repo_id))
    assert pending.username == "bob"
    assert_denied(hf, api_bob, repo_id, tmp_path)

    api_alice.accept_access_request(repo_id, request_id=pending.request_id)
    [accepted] = list(api_alice.list_accepted_access_requests(repo_id))
    assert (accepted.username, accepted.request_id, accepted.status) == ("bob", pending.request_id, "accepted")
    assert accepted.fields == GOOD_ANSWERS
    assert_allowed(api_bob, repo_id, tmp_path)

    # Reject by requestId too (raw, with the reason), then the lists follow.
    r = handle(stoa, repo_id, stoa.tokens["alice"], requestId=pending.request_id, status="rejected",
               rejectionReason="changed my mind")
    assert r.status == 200, r.describe()
    assert usernames(api_alice.list_rejected_access_requests(repo_id)) == ["bob"]
    assert_denied(hf, api_bob, repo_id, tmp_path)
    # An unknown request id is not found.
    r = handle(stoa, repo_id, stoa.tokens["alice"], requestId="0" * 24, status="accepted")
    assert r.status == 404, r.describe()


# ---------------------------------------------------------------------------------------------
# 2. what huggingface_hub's own AccessRequestAPITest relies on
# ---------------------------------------------------------------------------------------------


def test_client_access_request_expectations(hf, api_alice, api_bob, new_repo, stoa, tmp_path):
    HfHubHTTPError = hf.errors.HfHubHTTPError

    # Not gated: 400 on the lists and on the decisions.
    plain = new_repo("notgated")
    for call in (
        lambda: list(api_alice.list_pending_access_requests(plain)),
        lambda: list(api_alice.list_accepted_access_requests(plain)),
        lambda: list(api_alice.list_rejected_access_requests(plain)),
        lambda: api_alice.grant_access(plain, "bob"),
        lambda: api_alice.accept_access_request(plain, "bob"),
    ):
        with pytest.raises(HfHubHTTPError) as excinfo:
            call()
        assert excinfo.value.response.status_code == 400, excinfo.value
    r = request_access(stoa, plain, stoa.tokens["bob"], {})
    assert r.status == 400, r.describe()

    repo_id = new_gated(api_alice, "manual")
    for lister in (
        api_alice.list_pending_access_requests,
        api_alice.list_accepted_access_requests,
        api_alice.list_rejected_access_requests,
    ):
        assert list(lister(repo_id)) == []

    # Grant: bob accepted, without an email (granted, not requested).
    api_alice.grant_access(repo_id, "bob")
    [granted] = list(api_alice.list_accepted_access_requests(repo_id))
    assert granted.username == "bob"
    assert granted.email is None
    assert granted.status == "accepted"
    assert isinstance(granted.request_id, str) and granted.request_id
    assert_allowed(api_bob, repo_id, tmp_path)
    # The grant endpoint answers JSON (returned as-is by older clients).
    alice_grant_twice = grant(stoa, repo_id, stoa.tokens["alice"], "bob")
    assert alice_grant_twice.status == 400, alice_grant_twice.describe()
    with pytest.raises(HfHubHTTPError) as excinfo:
        api_alice.grant_access(repo_id, "bob")  # granting twice
    assert excinfo.value.response.status_code == 400
    with pytest.raises(HfHubHTTPError) as excinfo:
        api_alice.accept_access_request(repo_id, "bob")  # accepting an accepted user
    assert excinfo.value.response.status_code == 400

    # Cancel -> pending; cancelling again is an error.
    api_alice.cancel_access_request(repo_id, "bob")
    assert usernames(api_alice.list_pending_access_requests(repo_id)) == ["bob"]
    assert list(api_alice.list_accepted_access_requests(repo_id)) == []
    with pytest.raises(HfHubHTTPError) as excinfo:
        api_alice.cancel_access_request(repo_id, "bob")
    assert excinfo.value.response.status_code == 400

    # Reject -> rejected; rejecting again is an error.
    api_alice.reject_access_request(repo_id, "bob", rejection_reason=None)
    assert usernames(api_alice.list_rejected_access_requests(repo_id)) == ["bob"]
    assert list(api_alice.list_pending_access_requests(repo_id)) == []
    with pytest.raises(HfHubHTTPError) as excinfo:
        api_alice.reject_access_request(repo_id, "bob", rejection_reason=None)
    assert excinfo.value.response.status_code == 400

    # Accept by request id from the rejected list.
    [rejected] = list(api_alice.list_rejected_access_requests(repo_id))
    api_alice.accept_access_request(repo_id, request_id=rejected.request_id)
    assert usernames(api_alice.list_accepted_access_requests(repo_id)) == ["bob"]
    assert list(api_alice.list_rejected_access_requests(repo_id)) == []

    # Rejection reasons: 200 characters pass, 201 do not (nothing changes).
    too_long = handle(stoa, repo_id, stoa.tokens["alice"], user="bob", status="rejected", rejectionReason="x" * 201)
    assert too_long.status == 400, too_long.describe()
    assert usernames(api_alice.list_accepted_access_requests(repo_id)) == ["bob"]
    api_alice.reject_access_request(repo_id, "bob", rejection_reason="y" * 200)
    assert usernames(api_alice.list_rejected_access_requests(repo_id)) == ["bob"]

    # A bad status and a missing target are 400; an unknown user has no request.
    r = handle(stoa, repo_id, stoa.tokens["alice"], user="bob", status="maybe")
    assert r.status == 400, r.describe()
    r = handle(stoa, repo_id, stoa.tokens["alice"], status="accepted")
    assert r.status == 400, r.describe()
    r = handle(stoa, repo_id, stoa.tokens["alice"], user="alice", status="accepted")
    assert r.status in (400, 404), r.describe()


def test_grant_answers_json_and_lists_are_shaped(hf, api_alice, stoa):
    repo_id = new_gated(api_alice, "manual")
    r = grant(stoa, repo_id, stoa.tokens["alice"], "bob")
    assert r.status == 200, r.describe()
    assert "json" in (r.header("content-type") or ""), r.describe()
    body = r.json()
    assert body["status"] == "accepted" and body["user"]["user"] == "bob", body
    listed = raw_list(stoa, repo_id, "accepted", stoa.tokens["alice"])
    assert listed.status == 200, listed.describe()
    [item] = listed.json()
    assert {"user", "requestId", "status", "timestamp"} <= set(item), item
    assert item["user"]["user"] == "bob" and item["requestId"] == body["requestId"], item
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", item["timestamp"]), item
    # A request list that does not exist.
    r = raw_list(stoa, repo_id, "everything", stoa.tokens["alice"])
    assert r.status == 404, r.describe()


# ---------------------------------------------------------------------------------------------
# 3. auto gating
# ---------------------------------------------------------------------------------------------


def test_auto_gate_accepts_requests_at_once(hf, api_alice, api_bob, api_anon, stoa, tmp_path):
    repo_id = new_gated(api_alice, "auto")
    assert api_anon.model_info(repo_id).gated == "auto"
    assert_denied(hf, api_bob, repo_id, tmp_path, 403)
    assert_denied(hf, api_anon, repo_id, tmp_path, 401)

    bad = request_access(stoa, repo_id, stoa.tokens["bob"], BAD_ANSWERS["checkbox unticked"])
    assert bad.status == 400, bad.describe()
    assert_denied(hf, api_bob, repo_id, tmp_path, 403)

    r = request_access(stoa, repo_id, stoa.tokens["bob"])
    assert r.status == 200, r.describe()
    assert r.json()["status"] == "accepted", r.json()
    assert usernames(api_alice.list_accepted_access_requests(repo_id)) == ["bob"]
    assert list(api_alice.list_pending_access_requests(repo_id)) == []
    api_bob.auth_check(repo_id)
    assert_allowed(api_bob, repo_id, tmp_path)
    # Anonymous cannot ask (and stays out).
    r = request_access(stoa, repo_id, None)
    assert r.status == 401, r.describe()
    assert_denied(hf, api_anon, repo_id, tmp_path, 401)

    # Switching to manual keeps the decisions; a new requester waits.
    api_alice.update_repo_settings(repo_id, gated="manual")
    assert api_alice.model_info(repo_id).gated == "manual"
    assert_allowed(api_bob, repo_id, tmp_path)
    carol, carol_token = new_user(stoa)
    r = request_access(stoa, repo_id, carol_token)
    assert r.status == 200 and r.json()["status"] == "pending", r.describe()
    assert_denied(hf, hf.HfApi(endpoint=stoa.url, token=carol_token), repo_id, tmp_path, 403)


# ---------------------------------------------------------------------------------------------
# 4. the gate on every content path
# ---------------------------------------------------------------------------------------------


def _batch(stoa, repo_id: str, headers: dict[str, str]):
    body = {
        "operation": "download",
        "transfers": ["basic"],
        "objects": [{"oid": sha256_bytes(WEIGHTS), "size": len(WEIGHTS)}],
        "hash_algo": "sha256",
        "ref": {"name": "refs/heads/main"},
    }
    return curl(
        "POST",
        f"{stoa.url}/{repo_id}.git/info/lfs/objects/batch",
        headers={"Accept": LFS_CT, "Content-Type": LFS_CT, **headers},
        data=json.dumps(body),
    )


def test_gate_covers_every_content_path(hf, api_alice, api_bob, stoa, git, tmp_path):
    repo_id = new_gated(api_alice, "manual")
    bob = stoa.tokens["bob"]
    bearer = {"Authorization": f"Bearer {bob}"}
    resolve = f"{stoa.url}/{repo_id}/resolve/main"
    assert request_access(stoa, repo_id, bob).status == 200  # pending: still gated

    # resolve, GET and HEAD, signed in (403) and anonymous (401), exact wording.
    for filename in ("config.json", "secret.txt", "weights.bin"):
        for method in ("GET", "HEAD"):
            assert_gated_response(curl(method, f"{resolve}/{filename}", token=bob), 403, repo_id)
            assert_gated_response(curl(method, f"{resolve}/{filename}"), 401, repo_id)
    # The card and the attributes stay readable.
    assert curl("GET", f"{resolve}/README.md", token=bob).status == 200
    assert curl("HEAD", f"{resolve}/.gitattributes").status == 200
    # auth-check
    assert_gated_response(curl("GET", f"{stoa.url}/api/models/{repo_id}/auth-check", token=bob), 403, repo_id)
    assert_gated_response(curl("GET", f"{stoa.url}/api/models/{repo_id}/auth-check"), 401, repo_id)
    # LFS batch download, Bearer and Basic.
    for headers in (bearer, basic(bob)):
        assert_gated_response(_batch(stoa, repo_id, headers), 403, repo_id)
    assert_gated_response(_batch(stoa, repo_id, {}), 401, repo_id)
    # Xet read token.
    xet = f"{stoa.url}/api/models/{repo_id}/xet-read-token/main"
    assert_gated_response(curl("GET", xet, token=bob), 403, repo_id)
    assert_gated_response(curl("GET", xet), 401, repo_id)
    # git: the ref advertisement is refused, and a clone fails with 403.
    assert_gated_response(curl("GET", f"{stoa.url}/{repo_id}/info/refs?{UPLOAD_PACK}", headers=basic(bob)), 403)
    r = curl("POST", f"{stoa.url}/{repo_id}/git-upload-pack", data=b"0000",
             headers={"Content-Type": "application/x-git-upload-pack-request", **basic(bob)})
    assert_gated_response(r, 403)
    denied = git.run("clone", "-q", remote(stoa, repo_id, bob), tmp_path / "denied", check=False)
    assert denied.returncode != 0, denied.describe()
    assert "403" in denied.stderr, denied.describe()
    assert not (tmp_path / "denied").exists()

    # Accepted: every path works.
    api_alice.accept_access_request(repo_id, "bob")
    for filename, data in (("config.json", CONFIG), ("secret.txt", SECRET_TEXT), ("weights.bin", WEIGHTS)):
        got = fetch(f"{resolve}/{filename}", token=bob)
        assert got.status == 200, got.describe()
        assert got.body == data
        assert curl("HEAD", f"{resolve}/{filename}", token=bob).status in (200, 302, 307)
    assert curl("GET", f"{stoa.url}/api/models/{repo_id}/auth-check", token=bob).status == 200
    for headers in (bearer, basic(bob)):
        r = _batch(stoa, repo_id, headers)
        assert r.status == 200, r.describe()
        obj = r.json()["objects"][0]
        action = obj["actions"]["download"]
        got = curl("GET", action["href"], headers=action.get("header") or {})
        assert got.status == 200 and got.body == WEIGHTS, got.describe()
    r = curl("GET", xet, token=bob)
    assert r.status == 200, r.describe()
    assert r.json().get("accessToken"), r.describe()
    work = tmp_path / "clone"
    git.run("clone", "-q", remote(stoa, repo_id, bob), work)
    assert (work / "config.json").read_bytes() == CONFIG
    assert (work / "weights.bin").read_bytes() == WEIGHTS  # smudged by git-lfs with bob's credentials
    # Anonymous still out.
    assert_gated_response(curl("GET", f"{resolve}/config.json"), 401, repo_id)

    # Revoked: every path is closed again.
    api_alice.cancel_access_request(repo_id, "bob")
    assert_gated_response(curl("GET", f"{resolve}/config.json", token=bob), 403, repo_id)
    assert_gated_response(_batch(stoa, repo_id, bearer), 403, repo_id)
    assert_gated_response(curl("GET", xet, token=bob), 403, repo_id)
    fetch_again = git.run("fetch", "-q", "origin", cwd=work, check=False)
    assert fetch_again.returncode != 0 and "403" in fetch_again.stderr, fetch_again.describe()


def test_gate_on_a_dataset_names_the_dataset(hf, api_alice, api_bob, stoa, tmp_path):
    repo_id = f"alice/{unique_name('gatedds')}"
    api_alice.create_repo(repo_id, repo_type="dataset")
    _upload_gated_files(api_alice, repo_id, repo_type="dataset")
    api_alice.update_repo_settings(repo_id, gated="manual", repo_type="dataset")
    assert api_bob.dataset_info(repo_id).gated == "manual"
    r = curl("GET", f"{stoa.url}/datasets/{repo_id}/resolve/main/config.json", token=stoa.tokens["bob"])
    assert r.status == 403 and r.header("x-error-code") == "GatedRepo", r.describe()
    assert (r.header("x-error-message") or "").startswith(f"Access to dataset {repo_id} is restricted"), r.describe()
    with pytest.raises(hf.errors.GatedRepoError):
        download(api_bob, repo_id, "config.json", tmp_path, repo_type="dataset")
    r = request_access(stoa, repo_id, stoa.tokens["bob"], repo_type="datasets")
    assert r.status == 200 and r.json()["status"] == "pending", r.describe()
    assert usernames(api_alice.list_pending_access_requests(repo_id, repo_type="dataset")) == ["bob"]
    api_alice.accept_access_request(repo_id, "bob", repo_type="dataset")
    assert download(api_bob, repo_id, "config.json", tmp_path, repo_type="dataset") == CONFIG


def test_compare_diff_does_not_leak_gated_contents(hf, api_alice, api_bob, stoa):
    """hub-api.md §4.9: file contents are behind the gate. The compare endpoint carries a unified
    diff of the files, so it must not show them to someone the gate keeps out."""
    repo_id = new_gated(api_alice, "manual")
    first = api_alice.model_info(repo_id).sha
    api_alice.upload_file(path_or_fileobj=b"second secret: open-sesame-99\n", path_in_repo="secret.txt",
                          repo_id=repo_id)
    r = curl("GET", f"{stoa.url}/api/models/{repo_id}/compare/{first}..main", token=stoa.tokens["bob"])
    assert b"sesame" not in r.body, f"gated contents leaked through compare:\n{r.describe()}"
    assert r.status == 403 and r.header("x-error-code") == "GatedRepo", r.describe()
    # The owner still compares.
    mine = curl("GET", f"{stoa.url}/api/models/{repo_id}/compare/{first}..main", token=stoa.tokens["alice"])
    assert mine.status == 200 and b"open-sesame-99" in mine.body, mine.describe()


def test_pull_request_diff_does_not_leak_gated_contents(hf, api_alice, api_bob, stoa):
    """get_discussion_details asks for the PR's diff: for someone the gate keeps out, it must not
    carry the gated file's contents (either no diff, or a GatedRepo refusal)."""
    repo_id = new_gated(api_alice, "manual")
    api_alice.upload_file(path_or_fileobj=b"pr secret: open-sesame-42\n", path_in_repo="secret.txt",
                          repo_id=repo_id, create_pr=True, commit_message="rotate the secret")
    [pr] = [d for d in api_alice.get_repo_discussions(repo_id) if d.is_pull_request]
    mine = api_alice.get_discussion_details(repo_id, pr.num)
    assert "open-sesame-42" in (mine.diff or ""), "the owner should see the PR's diff"
    try:
        details = api_bob.get_discussion_details(repo_id, pr.num)
    except hf.errors.HfHubHTTPError as error:
        assert error.response.status_code == 403, error
        assert error.response.headers.get("x-error-code") == "GatedRepo", error
        return
    assert "sesame" not in (details.diff or ""), f"gated contents leaked through the PR diff: {details.diff!r}"
    raw = curl("GET", f"{stoa.url}/api/models/{repo_id}/discussions/{pr.num}?diff=1", token=stoa.tokens["bob"])
    assert b"sesame" not in raw.body, raw.describe()


def test_duplicate_does_not_copy_a_gated_repo_for_an_outsider(hf, api_alice, api_bob, tmp_path):
    """Duplicating copies every file into a repo the duplicator owns (and so bypasses the gate):
    someone the gate keeps out must be refused with GatedRepo."""
    repo_id = new_gated(api_alice, "manual")
    target = f"bob/{unique_name('dup')}"
    try:
        api_bob.duplicate_repo(repo_id, target)
    except hf.errors.HfHubHTTPError as error:
        assert error.response.status_code == 403, error
        assert error.response.headers.get("x-error-code") == "GatedRepo", error
        assert not api_bob.repo_exists(target)
        return
    copy = api_bob.model_info(target)
    leaked = download(api_bob, target, "config.json", tmp_path) == CONFIG
    pytest.fail(
        f"bob (not accepted) duplicated gated {repo_id} into {target} (gated={copy.gated!r}); "
        f"bob downloads the gated config.json from his copy: {leaked}"
    )


# ---------------------------------------------------------------------------------------------
# 5. bypasses: owner, organisation members, writers
# ---------------------------------------------------------------------------------------------


def test_owner_bypasses_gate(hf, api_alice, stoa, git, tmp_path):
    repo_id = new_gated(api_alice, "manual")
    api_alice.auth_check(repo_id)
    assert_allowed(api_alice, repo_id, tmp_path)
    work = tmp_path / "clone"
    git.run("clone", "-q", remote(stoa, repo_id, stoa.tokens["alice"]), work)
    assert (work / "weights.bin").read_bytes() == WEIGHTS
    # The owner never appears in the lists.
    assert list(api_alice.list_accepted_access_requests(repo_id)) == []


def test_owner_read_token_reads_own_gated_repo(hf, api_alice, api_alice_read, tmp_path):
    """A read token reads whatever its account may read (security.md §5.3: token role ∩ the
    user's rights); the owner of a gated repo is not gated, whatever the token's role."""
    repo_id = new_gated(api_alice, "manual")
    api_alice_read.auth_check(repo_id)
    assert_allowed(api_alice_read, repo_id, tmp_path)


def test_org_read_member_bypasses_gate_of_org_repo(hf, api_alice, api_bob, stoa, tmp_path):
    org = new_org(stoa, "alice:admin", "bob:read")
    repo_id = make_gated(api_alice, f"{org}/{unique_name('gated')}", "manual")
    assert api_bob.model_info(repo_id).gated == "manual"
    api_bob.auth_check(repo_id)
    assert_allowed(api_bob, repo_id, tmp_path)
    r = curl("GET", f"{stoa.url}/api/models/{repo_id}/xet-read-token/main", token=stoa.tokens["bob"])
    assert r.status == 200, r.describe()
    # A read member does not manage the requests.
    r = raw_list(stoa, repo_id, "pending", stoa.tokens["bob"])
    assert r.status == 403, r.describe()
    # Someone outside the organisation is gated.
    carol, carol_token = new_user(stoa)
    api_carol = hf.HfApi(endpoint=stoa.url, token=carol_token)
    assert_denied(hf, api_carol, repo_id, tmp_path, 403)
    # The org admin decides.
    assert request_access(stoa, repo_id, carol_token).status == 200
    assert usernames(api_alice.list_pending_access_requests(repo_id)) == [carol]
    api_alice.accept_access_request(repo_id, carol)
    assert_allowed(api_carol, repo_id, tmp_path)


def test_writer_bypasses_gate_and_manages_requests(hf, api_alice, api_bob, stoa, tmp_path):
    org = new_org(stoa, "alice:admin", "bob:write")
    repo_id = make_gated(api_alice, f"{org}/{unique_name('gated')}", "manual")
    api_bob.auth_check(repo_id, write=True)
    api_bob.auth_check(repo_id)
    assert_allowed(api_bob, repo_id, tmp_path)
    carol, carol_token = new_user(stoa)
    api_carol = hf.HfApi(endpoint=stoa.url, token=carol_token)
    assert_denied(hf, api_carol, repo_id, tmp_path, 403)
    assert request_access(stoa, repo_id, carol_token).status == 200
    # bob (write) sees and decides.
    assert usernames(api_bob.list_pending_access_requests(repo_id)) == [carol]
    api_bob.accept_access_request(repo_id, carol)
    assert_allowed(api_carol, repo_id, tmp_path)
    api_bob.reject_access_request(repo_id, carol, rejection_reason="revoked")
    assert_denied(hf, api_carol, repo_id, tmp_path, 403)


def test_contributor_creator_bypasses_gate_of_own_org_repo(hf, api_alice, api_bob, stoa, tmp_path):
    org = new_org(stoa, "alice:admin", "bob:contributor")
    # Bytes of bob's own: the client's local Xet cache may hold chunks of alice's WEIGHTS, and
    # Stoa refuses shards naming xorbs another user uploaded.
    weights = b"bob's own weights " + uuid.uuid4().bytes * 64
    repo_id = make_gated(api_bob, f"{org}/{unique_name('gated')}", "manual", weights=weights)
    assert_allowed(api_bob, repo_id, tmp_path, weights)
    assert_allowed(api_alice, repo_id, tmp_path, weights)
    assert list(api_bob.list_pending_access_requests(repo_id)) == []


# ---------------------------------------------------------------------------------------------
# 6. permissions on the request endpoints
# ---------------------------------------------------------------------------------------------


def test_request_endpoints_need_a_manager(hf, api_alice, api_alice_read, api_bob, api_anon, stoa, tmp_path):
    repo_id = new_gated(api_alice, "manual")
    alice, alice_read, bob = stoa.tokens["alice"], stoa.tokens["alice_read"], stoa.tokens["bob"]
    carol, carol_token = new_user(stoa)
    assert request_access(stoa, repo_id, carol_token).status == 200

    # bob (signed in, not a manager): 403 everywhere, through the client and raw.
    for call in (
        lambda: list(api_bob.list_pending_access_requests(repo_id)),
        lambda: list(api_bob.list_accepted_access_requests(repo_id)),
        lambda: list(api_bob.list_rejected_access_requests(repo_id)),
        lambda: api_bob.accept_access_request(repo_id, carol),
        lambda: api_bob.reject_access_request(repo_id, carol, rejection_reason=None),
        lambda: api_bob.grant_access(repo_id, "bob"),
    ):
        with pytest.raises(hf.errors.HfHubHTTPError) as excinfo:
            call()
        assert excinfo.value.response.status_code == 403, excinfo.value
    # bob cannot accept his own request either.
    assert request_access(stoa, repo_id, bob).status == 200
    r = handle(stoa, repo_id, bob, user="bob", status="accepted")
    assert r.status == 403, r.describe()
    assert_denied(hf, api_bob, repo_id, tmp_path)

    # alice's read token: no decisions, no grants, no lists.
    r = handle(stoa, repo_id, alice_read, user=carol, status="accepted")
    assert r.status == 403, r.describe()
    r = grant(stoa, repo_id, alice_read, "bob")
    assert r.status == 403, r.describe()
    with pytest.raises(hf.errors.HfHubHTTPError) as excinfo:
        api_alice_read.accept_access_request(repo_id, carol)
    assert excinfo.value.response.status_code == 403
    r = raw_list(stoa, repo_id, "pending", alice_read)
    assert r.status == 403, r.describe()

    # Anonymous: 401.
    for r in (
        raw_list(stoa, repo_id, "pending", None),
        handle(stoa, repo_id, None, user=carol, status="accepted"),
        grant(stoa, repo_id, None, "bob"),
        request_access(stoa, repo_id, None),
    ):
        assert r.status == 401, r.describe()
    with pytest.raises(hf.errors.HfHubHTTPError) as excinfo:
        list(api_anon.list_pending_access_requests(repo_id))
    assert excinfo.value.response.status_code == 401

    # Nothing moved.
    assert usernames(api_alice.list_pending_access_requests(repo_id)) == sorted(["bob", carol])
    assert list(api_alice.list_accepted_access_requests(repo_id)) == []

    # Requesting needs a write token.
    dave, dave_read = new_user(stoa, "dave", role="read")
    r = request_access(stoa, repo_id, dave_read)
    assert r.status == 403, r.describe()
    assert usernames(api_alice.list_pending_access_requests(repo_id)) == sorted(["bob", carol])

    # Listing a missing repo: RepoNotFound.
    r = raw_list(stoa, f"alice/{unique_name('missing')}", "pending", alice)
    assert r.status == 404 and r.header("x-error-code") == "RepoNotFound", r.describe()


# ---------------------------------------------------------------------------------------------
# 7. ungating, private + gated
# ---------------------------------------------------------------------------------------------


def test_ungating_opens_files_to_everyone(hf, api_alice, api_bob, api_anon, stoa, tmp_path):
    repo_id = new_gated(api_alice, "manual")
    assert request_access(stoa, repo_id, stoa.tokens["bob"]).status == 200
    assert_denied(hf, api_bob, repo_id, tmp_path, 403)
    assert_denied(hf, api_anon, repo_id, tmp_path, 401)

    api_alice.update_repo_settings(repo_id, gated=False)
    assert api_anon.model_info(repo_id).gated is False
    assert_allowed(api_bob, repo_id, tmp_path)
    assert_allowed(api_anon, repo_id, tmp_path)
    api_anon.auth_check(repo_id)
    # The request endpoints now say the repo is not gated.
    r = raw_list(stoa, repo_id, "pending", stoa.tokens["alice"])
    assert r.status == 400, r.describe()

    # Gating again closes it again (bob's pending request did not turn into access).
    api_alice.update_repo_settings(repo_id, gated="auto")
    assert_denied(hf, api_bob, repo_id, tmp_path, 403)
    assert_denied(hf, api_anon, repo_id, tmp_path, 401)


def test_private_gated_repo_stays_not_found(hf, api_alice, api_bob, api_anon, stoa, tmp_path):
    repo_id = new_gated(api_alice, "manual", private=True)
    info = api_alice.model_info(repo_id)
    assert info.private is True and info.gated == "manual"
    assert_allowed(api_alice, repo_id, tmp_path)
    missing = f"alice/{unique_name('missing')}"
    for api in (api_bob, api_anon):
        with pytest.raises(hf.errors.RepositoryNotFoundError) as excinfo:
            api.model_info(repo_id)
        assert not isinstance(excinfo.value, hf.errors.GatedRepoError)
        with pytest.raises(hf.errors.RepositoryNotFoundError) as excinfo:
            download(api, repo_id, "config.json", tmp_path)
        assert not isinstance(excinfo.value, hf.errors.GatedRepoError), excinfo.value
        with pytest.raises(hf.errors.RepositoryNotFoundError) as excinfo:
            api.auth_check(repo_id)
        assert not isinstance(excinfo.value, hf.errors.GatedRepoError), excinfo.value
    # Asking for access to a hidden repo: as if it did not exist.
    for rid in (repo_id, missing):
        r = request_access(stoa, rid, stoa.tokens["bob"])
        assert r.status == 404 and r.header("x-error-code") == "RepoNotFound", r.describe()
        r = curl("GET", f"{stoa.url}/{rid}/resolve/main/README.md", token=stoa.tokens["bob"])
        assert r.status == 404 and r.header("x-error-code") == "RepoNotFound", r.describe()
    assert list(api_alice.list_pending_access_requests(repo_id)) == []


# ---------------------------------------------------------------------------------------------
# 8. fine-grained tokens of an accepted user
# ---------------------------------------------------------------------------------------------


def _fine_grained(stoa, user: str, scope: str, *extra: str) -> str:
    out = stoa.admin("token", "create", "--user", user, "--role", "fineGrained", "--scope", scope,
                     "--name", unique_name("fg"), *extra)
    return out.stdout.strip().splitlines()[-1].strip()


def test_fine_grained_token_needs_can_read_gated(hf, api_alice, api_bob, stoa, tmp_path):
    repo_id = new_gated(api_alice, "manual")
    api_alice.grant_access(repo_id, "bob")
    assert_allowed(api_bob, repo_id, tmp_path)  # bob's write token

    scope = f"model:{repo_id}:repo.content.read"
    plain = hf.HfApi(endpoint=stoa.url, token=_fine_grained(stoa, "bob", scope))
    gated_ok = hf.HfApi(endpoint=stoa.url, token=_fine_grained(stoa, "bob", scope, "--can-read-gated"))

    # Without canReadGatedRepos: metadata yes, contents no (403 GatedRepo) on every path.
    assert plain.model_info(repo_id).gated == "manual"
    assert_denied(hf, plain, repo_id, tmp_path, 403)
    with pytest.raises(hf.errors.GatedRepoError) as excinfo:
        plain.auth_check(repo_id)
    assert_gated_error(excinfo, 403)
    assert_gated_response(curl("GET", f"{stoa.url}/api/models/{repo_id}/xet-read-token/main", token=plain.token),
                          403, repo_id)
    assert_gated_response(_batch(stoa, repo_id, basic(plain.token)), 403, repo_id)

    # With it: downloads work.
    gated_ok.auth_check(repo_id)
    assert_allowed(gated_ok, repo_id, tmp_path)
    r = _batch(stoa, repo_id, basic(gated_ok.token))
    assert r.status == 200, r.describe()

    # The flag is not a key: once bob's access is cancelled, that token is gated too.
    api_alice.cancel_access_request(repo_id, "bob")
    assert_denied(hf, gated_ok, repo_id, tmp_path, 403)

    # And it never opens a gated repo the user was not granted.
    other = new_gated(api_alice, "manual")
    other_token = _fine_grained(stoa, "bob", f"model:{other}:repo.content.read", "--can-read-gated")
    assert_denied(hf, hf.HfApi(endpoint=stoa.url, token=other_token), other, tmp_path, 403)
