"""Access control as a table: actor x repo state x operation (security.md §5.4, issue 7).

Every cell is one parametrized test, `test_http_cell[<op>-<state>-<actor>]`. Its expected
outcome is computed from the written rules below (`LEVELS`, `expected()`), never from what the
server answers:

* an actor's rights on a repo are its account's level (namespace owner, or org role: read reads,
  contributor reads and manages the repos it created, write/admin manage every org repo) capped
  by its token (read tokens read; write tokens and sessions act as the account; fine-grained
  tokens only what their scope on that repo grants, `repo.write` = write and manage);
* public repos are readable by everyone; a repo the actor may not read is *hidden*: 404
  `RepoNotFound` (401 when anonymous), byte-identical (status, `X-Error-Code`,
  `X-Error-Message`, `WWW-Authenticate`, body) to what the same actor gets for a repo that does
  not exist (hub-api.md §1.5);
* anonymous writes to a visible repo: 401 `Unauthenticated`; visible but not allowed: 403
  `Forbidden`;
* an expired or revoked token: 401 `InvalidCredentials` /
  `Invalid credentials in Authorization header` on every route, public repos included;
* opening a discussion needs a visible repo and a token that may write discussions *on that
  repo*: read tokens may not, fine-grained tokens need `discussion.write` or `repo.write` scoped
  to the repo (or its namespace), or the global `discussion.write`.

Actors: anonymous; `owner` (alice, write token from `stoa admin`; alice is also the admin of the
org and the creator of the org's `org_private` repo); alice's `read_token`; alice's
`write_token` (created over HTTP, POST /api/settings/tokens); alice's fine-grained `fg_other`
(repo.write + repo.content.read on another repo) and `fg_this` (repo.write on the cell's repo,
one token per repo); alice's `expired` (POST /api/settings/tokens with `expiresAt` 3 s ahead,
waited out once per module) and `revoked` (stoa admin token revoke) tokens; `non_member` (bob);
org members with write tokens at `org_read`, `org_contributor`, `org_write`, `org_admin`.

Repo states: `public` and `private` (owned by alice), `org_private` (org-owned private, created
by alice), `org_private_own` (org-owned private, created by the contributor: the contributor
column on "a repo they created"); and, for info/tree/resolve only, `gated_auto` and
`gated_manual` (public, owned by alice, nobody has asked for access: see `expected_gated`; the
request flows are test_gating.py's).

Operations over curl, with exact status and `X-Error-Code`: `info` (GET /api/models/{id}),
`tree` (GET .../tree/main), `resolve` (GET /{id}/resolve/main/file.txt), `lfs_batch` (git-lfs
batch download of the repo's LFS object), `xet_read` (GET .../xet-read-token/main), `commit`
(POST .../commit/main, what upload_file sends last), `settings` (PUT .../settings private
toggled and back), `delete` (DELETE /api/repos/delete on a throwaway repo of the same state and
creator, per cell), `discussion` (POST .../discussions), `clone` (GET
/{id}.git/info/refs?service=git-upload-pack, the first request of git clone) and `push` (GET
...info/refs?service=git-receive-pack, the first request of git push).

Real git runs only for a representative subset, `test_git_cell[...]` (see GIT_CELLS): clone of a
public repo anonymously, of a private repo anonymously / by a non-member / by a fine-grained token
scoped elsewhere (each must fail exactly like a missing repo), by a read token and by org
read/contributor members (succeed), with an expired token on a public and a private repo (fail); push by the contributor to its
own org repo (ok) and to another org repo (refused), by a read token (refused), by a
fine-grained token scoped to the repo (ok), by an org writer (ok), by a fine-grained token scoped
elsewhere to a private repo (hidden), with a revoked token and anonymously (refused). Note: git
sends credentials only after a 401, so with a dead token on a public repo only git-lfs (which
always sends them) is refused.
"""

from __future__ import annotations

import base64
import json
import re
import time
from datetime import datetime, timedelta, timezone

import pytest

from compat_helpers import curl, ndjson, sha256_bytes, unique_name
from git_helpers import remote

