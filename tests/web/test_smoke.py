"""The infrastructure: server up, a headless Chromium that loads it, screenshots, the console log;
then the fixed pages every visitor sees, with the security headers of the contract."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By

from web_helpers import console, find, http, shot, where


def test_browser_loads_the_api(stoa, browser):
    driver = browser("anon")
    driver.get(f"{stoa.url}/api/models")
    body = driver.find_element(By.TAG_NAME, "body").text
    assert json.loads(body) == [] or isinstance(json.loads(body), list), body[:500]
    path = shot(driver, "api-models")
    assert path.exists() and path.stat().st_size > 0
    driver.execute_script("console.error('stoa-web-console-check')")
    assert any("stoa-web-console-check" in e["message"] for e in console(driver)), console(driver)


CSP_EXPECTED = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
}


def csp_problems(csp: str | None) -> list[str]:
    """What is wrong with a page's Content-Security-Policy against the contract."""
    if not csp:
        return ["no Content-Security-Policy header"]
    directives = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = [w.lower() for w in words[1:]]
    problems = []
    for name, value in CSP_EXPECTED.items():
        if directives.get(name) != [value]:
            problems.append(f"{name} is {directives.get(name)!r}, expected [{value!r}]")
    script = directives.get("script-src", directives.get("default-src", []))
    for bad in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:", "blob:"):
        if bad in script:
            problems.append(f"script-src allows {bad}")
    return problems


def header_problems(r) -> list[str]:
    problems = [f"CSP: {p}" for p in csp_problems(r.header("content-security-policy"))]
    if (r.header("x-content-type-options") or "").lower() != "nosniff":
        problems.append(f"X-Content-Type-Options is {r.header('x-content-type-options')!r}, expected nosniff")
    if (r.header("x-frame-options") or "").upper() != "DENY":
        problems.append(f"X-Frame-Options is {r.header('x-frame-options')!r}, expected DENY")
    if (r.header("referrer-policy") or "").lower() != "same-origin":
        problems.append(f"Referrer-Policy is {r.header('referrer-policy')!r}, expected same-origin")
    return problems


@pytest.mark.parametrize("path", ["/", "/models", "/datasets", "/spaces", "/join", "/login"], ids=["home", "models", "datasets", "spaces", "join", "login"])
def test_fixed_pages_render_with_security_headers(stoa, browser, path):
    r = http("GET", stoa.url + path)
    assert r.status == 200, f"GET {path}: expected 200, got {r.status}: {r.text()[:300]!r}"
    assert (r.header("content-type") or "").startswith("text/html"), f"GET {path}: {r.header('content-type')!r}"
    assert not header_problems(r), f"GET {path}: {header_problems(r)}"
    driver = browser("anon")
    driver.get(stoa.url + path)
    shot(driver, path.strip("/") or "home")
    find(driver, "main#content")
    find(driver, "a#login-link", what="a#login-link (anonymous header)")
    find(driver, "a#join-link", what="a#join-link (anonymous header)")
    if path == "/":
        find(driver, "section#trending")
        find(driver, "section#recent")
    if path in ("/models", "/datasets", "/spaces"):
        find(driver, "form#search")
    severe = [e for e in console(driver) if e.get("level") == "SEVERE" and "/favicon.ico" not in e.get("message", "")]
    assert not severe, f"GET {path}: console errors {severe} {where(driver)}"
