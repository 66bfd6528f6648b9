"""Discussions and pull requests (hub-api.md §4.7, and §3.10 for `create_pr=1`) through huggingface_hub,
`git`, the `hf discussions` CLI and curl; plus Stoa's own activity log (`/api/{T}/{id}/activity`,
`/api/users/{user}/activity`).

Actors: alice owns every repo (write token), bob is a second user with no write access to alice's
repos (he may still open discussions and PRs on her public repos, and push to his own PRs),
`api_alice_read` is alice with a read-only token, `api_anon` sends no token.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from compat_helpers import HEX40, curl, unique_name
from git_helpers import commit_all, remote

HF_CLI = Path(sys.executable).parent / "hf"
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
HEX_ID = re.compile(r"^[0-9a-f]+$")
JSON_HEADERS = {"Content-Type": "application/json"}
LIBRARY_LINK = "[huggingface_hub Python library](https://huggingface.co/docs/huggingface_hub)"
DEFAULT_DISCUSSION_TEXT = f"Discussion opened with the {LIBRARY_LINK}"
DEFAULT_PR_TEXT = f"Pull Request opened with the {LIBRARY_LINK}"

NOTES_V1 = b"line one\nline two\nline three\n"
NOTES_V2 = b"line one\nline 2\nline three\n"


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _path(repo_id: str, suffix: str = "") -> str:
    return f"/api/models/{repo_id}/discussions{suffix}"


def _post(stoa, path: str, token: str | None, body: dict | None = None):
    """POST through curl (exact status and error headers on the wire)."""
    return curl(
        "POST",
        f"{stoa.url}{path}",
        token=token,
        headers=JSON_HEADERS if body is not None else None,
        data=json.dumps(body) if body is not None else None,
    )


def _get_json(stoa, path: str, token: str | None = None):
    r = curl("GET", f"{stoa.url}{path}", token=token)
    assert r.status == 200, r.describe()
    return r.json()


def _assert_error(r, *statuses: int, not_code: str | None = None):
    """A clear error: the expected status, and both `X-Error-Code` and `X-Error-Message` set."""
    assert r.status in statuses, f"expected one of {statuses}:\n{r.describe()}"
    assert r.header("x-error-code"), f"X-Error-Code missing:\n{r.describe()}"
    assert r.header("x-error-message"), f"X-Error-Message missing:\n{r.describe()}"
    if not_code is not None:
        assert r.header("x-error-code") != not_code, r.describe()


def _assert_client_error(excinfo, status: int | None = None):
    """The client's exception carries a 4xx with X-Error-Code and X-Error-Message; returns the status."""
    response = excinfo.value.response
    got = response.status_code
    if status is not None:
        assert got == status, f"expected {status}, got {got}: {excinfo.value}"
    else:
        assert 400 <= got < 500 and got not in (401, 404), f"expected a 4xx refusal, got {got}: {excinfo.value}"
    assert response.headers.get("x-error-code"), f"X-Error-Code missing on {got}: {excinfo.value}"
    assert response.headers.get("x-error-message"), f"X-Error-Message missing on {got}: {excinfo.value}"
    return got


def _nums(api, repo_id: str, **filters) -> list[int]:
    return [d.num for d in api.get_repo_discussions(repo_id, **filters)]


def _commit(hf, api, repo_id: str, files: dict[str, bytes], message: str, **kwargs):
    operations = [hf.CommitOperationAdd(path_in_repo=p, path_or_fileobj=data) for p, data in files.items()]
    return api.create_commit(repo_id, operations=operations, commit_message=message, **kwargs)


def _of_type(details, event_type: str) -> list:
    return [e for e in details.events if e.type == event_type]


def _pr_refs(api, repo_id: str) -> dict[str, str]:
    refs = api.list_repo_refs(repo_id, include_pull_requests=True)
    return {r.ref: r.target_commit for r in refs.pull_requests}


def _download(api, repo_id: str, path: str, tmp_path: Path, revision: str | None = None) -> bytes:
    local = api.hf_hub_download(repo_id, path, revision=revision, cache_dir=tmp_path / f"cache-{unique_name('c')}")
    return Path(local).read_bytes()


def _activity(stoa, path: str, token: str | None = None) -> list[dict]:
    """An activity feed, with the shape every entry must have checked."""
    events = _get_json(stoa, path, token)
    assert isinstance(events, list), f"GET {path} must answer a JSON array, got {events!r}"
    for event in events:
        assert isinstance(event.get("id"), str) and event["id"], event
        assert isinstance(event.get("type"), str), event
        assert isinstance(event.get("actor"), str), event
        assert ISO_Z.match(event.get("createdAt") or ""), event
        assert isinstance(event.get("repo"), dict) and set(event["repo"]) >= {"name", "type"}, event
        assert isinstance(event.get("data"), dict), event
    assert len({e["id"] for e in events}) == len(events), "activity ids must be unique"
    stamps = [e["createdAt"] for e in events]
    assert stamps == sorted(stamps, reverse=True), f"activity must be newest first: {stamps}"
    return events


def _find(events: list[dict], event_type: str, actor: str, **data) -> int:
    """Index of the first (newest) entry of that type, actor and data values."""
    for i, e in enumerate(events):
        if e["type"] == event_type and e["actor"] == actor and all(e["data"].get(k) == v for k, v in data.items()):
            return i
    raise AssertionError(f"no {event_type!r} entry by {actor} with data {data} in:\n{json.dumps(events, indent=1)}")