LFS_CT = "application/vnd.git-lfs+json"
JSON = {"Content-Type": "application/json"}
INVALID_CREDENTIALS = "Invalid credentials in Authorization header"

FILE_TXT = b"hello from the access matrix\n"
WEIGHTS = bytes(range(256)) * 64  # 16 KiB, *.bin: LFS by the default .gitattributes

ACTORS = [
    "anonymous",
    "owner",
    "read_token",
    "write_token",
    "fg_other",
    "fg_this",
    "expired",
    "revoked",
    "non_member",
    "org_read",
    "org_contributor",
    "org_write",
    "org_admin",
]
STATES = ["public", "private", "org_private", "org_private_own"]
OPS = ["info", "tree", "resolve", "lfs_batch", "xet_read", "commit", "settings", "delete", "discussion",
       "clone", "push"]

# ------------------------------------------------------------------------------------------------
# The rules
# ------------------------------------------------------------------------------------------------

N, R, W = 0, 1, 2  # none, read, write (= write and manage: the roles in this matrix never split them)

# What the *account* behind each actor may do, per repo state (security.md §5.2 roles).
ACCOUNT = {
    # alice owns public/private and is admin of the org.
    "owner": {"public": W, "private": W, "org_private": W, "org_private_own": W},
    "non_member": {"public": N, "private": N, "org_private": N, "org_private_own": N},
    "org_read": {"public": N, "private": N, "org_private": R, "org_private_own": R},
    "org_contributor": {"public": N, "private": N, "org_private": R, "org_private_own": W},
    "org_write": {"public": N, "private": N, "org_private": W, "org_private_own": W},
    "org_admin": {"public": N, "private": N, "org_private": W, "org_private_own": W},
}
ACCOUNT_OF = {  # alice's tokens act for alice's account
    "owner": "owner", "read_token": "owner", "write_token": "owner", "fg_other": "owner", "fg_this": "owner",
    "non_member": "non_member", "org_read": "org_read", "org_contributor": "org_contributor",
    "org_write": "org_write", "org_admin": "org_admin",
}
# What the token allows on the cell's repo (security.md §5.3: effective = token ∩ account).
TOKEN_CAP = {"owner": W, "write_token": W, "read_token": R, "fg_other": N, "fg_this": W,
             "non_member": W, "org_read": W, "org_contributor": W, "org_write": W, "org_admin": W}
# Whether the token may open discussions on the cell's repo.
TOKEN_DISCUSSES = {"owner": True, "write_token": True, "read_token": False,
                   "fg_other": False,  # its scopes name another repo only
                   "fg_this": True,  # repo.write on this repo
                   "non_member": True, "org_read": True, "org_contributor": True, "org_write": True,
                   "org_admin": True}

READ_OPS = {"info", "tree", "resolve", "lfs_batch", "xet_read", "clone"}
WRITE_OPS = {"commit", "push"}
MANAGE_OPS = {"settings", "delete"}


def level(actor: str, state: str) -> int:
    if actor in ("anonymous", "expired", "revoked"):
        return N
    return min(ACCOUNT[ACCOUNT_OF[actor]][state], TOKEN_CAP[actor])


def visible(actor: str, state: str) -> bool:
    return state in ("public", *GATED_STATES) or level(actor, state) >= R


def expected(op: str, state: str, actor: str) -> tuple[int, str | None]:
    """(status, X-Error-Code) the rules give."""
    if state in GATED_STATES:
        return expected_gated(op, actor)
    if actor in ("expired", "revoked"):
        return 401, "InvalidCredentials"
    if not visible(actor, state):
        return (401 if actor == "anonymous" else 404), "RepoNotFound"
    if op in READ_OPS:
        return 200, None
    if actor == "anonymous":
        return 401, "Unauthenticated"
    if op == "discussion":
        return (200, None) if TOKEN_DISCUSSES[actor] else (403, "Forbidden")
    wanted = W  # WRITE_OPS and MANAGE_OPS
    return (200, None) if level(actor, state) >= wanted else (403, "Forbidden")


def must_look_missing(op: str, state: str, actor: str) -> bool:
    return actor in ("expired", "revoked") or not visible(actor, state)


