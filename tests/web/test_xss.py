"""Stored and reflected XSS: cards, front-matter values, commit messages, file and branch names,
discussion titles and comments full of vectors (xss_payloads.py), pushed with huggingface_hub, then
every page that shows them opened in headless Chromium.

A vector that ran sets `window.__xss`, sets the title to XSSED and logs XSS-FIRED. Each page is
checked for those, for CSP violation reports (the markup reached the page and only the CSP stopped
it), for what injected markup leaves in the DOM (event-handler attributes, `javascript:` URLs,
scripts, frames, objects, svg/math/forms inside user content, ...), and for its security headers.
Uploaded .html/.svg/.xhtml/.xml/.js files must not be served inline as active content on the
site's origin.
"""

from __future__ import annotations

import time
import urllib.parse
from dataclasses import dataclass, field

import pytest

import xss_payloads as P
from test_smoke import csp_problems
from web_helpers import (
    XSS_TITLE,
    audit_page,
    close_browser,
    dismiss_alerts,
    save_source,
    http,
    new_browser,
    present,
    script_signs,
    shot,
    sign_in_with_cookie,
    submit,
    unique,
    where,
)

SENTINEL = "SAFE-SENTINEL-CARD-5b0e"
CHUNK = 20  # vectors per card of the chunked repos (an unclosed element swallows what follows it)
VECTOR_COUNT = len(P.all_vectors(["/x"]))
CHUNKS = (VECTOR_COUNT + CHUNK - 1) // CHUNK
NUL_SENTINEL = "SAFE-SENTINEL-NUL-77c1"
DANGEROUS_TYPES = {
    "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
    "text/javascript", "application/javascript", "application/x-javascript", "application/ecmascript",
    "text/ecmascript", "multipart/x-mixed-replace", "text/xsl", "application/pdf",
}


@dataclass
class XssEnv:
    url: str
    owner: str
    viewer: str
    repo_id: str
    gated_id: str
    nul_id: str
    org: str
    fullname_user: str
    sessions: dict = field(default_factory=dict, repr=False)
    browsers: dict = field(default_factory=dict, repr=False)
    setup_notes: list = field(default_factory=list)
    commit_sha: str | None = None
    discussion: int | None = None
    pr: int | None = None
    chunk_ids: list = field(default_factory=list)
    vectors_discussion: int | None = None
    evil_path: str | None = None
    evil_branch: str | None = None

    @property
    def repo(self) -> str:
        return f"{self.url}/{self.repo_id}"


