"""Helpers for the web tests: the server handle, headless Chromium sessions, forms, screenshots,
the browser console, plain HTTP through urllib, and DOM audits for injected markup.

Nothing here imports huggingface_hub (conftest.py fixes HF_ENDPOINT before anything does).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import (
    NoAlertPresentException,
    NoSuchElementException,
    TimeoutException,
    UnexpectedAlertPresentException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from stoa_process import run_admin  # tests/stoa_process.py (conftest puts tests/ on sys.path)

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
CHROMIUM = os.environ.get("STOA_WEB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("STOA_WEB_CHROMEDRIVER", "/usr/bin/chromedriver")
PASSWORD = "correct-horse-battery-staple"

# Set by conftest.py's autouse fixture: the running test's name, for screenshot file names.
CURRENT = {"test": "session"}
# Every WebDriver session still open, as (label, driver): conftest.py saves a screenshot, the page
# source and the console of each when a test fails.
LIVE: list[tuple[str, webdriver.Chrome]] = []


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:120] or "x"


# --------------------------------------------------------------------------------------------
# Server handle
# --------------------------------------------------------------------------------------------


@dataclass
class StoaServer:
    url: str
    port: int
    data_dir: Path
    binary: Path
    log_path: Path
    process: subprocess.Popen | None = None
    tokens: dict[str, str] = field(default_factory=dict, repr=False)

    def admin(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Runs `stoa admin ... --data-dir DIR`."""
        return run_admin(self.binary, self.data_dir, *args, check=check)

    def token(self, user: str, role: str = "write", name: str | None = None) -> str:
        """A token for `user` made with `stoa admin token create` (last line of its stdout)."""
        out = self.admin(
            "token", "create", "--user", user, "--role", role, "--name", name or unique("web")
        ).stdout.strip().splitlines()
        assert out and out[-1].strip() and " " not in out[-1].strip(), f"unexpected token output {out!r}"
        return out[-1].strip()

    def api_sign_up(self, username: str, password: str = PASSWORD) -> None:
        """Creates an account through `POST /api/signup` (not the page)."""
        r = http("POST", f"{self.url}/api/signup", json_body={"username": username, "password": password})
        assert r.status == 201, f"POST /api/signup {username}: {r.describe()}"

    def api_session(self, username: str, password: str = PASSWORD) -> str:
        """A session cookie value through `POST /api/login` (not the page)."""
        r = http("POST", f"{self.url}/api/login", json_body={"username": username, "password": password})
        assert r.status == 200, f"POST /api/login {username}: {r.describe()}"
        for value in r.headers.get("set-cookie", []):
            m = re.match(r"stoa_session=([^;]*)", value)
            if m and m.group(1):
                return m.group(1)
        raise AssertionError(f"POST /api/login set no stoa_session cookie: {r.describe()}")


# --------------------------------------------------------------------------------------------
# Plain HTTP (urllib; redirects are not followed)
# --------------------------------------------------------------------------------------------


@dataclass
class HttpResponse:
    method: str
    url: str
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.text())

    def describe(self) -> str:
        hdrs = "\n".join(f"  {k}: {v}" for k, vs in self.headers.items() for v in vs)
        return f"{self.method} {self.url} -> {self.status}\n{hdrs}\n  body: {self.body[:1500]!r}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http(
    method: str,
    url: str,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    json_body=None,
    data: bytes | None = None,
    cookie: str | None = None,
    timeout: float = 30,
) -> HttpResponse:
    hdrs = dict(headers or {})
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    if cookie is not None:
        hdrs["Cookie"] = f"stoa_session={cookie}"
    if json_body is not None:
        data = json.dumps(json_body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with _OPENER.open(req, timeout=timeout) as r:
            status, raw_headers, body = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, raw_headers, body = e.code, e.headers, e.read()
    out: dict[str, list[str]] = {}
    for k, v in raw_headers.items():
        out.setdefault(k.lower(), []).append(v)
    return HttpResponse(method, url, status, out, body)


# --------------------------------------------------------------------------------------------
# Browsers
# --------------------------------------------------------------------------------------------


def new_browser(label: str = "browser") -> webdriver.Chrome:
    """A fresh headless Chromium (own profile dir) driven through the system chromedriver.

    The console log (`goog:loggingPrefs` browser ALL) is collected by `console(driver)`."""
    profile = Path(tempfile.mkdtemp(prefix="stoa-web-profile-"))
    downloads = profile / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--disable-default-apps",
        "--no-default-browser-check",
        "--password-store=basic",
        "--window-size=1280,1024",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "credentials_enable_service": False,
            "profile.password_manager_enabled": False,
        },
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=CHROMEDRIVER, log_output=str(ARTIFACTS / "chromedriver.log"))
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except Exception:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(10)
    driver._stoa_profile = profile  # type: ignore[attr-defined]
    driver._stoa_downloads = downloads  # type: ignore[attr-defined]
    driver._stoa_console = []  # type: ignore[attr-defined]
    driver._stoa_label = label  # type: ignore[attr-defined]
    LIVE.append((label, driver))
    return driver