# Gated (public) repos owned by alice, for the read operations only (test_gating.py covers the
# request / accept / reject flows). Metadata and tree stay readable; file contents need access:
# anonymous 401 GatedRepo, signed-in without access 403 GatedRepo. Nobody here asked for access,
# so only the bypass applies: an account that may write the repo (its owner), through a token
# that lets it read the repo (any of the owner's tokens except one scoped elsewhere).
GATED_STATES = ["gated_auto", "gated_manual"]
GATED_OPS = ["info", "tree", "resolve"]
for _gated in GATED_STATES:
    for _actor, _levels in ACCOUNT.items():
        _levels[_gated] = _levels["public"]


def expected_gated(op: str, actor: str) -> tuple[int, str | None]:
    if actor in ("expired", "revoked"):
        return 401, "InvalidCredentials"
    if op != "resolve":
        return 200, None
    if actor == "anonymous":
        return 401, "GatedRepo"
    account = ACCOUNT[ACCOUNT_OF[actor]]["gated_auto"]
    return (200, None) if account >= W and TOKEN_CAP[actor] >= R else (403, "GatedRepo")


HTTP_CELLS = [(op, state, actor) for op in OPS for state in STATES for actor in ACTORS] + \
    [(op, state, actor) for op in GATED_OPS for state in GATED_STATES for actor in ACTORS]

# ------------------------------------------------------------------------------------------------
# The world: users, org, repos and tokens, created once per module
# ------------------------------------------------------------------------------------------------


class World:
    def __init__(self, stoa):
        self.stoa = stoa
        self.tokens: dict[str, str | None] = {}
        self.repos: dict[str, str] = {}
        self.creator: dict[str, str] = {}  # state -> actor whose token creates repos of that state
        self.fg_this: dict[str, str] = {}  # repo id -> fine-grained token with repo.write on it
        self.weights: dict[str, bytes] = {}  # state -> bytes of its weights.bin

    def token(self, actor: str, repo_id: str) -> str | None:
        if actor == "fg_this":
            if repo_id not in self.fg_this:
                self.fg_this[repo_id] = admin_token(self.stoa, "alice", "fineGrained",
                                                    f"model:{repo_id}:repo.write")
            return self.fg_this[repo_id]
        return self.tokens[actor]

    def missing_repo(self, state: str) -> str:
        return f"{self.repos[state].split('/')[0]}/missing-{unique_name('m')}"


def admin_token(stoa, user: str, role: str, *scopes: str, name: str | None = None) -> str:
    args = ["token", "create", "--user", user, "--role", role, "--name", name or unique_name("matrix")]
    for scope in scopes:
        args += ["--scope", scope]
    out = stoa.admin(*args).stdout.strip().splitlines()
    assert out, f"`stoa admin {' '.join(args)}` printed no token"
    return out[-1].strip()


def create_repo(stoa, token: str, repo_id: str, private: bool) -> None:
    namespace, name = repo_id.split("/")
    body = {"name": name, "organization": namespace, "type": "model", "private": private}
    r = curl("POST", f"{stoa.url}/api/repos/create", token=token, headers=JSON, data=json.dumps(body))
    assert r.status == 200, r.describe()


def commit(stoa, token: str | None, repo_id: str, files: dict[str, bytes], summary: str = "matrix"):
    lines = [{"key": "header", "value": {"summary": summary, "description": ""}}]
    for path, data in files.items():
        lines.append({"key": "file", "value": {"path": path, "content": base64.b64encode(data).decode(),
                                               "encoding": "base64"}})
    return curl("POST", f"{stoa.url}/api/models/{repo_id}/commit/main", token=token,
                headers={"Content-Type": "application/x-ndjson"}, data=ndjson(*lines))


def head_sha(stoa, repo_id: str) -> str | None:
    r = curl("GET", f"{stoa.url}/api/models/{repo_id}", token=stoa.tokens["alice"])
    return r.json()["sha"] if r.status == 200 else None