@pytest.fixture(scope="module")
def xss(stoa):
    import huggingface_hub
    from huggingface_hub import CommitOperationAdd

    env = XssEnv(
        url=stoa.url, owner=unique("xssowner"), viewer=unique("xssviewer"),
        repo_id="", gated_id="", nul_id="", org=unique("xssorg"), fullname_user=unique("xssname"),
    )
    env.repo_id = f"{env.owner}/{unique('xss')}"
    env.gated_id = f"{env.owner}/{unique('xss-gated')}"
    env.nul_id = f"{env.owner}/{unique('xss-nul')}"
    for user in (env.owner, env.viewer):
        stoa.api_sign_up(user)
    api = huggingface_hub.HfApi(endpoint=stoa.url, token=stoa.token(env.owner))
    made = stoa.admin("user", "create", env.fullname_user, "--fullname",
                      f"<img src=x onerror={P.JS}><script>{P.JS_BODY}</script>", check=False)
    if made.returncode != 0:
        env.setup_notes.append(f"a full name with markup refused: {made.stderr.strip()[:200]}")
        env.fullname_user = ""
    made = stoa.admin("org", "create", env.org, "--fullname", f"<svg onload={P.JS}>Org",
                      "--member", f"{env.owner}:admin", check=False)
    if made.returncode != 0:
        env.setup_notes.append(f"an org full name with markup refused: {made.stderr.strip()[:200]}")
        env.org = ""

    scripts = [f"/{env.repo_id}/raw/main/xss.js", f"/{env.repo_id}/resolve/main/xss.js"]
    api.create_repo(env.repo_id)
    api.upload_file(path_or_fileobj=P.JS_BODY.encode(), path_in_repo="xss.js", repo_id=env.repo_id)
    xhtml = (
        '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>'
        f"<script>{P.JS_BODY}</script></body></html>"
    )
    files = {
        "README.md": P.card(SENTINEL, scripts),
        "xss.html": P.HTML_DOC,
        "xss.svg": P.SVG_DOC,
        "xss.xhtml": xhtml,
        "xss.xml": xhtml,
    }
    def commit(repo_id: str, files: dict, **kwargs):
        """A commit; if the server refuses the card's front matter, again with the card's body only."""
        ops = lambda fs: [CommitOperationAdd(path_in_repo=k, path_or_fileobj=v.encode()) for k, v in fs.items()]  # noqa: E731
        try:
            return api.create_commit(repo_id=repo_id, operations=ops(files), **kwargs)
        except huggingface_hub.errors.HfHubHTTPError as e:
            if "README.md" not in files or e.response is None or e.response.status_code != 400:
                raise
            env.setup_notes.append(f"{repo_id}: card front matter refused ({str(e)[:160]}); body only")
            body = files["README.md"].split("\n---\n", 1)[1]
            return api.create_commit(repo_id=repo_id, operations=ops({**files, "README.md": body}), **kwargs)

    info = commit(
        env.repo_id, files,
        commit_message=f"<img src=x onerror={P.JS}> card <script>{P.JS_BODY}</script>",
        commit_description=P.comment(scripts),
    )
    env.commit_sha = info.oid

    # Names that carry markup: a file and a branch (the server may refuse them; that is fine).
    evil_path = f"<img src=x onerror={P.JS}>.txt"
    try:
        api.upload_file(path_or_fileobj=b"x\n", path_in_repo=evil_path, repo_id=env.repo_id,
                        commit_message=f"<svg onload={P.JS}>")
        env.evil_path = evil_path
    except Exception as e:  # noqa: BLE001
        env.setup_notes.append(f"file named {evil_path!r} refused: {str(e)[:200]}")
    # git refuses spaces in ref names: the attribute is separated by "/" instead, which HTML
    # parsers accept between attributes.
    evil_branch = f"<svg/onload={P.JS}>"
    try:
        api.create_branch(env.repo_id, branch=evil_branch)
        env.evil_branch = evil_branch
    except Exception as e:  # noqa: BLE001
        env.setup_notes.append(f"branch named {evil_branch!r} refused: {str(e)[:200]}")

    disc = api.create_discussion(
        env.repo_id,
        title=f"<img src=x onerror={P.JS}> discussion",  # titles are 3 to 200 characters
        description=P.comment(scripts),
    )
    env.discussion = disc.num
    api.comment_discussion(env.repo_id, disc.num, P.comment(scripts, with_null=True))
    api.create_discussion(env.repo_id, title=f"<script>{P.JS_BODY}</script> second", description="plain")
    pr = api.create_commit(
        repo_id=env.repo_id,
        operations=[CommitOperationAdd(path_in_repo="pr.md", path_or_fileobj=P.comment(scripts).encode())],
        commit_message=f"<svg onload={P.JS}> pull request",
        commit_description=P.comment(scripts),
        create_pr=True,
    )
    env.pr = int(pr.pr_url.rstrip("/").rsplit("/", 1)[1])
    api.comment_discussion(env.repo_id, env.pr, f"<img src=x onerror={P.JS}> on the PR")

    # Every vector on its own: in cards of CHUNK vectors each, and one comment per vector.
    vectors = list(enumerate(P.all_vectors(scripts)))
    for k in range(CHUNKS):
        chunk_id = f"{env.owner}/{unique(f'xss-chunk{k}')}"
        api.create_repo(chunk_id)
        commit(chunk_id, {"README.md": P.card(f"{SENTINEL}-{k}", scripts, vectors=vectors[k * CHUNK:(k + 1) * CHUNK])},
               commit_message="Card with XSS vectors")
        env.chunk_ids.append(chunk_id)
    per_vector = api.create_discussion(env.repo_id, title="One comment per vector", description="See below.")
    env.vectors_discussion = per_vector.num
    for n, vector in vectors + [(f"nul{i}", v) for i, v in enumerate(P.NULL_VECTORS)]:
        api.comment_discussion(env.repo_id, per_vector.num, f"VECTOR-{n}\n\n{vector}")

    api.create_repo(env.gated_id)
    commit(env.gated_id, {"README.md": P.card(SENTINEL, scripts, gated=True)}, commit_message="Gated card")
    api.update_repo_settings(env.gated_id, gated="manual")

    api.create_repo(env.nul_id)
    nul_card = f"---\nlicense: mit\n---\n# Null bytes\n\n{NUL_SENTINEL}\n\n" + "\n\n".join(P.NULL_VECTORS) + "\n"
    try:
        api.upload_file(path_or_fileobj=nul_card.encode(), path_in_repo="README.md", repo_id=env.nul_id)
    except Exception as e:  # noqa: BLE001
        env.setup_notes.append(f"README with NUL bytes refused: {str(e)[:200]}")

    for role, user in (("owner", env.owner), ("viewer", env.viewer)):
        env.sessions[role] = stoa.api_session(user)
    yield env
    for driver in env.browsers.values():
        close_browser(driver)


