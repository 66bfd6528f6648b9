"""The issue's scenario in a real browser, one test per step, each step screenshotted:

sign up (webowner) → /new → upload a card and a file → the rendered card and the file list →
a pull request through the upload form → comment → merge → manual gating → a second user
(webreader, fresh browser) asks for access → the owner accepts → the second user reads the files.
And tokens: made on /settings/tokens, checked with /api/whoami-v2, revoked.

The steps share one repo and two browsers (module scope). When a step's page fails, the step fails
and its effect is made through the API instead, so that the later steps still test their own
pages (each failure names its own page).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from web_helpers import (
    PASSWORD,
    bad_patterns,
    close_browser,
    find,
    http,
    new_browser,
    page_errors,
    present,
    shot,
    sign_in_with_cookie,
    submit,
    texts,
    unique,
    where,
)

OWNER = "webowner"
READER = "webreader"
CONFIG_SENTINEL = "web-flow-config-sentinel-7d41"
EXTRA_SENTINEL = "web-flow-extra-sentinel-93ac"

CARD = """---
license: mit
tags:
- webflowtag
- text-classification-demo
---

# Web Flow Model

A model card written for the **web tests**.

| metric | value |
| ------ | ----- |
| accuracy | 0.93 |
| f1 | 0.88 |

```python
def greet(name):
    return f"hello {name}"
```
"""


class Flow:
    def __init__(self, stoa, tmp: Path):
        self.stoa = stoa
        self.url = stoa.url
        self.tmp = tmp
        self.name = unique("flow")
        self.repo_id = f"{OWNER}/{self.name}"
        self.repo = f"{stoa.url}/{self.repo_id}"
        self.owner_browser = None
        self.reader_browser = None
        self.pr_num: int | None = None
        self.pr_summary = "Add extra.txt through a pull request"
        self.comment = "Looks good, merging this from the browser."
        self._tokens: dict[str, str] = {}

    def owner(self):
        if self.owner_browser is None:
            self.owner_browser = new_browser("owner")
        return self.owner_browser

    def reader(self):
        if self.reader_browser is None:
            self.reader_browser = new_browser("reader")
        return self.reader_browser

    def token(self, user: str) -> str:
        if user not in self._tokens:
            self._tokens[user] = self.stoa.token(user, "write", name=f"flow-fallback-{user}")
        return self._tokens[user]

    def api(self, user: str):
        import huggingface_hub

        return huggingface_hub.HfApi(endpoint=self.url, token=self.token(user))

    def file(self, name: str, content: str) -> Path:
        path = self.tmp / name
        path.write_text(content, encoding="utf-8")
        return path

    @contextlib.contextmanager
    def or_else(self, fallback):
        """Runs the step; if it fails, does its effect through `fallback` and re-raises."""
        try:
            yield
        except BaseException:
            try:
                fallback()
            except Exception as e:  # noqa: BLE001 - reported with the step's own failure
                print(f"fallback for this step failed too: {e!r}")
            raise

    def close(self):
        for driver in (self.owner_browser, self.reader_browser):
            if driver is not None:
                close_browser(driver)


@pytest.fixture(scope="module")
def flow(stoa, tmp_path_factory):
    state = Flow(stoa, tmp_path_factory.mktemp("flow"))
    yield state
    state.close()


@pytest.fixture(autouse=True)
def _no_page_errors(flow):
    """After each step: no CSP refusal and no script error in either browser's console (a template
    with an inline style or script breaks under the site's own CSP)."""
    for driver in (flow.owner_browser, flow.reader_browser):
        if driver is not None:
            page_errors(driver)  # what earlier steps left
    yield
    errors = []
    for label, driver in (("owner", flow.owner_browser), ("reader", flow.reader_browser)):
        if driver is not None:
            errors += [f"{label}: {e}" for e in page_errors(driver)]
    if errors:
        pytest.fail("console errors on the pages of this step:\n" + "\n".join(errors), pytrace=False)


def entry_names(driver) -> list[str]:
    return texts(driver, "table#files tr.entry a.entry-link")


def api_sign_up_and_cookie(flow: Flow, driver, username: str) -> None:
    r = http("POST", f"{flow.url}/api/signup", json_body={"username": username, "password": PASSWORD})
    assert r.status in (201, 409, 400), r.describe()
    sign_in_with_cookie(driver, flow.stoa, username)