@pytest.fixture(scope="module")
def world(stoa, hf):
    w = World(stoa)
    suffix = unique_name("x").split("-")[1][:8]
    org = f"acme-{suffix}"
    users = {role: f"m{role}-{suffix}" for role in ("read", "contributor", "write", "admin")}
    for user in users.values():
        stoa.admin("user", "create", user)
    stoa.admin("org", "create", org, "--fullname", "Acme Matrix", "--member", "alice:admin",
               *[arg for role, user in users.items() for arg in ("--member", f"{user}:{role}")])

    w.tokens.update(
        anonymous=None,
        owner=stoa.tokens["alice"],
        read_token=stoa.tokens["alice_read"],
        non_member=stoa.tokens["bob"],
        org_read=admin_token(stoa, users["read"], "write"),
        org_contributor=admin_token(stoa, users["contributor"], "write"),
        org_write=admin_token(stoa, users["write"], "write"),
        org_admin=admin_token(stoa, users["admin"], "write"),
    )
    # A write token created over HTTP by its owner.
    r = curl("POST", f"{stoa.url}/api/settings/tokens", token=stoa.tokens["alice"], headers=JSON,
             data=json.dumps({"displayName": unique_name("matrix-write"), "role": "write"}))
    assert r.status == 201, r.describe()
    w.tokens["write_token"] = r.json()["token"]
    # Fine-grained, scoped to another repo of alice's.
    other = f"alice/{unique_name('other')}"
    create_repo(stoa, stoa.tokens["alice"], other, private=True)
    w.tokens["fg_other"] = admin_token(stoa, "alice", "fineGrained", f"model:{other}:repo.write+repo.content.read")
    # Revoked through the admin CLI (id looked up by the token's unique name).
    revoked_name = unique_name("matrix-revoked")
    w.tokens["revoked"] = admin_token(stoa, "alice", "write", name=revoked_name)
    listing = stoa.admin("token", "list", "--user", "alice").stdout.splitlines()
    ids = [line.split("\t")[0] for line in listing if line.split("\t")[1:2] == [revoked_name]]
    assert len(ids) == 1, listing
    stoa.admin("token", "revoke", "--user", "alice", "--id", ids[0])
    # Expiring 3 s from now, over HTTP; waited out below, after the repos exist.
    expires = (datetime.now(timezone.utc) + timedelta(seconds=3)).replace(microsecond=0)
    r = curl("POST", f"{stoa.url}/api/settings/tokens", token=stoa.tokens["alice"], headers=JSON,
             data=json.dumps({"displayName": unique_name("matrix-expiring"), "role": "write",
                              "expiresAt": expires.isoformat().replace("+00:00", "Z")}))
    assert r.status == 201, r.describe()
    w.tokens["expired"] = r.json()["token"]
    ok = curl("GET", f"{stoa.url}/api/whoami-v2", token=w.tokens["expired"])
    assert ok.status == 200, f"the expiring token must work before its expiry\n{ok.describe()}"

    w.creator = {"public": "owner", "private": "owner", "org_private": "owner", "org_private_own": "org_contributor"}
    layout = {"public": ("alice", False), "private": ("alice", True), "org_private": (org, True),
              "org_private_own": (org, True)}
    for state, (namespace, private) in layout.items():
        repo_id = f"{namespace}/{unique_name(state.replace('_', ''))}"
        token = w.tokens[w.creator[state]]
        create_repo(stoa, token, repo_id, private)
        r = commit(stoa, token, repo_id, {"file.txt": FILE_TXT})
        assert r.status == 200, r.describe()
        w.repos[state] = repo_id
        # The LFS object (uploaded the way huggingface_hub does it).
        api = hf.HfApi(endpoint=stoa.url, token=token)
        # Different bytes per repo: the client's Xet cache would otherwise reuse another user's
        # xorbs, which the server (rightly) does not let a second user reference.
        w.weights[state] = WEIGHTS + repo_id.encode()
        api.upload_file(path_or_fileobj=w.weights[state], path_in_repo="weights.bin", repo_id=repo_id)
        entry = next(e for e in api.list_repo_tree(repo_id) if e.path == "weights.bin")
        assert entry.lfs is not None and entry.lfs.sha256 == sha256_bytes(w.weights[state]), \
            f"{repo_id}: weights.bin is not LFS"
    w.org = org
    for state in GATED_STATES:
        repo_id = f"alice/{unique_name(state.replace('_', ''))}"
        create_repo(stoa, stoa.tokens["alice"], repo_id, private=False)
        assert commit(stoa, stoa.tokens["alice"], repo_id, {"file.txt": FILE_TXT}).status == 200
        r = curl("PUT", f"{stoa.url}/api/models/{repo_id}/settings", token=stoa.tokens["alice"], headers=JSON,
                 data=json.dumps({"gated": state.split("_")[1]}))
        assert r.status == 200, r.describe()
        w.repos[state] = repo_id

    left = expires.timestamp() + 1.5 - time.time()
    if left > 0:
        time.sleep(left)
    gone = curl("GET", f"{stoa.url}/api/whoami-v2", token=w.tokens["expired"])
    assert gone.status == 401, f"the token expired at {expires.isoformat()}\n{gone.describe()}"
    return w


