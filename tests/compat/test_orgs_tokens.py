"""Organisations, members and roles, tokens (read / write / fine-grained / expiring / revoked),
accounts with browser sessions and CSRF, and the organisation audit log (security.md §5.2, §5.3,
§7.6; hub-api.md §3.1).

Every test makes its own users, organisations and repos (unique names), so the tests are
independent of each other and of the rest of the suite. Users and organisations come from
`stoa admin` (the operator's tool); everything else goes over HTTP, with curl for exact statuses
and with huggingface_hub 2.4.0 where a client call exists (whoami, upload_file, model_info,
create_repo).
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta, timezone

import pytest

from compat_helpers import curl, unique_name

JSON = {"Content-Type": "application/json"}
INVALID_CREDENTIALS = "Invalid credentials in Authorization header"


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def new_user(stoa, prefix: str = "u", role: str = "write") -> tuple[str, str]:
    """A fresh user (stoa admin user create) and a token of theirs."""
    name = unique_name(prefix)
    stoa.admin("user", "create", name)
    return name, admin_token(stoa, name, role)


def admin_token(stoa, user: str, role: str = "write", *extra: str, name: str | None = None) -> str:
    out = stoa.admin("token", "create", "--user", user, "--role", role, "--name", name or unique_name("tok"),
                     *extra).stdout.strip().splitlines()
    assert out, "stoa admin token create printed nothing"
    return out[-1].strip()


def new_org(stoa, *members: str, private_by_default: bool = False, fullname: str | None = None) -> str:
    name = unique_name("org")
    args = ["org", "create", name]
    if fullname:
        args += ["--fullname", fullname]
    for member in members:
        args += ["--member", member]
    if private_by_default:
        args.append("--private-by-default")
    stoa.admin(*args)
    return name


def whoami(stoa, token: str | None = None, headers: dict | None = None):
    return curl("GET", f"{stoa.url}/api/whoami-v2", token=token, headers=headers)


def set_role(stoa, token, org, user, role):
    return curl("PUT", f"{stoa.url}/api/organizations/{org}/members/{user}/role", token=token, headers=JSON,
                data=json.dumps({"role": role}))


def remove_member(stoa, token, org, user):
    return curl("DELETE", f"{stoa.url}/api/organizations/{org}/members/{user}", token=token)


def members(stoa, token, org):
    return curl("GET", f"{stoa.url}/api/organizations/{org}/members", token=token)


def roles_of(stoa, token, org) -> dict[str, str]:
    r = members(stoa, token, org)
    assert r.status == 200, r.describe()
    return {m["user"]: m["role"] for m in r.json()}


def create_repo(stoa, token, repo_id, private=None, headers=None):
    namespace, name = repo_id.split("/")
    body = {"name": name, "organization": namespace, "type": "model"}
    if private is not None:
        body["private"] = private
    return curl("POST", f"{stoa.url}/api/repos/create", token=token, headers={**JSON, **(headers or {})},
                data=json.dumps(body))


def assert_error(r, status: int, code: str | None = None, message: str | None = None):
    __tracebackhide__ = True
    assert r.status == status, r.describe()
    if code is not None:
        assert r.header("x-error-code") == code, r.describe()
    if message is not None:
        assert r.header("x-error-message") == message, r.describe()
        assert r.json()["error"] == message, r.describe()


def assert_invalid_credentials(r):
    __tracebackhide__ = True
    assert_error(r, 401, "InvalidCredentials", INVALID_CREDENTIALS)


def http_token(stoa, owner_token: str, role: str = "write", **extra):
    body = {"displayName": unique_name("http-token"), "role": role, **extra}
    r = curl("POST", f"{stoa.url}/api/settings/tokens", token=owner_token, headers=JSON, data=json.dumps(body))
    return r


def list_tokens(stoa, token: str | None = None, headers: dict | None = None):
    return curl("GET", f"{stoa.url}/api/settings/tokens", token=token, headers=headers)


def admin_token_lines(stoa, user: str) -> dict[str, list[str]]:
    """`stoa admin token list --user U`: name -> tab-separated fields."""
    out = stoa.admin("token", "list", "--user", user).stdout
    return {line.split("\t")[1]: line.split("\t") for line in out.splitlines() if line.strip()}


# ------------------------------------------------------------------------------------------------
# Organisations and members
# ------------------------------------------------------------------------------------------------


def test_admin_org_create_and_whoami_roles(stoa, hf):
    admin, admin_tok = new_user(stoa, "oadmin")
    reader, reader_tok = new_user(stoa, "oreader")
    contributor, contributor_tok = new_user(stoa, "ocontrib")
    org = new_org(stoa, f"{admin}:admin", reader, f"{contributor}:contributor", fullname="Acme Research Lab")

    # whoami-v2 through huggingface_hub and on the wire.
    me = hf.HfApi(endpoint=stoa.url, token=admin_tok).whoami()
    assert me["name"] == admin and me["type"] == "user"
    entry = [o for o in me["orgs"] if o["name"] == org]
    assert len(entry) == 1, me["orgs"]
    assert entry[0]["type"] == "org" and entry[0]["fullname"] == "Acme Research Lab", entry
    assert entry[0]["roleInOrg"] == "admin", entry
    assert [o["roleInOrg"] for o in whoami(stoa, reader_tok).json()["orgs"] if o["name"] == org] == ["read"], \
        "--member USER without a role means read"
    assert [o["roleInOrg"] for o in whoami(stoa, contributor_tok).json()["orgs"] if o["name"] == org] == \
        ["contributor"]
    assert all(o["name"] != org for o in whoami(stoa, stoa.tokens["bob"]).json()["orgs"])

    # Members see the member list; others get "not found".
    assert roles_of(stoa, reader_tok, org) == {admin: "admin", reader: "read", contributor: "contributor"}
    assert_error(members(stoa, stoa.tokens["bob"], org), 404)
    assert_error(members(stoa, stoa.tokens["bob"], unique_name("noorg")), 404)

    # Bad requests to the operator's tool fail loudly and create nothing.
    taken = stoa.admin("org", "create", org, check=False)
    assert taken.returncode != 0, "an org name can be created only once"
    same_as_user = stoa.admin("org", "create", admin, check=False)
    assert same_as_user.returncode != 0, "user and org names share one space"
    ghost = unique_name("org")
    unknown = stoa.admin("org", "create", ghost, "--member", f"{unique_name('nobody')}:admin", check=False)
    assert unknown.returncode != 0, "members must exist"
    bad_role = stoa.admin("org", "create", ghost, "--member", f"{admin}:owner", check=False)
    assert bad_role.returncode != 0, "roles are read, contributor, write, admin"
    assert create_repo(stoa, admin_tok, f"{ghost}/x").status in (403, 404), "the refused orgs must not exist"
    assert_error(members(stoa, admin_tok, ghost), 404)


def test_membership_api_add_change_remove_and_last_admin(stoa, hf):
    admin, admin_tok = new_user(stoa, "madmin")
    writer, writer_tok = new_user(stoa, "mwriter")
    newcomer, newcomer_tok = new_user(stoa, "mnew")
    org = new_org(stoa, f"{admin}:admin", f"{writer}:write")

    # Add (PUT on a non-member), change the role, see it in whoami and the member list.
    r = set_role(stoa, admin_tok, org, newcomer, "contributor")
    assert r.status == 200, r.describe()
    assert roles_of(stoa, admin_tok, org)[newcomer] == "contributor"
    assert [o["roleInOrg"] for o in whoami(stoa, newcomer_tok).json()["orgs"] if o["name"] == org] == \
        ["contributor"]
    assert set_role(stoa, admin_tok, org, newcomer, "write").status == 200
    assert roles_of(stoa, admin_tok, org)[newcomer] == "write"
    assert_error(set_role(stoa, admin_tok, org, newcomer, "owner"), 400)
    assert_error(set_role(stoa, admin_tok, org, unique_name("nobody"), "read"), 404)

    # Non-admins are refused (403 for members, 404 for outsiders); nothing changes.
    assert_error(set_role(stoa, writer_tok, org, newcomer, "admin"), 403, "Forbidden")
    assert_error(remove_member(stoa, writer_tok, org, newcomer), 403, "Forbidden")
    assert_error(set_role(stoa, stoa.tokens["bob"], org, newcomer, "admin"), 404)
    assert_error(remove_member(stoa, stoa.tokens["bob"], org, admin), 404)
    # Anonymous callers are outsiders too (404 like non-members, or 401): refused either way.
    assert set_role(stoa, None, org, newcomer, "admin").status in (401, 404)
    # A read token of the admin does not manage members.
    read_tok = admin_token(stoa, admin, "read")
    assert_error(set_role(stoa, read_tok, org, newcomer, "admin"), 403, "Forbidden")
    assert roles_of(stoa, admin_tok, org) == {admin: "admin", writer: "write", newcomer: "write"}

    # The last admin can be neither demoted nor removed ...
    assert_error(set_role(stoa, admin_tok, org, admin, "write"), 400, "BadRequest")
    assert_error(remove_member(stoa, admin_tok, org, admin), 400, "BadRequest")
    assert roles_of(stoa, admin_tok, org)[admin] == "admin"
    # ... until there is another one.
    assert set_role(stoa, admin_tok, org, writer, "admin").status == 200
    r = set_role(stoa, writer_tok, org, admin, "read")
    assert r.status == 200, r.describe()
    assert roles_of(stoa, writer_tok, org)[admin] == "read"
    assert_error(set_role(stoa, admin_tok, org, newcomer, "read"), 403, "Forbidden")  # no longer admin

    # Removal: the member loses the org (whoami, private repos), removing twice is 404.
    repo = f"{org}/{unique_name('secret')}"
    assert create_repo(stoa, writer_tok, repo, private=True).status == 200
    assert curl("GET", f"{stoa.url}/api/models/{repo}", token=newcomer_tok).status == 200
    r = remove_member(stoa, writer_tok, org, newcomer)
    assert r.status == 200, r.describe()
    assert all(o["name"] != org for o in whoami(stoa, newcomer_tok).json()["orgs"])
    assert_error(curl("GET", f"{stoa.url}/api/models/{repo}", token=newcomer_tok), 404, "RepoNotFound")
    assert_error(members(stoa, newcomer_tok, org), 404)
    assert_error(remove_member(stoa, writer_tok, org, newcomer), 404)


def test_private_by_default(stoa, hf):
    member, member_tok = new_user(stoa, "pbd")
    closed = new_org(stoa, f"{member}:contributor", private_by_default=True)
    open_ = new_org(stoa, f"{member}:contributor")
    api = hf.HfApi(endpoint=stoa.url, token=member_tok)
    anon = hf.HfApi(endpoint=stoa.url, token=False)

    default_private = f"{closed}/{unique_name('r')}"
    api.create_repo(default_private)  # private=None: the org's default applies
    assert api.model_info(default_private).private is True
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        anon.model_info(default_private)
    explicit_public = f"{closed}/{unique_name('r')}"
    api.create_repo(explicit_public, private=False)
    assert anon.model_info(explicit_public).private is False

    default_public = f"{open_}/{unique_name('r')}"
    api.create_repo(default_public)
    assert anon.model_info(default_public).private is False
    explicit_private = f"{open_}/{unique_name('r')}"
    api.create_repo(explicit_private, private=True)
    assert api.model_info(explicit_private).private is True

    # A user's own namespace is public by default, whatever their orgs say.
    own = f"{member}/{unique_name('r')}"
    api.create_repo(own)
    assert anon.model_info(own).private is False


# ------------------------------------------------------------------------------------------------
# Tokens
# ------------------------------------------------------------------------------------------------


def test_fine_grained_token_writes_one_repo_and_nothing_else(stoa, hf, api_alice):
    target = f"alice/{unique_name('fg-target')}"
    public_other = f"alice/{unique_name('fg-public')}"
    private_other = f"alice/{unique_name('fg-private')}"
    api_alice.create_repo(target)
    api_alice.create_repo(public_other)
    api_alice.create_repo(private_other, private=True)
    token = admin_token(stoa, "alice", "fineGrained", "--scope", f"model:{target}:repo.write",
                        name="fg-one-repo")
    api = hf.HfApi(endpoint=stoa.url, token=token)

    me = api.whoami()
    assert me["name"] == "alice"
    access = me["auth"]["accessToken"]
    assert access["role"] == "fineGrained" and access["displayName"] == "fg-one-repo", access
    assert access["fineGrained"]["scoped"] == [
        {"entity": {"type": "model", "name": target}, "permissions": ["repo.write"]}
    ], access
    assert access["fineGrained"]["canReadGatedRepos"] is False, access

    commit = api.upload_file(path_or_fileobj=b"scoped write", path_in_repo="scoped.txt", repo_id=target)
    assert api_alice.model_info(target).sha == commit.oid
    with pytest.raises(hf.errors.HfHubHTTPError) as refused:
        api.upload_file(path_or_fileobj=b"nope", path_in_repo="nope.txt", repo_id=public_other)
    assert refused.value.response.status_code == 403
    assert refused.value.response.headers.get("X-Error-Code") == "Forbidden"
    assert "nope.txt" not in api_alice.list_repo_files(public_other)
    with pytest.raises(hf.errors.RepositoryNotFoundError) as hidden:
        api.model_info(private_other)
    assert hidden.value.response.status_code == 404
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api.upload_file(path_or_fileobj=b"nope", path_in_repo="nope.txt", repo_id=private_other)
    assert api.model_info(public_other).id == public_other, "public repos stay readable"
    with pytest.raises(hf.errors.HfHubHTTPError) as create:
        api.create_repo(f"alice/{unique_name('fg-new')}")
    assert create.value.response.status_code == 403
    # Not a token manager either.
    assert_error(list_tokens(stoa, token), 403, "Forbidden")


def test_tokens_over_http_create_list_use_revoke(stoa, hf):
    user, write_tok = new_user(stoa, "toks")

    # Create a read token and a fine-grained one; the secret is shown once.
    r = http_token(stoa, write_tok, "read")
    assert r.status == 201, r.describe()
    created = r.json()
    assert created["token"].startswith("hf_") and created["role"] == "read" and created["id"], created
    assert created["lastUsedAt"] is None and created["expiresAt"] is None, created
    fine = {"scoped": [{"entity": {"type": "user", "name": user}, "permissions": ["repo.content.read"]}],
            "canReadGatedRepos": True}
    r = http_token(stoa, write_tok, "fineGrained", fineGrained=fine)
    assert r.status == 201, r.describe()
    fg = r.json()

    # Listed without secrets; unused until used.
    listed = {t["id"]: t for t in list_tokens(stoa, write_tok).json()}
    assert created["id"] in listed and fg["id"] in listed, listed
    assert all("token" not in t for t in listed.values()), "secrets are never listed"
    assert listed[created["id"]]["displayName"] == created["displayName"]
    assert listed[created["id"]]["lastUsedAt"] is None
    assert listed[fg["id"]]["fineGrained"]["scoped"] == fine["scoped"], listed[fg["id"]]

    # Used: whoami shows the token, last use is recorded (HTTP listing and stoa admin token list).
    before = datetime.now(timezone.utc).replace(microsecond=0)
    me = hf.HfApi(endpoint=stoa.url, token=created["token"]).whoami()
    assert me["name"] == user and me["auth"]["accessToken"]["role"] == "read"
    assert me["auth"]["accessToken"]["displayName"] == created["displayName"]
    fg_me = whoami(stoa, fg["token"]).json()["auth"]["accessToken"]
    assert fg_me["role"] == "fineGrained" and fg_me["fineGrained"]["scoped"] == fine["scoped"], fg_me
    assert fg_me["fineGrained"]["canReadGatedRepos"] is True, fg_me
    used = {t["id"]: t for t in list_tokens(stoa, write_tok).json()}[created["id"]]["lastUsedAt"]
    assert used is not None, "lastUsedAt must be recorded on use"
    used_at = datetime.fromisoformat(used.replace("Z", "+00:00"))
    assert before - timedelta(seconds=2) <= used_at <= datetime.now(timezone.utc) + timedelta(seconds=2), used
    line = admin_token_lines(stoa, user)[created["displayName"]]
    assert line[0] == created["id"] and line[2] == "read", line
    assert line[4] != "last used -", f"stoa admin token list must show the last use: {line}"

    # Only write tokens (or sessions) manage tokens.
    assert_error(list_tokens(stoa, created["token"]), 403, "Forbidden")
    assert_error(http_token(stoa, created["token"], "write"), 403, "Forbidden")
    assert_error(list_tokens(stoa), 401)
    # Bad requests.
    assert_error(http_token(stoa, write_tok, "admin"), 400)
    assert_error(http_token(stoa, write_tok, "fineGrained"), 400)  # no scopes
    bad_scope = {"scoped": [{"entity": {"type": "user", "name": user}, "permissions": ["repo.everything"]}]}
    assert_error(http_token(stoa, write_tok, "fineGrained", fineGrained=bad_scope), 400)
    assert_error(http_token(stoa, write_tok, "read", fineGrained=fine), 400)
    assert_error(http_token(stoa, write_tok, "read", expiresAt="2001-01-01T00:00:00Z"), 400)
    assert_error(http_token(stoa, write_tok, "read", expiresAt="tomorrow"), 400)

    # Revoke: refused at once everywhere, gone from the list; revoking again or someone else's: 404.
    r = curl("DELETE", f"{stoa.url}/api/settings/tokens/{created['id']}", token=write_tok)
    assert r.status == 200, r.describe()
    assert_invalid_credentials(whoami(stoa, created["token"]))
    public = f"alice/{unique_name('pub')}"
    assert create_repo(stoa, stoa.tokens["alice"], public).status == 200
    assert_invalid_credentials(curl("GET", f"{stoa.url}/api/models/{public}", token=created["token"]))
    assert_invalid_credentials(curl("GET", f"{stoa.url}/{public}/resolve/main/.gitattributes",
                                    token=created["token"]))
    with pytest.raises(hf.errors.HfHubHTTPError) as dead:
        hf.HfApi(endpoint=stoa.url, token=created["token"]).model_info(public)
    assert dead.value.response.status_code == 401
    assert created["id"] not in {t["id"] for t in list_tokens(stoa, write_tok).json()}
    assert_error(curl("DELETE", f"{stoa.url}/api/settings/tokens/{created['id']}", token=write_tok), 404)
    assert_error(curl("DELETE", f"{stoa.url}/api/settings/tokens/{fg['id']}", token=stoa.tokens["bob"]), 404)
    assert whoami(stoa, fg["token"]).status == 200, "another user cannot revoke my token"


def test_admin_token_cli_create_list_revoke(stoa, hf):
    user, _ = new_user(stoa, "cli")
    repo_scope = f"model:{user}/somerepo:repo.content.read+repo.write"
    name = unique_name("cli-fg")
    token = admin_token(stoa, user, "fineGrained", "--scope", repo_scope, "--scope", f"user:{user}:repo.content.read",
                        "--can-read-gated", "--expires-in-days", "2", name=name)
    before = admin_token_lines(stoa, user)[name]
    assert before[2] == "fineGrained" and before[4] == "last used -", before
    assert before[5].startswith("expires ") and before[5] != "expires -", before

    access = whoami(stoa, token).json()["auth"]["accessToken"]
    assert access["displayName"] == name and access["role"] == "fineGrained", access
    assert access["fineGrained"]["canReadGatedRepos"] is True
    assert access["fineGrained"]["scoped"] == [
        {"entity": {"type": "model", "name": f"{user}/somerepo"}, "permissions": ["repo.content.read", "repo.write"]},
        {"entity": {"type": "user", "name": user}, "permissions": ["repo.content.read"]},
    ], access
    expiration = datetime.fromisoformat(access["expiration"].replace("Z", "+00:00"))
    ahead = expiration - datetime.now(timezone.utc)
    assert timedelta(days=2) - timedelta(minutes=5) < ahead <= timedelta(days=2), access["expiration"]

    after = admin_token_lines(stoa, user)[name]
    assert after[4] != "last used -", f"the use must be recorded: {after}"

    bad = stoa.admin("token", "create", "--user", user, "--role", "fineGrained", "--scope",
                     f"model:{user}/x:repo.everything", check=False)
    assert bad.returncode != 0, "unknown permissions are refused"
    bad = stoa.admin("token", "create", "--user", user, "--role", "read", "--scope", f"user:{user}:repo.write",
                     check=False)
    assert bad.returncode != 0, "scopes are for fine-grained tokens"

    stoa.admin("token", "revoke", "--user", user, "--id", before[0])
    assert_invalid_credentials(whoami(stoa, token))
    assert name not in admin_token_lines(stoa, user)
    again = stoa.admin("token", "revoke", "--user", user, "--id", before[0], check=False)
    assert again.returncode != 0, "a revoked token cannot be revoked again"


def test_expiring_token_stops_working(stoa, hf):
    user, write_tok = new_user(stoa, "exp")
    public = f"{user}/{unique_name('pub')}"
    assert create_repo(stoa, write_tok, public).status == 200
    expires = (datetime.now(timezone.utc) + timedelta(seconds=3)).replace(microsecond=0)
    r = http_token(stoa, write_tok, "write", expiresAt=expires.isoformat().replace("+00:00", "Z"))
    assert r.status == 201, r.describe()
    token = r.json()["token"]
    assert r.json()["expiresAt"] == expires.strftime("%Y-%m-%dT%H:%M:%S.000Z") or \
        datetime.fromisoformat(r.json()["expiresAt"].replace("Z", "+00:00")) == expires, r.json()
    access = whoami(stoa, token).json()["auth"]["accessToken"]
    assert datetime.fromisoformat(access["expiration"].replace("Z", "+00:00")) == expires, access
    assert curl("GET", f"{stoa.url}/api/models/{public}", token=token).status == 200

    time.sleep(max(0.0, expires.timestamp() + 1.5 - time.time()))
    assert_invalid_credentials(whoami(stoa, token))
    assert_invalid_credentials(curl("GET", f"{stoa.url}/api/models/{public}", token=token))
    with pytest.raises(hf.errors.HfHubHTTPError) as dead:
        hf.HfApi(endpoint=stoa.url, token=token).upload_file(path_or_fileobj=b"x", path_in_repo="x.txt",
                                                            repo_id=public)
    assert dead.value.response.status_code == 401


# ------------------------------------------------------------------------------------------------
# Accounts, sessions, CSRF
# ------------------------------------------------------------------------------------------------


def _signup(stoa, username, password, email=None):
    body = {"username": username, "password": password}
    if email:
        body["email"] = email
    return curl("POST", f"{stoa.url}/api/signup", headers=JSON, data=json.dumps(body))


def _login(stoa, username, password):
    return curl("POST", f"{stoa.url}/api/login", headers=JSON,
                data=json.dumps({"username": username, "password": password}))


def _session(r) -> tuple[str, str]:
    cookie = r.header("set-cookie")
    assert cookie, r.describe()
    m = re.match(r"stoa_session=([^;]+)", cookie)
    assert m, cookie
    return m.group(1), r.json()["csrfToken"]


def test_signup_login_session_csrf_and_password_change(stoa, hf):
    name = unique_name("person")
    assert_error(_signup(stoa, name, "short"), 400)
    r = _signup(stoa, name, "correct horse battery", email=f"{name}@example.com")
    assert r.status == 201, r.describe()
    assert r.json()["name"] == name
    assert_error(_signup(stoa, name, "another long password"), 409)
    assert_error(_signup(stoa, "alice", "another long password"), 409)

    # Wrong password and unknown user: the same answer.
    wrong = _login(stoa, name, "not the password")
    nobody = _login(stoa, unique_name("nobody"), "not the password")
    assert_error(wrong, 401)
    assert (nobody.status, nobody.header("x-error-message"), nobody.body) == \
        (wrong.status, wrong.header("x-error-message"), wrong.body)

    r = _login(stoa, name, "correct horse battery")
    assert r.status == 200, r.describe()
    cookie_header = r.header("set-cookie")
    attributes = {part.strip().split("=")[0].lower() for part in cookie_header.split(";")[1:]}
    assert {"httponly", "path"} <= attributes, cookie_header
    assert re.search(r";\s*SameSite=Lax", cookie_header, re.I), cookie_header
    secret, csrf = _session(r)
    assert len(csrf) >= 32
    session = {"Cookie": f"stoa_session={secret}", "X-CSRF-Token": csrf}

    me = whoami(stoa, headers=session)
    assert me.status == 200 and me.json()["name"] == name, me.describe()
    # The cookie alone is ignored (anonymous); a wrong CSRF token is refused.
    assert_error(whoami(stoa, headers={"Cookie": f"stoa_session={secret}"}), 401, "Unauthenticated")
    assert_error(whoami(stoa, headers={"Cookie": f"stoa_session={secret}", "X-CSRF-Token": "0" * len(csrf)}), 403)
    repo = f"{name}/{unique_name('from-browser')}"
    assert_error(create_repo(stoa, None, repo, headers={"Cookie": f"stoa_session={secret}"}), 401)
    assert_error(create_repo(stoa, None, repo, headers={"Cookie": f"stoa_session={secret}", "X-CSRF-Token": "x"}),
                 403)
    r = create_repo(stoa, None, repo, private=True, headers=session)
    assert r.status == 200, r.describe()
    assert curl("GET", f"{stoa.url}/api/models/{repo}", headers=session).status == 200
    # A session manages tokens.
    r = curl("POST", f"{stoa.url}/api/settings/tokens", headers={**JSON, **session},
             data=json.dumps({"displayName": "from the browser", "role": "write"}))
    assert r.status == 201, r.describe()
    token = r.json()["token"]
    assert hf.HfApi(endpoint=stoa.url, token=token).model_info(repo).private is True

    # A second session; the password change needs the current password and ends both.
    other_secret, other_csrf = _session(_login(stoa, name, "correct horse battery"))
    other = {"Cookie": f"stoa_session={other_secret}", "X-CSRF-Token": other_csrf}
    assert whoami(stoa, headers=other).status == 200
    change = lambda current, new: curl(  # noqa: E731
        "POST", f"{stoa.url}/api/settings/password", headers={**JSON, **session},
        data=json.dumps({"currentPassword": current, "newPassword": new}))
    assert_error(change("wrong password!", "a brand new password"), 403)
    assert_error(change("correct horse battery", "short"), 400)
    assert whoami(stoa, headers=session).status == 200, "failed changes end nothing"
    r = change("correct horse battery", "a brand new password")
    assert r.status == 200, r.describe()
    for ended in (session, other):
        assert_error(whoami(stoa, headers=ended), 401)
        assert_error(curl("GET", f"{stoa.url}/api/models/{repo}", headers=ended), 401)
    assert_error(_login(stoa, name, "correct horse battery"), 401)
    fresh_secret, fresh_csrf = _session(_login(stoa, name, "a brand new password"))
    fresh = {"Cookie": f"stoa_session={fresh_secret}", "X-CSRF-Token": fresh_csrf}
    assert whoami(stoa, headers=fresh).json()["name"] == name

    # The account's own security log (GET /api/settings/audit-log) has the sign-up, sign-ins,
    # the failed one, and the password change, each with the address.
    own = curl("GET", f"{stoa.url}/api/settings/audit-log", headers=fresh)
    assert own.status == 200, own.describe()
    log = own.json()
    actions = [e["action"] for e in log]
    assert actions.count("user.sign_in") == 3, actions
    assert actions.count("user.sign_in_failed") == 2, actions  # wrong password, then the old password
    assert actions.count("user.password_change") == 1 and actions.count("user.create") == 1, actions
    for e in log:
        if e["action"].startswith("user.sign_in") or e["action"] == "user.password_change":
            assert e["ip"] == "127.0.0.1" and e["target"] == name, e
    assert _one(log, "user.password_change")["actor"] == name
    assert _one(log, "user.create")["data"] == {"via": "sign-up"}
    assert not [e for e in log if e["target"] != name and not e["target"].startswith(f"{name}/")
                and e.get("actor") != name], "only this account's events"

    # Logout ends the session and clears the cookie.
    r = curl("POST", f"{stoa.url}/api/logout", headers=fresh)
    assert r.status == 200, r.describe()
    assert re.search(r"stoa_session=;.*Max-Age=0", r.header("set-cookie") or ""), r.describe()
    assert_error(whoami(stoa, headers=fresh), 401)


# ------------------------------------------------------------------------------------------------
# Audit log
# ------------------------------------------------------------------------------------------------


def _audit(stoa, token, org, query=""):
    return curl("GET", f"{stoa.url}/api/organizations/{org}/audit-log{query}", token=token)


def _entries(stoa, token, org):
    r = _audit(stoa, token, org)
    assert r.status == 200, r.describe()
    return r.json()


def _one(entries, action, **match):
    found = [e for e in entries if e["action"] == action and all(e.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one {action} {match} in the audit log, got {found}\nall: " + \
        json.dumps([(e['action'], e['target']) for e in entries])
    return found[0]


def test_org_audit_log_records_security_events(stoa, hf):
    admin, admin_tok = new_user(stoa, "aadmin")
    writer, writer_tok = new_user(stoa, "awriter")
    requester, requester_tok = new_user(stoa, "areq")
    outsider, outsider_tok = new_user(stoa, "aout")
    org = new_org(stoa, f"{admin}:admin", f"{writer}:write")
    started = datetime.now(timezone.utc) - timedelta(seconds=2)

    # The events.
    visible = f"{org}/{unique_name('vis')}"
    assert create_repo(stoa, admin_tok, visible, private=True).status == 200
    r = curl("PUT", f"{stoa.url}/api/models/{visible}/settings", token=admin_tok, headers=JSON,
             data=json.dumps({"private": False}))
    assert r.status == 200, r.describe()
    r = curl("PUT", f"{stoa.url}/api/models/{visible}/settings", token=admin_tok, headers=JSON,
             data=json.dumps({"gated": "manual"}))
    assert r.status == 200, r.describe()
    r = curl("POST", f"{stoa.url}/api/models/{visible}/user-access-request/request", token=requester_tok,
             headers=JSON, data="{}")
    assert r.status == 200, r.describe()
    r = curl("POST", f"{stoa.url}/api/models/{visible}/user-access-request/handle", token=admin_tok, headers=JSON,
             data=json.dumps({"user": requester, "status": "accepted"}))
    assert r.status == 200, r.describe()
    assert set_role(stoa, admin_tok, org, requester, "read").status == 200  # org.add_user
    assert set_role(stoa, admin_tok, org, requester, "contributor").status == 200  # org.change_role
    doomed = f"{org}/{unique_name('doomed')}"
    assert create_repo(stoa, writer_tok, doomed).status == 200
    r = curl("DELETE", f"{stoa.url}/api/repos/delete", token=writer_tok, headers=JSON,
             data=json.dumps({"name": doomed.split("/")[1], "organization": org, "type": "model"}))
    assert r.status == 200, r.describe()
    moving = f"{org}/{unique_name('moving')}"
    moved = f"{org}/{unique_name('moved')}"
    assert create_repo(stoa, writer_tok, moving).status == 200
    r = curl("POST", f"{stoa.url}/api/repos/move", token=writer_tok, headers=JSON,
             data=json.dumps({"fromRepo": moving, "toRepo": moved, "type": "model"}))
    assert r.status == 200, r.describe()
    created = http_token(stoa, admin_tok, "read")
    assert created.status == 201, created.describe()
    r = curl("DELETE", f"{stoa.url}/api/settings/tokens/{created.json()['id']}", token=admin_tok)
    assert r.status == 200, r.describe()
    assert remove_member(stoa, admin_tok, org, requester).status == 200

    # Read by the admin: newest first, with actor, action, time, ip and target.
    entries = _entries(stoa, admin_tok, org)
    times = [e["createdAt"] for e in entries]
    assert times == sorted(times, reverse=True), "newest first"
    for e in entries:
        assert {"id", "actor", "action", "createdAt", "ip", "target", "targetType", "data"} <= set(e), e
        at = datetime.fromisoformat(e["createdAt"].replace("Z", "+00:00"))
        assert started <= at <= datetime.now(timezone.utc) + timedelta(seconds=2), e
    settings = [e for e in entries if e["action"] == "repo.update_settings"]
    assert len(settings) == 2, settings
    vis = next(e for e in settings if e["data"].get("private") is False)
    assert vis["actor"] == admin and vis["ip"] == "127.0.0.1" and vis["target"] == f"models/{visible}", vis
    gate = next(e for e in settings if e["data"].get("gated") == "manual")
    assert gate["actor"] == admin, gate
    decision = _one(entries, "repo.access_request.handle", target=f"models/{visible}")
    assert decision["actor"] == admin and decision["ip"] == "127.0.0.1", decision
    assert decision["data"]["user"] == requester and decision["data"]["status"] == "accepted", decision
    added = [e for e in entries if e["action"] == "org.add_user" and e["data"].get("user") == requester]
    assert len(added) == 1 and added[0]["actor"] == admin and added[0]["ip"] == "127.0.0.1", added
    assert added[0]["target"] == org and added[0]["data"]["role"] == "read", added
    role = _one(entries, "org.change_role", target=org)
    assert role["actor"] == admin and role["ip"] == "127.0.0.1", role
    assert role["data"]["user"] == requester and role["data"]["role"] == "contributor", role
    assert role["data"]["previousRole"] == "read", role
    removed = _one(entries, "org.remove_user", target=org)
    assert removed["data"]["user"] == requester and removed["actor"] == admin, removed
    deleted = _one(entries, "repo.delete", target=f"models/{doomed}")
    assert deleted["actor"] == writer and deleted["ip"] == "127.0.0.1", deleted
    move = _one(entries, "repo.move", target=f"models/{moving}")
    assert move["actor"] == writer and move["data"]["to"] == moved and move["ip"] == "127.0.0.1", move
    # The members given at creation by the operator: no actor, no address.
    at_creation = [e for e in entries if e["action"] == "org.add_user" and e["data"].get("user") == writer]
    assert len(at_creation) == 1 and at_creation[0]["actor"] is None, at_creation
    _one(entries, "org.create", target=org)
    # Token events are the user's, not the organisation's (target_type "token", no org): not here.
    assert not [e for e in entries if e["action"].startswith("user.")], entries

    # ... they are in the user's own security log (GET /api/settings/audit-log), and the operator's
    # export (stoa admin audit export) has everything.
    token_id = created.json()["id"]
    own = curl("GET", f"{stoa.url}/api/settings/audit-log", token=admin_tok)
    assert own.status == 200, own.describe()
    for action in ("user.token.create", "user.token.revoke"):
        e = _one(own.json(), action, target=f"{admin}/{token_id}")
        assert e["actor"] == admin and e["ip"] == "127.0.0.1" and e["targetType"] == "token", e
    others = curl("GET", f"{stoa.url}/api/settings/audit-log", token=writer_tok).json()
    assert not [e for e in others if token_id in e["target"]], "another user's token events are private"
    assert_error(curl("GET", f"{stoa.url}/api/settings/audit-log"), 401)
    exported_all = [json.loads(line) for line in stoa.admin("audit", "export").stdout.splitlines() if line.strip()]
    for action in ("user.token.create", "user.token.revoke", "org.change_role", "repo.move"):
        assert [e for e in exported_all if e["action"] == action and (token_id in e["target"] or org in e["target"])], \
            f"{action} missing from stoa admin audit export"

    # Pages.
    first = _audit(stoa, admin_tok, org, "?offset=0&limit=2").json()
    second = _audit(stoa, admin_tok, org, "?offset=2&limit=2").json()
    assert [e["id"] for e in first + second] == [e["id"] for e in entries[:4]]

    # Export: JSON lines, the same entries, and the export itself is logged.
    r = curl("GET", f"{stoa.url}/api/organizations/{org}/audit-log/export", token=admin_tok)
    assert r.status == 200, r.describe()
    assert r.header("content-type", ).startswith("application/x-ndjson"), r.describe()
    lines = r.body.decode().splitlines()
    assert lines and all(line.strip() for line in lines)
    exported = [json.loads(line) for line in lines]
    assert [e["id"] for e in exported] == [e["id"] for e in entries], "the export has the log's entries"
    after = _entries(stoa, admin_tok, org)
    export = after[0]
    assert export["action"] == "org.audit_log.export" and export["actor"] == admin, export
    assert export["ip"] == "127.0.0.1" and export["target"] == org, export

    # Members who are not admins: 403. Outsiders learn nothing: the same 404 as the members list
    # (and as a missing organization). Anonymous: 401.
    assert_error(_audit(stoa, writer_tok, org), 403, "Forbidden")
    assert_error(curl("GET", f"{stoa.url}/api/organizations/{org}/audit-log/export", token=writer_tok), 403)
    for path in ("audit-log", "audit-log/export"):
        outsider = curl("GET", f"{stoa.url}/api/organizations/{org}/{path}", token=outsider_tok)
        missing = curl("GET", f"{stoa.url}/api/organizations/no-such-org-{org}/{path}", token=outsider_tok)
        assert_error(outsider, 404, "NotFound")
        assert outsider.header("x-error-message").replace(org, "X") == missing.header("x-error-message").replace(f"no-such-org-{org}", "X")
    assert _audit(stoa, None, org).status == 401
    assert not [e for e in _entries(stoa, admin_tok, org) if e["action"] == "org.audit_log.export"
                and e["actor"] != admin], "refused exports are not logged as exports"


def test_org_audit_log_records_repo_creation(stoa, hf):
    """security.md §5.2 lists `repo.create` among the audited repo events."""
    admin, admin_tok = new_user(stoa, "cadmin")
    org = new_org(stoa, f"{admin}:admin")
    repo = f"{org}/{unique_name('new')}"
    assert create_repo(stoa, admin_tok, repo, private=True).status == 200
    entry = _one(_entries(stoa, admin_tok, org), "repo.create", target=f"models/{repo}")
    assert entry["actor"] == admin and entry["ip"] == "127.0.0.1", entry