def _cli(stoa, tmp_path: Path, token: str, *args: str) -> str:
    """Runs `hf <args>` against the server; must exit 0; returns stdout."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HF_", "HUGGING")) or k in ("HF_HUB_DISABLE_TELEMETRY", "HF_HUB_DISABLE_PROGRESS_BARS")
    }
    home = tmp_path / "hf-cli-home"
    env.update(
        HF_ENDPOINT=stoa.url,
        HF_TOKEN=token,
        HF_HOME=str(home),
        HF_HUB_CACHE=str(home / "hub"),
        HF_XET_CACHE=str(home / "xet"),
        HF_HUB_DISABLE_UPDATE_CHECK="1",
        NO_COLOR="1",
    )
    proc = subprocess.run(
        [str(HF_CLI), *args], env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    shown = " ".join(args)
    stderr = proc.stderr.replace(token, "***")
    assert proc.returncode == 0, f"hf {shown} -> exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {stderr}"
    return proc.stdout


# ---------------------------------------------------------------------------------------------
# creation, numbering, details
# ---------------------------------------------------------------------------------------------


def test_discussions_and_prs_share_numbers_and_details_match_creation(api_alice, api_bob, api_anon, new_repo, stoa):
    repo_id = new_repo("disc")
    head = api_alice.upload_file(path_or_fileobj=b"hello\n", path_in_repo="hello.txt", repo_id=repo_id).oid

    d1 = api_alice.create_discussion(repo_id, title="  First discussion  ", description="Alice's **description**")
    pr2 = api_alice.create_pull_request(repo_id, title="Alice's PR")
    d3 = api_bob.create_discussion(repo_id, title="Question from bob")
    pr4 = api_bob.create_pull_request(repo_id, title="Bob's PR", description="bob wants to help")
    assert [x.num for x in (d1, pr2, d3, pr4)] == [1, 2, 3, 4], "numbers are per repo, shared by discussions and PRs"

    assert (d1.title, d1.author, d1.is_pull_request, d1.status) == ("First discussion", "alice", False, "open")
    assert (d3.title, d3.author, d3.is_pull_request, d3.status) == ("Question from bob", "bob", False, "open")
    for d in (d1, d3):
        assert (d.target_branch, d.conflicting_files, d.merge_commit_oid, d.git_reference) == (None, None, None, None)
    for pr, author in ((pr2, "alice"), (pr4, "bob")):
        assert (pr.is_pull_request, pr.status, pr.author) == (True, "draft", author), "API-created PRs start as draft"
        assert pr.git_reference == f"refs/pr/{pr.num}"
        assert pr.target_branch == "refs/heads/main"
        assert pr.conflicting_files == []
        assert pr.merge_commit_oid is None
        # refs/pr/<num> exists at once, at the head of main.
        assert api_anon.model_info(repo_id, revision=pr.git_reference).sha == head
    for d in (d1, pr2, d3, pr4):
        assert (d.repo_id, d.repo_type) == (repo_id, "model")
        assert d.url == f"{stoa.url}/{repo_id}/discussions/{d.num}"
        assert abs(datetime.now(timezone.utc) - d.created_at) < timedelta(minutes=10), d.created_at

    # The description is the first (and only) event: a comment by the author.
    expected_first = {
        1: ("alice", "Alice's **description**"),
        2: ("alice", DEFAULT_PR_TEXT),
        3: ("bob", DEFAULT_DISCUSSION_TEXT),
        4: ("bob", "bob wants to help"),
    }
    for d in (d1, pr2, d3, pr4):
        assert [(e.type, e.author, e.content) for e in d.events] == [("comment", *expected_first[d.num])]
        event = d.events[0]
        assert HEX_ID.match(event.id), f"event ids are lower-case hex strings: {event.id!r}"
        assert (event.edited, event.hidden) == (False, False)
    assert len({d.events[0].id for d in (d1, pr2, d3, pr4)}) == 4

    # get_discussion_details answers exactly what the creation returned.
    for d, api in ((d1, api_alice), (pr2, api_alice), (d3, api_bob), (pr4, api_bob)):
        assert api.get_discussion_details(repo_id, d.num) == d
    assert api_anon.get_discussion_details(repo_id, 4).title == "Bob's PR"

    assert _pr_refs(api_alice, repo_id) == {"refs/pr/2": head, "refs/pr/4": head}
    plain = api_alice.list_repo_refs(repo_id)
    assert plain.pull_requests is None and [b.name for b in plain.branches] == ["main"]
    assert api_alice.model_info(repo_id).sha == head


def test_listing_filters_by_type_status_and_author(api_alice, api_bob, api_anon, new_repo):
    repo_id = new_repo("filters")
    api_alice.create_discussion(repo_id, title="alice discussion")  # 1
    api_alice.create_pull_request(repo_id, title="alice PR")  # 2
    api_bob.create_discussion(repo_id, title="bob discussion")  # 3
    api_bob.create_pull_request(repo_id, title="bob PR")  # 4
    # Out of draft, so that the status filters below only deal with open / closed.
    assert api_alice.change_discussion_status(repo_id, 2, "open").new_status == "open"
    assert api_bob.change_discussion_status(repo_id, 4, "open").new_status == "open"
    api_alice.change_discussion_status(repo_id, 1, "closed")
    api_bob.change_discussion_status(repo_id, 4, "closed")

    listing = list(api_anon.get_repo_discussions(repo_id))
    assert [d.num for d in listing] == [4, 3, 2, 1], "newest first"
    assert {d.num: (d.title, d.author, d.status, d.is_pull_request) for d in listing} == {
        1: ("alice discussion", "alice", "closed", False),
        2: ("alice PR", "alice", "open", True),
        3: ("bob discussion", "bob", "open", False),
        4: ("bob PR", "bob", "closed", True),
    }
    for d in listing:
        assert (d.repo_id, d.repo_type) == (repo_id, "model")
        assert d.created_at == api_anon.get_discussion_details(repo_id, d.num).created_at

    assert _nums(api_anon, repo_id, discussion_type="discussion") == [3, 1]
    assert _nums(api_anon, repo_id, discussion_type="pull_request") == [4, 2]
    assert _nums(api_anon, repo_id, discussion_type="all") == [4, 3, 2, 1]
    assert _nums(api_anon, repo_id, discussion_status="open") == [3, 2]
    assert _nums(api_anon, repo_id, discussion_status="closed") == [4, 1]
    assert _nums(api_anon, repo_id, discussion_status="all") == [4, 3, 2, 1]
    assert _nums(api_anon, repo_id, author="alice") == [2, 1]
    assert _nums(api_anon, repo_id, author="bob") == [4, 3]
    assert _nums(api_anon, repo_id, author="unknown") == []
    assert _nums(api_anon, repo_id, discussion_type="pull_request", discussion_status="closed", author="bob") == [4]
    assert _nums(api_anon, repo_id, discussion_type="discussion", discussion_status="open", author="alice") == []


def test_listing_pages_past_fifty(api_anon, new_repo, stoa):
    repo_id = new_repo("pages")
    for i in range(1, 56):
        r = _post(stoa, _path(repo_id), stoa.tokens["alice"],
                  {"title": f"Discussion {i:02d}", "description": "bulk", "pullRequest": False})
        assert r.status in (200, 201) and r.json().get("num") == i, r.describe()

    listing = list(api_anon.get_repo_discussions(repo_id))
    assert [d.num for d in listing] == list(range(55, 0, -1)), "the client pages while start + len < count"
    assert [d.title for d in listing[:2]] == ["Discussion 55", "Discussion 54"]

    page0 = _get_json(stoa, _path(repo_id, "?p=0"))
    summary0 = {k: v for k, v in page0.items() if k != "discussions"}
    assert (page0["count"], page0["start"], len(page0["discussions"])) == (55, 0, 50), summary0
    assert [d["num"] for d in page0["discussions"]] == list(range(55, 5, -1))
    page1 = _get_json(stoa, _path(repo_id, "?p=1"))
    assert (page1["count"], page1["start"]) == (55, 50)
    assert [d["num"] for d in page1["discussions"]] == [5, 4, 3, 2, 1]
    page2 = _get_json(stoa, _path(repo_id, "?p=2"))
    assert page2["count"] == 55 and page2["discussions"] == []
    item = page1["discussions"][0]
    assert item["repo"] == {"name": repo_id, "type": "model"} and item["isPullRequest"] is False
    assert item["author"]["name"] == "alice" and item["status"] == "open" and ISO_Z.match(item["createdAt"])
    prs = _get_json(stoa, _path(repo_id, "?p=0&type=pull_request&status=all"))
    assert (prs["count"], prs["start"], prs["discussions"]) == (0, 0, [])
    by_bob = _get_json(stoa, _path(repo_id, "?author=bob"))
    assert (by_bob["count"], by_bob["discussions"]) == (0, [])


# ---------------------------------------------------------------------------------------------
# comments, titles, statuses
# ---------------------------------------------------------------------------------------------


def test_comment_edit_and_hide(api_alice, api_bob, api_anon, hf, new_repo, stoa):
    repo_id = new_repo("comments")
    d = api_bob.create_discussion(repo_id, title="Bob asks", description="original bob text")
    multiline = "# A title\n\n**bold**, *italic* & ~strike~\nand [a link](http://hf.co)! \U0001f917\n"
    c = api_alice.comment_discussion(repo_id, d.num, comment=multiline)
    assert (c.type, c.author, c.content, c.edited, c.hidden) == ("comment", "alice", multiline, False, False)
    assert HEX_ID.match(c.id) and c.id != d.events[0].id
    details = api_anon.get_discussion_details(repo_id, d.num)
    assert [e.id for e in details.events] == [d.events[0].id, c.id]
    stored = details.events[1]
    assert (stored.author, stored.content, stored.created_at) == ("alice", multiline, c.created_at)

    # bob edits his description: edited flag, latest content, history, same id.
    first = d.events[0]
    edited = api_bob.edit_discussion_comment(repo_id, d.num, first.id, "edited bob text")
    assert (edited.id, edited.type, edited.edited, edited.hidden, edited.content) == (
        first.id, "comment", True, False, "edited bob text")
    assert edited.last_edited_by == "bob"
    assert edited.last_edited_at >= first.created_at
    history = edited.edit_history
    assert isinstance(history, list) and history, f"data.history must list the versions: {history!r}"
    assert "original bob text" in [h.get("raw") for h in history], history
    after = api_bob.get_discussion_details(repo_id, d.num)
    assert after.events[0] == edited, "the edited comment in the details equals the one the edit returned"

    # Nobody edits someone else's comment; an unknown comment id is a 404.
    with pytest.raises(hf.errors.HfHubHTTPError) as foreign:
        api_bob.edit_discussion_comment(repo_id, d.num, c.id, "hijacked")
    _assert_client_error(foreign, 403)
    with pytest.raises(hf.errors.HfHubHTTPError) as missing:
        api_alice.edit_discussion_comment(repo_id, d.num, "0123456789abcdef01234567", "nothing there")
    _assert_client_error(missing, 404)

    # The repo owner hides a comment bob posted by mistake: its content is gone for good.
    secret = f"my-secret-{unique_name('s')}"
    oops = api_bob.comment_discussion(repo_id, d.num, comment=f"oops, pasted {secret}")
    with pytest.warns(UserWarning):
        hidden = api_alice.hide_discussion_comment(repo_id, d.num, oops.id)
    assert (hidden.id, hidden.type, hidden.hidden) == (oops.id, "comment", True)
    assert secret not in json.dumps(hidden._event), hidden._event
    raw = curl("GET", f"{stoa.url}{_path(repo_id, f'/{d.num}?diff=1')}")
    assert raw.status == 200 and secret.encode() not in raw.body, raw.describe()
    final = api_anon.get_discussion_details(repo_id, d.num)
    shown = {e.id: e for e in final.events}
    assert shown[oops.id].hidden is True and secret not in shown[oops.id].content

    # bob can not hide the owner's comment.
    with pytest.warns(UserWarning), pytest.raises(hf.errors.HfHubHTTPError) as refused:
        api_bob.hide_discussion_comment(repo_id, d.num, c.id)
    _assert_client_error(refused, 403)
    final = api_anon.get_discussion_details(repo_id, d.num)
    assert [(e.type, e.author, e.hidden) for e in final.events] == [
        ("comment", "bob", False), ("comment", "alice", False), ("comment", "bob", True)]
    assert final.events[1].content == multiline and final.events[0].content == "edited bob text"


def test_rename_and_status_changes_are_events(api_alice, api_anon, new_repo):
    repo_id = new_repo("status")
    d = api_alice.create_discussion(repo_id, title="Old title")
    rename = api_alice.rename_discussion(repo_id, d.num, "New title")
    assert (rename.type, rename.author, rename.old_title, rename.new_title) == (
        "title-change", "alice", "Old title", "New title")
    assert HEX_ID.match(rename.id)
    closed = api_alice.change_discussion_status(repo_id, d.num, "closed")
    assert (closed.type, closed.author, closed.new_status) == ("status-change", "alice", "closed")
    assert api_anon.get_discussion_details(repo_id, d.num).status == "closed"
    reopened = api_alice.change_discussion_status(repo_id, d.num, "open")
    assert (reopened.type, reopened.new_status) == ("status-change", "open")

    details = api_anon.get_discussion_details(repo_id, d.num)
    assert (details.title, details.status) == ("New title", "open")
    assert [e.type for e in details.events] == ["comment", "title-change", "status-change", "status-change"]
    assert [e.id for e in details.events[1:]] == [rename.id, closed.id, reopened.id]
    assert (details.events[1].old_title, details.events[1].new_title) == ("Old title", "New title")
    assert [e.new_status for e in details.events[2:]] == ["closed", "open"]
    stamps = [e.created_at for e in details.events]
    assert stamps == sorted(stamps), "events are in chronological order"
    assert [x.title for x in api_anon.get_repo_discussions(repo_id)] == ["New title"]


def test_status_and_comment_permissions(api_alice, api_bob, hf, new_repo, stoa):
    repo_id = new_repo("perms")
    alice_d = api_alice.create_discussion(repo_id, title="Alice's topic")  # 1
    bob_d = api_bob.create_discussion(repo_id, title="Bob's topic")  # 2

    with pytest.raises(hf.errors.HfHubHTTPError) as close_foreign:
        api_bob.change_discussion_status(repo_id, alice_d.num, "closed")
    _assert_client_error(close_foreign, 403)
    r = _post(stoa, _path(repo_id, "/1/status"), stoa.tokens["bob"], {"status": "closed"})
    _assert_error(r, 403)
    with pytest.raises(hf.errors.HfHubHTTPError) as rename_foreign:
        api_bob.rename_discussion(repo_id, alice_d.num, "Bob's title now")
    _assert_client_error(rename_foreign, 403)
    with pytest.raises(hf.errors.HfHubHTTPError) as edit_foreign:
        api_bob.edit_discussion_comment(repo_id, alice_d.num, alice_d.events[0].id, "rewritten by bob")
    _assert_client_error(edit_foreign, 403)

    # bob may comment anywhere he can read, and close / reopen what he opened.
    api_bob.comment_discussion(repo_id, alice_d.num, comment="a word from bob")
    assert api_bob.change_discussion_status(repo_id, bob_d.num, "closed").new_status == "closed"
    assert api_bob.change_discussion_status(repo_id, bob_d.num, "open").new_status == "open"
    # The repo owner moderates every discussion.
    assert api_alice.change_discussion_status(repo_id, bob_d.num, "closed").new_status == "closed"

    one = api_alice.get_discussion_details(repo_id, alice_d.num)
    assert (one.title, one.status) == ("Alice's topic", "open")
    assert [(e.type, e.author) for e in one.events] == [("comment", "alice"), ("comment", "bob")]
    assert one.events[0].content == DEFAULT_DISCUSSION_TEXT and not one.events[0].edited
    two = api_alice.get_discussion_details(repo_id, bob_d.num)
    assert two.status == "closed"
    assert [(e.type, e.author, e.new_status) for e in two.events[1:]] == [
        ("status-change", "bob", "closed"), ("status-change", "bob", "open"), ("status-change", "alice", "closed")]


# ---------------------------------------------------------------------------------------------
# pull requests with changes
# ---------------------------------------------------------------------------------------------


def test_pr_from_commit_is_reviewed_and_merged(api_alice, api_bob, api_anon, hf, new_repo, stoa, tmp_path):
    repo_id = new_repo("prflow")
    base = api_alice.upload_file(path_or_fileobj=NOTES_V1, path_in_repo="notes.txt", repo_id=repo_id).oid

    info = _commit(hf, api_bob, repo_id, {"notes.txt": NOTES_V2, "bob.txt": b"from bob\n"}, "Improve notes",
                   commit_description="Bob's first PR", create_pr=True)
    assert info.pr_url == f"{stoa.url}/{repo_id}/discussions/1"
    assert (info.pr_num, info.pr_revision) == (1, "refs/pr/1")
    assert HEX40.match(info.oid) and info.commit_url == f"{stoa.url}/{repo_id}/commit/{info.oid}"
    # The commit lives on refs/pr/1, not on main.
    assert api_anon.model_info(repo_id).sha == base
    assert api_anon.model_info(repo_id, revision="refs/pr/1").sha == info.oid
    assert "bob.txt" not in api_anon.list_repo_files(repo_id)
    assert "bob.txt" in api_anon.list_repo_files(repo_id, revision="refs/pr/1")
    assert _pr_refs(api_anon, repo_id) == {"refs/pr/1": info.oid}

    pr = api_alice.get_discussion_details(repo_id, 1)
    assert (pr.is_pull_request, pr.author, pr.title, pr.status) == (True, "bob", "Improve notes", "open")
    assert (pr.target_branch, pr.conflicting_files, pr.merge_commit_oid) == ("refs/heads/main", [], None)
    assert (pr.events[0].type, pr.events[0].author, pr.events[0].content) == ("comment", "bob", "Bob's first PR")
    assert [(e.oid, e.summary, e.author) for e in _of_type(pr, "commit")] == [(info.oid, "Improve notes", "bob")]
    # The unified diff of the PR against its base.
    assert pr.diff, "details of a PR with changes carry `diff`"
    diff_lines = pr.diff.splitlines()
    assert "notes.txt" in pr.diff and "bob.txt" in pr.diff, pr.diff
    assert "-line two" in diff_lines and "+line 2" in diff_lines and "+from bob" in diff_lines, pr.diff
    assert any(line.startswith("@@") for line in diff_lines), pr.diff

    # bob appends a second commit to his PR.
    second = api_bob.upload_file(path_or_fileobj=b"second\n", path_in_repo="bob2.txt", repo_id=repo_id,
                                 revision="refs/pr/1")
    assert api_anon.model_info(repo_id, revision="refs/pr/1").sha == second.oid
    assert api_anon.model_info(repo_id).sha == base
    pr = api_alice.get_discussion_details(repo_id, 1)
    assert [(e.oid, e.summary, e.author) for e in _of_type(pr, "commit")] == [
        (info.oid, "Improve notes", "bob"), (second.oid, "Upload bob2.txt with huggingface_hub", "bob")]

    # alice merges.
    api_alice.merge_pull_request(repo_id, 1, comment="Thanks Bob!")
    merged = api_alice.get_discussion_details(repo_id, 1)
    assert merged.status == "merged"
    assert merged.merge_commit_oid and HEX40.match(merged.merge_commit_oid), merged.merge_commit_oid
    main = api_anon.model_info(repo_id).sha
    assert main == merged.merge_commit_oid and main != base
    assert [e.new_status for e in _of_type(merged, "status-change")][-1:] == ["merged"]
    assert ("alice", "Thanks Bob!") in [(e.author, e.content) for e in _of_type(merged, "comment")]
    assert sorted(api_anon.list_repo_files(repo_id)) == [".gitattributes", "bob.txt", "bob2.txt", "notes.txt"]
    for path, data in {"notes.txt": NOTES_V2, "bob.txt": b"from bob\n", "bob2.txt": b"second\n"}.items():
        assert _download(api_anon, repo_id, path, tmp_path) == data
    assert [(d.num, d.status) for d in api_anon.get_repo_discussions(repo_id)] == [(1, "merged")]


def test_pr_write_permissions(api_alice, api_bob, api_alice_read, api_anon, hf, new_repo):
    repo_id = new_repo("prwrite")
    base = api_alice.upload_file(path_or_fileobj=b"base\n", path_in_repo="base.txt", repo_id=repo_id).oid
    api_alice.create_pull_request(repo_id, title="Alice's draft")  # 1
    bob_pr = _commit(hf, api_bob, repo_id, {"bob.txt": b"bob\n"}, "Bob's change", create_pr=True)  # 2
    assert bob_pr.pr_num == 2

    with pytest.raises(hf.errors.HfHubHTTPError) as to_main:
        api_bob.upload_file(path_or_fileobj=b"x", path_in_repo="intruder.txt", repo_id=repo_id)
    _assert_client_error(to_main, 403)
    with pytest.raises(hf.errors.HfHubHTTPError) as to_foreign_pr:
        api_bob.upload_file(path_or_fileobj=b"x", path_in_repo="intruder.txt", repo_id=repo_id, revision="refs/pr/1")
    _assert_client_error(to_foreign_pr, 403)
    with pytest.raises(hf.errors.HfHubHTTPError) as read_token:
        api_alice_read.upload_file(path_or_fileobj=b"x", path_in_repo="ro.txt", repo_id=repo_id, revision="refs/pr/2")
    _assert_client_error(read_token, 403)
    with pytest.raises(hf.errors.HfHubHTTPError) as self_merge:
        api_bob.merge_pull_request(repo_id, 2)
    _assert_client_error(self_merge, 403)

    assert api_anon.model_info(repo_id).sha == base
    assert _pr_refs(api_alice, repo_id) == {"refs/pr/1": base, "refs/pr/2": bob_pr.oid}
    assert api_alice.get_discussion_details(repo_id, 2).status == "open"

    # The repo owner may push to bob's PR.
    fix = api_alice.upload_file(path_or_fileobj=b"fix\n", path_in_repo="fix.txt", repo_id=repo_id, revision="refs/pr/2")
    assert api_anon.model_info(repo_id, revision="refs/pr/2").sha == fix.oid
    commits = _of_type(api_alice.get_discussion_details(repo_id, 2), "commit")
    assert [(e.oid, e.author) for e in commits] == [(bob_pr.oid, "bob"), (fix.oid, "alice")]


def test_conflicting_pr_is_not_merged(api_alice, api_bob, api_anon, hf, new_repo, tmp_path):
    repo_id = new_repo("conflict")
    api_alice.upload_file(path_or_fileobj=b"base\n", path_in_repo="a.txt", repo_id=repo_id)
    pr = _commit(hf, api_bob, repo_id, {"a.txt": b"bob's version\n"}, "Bob edits a.txt", create_pr=True)
    assert api_alice.get_discussion_details(repo_id, pr.pr_num).conflicting_files == []
    main = api_alice.upload_file(path_or_fileobj=b"alice's version\n", path_in_repo="a.txt", repo_id=repo_id).oid

    details = api_alice.get_discussion_details(repo_id, pr.pr_num)
    assert details.conflicting_files == ["a.txt"]
    with pytest.raises(hf.errors.HfHubHTTPError) as refused:
        api_alice.merge_pull_request(repo_id, pr.pr_num)  # no comment: the POST has no body at all
    _assert_client_error(refused, 409)

    after = api_alice.get_discussion_details(repo_id, pr.pr_num)
    assert (after.status, after.merge_commit_oid) == ("open", None)
    assert api_anon.model_info(repo_id).sha == main
    assert api_anon.model_info(repo_id, revision=pr.pr_revision).sha == pr.oid
    assert _download(api_anon, repo_id, "a.txt", tmp_path) == b"alice's version\n"


def test_git_push_to_pr_appends_commits(api_alice, api_bob, api_anon, hf, new_repo, git, stoa, tmp_path):
    repo_id = new_repo("prgit")
    base = api_alice.upload_file(path_or_fileobj=b"base\n", path_in_repo="base.txt", repo_id=repo_id).oid
    first = _commit(hf, api_bob, repo_id, {"bob1.txt": b"one\n"}, "First commit through the API", create_pr=True)

    work = tmp_path / "work"
    git.run("clone", "-q", remote(stoa, repo_id, stoa.tokens["bob"]), work)
    git.run("fetch", "-q", "origin", first.pr_revision, cwd=work)
    git.run("checkout", "-q", "FETCH_HEAD", cwd=work)
    assert git.out("rev-parse", "HEAD", cwd=work) == first.oid
    (work / "bob2.txt").write_bytes(b"two, pushed with git\n")
    pushed = commit_all(git, work, "Second commit pushed with git")
    git.run("push", "origin", f"HEAD:{first.pr_revision}", cwd=work)

    assert api_anon.model_info(repo_id, revision=first.pr_revision).sha == pushed
    assert api_anon.model_info(repo_id).sha == base
    details = api_alice.get_discussion_details(repo_id, first.pr_num)
    assert [(e.oid, e.summary, e.author) for e in _of_type(details, "commit")] == [
        (first.oid, "First commit through the API", "bob"), (pushed, "Second commit pushed with git", "bob")]
    assert _download(api_anon, repo_id, "bob2.txt", tmp_path, revision=first.pr_revision) == b"two, pushed with git\n"

    # A PR ref that belongs to no PR can not be created by a push.
    stray = git.run("push", "origin", "HEAD:refs/pr/7", cwd=work, check=False)
    assert stray.returncode != 0, stray.describe()
    assert _pr_refs(api_alice, repo_id) == {first.pr_revision: pushed}


# ---------------------------------------------------------------------------------------------
# bad input and access control
# ---------------------------------------------------------------------------------------------


def test_merge_is_refused_for_closed_merged_and_non_pr(api_alice, api_bob, api_anon, hf, new_repo, stoa):
    repo_id = new_repo("badmerge")
    base = api_alice.upload_file(path_or_fileobj=b"base\n", path_in_repo="base.txt", repo_id=repo_id).oid
    api_alice.create_discussion(repo_id, title="Just talking")  # 1
    good = _commit(hf, api_bob, repo_id, {"good.txt": b"good\n"}, "Good change", create_pr=True)  # 2
    _commit(hf, api_bob, repo_id, {"bad.txt": b"bad\n"}, "Bad change", create_pr=True)  # 3
    api_alice.change_discussion_status(repo_id, 3, "closed")
    alice = stoa.tokens["alice"]

    # Not a pull request.
    _assert_error(_post(stoa, _path(repo_id, "/1/merge"), alice, {"comment": "merge a discussion?"}),
                  400, 403, 405, 409, 422)
    with pytest.raises(hf.errors.HfHubHTTPError) as not_pr:
        api_alice.merge_pull_request(repo_id, 1)
    _assert_client_error(not_pr)
    # A closed PR.
    _assert_error(_post(stoa, _path(repo_id, "/3/merge"), alice), 400, 403, 405, 409, 422)
    with pytest.raises(hf.errors.HfHubHTTPError) as closed:
        api_alice.merge_pull_request(repo_id, 3, comment="merge anyway")
    _assert_client_error(closed)
    assert api_anon.model_info(repo_id).sha == base
    assert api_alice.get_discussion_details(repo_id, 3).status == "closed"
    one = api_alice.get_discussion_details(repo_id, 1)
    assert (one.status, one.is_pull_request, len(one.events)) == ("open", False, 1)

    # A PR merged twice.
    api_alice.merge_pull_request(repo_id, good.pr_num)
    merged_main = api_anon.model_info(repo_id).sha
    assert merged_main != base
    _assert_error(_post(stoa, _path(repo_id, "/2/merge"), alice), 400, 403, 405, 409, 422)
    with pytest.raises(hf.errors.HfHubHTTPError) as twice:
        api_alice.merge_pull_request(repo_id, good.pr_num)
    _assert_client_error(twice)
    assert api_anon.model_info(repo_id).sha == merged_main
    assert api_alice.get_discussion_details(repo_id, 2).status == "merged"

    # create_pr against something that is not a branch, and a too-short title.
    with pytest.raises(hf.errors.RevisionNotFoundError):
        _commit(hf, api_bob, repo_id, {"x.txt": b"x"}, "PR on nothing", revision="no-such-branch", create_pr=True)
    with pytest.raises(hf.errors.BadRequestError):
        api_bob.create_discussion(repo_id, title="ab")
    assert _nums(api_alice, repo_id) == [3, 2, 1]


def test_missing_discussion_is_404(api_alice, hf, new_repo, stoa):
    repo_id = new_repo("missingnum")
    api_alice.create_discussion(repo_id, title="The only one")
    calls = {
        "comment": lambda: api_alice.comment_discussion(repo_id, 99, comment="anyone?"),
        "details": lambda: api_alice.get_discussion_details(repo_id, 99),
        "rename": lambda: api_alice.rename_discussion(repo_id, 99, "renamed"),
        "status": lambda: api_alice.change_discussion_status(repo_id, 99, "closed"),
        "merge": lambda: api_alice.merge_pull_request(repo_id, 99),
    }
    for name, call in calls.items():
        with pytest.raises(hf.errors.HfHubHTTPError) as missing:
            call()
        assert not isinstance(missing.value, hf.errors.RepositoryNotFoundError), f"{name}: the repo exists"
        _assert_client_error(missing, 404)
    _assert_error(_post(stoa, _path(repo_id, "/99/comment"), stoa.tokens["alice"], {"comment": "anyone?"}), 404,
                  not_code="RepoNotFound")
    _assert_error(curl("GET", f"{stoa.url}{_path(repo_id, '/99')}"), 404, not_code="RepoNotFound")
    _assert_error(curl("GET", f"{stoa.url}{_path(repo_id, '/not-a-number')}"), 400, 404, not_code="RepoNotFound")
    assert _nums(api_alice, repo_id) == [1]
    assert len(api_alice.get_discussion_details(repo_id, 1).events) == 1


def test_anonymous_and_read_only_tokens(api_alice, api_alice_read, api_anon, hf, new_repo, stoa):
    repo_id = new_repo("anon")
    api_alice.create_discussion(repo_id, title="Public talk")
    # Anyone reads the discussions of a public repo.
    assert _nums(api_anon, repo_id) == [1]
    assert api_anon.get_discussion_details(repo_id, 1).title == "Public talk"

    # Writing needs a login: 401, and not a "repository not found" (the repo is public).
    for call in (
        lambda: api_anon.create_discussion(repo_id, title="Anonymous talk"),
        lambda: api_anon.comment_discussion(repo_id, 1, comment="anonymous comment"),
        lambda: api_anon.change_discussion_status(repo_id, 1, "closed"),
    ):
        with pytest.raises(hf.errors.HfHubHTTPError) as anonymous:
            call()
        assert not isinstance(anonymous.value, hf.errors.RepositoryNotFoundError), str(anonymous.value)
        assert anonymous.value.response.status_code == 401, str(anonymous.value)
    r = _post(stoa, _path(repo_id), None, {"title": "Anonymous talk", "description": "x", "pullRequest": False})
    _assert_error(r, 401, not_code="RepoNotFound")
    assert _nums(api_alice, repo_id) == [1]
    assert len(api_alice.get_discussion_details(repo_id, 1).events) == 1
    assert api_alice.get_discussion_details(repo_id, 1).status == "open"

    # A read-only token: the Hub documents read tokens as read access only; either it is refused with a
    # clear 403, or the discussion is opened in alice's name. Never anything in between.
    r = _post(stoa, _path(repo_id), stoa.tokens["alice_read"],
              {"title": "From a read token", "description": "ro", "pullRequest": False})
    if r.status == 403:
        _assert_error(r, 403)
        assert _nums(api_alice, repo_id) == [1]
    else:
        assert r.status in (200, 201), r.describe()
        created = api_alice.get_discussion_details(repo_id, r.json()["num"])
        assert (created.num, created.author, created.title) == (2, "alice", "From a read token")


def test_private_repo_discussions_are_never_revealed(api_alice, api_bob, api_anon, hf, new_repo, stoa):
    repo_id = new_repo("private", private=True)
    api_alice.create_discussion(repo_id, title="Secret plans")
    missing = f"alice/{unique_name('missing')}"
    for target in (repo_id, missing):
        for call in (
            lambda: api_bob.create_discussion(target, title="peek"),
            lambda: list(api_bob.get_repo_discussions(target)),
            lambda: api_bob.get_discussion_details(target, 1),
            lambda: api_bob.comment_discussion(target, 1, comment="hello?"),
            lambda: api_bob.change_discussion_status(target, 1, "closed"),
            lambda: _commit(hf, api_bob, target, {"x.txt": b"x"}, "sneaky PR", create_pr=True),
            lambda: list(api_anon.get_repo_discussions(target)),
        ):
            with pytest.raises(hf.errors.RepositoryNotFoundError):
                call()

    for suffix in ("", "/1"):
        as_bob = curl("GET", f"{stoa.url}{_path(repo_id, suffix)}", token=stoa.tokens["bob"])
        as_bob_missing = curl("GET", f"{stoa.url}{_path(missing, suffix)}", token=stoa.tokens["bob"])
        assert (as_bob.status, as_bob.header("x-error-code")) == (404, "RepoNotFound"), as_bob.describe()
        assert (as_bob_missing.status, as_bob_missing.header("x-error-code")) == (404, "RepoNotFound")
        assert as_bob.header("x-error-message") == as_bob_missing.header("x-error-message")
        anonymous = curl("GET", f"{stoa.url}{_path(repo_id, suffix)}")
        assert (anonymous.status, anonymous.header("x-error-code")) == (401, "RepoNotFound"), anonymous.describe()
    r = _post(stoa, _path(repo_id), stoa.tokens["bob"], {"title": "peek", "description": "x", "pullRequest": False})
    assert (r.status, r.header("x-error-code")) == (404, "RepoNotFound"), r.describe()

    assert _nums(api_alice, repo_id) == [1]
    details = api_alice.get_discussion_details(repo_id, 1)
    assert (details.title, details.status, len(details.events)) == ("Secret plans", "open", 1)
    assert _pr_refs(api_alice, repo_id) == {}


def test_disabled_discussions_refuse_new_ones(api_alice, api_bob, hf, new_repo, stoa):
    repo_id = new_repo("nodisc")
    api_alice.create_discussion(repo_id, title="Before closing the doors")

    def disable(token: str, disabled: bool):
        return curl("PUT", f"{stoa.url}/api/models/{repo_id}/settings", token=token, headers=JSON_HEADERS,
                    data=json.dumps({"discussionsDisabled": disabled}))

    r = disable(stoa.tokens["alice"], True)
    assert r.status == 200, r.describe()
    _assert_error(disable(stoa.tokens["bob"], False), 403)

    for api in (api_bob, api_alice):
        with pytest.raises(hf.errors.HfHubHTTPError) as refused:
            api.create_discussion(repo_id, title="Knock knock")
        _assert_client_error(refused, 403)
    r = _post(stoa, _path(repo_id), stoa.tokens["bob"],
              {"title": "Knock knock", "description": "x", "pullRequest": False})
    _assert_error(r, 403)

    r = disable(stoa.tokens["alice"], False)
    assert r.status == 200, r.describe()
    # Nothing was created while discussions were disabled: the next number is 2.
    assert api_bob.create_discussion(repo_id, title="Doors open again").num == 2
    assert _nums(api_alice, repo_id) == [2, 1]


# ---------------------------------------------------------------------------------------------
# the `hf discussions` CLI
# ---------------------------------------------------------------------------------------------


def test_hf_cli_discussions_end_to_end(api_alice, api_bob, api_anon, new_repo, stoa, tmp_path):
    assert HF_CLI.exists(), f"hf CLI not found at {HF_CLI}"
    repo_id = new_repo("cli")
    base = api_alice.upload_file(path_or_fileobj=NOTES_V1, path_in_repo="notes.txt", repo_id=repo_id).oid
    alice, bob = stoa.tokens["alice"], stoa.tokens["bob"]

    created = json.loads(_cli(stoa, tmp_path, alice, "discussions", "create", repo_id, "--title", "Made by the CLI",
                              "--body", "cli body", "--format", "json"))
    assert created == {"num": 1, "url": f"{stoa.url}/{repo_id}/discussions/1", "ref": None}, created
    d = api_alice.get_discussion_details(repo_id, 1)
    assert (d.title, d.author, d.is_pull_request) == ("Made by the CLI", "alice", False)
    assert [e.content for e in d.events] == ["cli body"]

    listed = json.loads(_cli(stoa, tmp_path, alice, "discussions", "list", repo_id, "--format", "json"))
    assert [(x["num"], x["title"], x["status"], x["author"]) for x in listed] == [
        (1, "Made by the CLI", "open", "alice")]
    info = json.loads(_cli(stoa, tmp_path, alice, "discussions", "info", repo_id, "1", "--format", "json"))
    assert (info["num"], info["title"], info["author"]) == (1, "Made by the CLI", "alice")
    assert [e["content"] for e in info["events"]] == ["cli body"]

    _cli(stoa, tmp_path, bob, "discussions", "comment", repo_id, "1", "--body", "comment from bob's CLI",
         "--format", "json")
    _cli(stoa, tmp_path, alice, "discussions", "rename", repo_id, "1", "Renamed by the CLI", "--format", "json")
    _cli(stoa, tmp_path, alice, "discussions", "close", repo_id, "1", "--yes", "--format", "json")
    assert api_anon.get_discussion_details(repo_id, 1).status == "closed"
    _cli(stoa, tmp_path, alice, "discussions", "reopen", repo_id, "1", "--yes", "--format", "json")
    d = api_anon.get_discussion_details(repo_id, 1)
    assert (d.title, d.status) == ("Renamed by the CLI", "open")
    assert [(e.type, e.author) for e in d.events] == [
        ("comment", "alice"), ("comment", "bob"), ("title-change", "alice"), ("status-change", "alice"),
        ("status-change", "alice")]
    assert d.events[1].content == "comment from bob's CLI"

    # bob opens a PR with the CLI, fills it through the API, takes it out of draft with `reopen`.
    pr = json.loads(_cli(stoa, tmp_path, bob, "discussions", "create", repo_id, "--title", "CLI PR", "--pr",
                         "--format", "json"))
    assert pr == {"num": 2, "url": f"{stoa.url}/{repo_id}/discussions/2", "ref": "refs/pr/2"}, pr
    assert api_anon.get_discussion_details(repo_id, 2).status == "draft"
    api_bob.upload_file(path_or_fileobj=NOTES_V2, path_in_repo="notes.txt", repo_id=repo_id, revision="refs/pr/2")
    _cli(stoa, tmp_path, bob, "discussions", "reopen", repo_id, "2", "--yes", "--format", "json")
    assert api_anon.get_discussion_details(repo_id, 2).status == "open"
    diff = _cli(stoa, tmp_path, alice, "discussions", "diff", repo_id, "2", "--format", "agent")
    assert "notes.txt" in diff and "-line two" in diff.splitlines() and "+line 2" in diff.splitlines(), diff

    _cli(stoa, tmp_path, alice, "discussions", "merge", repo_id, "2", "--yes", "--format", "json")
    merged = api_anon.get_discussion_details(repo_id, 2)
    assert merged.status == "merged" and merged.merge_commit_oid == api_anon.model_info(repo_id).sha != base
    prs = json.loads(_cli(stoa, tmp_path, alice, "discussions", "list", repo_id, "--status", "merged", "--kind",
                          "pull_request", "--format", "json"))
    assert [x["num"] for x in prs] == [2]
    closed = json.loads(_cli(stoa, tmp_path, alice, "discussions", "list", repo_id, "--status", "closed", "--kind",
                             "discussion", "--format", "json"))
    assert closed == []


# ---------------------------------------------------------------------------------------------
# activity log (Stoa's own API)
# ---------------------------------------------------------------------------------------------


def test_repo_activity_after_pr_flow(api_alice, api_bob, hf, new_repo, stoa):
    repo_id = new_repo("activity")
    base = api_alice.upload_file(path_or_fileobj=NOTES_V1, path_in_repo="notes.txt", repo_id=repo_id).oid
    pr = _commit(hf, api_bob, repo_id, {"notes.txt": NOTES_V2}, "Improve notes", create_pr=True)  # 1
    api_alice.comment_discussion(repo_id, pr.pr_num, comment="Looks good")
    api_alice.merge_pull_request(repo_id, pr.pr_num)
    merged = api_alice.get_discussion_details(repo_id, pr.pr_num)
    d = api_bob.create_discussion(repo_id, title="A question")  # 2
    api_alice.change_discussion_status(repo_id, d.num, "closed")

    events = _activity(stoa, f"/api/models/{repo_id}/activity")
    assert all(e["repo"] == {"name": repo_id, "type": "model"} for e in events), events
    main_commit = _find(events, "commit", "alice", oid=base)
    assert events[main_commit]["data"].get("ref") in ("refs/heads/main", "main"), events[main_commit]
    pr_commit = _find(events, "commit", "bob", oid=pr.oid, title="Improve notes", ref="refs/pr/1")
    opened = _find(events, "pr-opened", "bob", num=1, title="Improve notes")
    comment = _find(events, "comment", "alice", num=1)
    merged_at = _find(events, "pr-merged", "alice", num=1, oid=merged.merge_commit_oid)
    d_opened = _find(events, "discussion-opened", "bob", num=2, title="A question")
    d_closed = _find(events, "status-change", "alice", num=2, status="closed")
    # newest first
    assert d_closed < d_opened < merged_at < comment < opened < main_commit
    assert comment < pr_commit < main_commit
    # Readable like the repo: the feed above was read anonymously; a logged-in reader sees the same.
    assert _activity(stoa, f"/api/models/{repo_id}/activity", stoa.tokens["bob"]) == events


def test_activity_of_private_repos_is_hidden(api_alice, api_bob, new_repo, stoa):
    public = new_repo("actpub")
    private = new_repo("actpriv", private=True)
    pub_commit = api_alice.upload_file(path_or_fileobj=b"pub\n", path_in_repo="p.txt", repo_id=public).oid
    priv_commit = api_alice.upload_file(path_or_fileobj=b"priv\n", path_in_repo="s.txt", repo_id=private).oid
    api_bob.create_discussion(public, title="Bob was here")

    # The private repo's own feed: only for readers, answered like a missing repo otherwise.
    mine = _activity(stoa, f"/api/models/{private}/activity", stoa.tokens["alice"])
    assert _find(mine, "commit", "alice", oid=priv_commit) >= 0
    r = curl("GET", f"{stoa.url}/api/models/{private}/activity", token=stoa.tokens["bob"])
    assert (r.status, r.header("x-error-code")) == (404, "RepoNotFound"), r.describe()
    r = curl("GET", f"{stoa.url}/api/models/{private}/activity")
    assert (r.status, r.header("x-error-code")) == (401, "RepoNotFound"), r.describe()

    # A user's feed across repos, filtered by what the caller may read.
    as_alice = _activity(stoa, "/api/users/alice/activity", stoa.tokens["alice"])
    assert all(e["actor"] == "alice" for e in as_alice), as_alice
    i_priv = _find(as_alice, "commit", "alice", oid=priv_commit)
    i_pub = _find(as_alice, "commit", "alice", oid=pub_commit)
    assert i_priv < i_pub and as_alice[i_priv]["repo"] == {"name": private, "type": "model"}
    for token in (stoa.tokens["bob"], None):
        seen = _activity(stoa, "/api/users/alice/activity", token)
        assert private not in {e["repo"]["name"] for e in seen}, seen
        assert _find(seen, "commit", "alice", oid=pub_commit) >= 0
    bob_feed = _activity(stoa, "/api/users/bob/activity")
    assert all(e["actor"] == "bob" for e in bob_feed), bob_feed
    i = _find(bob_feed, "discussion-opened", "bob", num=1, title="Bob was here")
    assert bob_feed[i]["repo"] == {"name": public, "type": "model"}
    r = curl("GET", f"{stoa.url}/api/users/{unique_name('nobody')}/activity")
    assert r.status == 404, r.describe()


def test_activity_records_likes(new_repo, stoa):
    repo_id = new_repo("actlike")
    r = _post(stoa, f"/api/models/{repo_id}/like", stoa.tokens["bob"])
    assert 200 <= r.status < 300, r.describe()
    events = _activity(stoa, f"/api/models/{repo_id}/activity")
    assert events[0]["type"] == "like" and events[0]["actor"] == "bob", events


# ---------------------------------------------------------------------------------------------
# attachments
# ---------------------------------------------------------------------------------------------


def test_attachments_upload_and_serve_safely(api_alice, api_anon, hf, new_repo, stoa, tmp_path):
    """upload_attachment stores an allowed file and answers its URL; the file is served with the
    allow-listed type, nosniff and a sandboxing CSP. Disallowed types, anonymous uploads and
    unknown names are refused, and an attachment URL never opens an object it did not upload."""
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(256)
    image = tmp_path / "shot.png"
    image.write_bytes(png)
    url = api_alice.upload_attachment(image)
    assert url.startswith(f"{stoa.url}/uploads/") and url.endswith(".png")
    served = curl("GET", url)
    assert served.status == 200, served.describe()
    assert served.body == png
    assert served.header("content-type") == "image/png"
    assert served.header("x-content-type-options") == "nosniff"
    assert "sandbox" in (served.header("content-security-policy") or "")
    # Same bytes, same URL.
    assert api_alice.upload_attachment(image) == url

    # The client refuses SVG itself; the server refuses HTML and SVG sent raw.
    with pytest.raises(ValueError):
        api_alice.upload_attachment(tmp_path / "x.svg")
    for content_type in ("text/html", "image/svg+xml"):
        r = curl("POST", f"{stoa.url}/uploads", token=stoa.tokens["alice"], headers={"Content-Type": content_type}, data=b"<svg onload=alert(1)>")
        _assert_error(r, 400)
    with pytest.raises(hf.errors.HfHubHTTPError) as anonymous:
        api_anon.upload_attachment(image)
    assert anonymous.value.response.status_code == 401

    # A name that was never uploaded, or another type for an uploaded hash, is not found; so is an
    # object that exists in the store only because a repo holds it.
    digest = url.rsplit("/", 1)[1].split(".")[0]
    for name in ("0" * 64 + ".png", f"{digest}.mp4", f"{digest}.html", "not-a-hash.png"):
        _assert_error(curl("GET", f"{stoa.url}/uploads/{name}"), 404)
    repo_id = new_repo("attach", private=True)
    secret = os.urandom(2 * 1024 * 1024)
    api_alice.upload_file(path_or_fileobj=secret, path_in_repo="weights.bin", repo_id=repo_id)
    lfs = api_alice.get_paths_info(repo_id, ["weights.bin"])[0].lfs
    assert lfs is not None
    _assert_error(curl("GET", f"{stoa.url}/uploads/{lfs.sha256}.png"), 404)