def sign_up_through_page(flow: Flow, driver, username: str, prefix: str) -> None:
    driver.get(f"{flow.url}/join")
    shot(driver, f"{prefix}-join-form")
    submit(driver, "form#join", {"username": username, "password": PASSWORD, "email": f"{username}@example.com"})
    shot(driver, f"{prefix}-after-join")
    assert driver.current_url == f"{flow.url}/", f"/join: expected a redirect to /, got {where(driver)}"
    menu = find(driver, "a#user-menu", what="a#user-menu (signed-in header)")
    assert menu.text.strip() == username, f"a#user-menu shows {menu.text!r}, expected {username!r} {where(driver)}"
    assert menu.get_attribute("href") == f"{flow.url}/{username}", menu.get_attribute("href")
    assert not present(driver, "a#login-link"), f"signed in but the header still has a#login-link {where(driver)}"
    assert present(driver, "form#logout"), f"signed in but no form#logout {where(driver)}"


# --------------------------------------------------------------------------------------------


def test_01_owner_signs_up(flow):
    driver = flow.owner()
    with flow.or_else(lambda: api_sign_up_and_cookie(flow, driver, OWNER)):
        sign_up_through_page(flow, driver, OWNER, "owner")


def test_02_owner_creates_a_model_repo(flow):
    driver = flow.owner()
    with flow.or_else(lambda: flow.api(OWNER).create_repo(flow.repo_id, exist_ok=True)):
        driver.get(f"{flow.url}/new")
        shot(driver, "new-repo-form")
        submit(driver, "form#new-repo", {"type": "model", "owner": OWNER, "name": flow.name, "visibility": "public"})
        shot(driver, "repo-created")
        assert driver.current_url == flow.repo, f"/new: expected a redirect to {flow.repo}, got {where(driver)}"
        r = http("GET", f"{flow.url}/api/models/{flow.repo_id}")
        assert r.status == 200, f"the repo made by /new is not in the API: {r.describe()}"
        find(driver, "nav#repo-tabs", what="nav#repo-tabs on the new repo's page")


def test_03_owner_uploads_card_and_config(flow):
    driver = flow.owner()
    readme = flow.file("README.md", CARD)
    config = flow.file("config.json", '{"model_type": "%s", "hidden_size": 8}\n' % CONFIG_SENTINEL)

    def fallback():
        api = flow.api(OWNER)
        api.upload_file(path_or_fileobj=str(readme), path_in_repo="README.md", repo_id=flow.repo_id)
        api.upload_file(path_or_fileobj=str(config), path_in_repo="config.json", repo_id=flow.repo_id)

    with flow.or_else(fallback):
        driver.get(f"{flow.repo}/upload/main")
        find(driver, "form#upload", what="form#upload on /upload/main")
        file_input = find(driver, 'form#upload input[type="file"][name="files"]', what="input[type=file][name=files]")
        assert file_input.get_attribute("multiple") is not None, "the files input is not `multiple`"
        submit(driver, "form#upload", {"files": f"{readme}\n{config}", "summary": "Add the card and a config"},
               timeout=60)
        shot(driver, "uploaded")
        assert driver.current_url == f"{flow.repo}/tree/main", (
            f"upload: expected a redirect to {flow.repo}/tree/main, got {where(driver)}"
        )
        names = entry_names(driver)
        assert "README.md" in names and "config.json" in names, f"table#files lists {names} {where(driver)}"
        r = http("GET", f"{flow.url}/api/models/{flow.repo_id}/tree/main")
        api_names = {e["path"] for e in r.json()} if r.status == 200 else set()
        assert {"README.md", "config.json"} <= api_names, f"after the upload the API lists {api_names}"