# ------------------------------------------------------------------------------------------------
# Operations
# ------------------------------------------------------------------------------------------------


def run_op(w: World, op: str, repo_id: str, token: str | None, tag: str, state: str):
    url = w.stoa.url
    if op == "info":
        return curl("GET", f"{url}/api/models/{repo_id}", token=token)
    if op == "tree":
        return curl("GET", f"{url}/api/models/{repo_id}/tree/main", token=token)
    if op == "resolve":
        return curl("GET", f"{url}/{repo_id}/resolve/main/file.txt", token=token)
    if op == "lfs_batch":
        body = {"operation": "download", "transfers": ["basic"], "hash_algo": "sha256",
                "objects": [{"oid": sha256_bytes(w.weights[state]), "size": len(w.weights[state])}]}
        return curl("POST", f"{url}/{repo_id}.git/info/lfs/objects/batch", token=token,
                    headers={"Accept": LFS_CT, "Content-Type": LFS_CT}, data=json.dumps(body))
    if op == "xet_read":
        return curl("GET", f"{url}/api/models/{repo_id}/xet-read-token/main", token=token)
    if op == "commit":
        return commit(w.stoa, token, repo_id, {f"cells/{tag}.txt": tag.encode()}, summary=f"cell {tag}")
    if op == "settings":
        return curl("PUT", f"{url}/api/models/{repo_id}/settings", token=token, headers=JSON,
                    data=json.dumps({"private": True}))  # the value is replaced per cell below
    if op == "delete":
        namespace, name = repo_id.split("/")
        return curl("DELETE", f"{url}/api/repos/delete", token=token, headers=JSON,
                    data=json.dumps({"name": name, "organization": namespace, "type": "model"}))
    if op == "discussion":
        return curl("POST", f"{url}/api/models/{repo_id}/discussions", token=token, headers=JSON,
                    data=json.dumps({"title": f"cell {tag}", "description": "from the access matrix"}))
    if op == "clone":
        return curl("GET", f"{url}/{repo_id}.git/info/refs?service=git-upload-pack", token=token)
    if op == "push":
        return curl("GET", f"{url}/{repo_id}.git/info/refs?service=git-receive-pack", token=token)
    raise AssertionError(op)


def settings_put(w: World, repo_id: str, token: str | None, private: bool):
    return curl("PUT", f"{w.stoa.url}/api/models/{repo_id}/settings", token=token, headers=JSON,
                data=json.dumps({"private": private}))


def is_private(w: World, repo_id: str) -> bool:
    r = curl("GET", f"{w.stoa.url}/api/models/{repo_id}", token=w.stoa.tokens["alice"])
    assert r.status == 200, r.describe()
    return bool(r.json()["private"])


def fingerprint(r) -> dict:
    return {"status": r.status, "x-error-code": r.header("x-error-code"),
            "x-error-message": r.header("x-error-message"), "www-authenticate": r.header("www-authenticate"),
            "body": r.body}