def close_browser(driver: webdriver.Chrome) -> None:
    for i, (_, d) in enumerate(list(LIVE)):
        if d is driver:
            LIVE.pop(i)
            break
    try:
        driver.quit()
    except Exception:
        pass
    shutil.rmtree(getattr(driver, "_stoa_profile", ""), ignore_errors=True)


def console(driver: webdriver.Chrome) -> list[dict]:
    """Every browser console entry of this session so far (chromedriver hands each out once)."""
    try:
        driver._stoa_console.extend(driver.get_log("browser"))  # type: ignore[attr-defined]
    except UnexpectedAlertPresentException:
        pass
    except WebDriverException:
        pass
    return driver._stoa_console  # type: ignore[attr-defined]


def shot(driver: webdriver.Chrome, name: str) -> Path:
    """Saves a screenshot as artifacts/<test>-<name>.png (and returns its path)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{safe_name(CURRENT['test'])}-{safe_name(name)}.png"
    try:
        dismiss_alerts(driver)
        save_full_screenshot(driver, path)
    except WebDriverException:
        pass
    return path


def save_source(driver: webdriver.Chrome, name: str) -> Path:
    """Saves the page's DOM as artifacts/<test>-<name>.html."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{safe_name(CURRENT['test'])}-{safe_name(name)}.html"
    try:
        path.write_text(f"<!-- {driver.current_url} -->\n{driver.page_source}", encoding="utf-8")
    except WebDriverException:
        pass
    return path


def save_full_screenshot(driver: webdriver.Chrome, path: Path, max_height: int = 8000) -> None:
    """The whole page (not only the window), through the DevTools protocol."""
    import base64

    try:
        metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics.get("cssContentSize") or metrics.get("contentSize")
        width = max(1, int(size["width"]))
        height = max(1, min(int(size["height"]), max_height))
        data = driver.execute_cdp_cmd(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True,
             "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}},
        )["data"]
        path.write_bytes(base64.b64decode(data))
    except WebDriverException:
        driver.save_screenshot(str(path))