def test_04_card_and_file_list_render(flow):
    driver = flow.owner()
    driver.get(flow.repo)
    shot(driver, "card")
    card = find(driver, "article#card", what="article#card")
    h1 = card.find_elements(By.CSS_SELECTOR, "h1")
    assert h1 and h1[0].text.strip() == "Web Flow Model", f"article#card h1: {[h.text for h in h1]} {where(driver)}"
    assert card.find_elements(By.CSS_SELECTOR, "strong"), "the card's **bold** is not rendered as <strong>"
    cells = [c.text.strip() for c in card.find_elements(By.CSS_SELECTOR, "table th, table td")]
    assert {"metric", "value", "accuracy", "0.93"} <= set(cells), f"the card's table cells: {cells}"
    code = " ".join(c.text for c in card.find_elements(By.CSS_SELECTOR, "pre"))
    assert "def greet(name):" in code, f"the fenced python block is not in a <pre>: {code!r}"
    assert "license: mit" not in card.text, "the YAML front matter is shown inside the card"
    meta = find(driver, "aside#metadata", what="aside#metadata")
    assert "mit" in meta.text.lower(), f"aside#metadata does not show the licence: {meta.text!r}"
    page = driver.find_element(By.TAG_NAME, "body").text
    assert "webflowtag" in page, "the card's tag `webflowtag` is not shown on the repo page"

    driver.get(f"{flow.repo}/tree/main")
    shot(driver, "file-list")
    names = entry_names(driver)
    assert {"README.md", "config.json"} <= set(names), f"table#files lists {names} {where(driver)}"


def test_05_pull_request_through_the_upload_form(flow):
    driver = flow.owner()
    extra = flow.file("extra.txt", f"{EXTRA_SENTINEL}\n")

    def fallback():
        info = flow.api(OWNER).upload_file(
            path_or_fileobj=str(extra), path_in_repo="extra.txt", repo_id=flow.repo_id,
            commit_message=flow.pr_summary, create_pr=True,
        )
        flow.pr_num = int(re.search(r"/discussions/(\d+)", info.pr_url).group(1))

    with flow.or_else(fallback):
        driver.get(f"{flow.repo}/upload/main")
        shot(driver, "pr-upload-form")
        submit(driver, "form#upload", {"files": str(extra), "summary": flow.pr_summary, "create_pr": "1"}, timeout=60)
        shot(driver, "pr-opened")
        m = re.fullmatch(re.escape(flow.repo) + r"/discussions/(\d+)", driver.current_url)
        assert m, f"upload with create_pr: expected a redirect to {flow.repo}/discussions/N, got {where(driver)}"
        flow.pr_num = int(m.group(1))
        r = http("GET", f"{flow.url}/api/models/{flow.repo_id}/tree/main")
        main_names = {e["path"] for e in r.json()} if r.status == 200 else set()
        assert "extra.txt" not in main_names, "create_pr: the file went straight to main"


def test_06_open_the_pull_request_and_comment(flow):
    assert flow.pr_num is not None, "no pull request (test_05 failed and so did its API fallback)"
    driver = flow.owner()
    discussion = f"{flow.repo}/discussions/{flow.pr_num}"

    def fallback():
        flow.api(OWNER).comment_discussion(flow.repo_id, flow.pr_num, flow.comment)

    with flow.or_else(fallback):
        driver.get(f"{flow.repo}/discussions")
        shot(driver, "discussions")
        links = driver.find_elements(By.CSS_SELECTOR, "ul#discussions li.discussion a.discussion-link")
        mine = [a for a in links if flow.pr_summary in a.text]
        assert mine, f"ul#discussions has no link titled {flow.pr_summary!r}: {[a.text for a in links]} {where(driver)}"
        mine[0].click()
        find(driver, "main#content")
        shot(driver, "pr-page")
        assert driver.current_url == discussion, f"the discussion link leads to {driver.current_url}, not {discussion}"
        assert present(driver, "div.event"), f"the discussion page shows no div.event {where(driver)}"
        assert present(driver, "form#merge"), f"an open PR seen by its owner has no form#merge {where(driver)}"
        submit(driver, "form#comment", {"comment": flow.comment})
        shot(driver, "commented")
        assert driver.current_url.split("#")[0] == discussion, f"after commenting: {where(driver)}"
        bodies = texts(driver, "div.comment-body")
        assert any(flow.comment in b for b in bodies), f"div.comment-body texts: {bodies} {where(driver)}"


