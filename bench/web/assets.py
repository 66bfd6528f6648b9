#!/usr/bin/env python3
"""Lists the same-origin sub-resources of an HTML page that count towards its weight "before
images": stylesheets, scripts, preloads that are not images, and fonts. One path per line.

Usage: assets.py PAGE.html PAGE_URL
       assets.py --css STYLESHEET.css STYLESHEET_URL   (the fonts a stylesheet loads with url())
Images (<img>, icons, image preloads) are left out; so are other origins (the benchmark measures
what the hub itself sends).
"""

from __future__ import annotations

import re
import sys
import urllib.parse
from html.parser import HTMLParser

FONT_EXT = (".woff2", ".woff", ".ttf", ".otf", ".eot")


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "script" and a.get("src"):
            self.found.append(a["src"])
        elif tag == "link" and a.get("href"):
            rel = set(a.get("rel", "").lower().split())
            kind = a.get("as", "").lower()
            if "stylesheet" in rel or "modulepreload" in rel:
                self.found.append(a["href"])
            elif "preload" in rel and kind in ("style", "script", "font", "fetch"):
                self.found.append(a["href"])
            elif a["href"].lower().split("?")[0].endswith(FONT_EXT):
                self.found.append(a["href"])


def main() -> int:
    if sys.argv[1] == "--css":
        sheet, base = sys.argv[2], sys.argv[3]
        with open(sheet, encoding="utf-8", errors="replace") as f:
            refs = [m.strip("'\" ") for m in re.findall(r"url\(([^)]*)\)", f.read())]
        found = [r for r in refs if r.lower().split("?")[0].endswith(FONT_EXT)]
        join_base = base
    else:
        page, base = sys.argv[1], sys.argv[2]
        parser = Assets()
        with open(page, encoding="utf-8", errors="replace") as f:
            parser.feed(f.read())
        found = parser.found
        join_base = base
    origin = urllib.parse.urlsplit(base)
    seen = set()
    for ref in found:
        url = urllib.parse.urlsplit(urllib.parse.urljoin(join_base, ref))
        if (url.scheme, url.netloc) != (origin.scheme, origin.netloc):
            continue
        path = url.path + (f"?{url.query}" if url.query else "")
        if path not in seen:
            seen.add(path)
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