def _describe(op, state, actor, want, r) -> str:
    return f"cell {op}/{state}/{actor}: expected {want[0]} {want[1]}, got {r.status} {r.header('x-error-code')}\n" \
           f"{r.describe()}"


@pytest.mark.parametrize("op,state,actor", HTTP_CELLS, ids=[f"{o}-{s}-{a}" for o, s, a in HTTP_CELLS])
def test_http_cell(world, op, state, actor):
    w = world
    want = expected(op, state, actor)
    tag = f"{op}-{state}-{actor}-{unique_name('c')}"
    repo_id = w.repos[state]
    if op == "delete":
        # A throwaway repo of the same state and creator, so that allowed cells delete nothing shared.
        repo_id = f"{repo_id.split('/')[0]}/{unique_name('throwaway')}"
        create_repo(w.stoa, w.tokens[w.creator[state]], repo_id, private=state != "public")
    token = w.token(actor, repo_id)
    before = head_sha(w.stoa, repo_id)
    was_private = state != "public"

    if op == "settings":
        r = settings_put(w, repo_id, token, not was_private)
        try:
            assert (r.status, r.header("x-error-code")) == want, _describe(op, state, actor, want, r)
            if want[0] == 200:
                assert is_private(w, repo_id) is (not was_private), f"{op}/{state}/{actor}: visibility not changed"
                back = settings_put(w, repo_id, token, was_private)
                assert back.status == 200, f"toggling back:\n{back.describe()}"
            assert is_private(w, repo_id) is was_private, f"{op}/{state}/{actor}: visibility changed by a refusal"
        finally:
            if is_private(w, repo_id) is not was_private:  # keep the shared repo in its state
                settings_put(w, repo_id, w.stoa.tokens["alice"], was_private)
    else:
        r = run_op(w, op, repo_id, token, tag, state)
        assert (r.status, r.header("x-error-code")) == want, _describe(op, state, actor, want, r)

    if actor in ("expired", "revoked"):
        assert r.header("x-error-message") == INVALID_CREDENTIALS, r.describe()
    # What a success delivers, and what a refusal leaves untouched.
    if op == "resolve" and want[0] == 200:
        assert r.body == FILE_TXT
    if op == "resolve" and want[1] == "GatedRepo":
        assert re.match(r"Access to model \S+ is restricted and you are not in the authorized list",
                        r.header("x-error-message") or ""), r.describe()
        assert r.body != FILE_TXT
    if state in GATED_STATES and op == "info" and want[0] == 200:
        assert r.json()["gated"] == state.split("_")[1], r.describe()
    if op == "info" and want[0] == 200:
        assert r.json()["id"] == repo_id, r.describe()
    if op == "lfs_batch" and want[0] == 200:
        obj = r.json()["objects"][0]
        assert obj["oid"] == sha256_bytes(w.weights[state]) and "download" in obj.get("actions", {}), r.describe()
    if op == "xet_read" and want[0] == 200:
        assert r.json().get("accessToken"), r.describe()
    if op == "commit":
        after = head_sha(w.stoa, repo_id)
        assert (after != before) is (want[0] == 200), f"{op}/{state}/{actor}: head {before} -> {after}, {r.describe()}"
    if op == "delete":
        exists = head_sha(w.stoa, repo_id) is not None
        assert exists is (want[0] != 200), f"{op}/{state}/{actor}: repo exists={exists} after {r.status}"

    if must_look_missing(op, state, actor):
        missing = w.missing_repo(state)
        if op == "settings":
            m = settings_put(w, missing, token, not was_private)
        else:
            m = run_op(w, op, missing, token, tag, state)
        assert fingerprint(r) == fingerprint(m), (
            f"cell {op}/{state}/{actor}: a hidden repo must answer exactly like the missing {missing}\n"
            f"--- hidden ---\n{r.describe()}\n--- missing ---\n{m.describe()}"
        )


# ------------------------------------------------------------------------------------------------
# Real git, for a representative subset
# ------------------------------------------------------------------------------------------------