def test_07_merge_the_pull_request(flow):
    assert flow.pr_num is not None, "no pull request (test_05 failed and so did its API fallback)"
    driver = flow.owner()
    discussion = f"{flow.repo}/discussions/{flow.pr_num}"

    def fallback():
        flow.api(OWNER).merge_pull_request(flow.repo_id, flow.pr_num)

    with flow.or_else(fallback):
        driver.get(discussion)
        submit(driver, "form#merge")
        shot(driver, "merged")
        assert driver.current_url.split("#")[0] == discussion, f"after merging: {where(driver)}"
        content = find(driver, "main#content").text
        assert re.search(r"\bmerged\b", content, re.I), f"the PR page does not say it is merged {where(driver)}"
        assert not present(driver, "form#merge"), "a merged PR still shows form#merge"
        r = http("GET", f"{flow.url}/api/models/{flow.repo_id}/discussions/{flow.pr_num}")
        assert r.status == 200 and r.json().get("status") == "merged", f"the API says: {r.describe()}"

    driver.get(f"{flow.repo}/tree/main")
    shot(driver, "main-after-merge")
    names = entry_names(driver)
    assert "extra.txt" in names, f"after the merge table#files on main lists {names} {where(driver)}"


def test_08_owner_turns_on_manual_gating(flow):
    driver = flow.owner()
    with flow.or_else(lambda: flow.api(OWNER).update_repo_settings(flow.repo_id, gated="manual")):
        driver.get(f"{flow.repo}/settings")
        shot(driver, "settings")
        submit(driver, "form#gating", {"gated": "manual"})
        shot(driver, "gated")
        r = http("GET", f"{flow.url}/api/models/{flow.repo_id}")
        assert r.status == 200 and r.json().get("gated") == "manual", (
            f"after form#gating the API says gated={r.json().get('gated') if r.status == 200 else r.status!r}"
        )
        assert not driver.find_elements(By.CSS_SELECTOR, "div.error"), f"div.error after form#gating {where(driver)}"


def test_09_second_user_signs_up(flow):
    driver = flow.reader()
    with flow.or_else(lambda: api_sign_up_and_cookie(flow, driver, READER)):
        sign_up_through_page(flow, driver, READER, "reader")


def test_10_second_user_asks_for_access(flow):
    driver = flow.reader()

    def fallback():
        r = http("POST", f"{flow.url}/api/models/{flow.repo_id}/user-access-request/request",
                 token=flow.token(READER), json_body={"fields": {}})
        assert r.status in (200, 409), r.describe()

    with flow.or_else(fallback):
        driver.get(f"{flow.repo}/blob/main/config.json")
        shot(driver, "reader-blob-before-access")
        assert CONFIG_SENTINEL not in driver.page_source, "a gated file's contents show before access is granted"
        driver.get(flow.repo)
        shot(driver, "reader-gated-repo")
        find(driver, "form#request-access", what="form#request-access on a manually gated repo")
        assert not present(driver, "div#access-pending"), "div#access-pending before any request"
        submit(driver, "form#request-access")
        shot(driver, "reader-requested")
        if not present(driver, "div#access-pending"):
            driver.get(flow.repo)
            shot(driver, "reader-pending")
        find(driver, "div#access-pending", what="div#access-pending after asking for access")
        assert not present(driver, "form#request-access"), "form#request-access still offered while pending"
        r = http("GET", f"{flow.url}/api/models/{flow.repo_id}/user-access-request/pending", token=flow.token(OWNER))
        assert r.status == 200 and READER in r.text(), f"the pending list: {r.describe()}"


def test_11_owner_accepts_the_request(flow):
    driver = flow.owner()
    with flow.or_else(lambda: flow.api(OWNER).accept_access_request(flow.repo_id, READER)):
        driver.get(f"{flow.repo}/settings/access-requests")
        shot(driver, "access-requests")
        rows = driver.find_elements(By.CSS_SELECTOR, "table#access-requests tr.request")
        mine = [row for row in rows if READER in row.text]
        assert mine, f"table#access-requests has no row for {READER}: {[r.text for r in rows]} {where(driver)}"
        assert "pending" in mine[0].text.lower(), f"the row's status: {mine[0].text!r}"
        forms = mine[0].find_elements(By.CSS_SELECTOR, "form.accept")
        assert forms, f"the row for {READER} has no form.accept {where(driver)}"
        submit(driver, forms[0])
        shot(driver, "accepted")
        r = http("GET", f"{flow.url}/api/models/{flow.repo_id}/user-access-request/accepted", token=flow.token(OWNER))
        assert r.status == 200 and READER in r.text(), f"the accepted list: {r.describe()}"
        rows = [row.text for row in driver.find_elements(By.CSS_SELECTOR, "table#access-requests tr.request")]
        if not any(READER in t for t in rows):  # the page may list one status at a time
            tabs = [a for a in driver.find_elements(By.CSS_SELECTOR, "main#content a") if a.text.strip() == "Accepted"]
            assert tabs, f"after accepting, {READER} is not listed and there is no Accepted view {where(driver)}"
            tabs[0].click()
            find(driver, "main#content")
            shot(driver, "accepted-list")
            rows = [row.text for row in driver.find_elements(By.CSS_SELECTOR, "table#access-requests tr.request")]
        assert any(READER in t and "accepted" in t.lower() for t in rows), f"rows after accepting: {rows} {where(driver)}"