def browser_for(xss: XssEnv, stoa, role: str):
    """One browser per role for the whole module: anon, owner (signed in), viewer (signed in)."""
    if role not in xss.browsers:
        driver = new_browser(f"xss-{role}")
        if role in ("owner", "viewer"):
            sign_in_with_cookie(driver, stoa, xss.owner if role == "owner" else xss.viewer)
        xss.browsers[role] = driver
    return xss.browsers[role]


def check_page(driver, url: str, *, cookie: str | None, must_css: str | None = None,
               must_text: str | None = None, user_selectors=("article#card", "div.comment-body"),
               expect_status: int | None = 200) -> list[str]:
    """Everything wrong with one page: headers, script that ran, injected markup, missing content."""
    problems = []
    r = http("GET", url, cookie=cookie)
    if expect_status is not None and r.status != expect_status:
        problems.append(f"HTTP {r.status}, expected {expect_status}")
    ctype = (r.header("content-type") or "").split(";")[0].strip().lower()
    if ctype == "text/html":
        problems += [f"CSP: {p}" for p in csp_problems(r.header("content-security-policy"))]
        if (r.header("x-content-type-options") or "").lower() != "nosniff":
            problems.append("no X-Content-Type-Options: nosniff")
    script_signs(driver)  # forget what earlier pages logged
    driver.get(url)
    return problems + inspect_loaded(driver, must_css=must_css, must_text=must_text, user_selectors=user_selectors)


def inspect_loaded(driver, *, must_css: str | None = None, must_text: str | None = None,
                   user_selectors=("article#card", "div.comment-body")) -> list[str]:
    """The browser side of `check_page`, on the page the browser shows."""
    problems = []
    time.sleep(0.6)  # onerror/onload handlers of broken images fire just after load
    dismiss_alerts(driver)
    try:
        audit = audit_page(driver, user_selectors)
    except Exception as e:  # noqa: BLE001
        return problems + [f"could not inspect the page: {e!r}"]
    if (audit.get("title") or "").strip() == XSS_TITLE:
        problems.append(f"document.title was changed by a payload: {audit['title']!r}")
    if audit.get("xss") is not None:
        problems.append(f"window.__xss was set by a payload ({audit['xss']})")
    problems += audit.get("problems", [])
    problems += script_signs(driver)
    if must_css and not present(driver, must_css):
        problems.append(f"the page has no {must_css} (so nothing was tested there) {where(driver)}")
    if must_text and must_text not in driver.page_source:
        problems.append(f"the page does not show {must_text!r} {where(driver)}")
    return problems


def report(url: str, problems: list[str], notes: list[str] | None = None) -> str:
    lines = [f"{url}: {len(problems)} problem(s)"] + [f"  - {p}" for p in problems[:60]]
    if len(problems) > 60:
        lines.append(f"  ... and {len(problems) - 60} more")
    for note in notes or []:
        lines.append(f"  (setup: {note})")
    return "\n".join(lines)