def save_failure(driver: webdriver.Chrome, label: str) -> None:
    """Screenshot, page source and console of a browser, for a failed test."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = ARTIFACTS / f"{safe_name(CURRENT['test'])}-FAILED-{safe_name(label)}"
    alerts = dismiss_alerts(driver)
    try:
        save_full_screenshot(driver, Path(str(base) + ".png"))
    except WebDriverException:
        pass
    try:
        Path(str(base) + ".html").write_text(
            f"<!-- {driver.current_url} -->\n{driver.page_source}", encoding="utf-8"
        )
    except WebDriverException:
        pass
    lines = [f"{e.get('level')} [{e.get('source')}] {e.get('message')}" for e in console(driver)]
    lines += [f"ALERT {text}" for text in alerts]
    Path(str(base) + ".console.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def dismiss_alerts(driver: webdriver.Chrome, record: bool = True) -> list[str]:
    """Accepts any open alert/confirm (and returns their texts; `record`: remembered for
    `script_signs`, which reports them as a payload that ran)."""
    texts = []
    for _ in range(20):
        try:
            alert = driver.switch_to.alert
            texts.append(alert.text)
            alert.accept()
        except (NoAlertPresentException, WebDriverException):
            break
    if record:
        driver._stoa_alerts = getattr(driver, "_stoa_alerts", []) + texts  # type: ignore[attr-defined]
    return texts


def where(driver: webdriver.Chrome) -> str:
    """Where the browser is and what it shows, for assertion messages."""
    try:
        url = driver.current_url
        title = driver.title
        try:
            text = driver.find_element(By.TAG_NAME, "body").text
        except NoSuchElementException:
            text = ""
        text = re.sub(r"\s+", " ", text)[:600]
        return f"[at {url} title={title!r}; page text: {text!r}]"
    except UnexpectedAlertPresentException as e:
        return f"[an alert is open: {e.alert_text!r}]"
    except WebDriverException as e:
        return f"[browser error: {e.msg}]"


def go(driver: webdriver.Chrome, url: str) -> None:
    driver.get(url)


def find(driver, css: str, timeout: float = 5, what: str | None = None):
    """The first element matching `css`, waiting up to `timeout`; a clear failure otherwise."""
    try:
        return WebDriverWait(driver, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))
    except TimeoutException:
        raise AssertionError(f"expected {what or css!r} on the page, found none {where(driver)}") from None


def present(driver, css: str) -> bool:
    return bool(driver.find_elements(By.CSS_SELECTOR, css))


def texts(driver, css: str) -> list[str]:
    return [e.text.strip() for e in driver.find_elements(By.CSS_SELECTOR, css)]


def set_field(driver, form, name: str, value) -> None:
    fields = form.find_elements(By.CSS_SELECTOR, f'[name="{name}"]')
    if not fields:
        raise AssertionError(f"form has no field named {name!r} {where(driver)}")
    first = fields[0]
    tag = first.tag_name.lower()
    kind = (first.get_attribute("type") or "").lower()
    if tag == "select":
        Select(first).select_by_value(str(value))
    elif kind == "radio":
        for f in fields:
            if f.get_attribute("value") == str(value):
                driver.execute_script("arguments[0].scrollIntoView({block:'center'})", f)
                f.click()
                return
        raise AssertionError(f"no radio {name}={value!r} in the form {where(driver)}")
    elif kind == "checkbox":
        wanted = bool(value) and value not in ("0", "false")
        if len(fields) > 1:  # a checkbox group: tick the one with this value
            for f in fields:
                if f.get_attribute("value") == str(value) and not f.is_selected():
                    f.click()
            return
        if first.is_selected() != wanted:
            driver.execute_script("arguments[0].scrollIntoView({block:'center'})", first)
            first.click()
    elif kind == "file":
        first.send_keys(value if isinstance(value, str) else "\n".join(str(v) for v in value))
    elif kind == "hidden":
        driver.execute_script("arguments[0].value = arguments[1]", first, str(value))
    else:
        first.clear()
        if value:
            first.send_keys(str(value))


def submit(driver, form_css, fields: dict | None = None, *, button_css: str | None = None,
           timeout: float = 30) -> str:
    """Fills the form's fields by name, clicks its submit button (or `button_css` inside it),
    accepts a confirm() the page may ask, waits for the next page; returns the new URL.
    `form_css` is a CSS selector or the form element itself."""
    if isinstance(form_css, str):
        form = find(driver, form_css, what=f"form {form_css}")
    else:
        form = form_css
        form_css = f"form#{form.get_attribute('id')}.{form.get_attribute('class')}"
    for name, value in (fields or {}).items():
        set_field(driver, form, name, value)
    if button_css:
        buttons = form.find_elements(By.CSS_SELECTOR, button_css)
    else:
        buttons = form.find_elements(
            By.CSS_SELECTOR, 'button[type="submit"], input[type="submit"], button:not([type])'
        )
    if buttons:
        driver.execute_script("arguments[0].scrollIntoView({block:'center'})", buttons[0])
        buttons[0].click()
    else:
        if button_css:
            raise AssertionError(f"form {form_css} has no {button_css} {where(driver)}")
        form.submit()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dismiss_alerts(driver, record=False)  # data-confirm forms ask first
        try:
            WebDriverWait(driver, 0.5).until(EC.staleness_of(form))
            break
        except TimeoutException:
            continue
        except UnexpectedAlertPresentException:
            continue
        except WebDriverException as e:  # the old document went away while being looked at
            if "does not belong to the document" in str(e) or "stale" in str(e).lower():
                break
            raise
    else:
        raise AssertionError(f"submitting {form_css} did not load a new page within {timeout}s {where(driver)}")
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script("return document.readyState") == "complete")
    return driver.current_url


def sign_in_with_cookie(driver, server: StoaServer, username: str, password: str = PASSWORD) -> None:
    """Signs the browser in without the pages: /api/login, then the cookie set in the browser."""
    secret = server.api_session(username, password)
    # A page of the origin (API answers may carry a sandboxing CSP: no cookies can be set there).
    driver.get(f"{server.url}/")
    driver.delete_all_cookies()
    driver.add_cookie({"name": "stoa_session", "value": secret, "path": "/", "httpOnly": True})


# --------------------------------------------------------------------------------------------
# XSS detection
# --------------------------------------------------------------------------------------------

# What a payload sets when it runs (see test_xss.py).
XSS_MARK = "XSS-FIRED"
XSS_TITLE = "XSSED"

# The site's own forms: those of the contract (/work/notes/web-contract.md), then the ones the pages
# have beyond it (the header's search, the branch switcher, a discussion's rename, the settings'
# discussions switch). An injected form is one not listed here.
SITE_FORM_IDS = {
    "search", "join", "login", "logout", "new-repo", "new-token", "upload", "new-discussion", "comment",
    "status", "merge", "visibility", "gating", "rename", "delete", "request-access",
    "header-search", "ref-switcher", "title", "discussions",
}
SITE_FORM_CLASSES = {"revoke-token", "accept", "reject"}

_AUDIT_JS = r"""
const userSelectors = arguments[0];
const problems = [];
const describe = (el) => {
  let s = el.outerHTML || String(el);
  return s.length > 200 ? s.slice(0, 200) + '...' : s;
};
const clean = (v) => (v || '').replace(/[\u0000-\u0020\u007f-\u00a0]+/g, '').toLowerCase();
const badUrl = (v, tag, attr) => {
  const c = clean(v);
  if (c.startsWith('javascript:') || c.startsWith('vbscript:') || c.startsWith('livescript:')) return true;
  if (c.startsWith('data:')) {
    if (tag === 'img' && attr === 'src' && /^data:image\/(png|gif|jpe?g|webp|avif);/.test(c)) return false;
    return true;
  }
  return false;
};
const urlAttrs = ['href', 'src', 'action', 'formaction', 'data', 'background', 'dynsrc', 'lowsrc',
                  'poster', 'xlink:href', 'codebase', 'srcdoc', 'ping'];