def test_12_second_user_reads_the_files(flow):
    driver = flow.reader()
    driver.get(flow.repo)
    shot(driver, "reader-repo-after-accept")
    assert not present(driver, "form#request-access"), f"form#request-access still shown after acceptance {where(driver)}"
    assert not present(driver, "div#access-pending"), f"div#access-pending still shown after acceptance {where(driver)}"
    driver.get(f"{flow.repo}/tree/main")
    shot(driver, "reader-files")
    names = entry_names(driver)
    assert {"README.md", "config.json", "extra.txt"} <= set(names), f"table#files lists {names} {where(driver)}"
    driver.get(f"{flow.repo}/blob/main/config.json")
    shot(driver, "reader-blob")
    code = " ".join(texts(driver, "pre.code"))
    assert CONFIG_SENTINEL in code, f"pre.code of config.json: {code[:300]!r} {where(driver)}"
    raw = find(driver, "a#raw-link", what="a#raw-link")
    assert raw.get_attribute("href") == f"{flow.repo}/raw/main/config.json", raw.get_attribute("href")


def test_13_form_patterns_compile(flow):
    """Every `pattern` of the owner's forms is a valid browser regular expression."""
    driver = flow.owner()
    problems = []
    for path in ("/new", f"/{flow.repo_id}/settings", f"/{flow.repo_id}/upload/main", "/settings/tokens"):
        driver.get(flow.url + path)
        problems += [f"{path}: {p}" for p in bad_patterns(driver)]
    assert not problems, "patterns the browser ignores (and reports as errors):\n" + "\n".join(problems)


# --------------------------------------------------------------------------------------------


def test_tokens_page_creates_and_revokes(stoa, browser):
    user = unique("webtok")
    driver = browser("tokens")
    stoa.api_sign_up(user)
    sign_in_with_cookie(driver, stoa, user)
    driver.get(f"{stoa.url}/settings/tokens")
    shot(driver, "tokens-page")
    submit(driver, "form#new-token", {"name": "laptop", "role": "write"})
    shot(driver, "token-created")
    secret = find(driver, "code#new-token-secret", what="code#new-token-secret after form#new-token").text.strip()
    assert len(secret) >= 20 and " " not in secret, f"code#new-token-secret shows {secret!r}"

    r = http("GET", f"{stoa.url}/api/whoami-v2", token=secret)
    assert r.status == 200, f"whoami-v2 with the new token: {r.describe()}"
    assert r.json().get("name") == user, r.json()

    rows = driver.find_elements(By.CSS_SELECTOR, "table#tokens tr.token")
    mine = [row for row in rows if "laptop" in row.text]
    assert mine, f"table#tokens has no row named laptop: {[row.text for row in rows]} {where(driver)}"
    assert secret not in driver.find_element(By.CSS_SELECTOR, "table#tokens").text, "the table shows the secret"
    forms = mine[0].find_elements(By.CSS_SELECTOR, "form.revoke-token")
    assert forms, f"the token's row has no form.revoke-token {where(driver)}"
    submit(driver, forms[0])
    shot(driver, "token-revoked")
    assert driver.current_url.startswith(f"{stoa.url}/settings/tokens"), f"after revoking: {where(driver)}"
    r = http("GET", f"{stoa.url}/api/whoami-v2", token=secret)
    assert r.status == 401, f"whoami-v2 with the revoked token: expected 401, got {r.status}"
    rows = [row.text for row in driver.find_elements(By.CSS_SELECTOR, "table#tokens tr.token")]
    assert not any("laptop" in t for t in rows), f"the revoked token is still listed: {rows}"

    driver.get(f"{stoa.url}/settings/tokens")
    assert not present(driver, "code#new-token-secret"), "the secret is shown again on a later visit"
    assert secret not in driver.page_source, "the secret is in a later page"
    assert not page_errors(driver), f"console errors: {page_errors(driver)}"