GIT_CELLS = [
    ("clone", "public", "anonymous"),
    ("clone", "private", "anonymous"),
    ("clone", "private", "non_member"),
    ("clone", "private", "fg_other"),
    ("clone", "private", "read_token"),
    ("clone", "org_private", "org_read"),
    ("clone", "org_private", "org_contributor"),
    ("clone", "public", "expired"),
    ("clone", "private", "expired"),
    ("push", "org_private_own", "org_contributor"),
    ("push", "org_private", "org_contributor"),
    ("push", "public", "read_token"),
    ("push", "private", "fg_this"),
    ("push", "private", "fg_other"),
    ("push", "org_private", "org_write"),
    ("push", "public", "revoked"),
    ("push", "public", "anonymous"),
]


def _git_outcome(status: int) -> str:
    return "ok" if status == 200 else "refused"


@pytest.mark.parametrize("op,state,actor", GIT_CELLS, ids=[f"{o}-{s}-{a}" for o, s, a in GIT_CELLS])
def test_git_cell(world, git, tmp_path, op, state, actor):
    w = world
    want_status, _ = expected(op, state, actor)
    repo_id = w.repos[state]
    token = w.token(actor, repo_id)
    git.secrets.extend(t for t in [*w.tokens.values(), *w.fg_this.values()] if t)  # masked in reports
    url = remote(w.stoa, repo_id, token)
    if op == "clone":
        result = git.run("clone", "-q", url, tmp_path / "clone", check=False)
        if want_status == 200:
            assert result.returncode == 0, result.describe()
            assert (tmp_path / "clone" / "file.txt").read_bytes() == FILE_TXT
            return
        assert result.returncode != 0, f"clone {state}/{actor} must fail\n{result.describe()}"
        if state == "public":
            # git only presents credentials after a 401, and a public repo needs none: the git part
            # succeeds; git-lfs sends the dead token to the batch API, gets 401, and checkout fails.
            assert "smudge filter lfs failed" in result.stderr, result.describe()
            weights = tmp_path / "clone" / "weights.bin"
            assert not weights.exists() or not weights.read_bytes().startswith(WEIGHTS[:64]), "LFS bytes leaked"
            return
        assert not (tmp_path / "clone" / "file.txt").exists()
        if must_look_missing(op, state, actor):
            missing = w.missing_repo(state)
            other = git.run("clone", "-q", remote(w.stoa, missing, token), tmp_path / "clone2", check=False)
            assert other.returncode == result.returncode
            assert other.stderr.replace(missing, "REPO").replace("clone2", "clone") == \
                result.stderr.replace(repo_id, "REPO"), (
                f"git must fail on {state}/{actor} exactly as on a missing repo\n{result.describe()}\n{other.describe()}"
            )
        return

    # push: clone with the owner's token, commit, push with the actor's credentials.
    work = tmp_path / "work"
    git.run("clone", "-q", remote(w.stoa, repo_id, w.stoa.tokens["alice"]), work)
    (work / f"pushed-{actor}.txt").write_bytes(f"pushed by {actor}\n".encode())
    git.run("add", "-A", cwd=work)
    git.run("commit", "-q", "-m", f"push by {actor}", cwd=work)
    local = git.out("rev-parse", "HEAD", cwd=work)
    before = head_sha(w.stoa, repo_id)
    git.run("remote", "set-url", "origin", url, cwd=work)
    result = git.run("push", "origin", "main", cwd=work, check=False)
    after = head_sha(w.stoa, repo_id)
    if want_status == 200:
        assert result.returncode == 0, result.describe()
        assert after == local, f"push {state}/{actor}: remote head {after}, pushed {local}"
    else:
        assert result.returncode != 0, f"push {state}/{actor} must be refused\n{result.describe()}"
        assert after == before, f"push {state}/{actor} moved the head {before} -> {after}"
        if actor == "anonymous" or actor in ("expired", "revoked"):
            # 401: git asked for credentials (prompts are off) or reports failed authentication.
            assert ("could not read Username" in result.stderr or "Authentication failed" in result.stderr), \
                result.describe()
        elif must_look_missing(op, state, actor):
            assert "not found" in result.stderr.lower() or "404" in result.stderr, result.describe()
        else:
            assert "403" in result.stderr, result.describe()