for (const el of document.querySelectorAll('*')) {
  const tag = el.tagName.toLowerCase();
  for (const attr of Array.from(el.attributes || [])) {
    const name = attr.name.toLowerCase();
    if (name.startsWith('on')) problems.push(`event handler attribute ${name} on <${tag}>: ${describe(el)}`);
    if (urlAttrs.includes(name) && badUrl(attr.value, tag, name))
      problems.push(`${name}=${JSON.stringify(attr.value.slice(0, 80))} on <${tag}>: ${describe(el)}`);
    if (name === 'style' && /expression|javascript:|url\s*\(/i.test(attr.value))
      problems.push(`style attribute with script or url(): ${describe(el)}`);
  }
  if (tag === 'script') {
    const src = el.getAttribute('src');
    if (!src) problems.push(`inline <script>: ${describe(el)}`);
    else if (!/^\/static\/[A-Za-z0-9._-]+$/.test(new URL(src, location.href).pathname) ||
             new URL(src, location.href).origin !== location.origin)
      problems.push(`<script src> other than the site's /static/ files: ${describe(el)}`);
  }
  if (['iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'portal', 'isindex'].includes(tag))
    problems.push(`<${tag}> element: ${describe(el)}`);
  if (tag === 'meta') {
    if (!el.closest('head')) problems.push(`<meta> outside <head>: ${describe(el)}`);
    if ((el.getAttribute('http-equiv') || '').toLowerCase() === 'refresh') problems.push(`meta refresh: ${describe(el)}`);
  }
  if (tag === 'link' && !el.closest('head')) problems.push(`<link> outside <head>: ${describe(el)}`);
  if (tag === 'form') {
    // The site's own forms post to this origin and are known by id or class.
    let target = null;
    try { target = new URL(el.getAttribute('action') || location.href, location.href); } catch (e) {}
    if (!target || target.origin !== location.origin)
      problems.push(`form posting off the site (action=${JSON.stringify(el.getAttribute('action'))}): ${describe(el)}`);
    const known = KNOWN_IDS.includes(el.id) || Array.from(el.classList).some((c) => KNOWN_CLASSES.includes(c));
    if (!known)
      problems.push(`form with an unknown id ${JSON.stringify(el.id)} (if it is the site's own, add it to ` +
                    `SITE_FORM_IDS in tests/web/web_helpers.py): ${describe(el)}`);
  }
}
const forbiddenInUser = 'script,style,link,meta,svg,math,iframe,frame,object,embed,form,input,button,textarea,select,base,template,noscript';
let userCount = 0;
for (const sel of userSelectors) {
  for (const root of document.querySelectorAll(sel)) {
    userCount++;
    for (const el of root.querySelectorAll(forbiddenInUser))
      problems.push(`<${el.tagName.toLowerCase()}> inside user content ${sel}: ${describe(el)}`);
  }
}
return {problems, userCount, title: document.title, xss: (typeof window.__xss === 'undefined') ? null : String(window.__xss)};
"""


def audit_page(driver, user_selectors=("article#card", "div.comment-body")) -> dict:
    """Looks for what injected markup would leave: handlers, script URLs, foreign elements."""
    js = _AUDIT_JS.replace("KNOWN_IDS", json.dumps(sorted(SITE_FORM_IDS))).replace(
        "KNOWN_CLASSES", json.dumps(sorted(SITE_FORM_CLASSES))
    )
    return driver.execute_script(js, list(user_selectors))


def page_errors(driver) -> list[str]:
    """New console entries since the last call that show a broken page: CSP refusals (of the
    site's own markup: an inline style or script in a template) and uncaught script errors.
    Network failures (a missing favicon, a 404 image) are left out."""
    entries = console(driver)
    start = getattr(driver, "_stoa_errors_checked", 0)
    driver._stoa_errors_checked = len(entries)  # type: ignore[attr-defined]
    out = []
    for entry in entries[start:]:
        if entry.get("level") != "SEVERE" or entry.get("source") == "network":
            continue
        out.append(f"[{entry.get('source')}] {entry.get('message', '')[:300]}")
    return out


def bad_patterns(driver) -> list[str]:
    """`input[pattern]`s of the page that the browser cannot compile (it compiles them with the
    RegExp `v` flag, where `-` and `/` inside a class must be escaped): their check is skipped."""
    return driver.execute_script(
        "const out = [];"
        "for (const el of document.querySelectorAll('[pattern]')) {"
        "  try { new RegExp('^(?:' + el.getAttribute('pattern') + ')$', 'v'); }"
        "  catch (e) { out.push(`input name=${el.name} pattern=${el.getAttribute('pattern')}: ${e.message}`); }"
        "}"
        "return out;"
    )


# CSP refusals that say nothing about script: an image, a style, a font that was not loaded.
_HARMLESS_DIRECTIVES = {"img-src", "style-src", "style-src-elem", "style-src-attr", "font-src", "media-src",
                        "connect-src", "manifest-src", "prefetch-src"}


def script_signs(driver) -> list[str]:
    """Console entries and alerts since the last call that show a payload ran, or was stopped
    only by the CSP (so the markup itself reached the page)."""
    signs = []
    entries = console(driver)
    start = getattr(driver, "_stoa_checked", 0)
    driver._stoa_checked = len(entries)  # type: ignore[attr-defined]
    for entry in entries[start:]:
        msg = entry.get("message", "")
        source = entry.get("source", "")
        # Only what scripts logged: network errors quote URLs, which may contain the markers.
        if source in ("console-api", "javascript") and (XSS_MARK in msg or XSS_TITLE in msg):
            signs.append(f"payload ran (console): {msg[:300]}")
        elif source == "security" or "Content Security Policy" in msg:
            m = re.search(r"directive:?\s*[\"']?([a-z-]+)", msg)
            directive = m.group(1) if m else "?"
            if directive not in _HARMLESS_DIRECTIVES:
                signs.append(f"injected markup reached the page, stopped by the CSP only ({directive}): {msg[:300]}")
    alerts = getattr(driver, "_stoa_alerts", [])
    for text in alerts:
        signs.append(f"an alert/confirm was opened: {text!r}")
    driver._stoa_alerts = []  # type: ignore[attr-defined]
    return signs