# (id, role, path from the env, must_css, must_text, expected status)
def _pages(x: XssEnv) -> dict:
    repo = f"/{x.repo_id}"
    pages = {
        "card-owner": ("owner", repo, "article#card", SENTINEL, 200),
        "card-anon": ("anon", repo, "article#card", SENTINEL, 200),
        "blob-readme": ("owner", f"{repo}/blob/main/README.md", "pre.code", SENTINEL, 200),
        "blob-html": ("owner", f"{repo}/blob/main/xss.html", "pre.code", None, 200),
        "blob-svg": ("owner", f"{repo}/blob/main/xss.svg", "main#content", None, 200),
        "tree": ("owner", f"{repo}/tree/main", "table#files", "xss.html", 200),
        "commits": ("owner", f"{repo}/commits/main", "ul#commits", None, 200),
        "commit": ("owner", f"{repo}/commit/{x.commit_sha}", "div.diff-file", None, 200),
        "refs": ("owner", f"{repo}/refs", "main#content", None, 200),
        "discussions": ("owner", f"{repo}/discussions", "ul#discussions", None, 200),
        "discussion": ("owner", f"{repo}/discussions/{x.discussion}", "div.comment-body", None, 200),
        "discussion-anon": ("anon", f"{repo}/discussions/{x.discussion}", "div.comment-body", None, 200),
        "pull-request": ("owner", f"{repo}/discussions/{x.pr}", "div.comment-body", None, 200),
        "settings": ("owner", f"{repo}/settings", "form#gating", None, 200),
        "gated-viewer": ("viewer", f"/{x.gated_id}", "form#request-access", None, 200),
        "gated-owner": ("owner", f"/{x.gated_id}", "article#card", SENTINEL, 200),
        # A README with NUL bytes may be shown as binary (no card); its vectors are also in a comment.
        "nul-card": ("anon", f"/{x.nul_id}", "article#card", None, 200),
        "owner-profile": ("anon", f"/{x.owner}", "ul#repos", None, 200),
        "search-by-tag": ("anon", "/models?search=xss", "ul#results", None, 200),
        "home": ("anon", "/", "section#recent", None, 200),
    }
    if x.fullname_user:
        pages["profile-fullname"] = ("anon", f"/{x.fullname_user}", "main#content h1", None, 200)
    if x.org:
        pages["org-fullname"] = ("anon", f"/{x.org}", "main#content h1", None, 200)
    pages["comment-per-vector"] = (
        "anon", f"{repo}/discussions/{x.vectors_discussion}", "div.comment-body", "VECTOR-nul5", 200)
    for k, chunk_id in enumerate(x.chunk_ids):
        pages[f"card-chunk-{k}"] = ("anon", f"/{chunk_id}", "article#card", f"{SENTINEL}-{k}", 200)
    if x.evil_path:
        pages["blob-evil-name"] = (
            "owner", f"{repo}/blob/main/{urllib.parse.quote(x.evil_path, safe='')}", "main#content", None, 200)
    if x.evil_branch:
        pages["tree-evil-branch"] = (
            "owner", f"{repo}/tree/{urllib.parse.quote(x.evil_branch, safe='')}", "table#files", None, 200)
    return pages


PAGE_IDS = [
    "card-owner", "card-anon", "blob-readme", "blob-html", "blob-svg", "tree", "commits", "commit", "refs",
    "discussions", "discussion", "discussion-anon", "pull-request", "settings", "gated-viewer", "gated-owner",
    "nul-card", "profile-fullname", "org-fullname", "owner-profile", "search-by-tag", "home",
    "blob-evil-name", "tree-evil-branch", "comment-per-vector",
] + [f"card-chunk-{k}" for k in range(CHUNKS)]


@pytest.mark.parametrize("page", PAGE_IDS)
def test_stored_payloads_do_not_run(stoa, xss, page):
    pages = _pages(xss)
    if page not in pages:
        pytest.fail(f"not set up: {'; '.join(xss.setup_notes)}")
    role, path, must_css, must_text, status = pages[page]
    driver = browser_for(xss, stoa, role)
    url = stoa.url + path
    problems = check_page(driver, url, cookie=xss.sessions.get(role), must_css=must_css, must_text=must_text,
                          expect_status=status)
    shot(driver, page)
    save_source(driver, page)
    if page.startswith("card-chunk-") and present(driver, "article#card"):
        k = int(page.rsplit("-", 1)[1])
        shown = driver.find_element("css selector", "article#card").text
        lost = [n for n in range(k * CHUNK, min((k + 1) * CHUNK, VECTOR_COUNT)) if f"VECTOR-{n}" not in shown]
        if lost:  # not a failure: the vectors before them swallowed them (each also has its own comment)
            print(f"{page}: markers after an unclosed element not shown: {lost}")
    assert not problems, report(url, problems, xss.setup_notes)


REFLECTED = {
    "search-params": "/models?search={p}&pipeline_tag={p}&library={p}&license={p}&language={p}&sort={p}",
    "datasets-search": "/datasets?search={p}",
    "unknown-user": "/{p}",
    "unknown-repo": "/{p}/{p}",
    "unknown-file": "/{repo}/blob/main/{p}",
    "unknown-revision": "/{repo}/tree/{p}",
    "login-next": "/login?next={p}",
}


@pytest.mark.parametrize("case", sorted(REFLECTED))
def test_reflected_payloads_do_not_run(stoa, xss, case):
    driver = browser_for(xss, stoa, "anon")
    problems = []
    for payload in (f'"><script>{P.JS_BODY}</script>', f"<img src=x onerror={P.JS}>", f"javascript:{P.JS}"):
        path = REFLECTED[case].format(p=urllib.parse.quote(payload, safe=""), repo=xss.repo_id)
        url = stoa.url + path
        found = check_page(driver, url, cookie=None, expect_status=None, must_css="main#content")
        problems += [f"{path[:80]}...: {p}" for p in found]
    shot(driver, case)
    assert not problems, report(stoa.url + REFLECTED[case], problems)


def test_login_next_never_leaves_the_site(stoa, xss):
    """/login?next=javascript:... or //evil: after signing in the browser stays on this origin."""
    driver = new_browser("login-next")
    try:
        for nxt in (f"javascript:{P.JS}", "//127.0.0.2/evil", "https://127.0.0.2/evil", "/\\127.0.0.2/evil"):
            driver.delete_all_cookies()
            driver.get(f"{stoa.url}/login?next={urllib.parse.quote(nxt, safe='')}")
            submit(driver, "form#login", {"username": xss.viewer, "password": "correct-horse-battery-staple"})
            time.sleep(0.3)
            assert driver.current_url.startswith(stoa.url + "/"), f"next={nxt!r} led to {driver.current_url}"
            assert not script_signs(driver), f"next={nxt!r}: {script_signs(driver)}"
        shot(driver, "after-login")
    finally:
        close_browser(driver)


def test_form_errors_do_not_reflect_markup(stoa, xss):
    """A sign-up and a login with markup as the user name: the error page shows it as text."""
    driver = new_browser("form-errors")
    try:
        name = f'"><img src=x onerror={P.JS}><script>{P.JS_BODY}</script>'
        driver.get(f"{stoa.url}/join")
        submit(driver, "form#join", {"username": name, "password": "correct-horse-battery-staple"})
        time.sleep(0.5)
        shot(driver, "join-error")
        problems = [f"/join: {p}" for p in audit_page(driver)["problems"]] + script_signs(driver)
        assert present(driver, "div.error"), f"/join with a bad name shows no div.error {where(driver)}"
        driver.get(f"{stoa.url}/login")
        submit(driver, "form#login", {"username": name, "password": "wrong-password-123"})
        time.sleep(0.5)
        shot(driver, "login-error")
        problems += [f"/login: {p}" for p in audit_page(driver)["problems"]] + script_signs(driver)
        assert not problems, report("/join, /login", problems)
    finally:
        close_browser(driver)


RAW_FILES = ["xss.html", "xss.svg", "xss.xhtml", "xss.xml", "xss.js"]


def _follow(url: str, cookie: str | None, hops: int = 3):
    """GET, following same-origin redirects (a resolve may redirect to a signed URL)."""
    r = http("GET", url, cookie=cookie)
    for _ in range(hops):
        if r.status not in (301, 302, 303, 307, 308) or not r.header("location"):
            break
        r = http("GET", urllib.parse.urljoin(url, r.header("location")), cookie=cookie)
    return r


def served_inline_problems(r, name: str) -> list[str]:
    ctype = (r.header("content-type") or "").split(";")[0].strip().lower()
    disp = (r.header("content-disposition") or "").strip().lower()
    csp = (r.header("content-security-policy") or "").lower()
    problems = []
    if r.status != 200:
        return [f"HTTP {r.status}"]
    if (r.header("x-content-type-options") or "").lower() != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff (the browser may sniff it as HTML)")
    if ctype in DANGEROUS_TYPES or not ctype:
        if not disp.startswith("attachment") and "sandbox" not in csp:
            problems.append(
                f"served inline as {ctype or '(no type)'} with Content-Disposition {disp or '(none)'!r} "
                f"and no CSP sandbox: {name} would run as active content on the site's origin"
            )
    return problems


@pytest.mark.parametrize("name", RAW_FILES)
@pytest.mark.parametrize("route", ["raw", "resolve"])
def test_uploaded_active_files_are_not_served_inline(stoa, xss, route, name):
    url = f"{stoa.url}/{xss.repo_id}/{route}/main/{name}"
    r = _follow(url, xss.sessions["owner"])
    problems = [f"headers: {p}" for p in served_inline_problems(r, name)]
    print(f"{route}/{name}: {r.status} type={r.header('content-type')!r} "
          f"disposition={r.header('content-disposition')!r} csp={r.header('content-security-policy')!r}")
    driver = browser_for(xss, stoa, "owner")
    driver.get("about:blank")
    script_signs(driver)
    try:
        driver.get(url)
    except Exception as e:  # noqa: BLE001 - a download may abort the navigation
        if "ERR_ABORTED" not in str(e):
            problems.append(f"navigation: {e!r}"[:200])
    time.sleep(0.8)
    dismiss_alerts(driver)
    try:
        state = driver.execute_script(
            "return {title: document.title, xss: (typeof window.__xss === 'undefined') ? null : String(window.__xss),"
            " url: location.href, kind: document.contentType}"
        )
    except Exception as e:  # noqa: BLE001
        state = {"title": "", "xss": None, "url": "?", "kind": f"? {e!r}"}
    if (state.get("title") or "").strip() == XSS_TITLE or state.get("xss") is not None:
        problems.append(f"the file's script ran in the browser ({state})")
    problems += script_signs(driver)
    shot(driver, f"{route}-{name}")
    assert not problems, report(f"{url} [{r.status} {r.header('content-type')!r} "
                                f"disposition={r.header('content-disposition')!r}]", problems)


def test_raw_link_of_blob_view_points_at_raw(stoa, xss):
    driver = browser_for(xss, stoa, "owner")
    driver.get(f"{stoa.url}/{xss.repo_id}/blob/main/xss.html")
    links = driver.find_elements("css selector", "a#raw-link")
    assert links, f"no a#raw-link on the blob view {where(driver)}"
    assert links[0].get_attribute("href") == f"{stoa.url}/{xss.repo_id}/raw/main/xss.html"


def test_the_detectors_see_injected_markup(stoa, xss):
    """A control: markup injected into a real page by the test itself is caught, both the CSP's
    refusal and the DOM audit, and a script that did run is caught too (so a green run means
    something)."""
    driver = browser_for(xss, stoa, "anon")
    driver.get(f"{stoa.url}/{xss.repo_id}")
    script_signs(driver)
    driver.execute_script(
        "document.querySelector('article#card, main#content').insertAdjacentHTML('beforeend', arguments[0])",
        f'<img src="x" onerror="{P.JS}"><a href="javascript:{P.JS}">x</a><svg></svg>',
    )
    problems = inspect_loaded(driver)
    joined = "\n".join(problems)
    assert "onerror" in joined, f"the DOM audit missed an onerror attribute: {problems}"
    assert "javascript:" in joined, f"the DOM audit missed a javascript: href: {problems}"
    assert "stopped by the CSP only" in joined, f"the CSP refusal of an inline handler was not seen: {problems}"
    driver.execute_script(P.JS)  # a script that runs (the driver's own scripts are not under the CSP)
    problems = inspect_loaded(driver)
    joined = "\n".join(problems)
    assert "window.__xss" in joined and "payload ran (console)" in joined, problems
    shot(driver, "control")
