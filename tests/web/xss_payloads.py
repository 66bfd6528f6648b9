"""XSS vectors in the spirit of the OWASP XSS filter-evasion cheat sheet, written for these tests.

Every vector, if its script ran, does `JS`: sets `window.__xss`, sets `document.title` to XSSED and
logs XSS-FIRED on the console. `JS` has no quotes, spaces or slashes, so it fits unquoted attributes,
`javascript:` URLs, YAML scalars and file names alike.
"""

from __future__ import annotations

import base64

JS = (
    "window.__xss=1,document.title=String.fromCharCode(88,83,83,69,68),"
    "console.error(String.fromCharCode(88,83,83,45,70,73,82,69,68))"
)
# The same effect as a script body (for <script> elements and files served as scripts).
JS_BODY = "window.__xss=1;document.title='XSSED';console.error('XSS-FIRED');"
HTML_DOC = f"<!doctype html><html><body><script>{JS_BODY}</script><img src=x onerror={JS}>XSS</body></html>"
DATA_HTML_B64 = "data:text/html;base64," + base64.b64encode(HTML_DOC.encode()).decode()
SVG_DOC = (
    '<svg xmlns="http://www.w3.org/2000/svg" onload="' + JS + '">'
    f"<script>{JS_BODY}</script><circle r=\"4\"/></svg>"
)
DATA_SVG_B64 = "data:image/svg+xml;base64," + base64.b64encode(SVG_DOC.encode()).decode()


def dec_entities(text: str) -> str:
    return "".join(f"&#{ord(c)};" for c in text)


def padded_dec_entities(text: str) -> str:
    return "".join(f"&#{ord(c):07d}" for c in text)


def hex_entities(text: str) -> str:
    return "".join(f"&#x{ord(c):x};" for c in text)


JS_URL = f"javascript:{JS}"


def html_vectors(script_src: list[str]) -> list[str]:
    """Raw HTML vectors (one per line in a card, a comment, a description).

    `script_src`: same-origin URLs of an uploaded .js file (a `<script src>` to it would pass a
    CSP of `script-src 'self'`, so the sanitiser itself has to drop it)."""
    v = [
        f"<script>{JS_BODY}</script>",
        f"<SCRIPT>{JS_BODY}</SCRIPT>",
        f'<script type="text/javascript">{JS_BODY}</script>',
        f"<IMG SRC=\"{JS_URL}\">",
        f"<IMG SRC={JS_URL}>",
        f"<IMG SRC=JaVaScRiPt:{JS}>",
        f"<IMG SRC=`{JS_URL}`>",
        f'<IMG """><SCRIPT>{JS_BODY}</SCRIPT>">',
        f"<IMG SRC=# onmouseover={JS}>",
        f"<IMG SRC= onmouseover={JS}>",
        f"<IMG onmouseover={JS}>",
        f"<IMG SRC=/ onerror={JS}></img>",
        f"<img src=x onerror={JS}>",
        f'<img src="x" onerror="{JS}">',
        f"<img src=`x` onerror=`{JS}`>",
        f"<img src=x onerror=\"{padded_dec_entities(JS)}\">",
        f"<IMG SRC={dec_entities(JS_URL)}>",
        f"<IMG SRC={padded_dec_entities(JS_URL)}>",
        f"<IMG SRC={hex_entities(JS_URL)}>",
        f'<IMG SRC="jav\tascript:{JS}">',
        f'<IMG SRC="jav&#x09;ascript:{JS}">',
        f'<IMG SRC="jav&#x0A;ascript:{JS}">',
        f'<IMG SRC="jav&#x0D;ascript:{JS}">',
        f'<IMG SRC=" &#14;  javascript:{JS}">',
        f'<SCRIPT/XSS SRC="{script_src[0]}"></SCRIPT>',
        *[f'<script src="{src}"></script>' for src in script_src],
        f"<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`={JS}>",
        f"<<SCRIPT>{JS_BODY}//<</SCRIPT>",
        f"<scr<script>ipt>{JS_BODY}</scr</script>ipt>",
        f"</TITLE><SCRIPT>{JS_BODY}</SCRIPT>",
        f'"><script>{JS_BODY}</script>',
        f"'><script>{JS_BODY}</script>",
        f'<INPUT TYPE="IMAGE" SRC="{JS_URL}">',
        f"<input autofocus onfocus={JS}>",
        f"<select autofocus onfocus={JS}></select>",
        f"<textarea autofocus onfocus={JS}></textarea>",
        f"<details open ontoggle={JS}><summary>x</summary></details>",
        f"<video><source onerror={JS}></video>",
        f"<audio src=x onerror={JS}></audio>",
        f"<marquee onstart={JS}>x</marquee>",
        f"<BODY BACKGROUND=\"{JS_URL}\">",
        f"<BODY ONLOAD={JS}>",
        f"<IMG DYNSRC=\"{JS_URL}\">",
        f"<IMG LOWSRC=\"{JS_URL}\">",
        f"<STYLE>li {{list-style-image: url(\"{JS_URL}\");}}</STYLE><UL><LI>XSS</br>",
        f"<svg/onload={JS}>",
        f"<svg onload={JS}></svg>",
        f"<svg><script>{JS_BODY}</script></svg>",
        f"<svg><a xlink:href=\"{JS_URL}\"><text x=20 y=20>XSS</text></a></svg>",
        f"<svg><animate onbegin={JS} attributeName=x dur=1s>",
        f"<math><mtext><table><mglyph><style><img src=x onerror={JS}>",
        f"<math href=\"{JS_URL}\">CLICKME</math>",
        f"<math><maction actiontype=statusline xlink:href=\"{JS_URL}\">CLICK</maction></math>",
        f"<BR SIZE=\"&{{{JS}}}\">",
        f"<LINK REL=\"stylesheet\" HREF=\"{JS_URL}\">",
        f"<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url={JS_URL}\">",
        f"<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url={DATA_HTML_B64}\">",
        f"<META HTTP-EQUIV=\"refresh\" CONTENT=\"0; URL=http://;URL={JS_URL}\">",
        f"<IFRAME SRC=\"{JS_URL}\"></IFRAME>",
        f"<iframe src={JS_URL} <",
        f"<IFRAME SRC=# onmouseover={JS}></IFRAME>",
        f"<iframe srcdoc=\"&lt;script&gt;{JS_BODY}&lt;/script&gt;\"></iframe>",
        f"<FRAMESET><FRAME SRC=\"{JS_URL}\"></FRAMESET>",
        f"<TABLE BACKGROUND=\"{JS_URL}\"><TR><TD BACKGROUND=\"{JS_URL}\">x</TD></TR></TABLE>",
        f"<DIV STYLE=\"background-image: url({JS_URL})\">x</DIV>",
        f"<DIV STYLE=\"width: expression({JS});\">x</DIV>",
        f"<STYLE>@import'{JS_URL}';</STYLE>",
        f"<IMG STYLE=\"xss:expr/*XSS*/ession({JS})\">",
        f"<STYLE TYPE=\"text/javascript\">{JS_BODY}</STYLE>",
        f"<BASE HREF=\"{JS_URL}//\">",
        "<base href=\"http://127.0.0.2/\">",
        f"<OBJECT TYPE=\"text/x-scriptlet\" DATA=\"{DATA_HTML_B64}\"></OBJECT>",
        f"<OBJECT data=\"{DATA_HTML_B64}\"></OBJECT>",
        f"<object data={JS_URL}></object>",
        f"<EMBED SRC=\"{DATA_SVG_B64}\" type=\"image/svg+xml\" AllowScriptAccess=\"always\"></EMBED>",
        f"<embed src={JS_URL}>",
        f"<a href=\"{JS_URL}\">plain javascript link</a>",
        f"<a href=\"JaVaScRiPt:{JS}\">mixed case link</a>",
        f"<a href=\"{dec_entities('javascript:')}{JS}\">decimal entity link</a>",
        f"<a href=\"{hex_entities('javascript:')}{JS}\">hex entity link</a>",
        f"<a href=\"&#106;avascript:{JS}\">one entity link</a>",
        f"<a href=\"java&#x09;script:{JS}\">tab entity link</a>",
        f"<a href=\"java\tscript:{JS}\">tab link</a>",
        f"<a href=\"java\nscript:{JS}\">newline link</a>",
        f"<a href=\"java&NewLine;script:{JS}\">named newline link</a>",
        f"<a href=\" \x01javascript:{JS}\">control char link</a>",
        f"<a href=\"  javascript:{JS}\">spaced link</a>",
        f"<a href=\"{DATA_HTML_B64}\">data link</a>",
        "<a href=\"vbscript:msgbox(1)\">vbscript link</a>",
        f"<a onmouseover={JS}>xxs link</a>",
        f"<x onclick={JS}>click me</x>",
        f"<div onpointerenter={JS}>hover me</div>",
        f"<form action=\"{JS_URL}\"><button>submit</button></form>",
        f"<form><button formaction={JS_URL}>x</button></form>",
        f"<isindex type=image src=1 onerror={JS}>",
        f"<noscript><p title=\"</noscript><img src=x onerror={JS}>\"></noscript>",
        f"<!--<img src=\"--><img src=x onerror={JS}//\">",
        f"<style><img src=\"</style><img src=x onerror={JS}//\">",
        f"<xmp><p title=\"</xmp><img src=x onerror={JS}>\"></xmp>",
        f"<template><img src=x onerror={JS}></template>",
        f"<img src=\"{DATA_SVG_B64}\">",
        f"<image src=x onerror={JS}>",
        f"<object classid=\"clsid:333C7BC4-460F-11D0-BC04-0080C7055A83\"><param name=url value={JS_URL}></object>",
        f"<HTML><BODY><?xml:namespace prefix=\"t\" ns=\"urn:schemas-microsoft-com:time\"><?import namespace=\"t\" implementation=\"#default#time2\"><t:set attributeName=\"innerHTML\" to=\"XSS<SCRIPT DEFER>{JS_BODY}</SCRIPT>\"></BODY></HTML>",
    ]
    # Markdown escapes a tag whose unquoted attribute holds `=` or `(` (not valid inline HTML), so
    # each such vector also comes with quoted attributes: that one reaches the sanitiser.
    quoted = []
    for vector in v:
        q = (vector.replace(f"={JS}", f'="{JS}"').replace(f"={JS_URL}", f'="{JS_URL}"')
             .replace("src=x ", 'src="x" ').replace("SRC=# ", 'SRC="#" ').replace("SRC=/ ", 'SRC="/" '))
        if q != vector and q not in v:
            quoted.append(q)
    return v + quoted


def all_vectors(script_src: list[str]) -> list[str]:
    return markdown_vectors() + html_vectors(script_src)


def markdown_vectors() -> list[str]:
    return [
        f"[plain link](javascript:{JS})",
        f"[mixed case](JaVaScRiPt:{JS})",
        f"[spaced](  javascript:{JS}  )",
        f"[entity colon](javascript&#58;{JS})",
        f"[entity scheme](&#106;avascript:{JS})",
        f"[angle](<javascript:{JS}>)",
        f"<javascript:{JS}>",
        f"[data]({DATA_HTML_B64})",
        "[vbscript](vbscript:msgbox(1))",
        f"![image onerror](x\" onerror=\"{JS})",
        f"![image title](x \"title\\\" onerror=\\\"{JS}\")",
        f"![image js](javascript:{JS})",
        f"![image svg data]({DATA_SVG_B64})",
        f"[reference link][evil]\n\n[evil]: javascript:{JS}",
        f"[title](https://example.com \"\\\" onmouseover=\\\"{JS}\")",
        f"**bold <img src=x onerror={JS}>**",
        f"`<script>{JS_BODY}</script>` in code (shown as text, fine)",
        f"<https://example.com/\"onmouseover=\"{JS}>",
    ]


NULL_VECTORS = [
    f"<scr\x00ipt>{JS_BODY}</scr\x00ipt>",
    f"<img src=x o\x00nerror={JS}>",
    f"<img src=x onerror\x00={JS}>",
    f"<a href=\"java\x00script:{JS}\">null byte link</a>",
    f"<IMG SRC=java\x00script:{JS}>",
    f"<\x00script>{JS_BODY}</script>",
]


def card(sentinel: str, script_src: list[str], *, gated: bool = False,
         vectors: list[tuple[int, str]] | None = None) -> str:
    """A model card made of vectors: in the YAML front matter, in Markdown, in raw HTML (all of
    them, or the numbered `vectors`), each after a VECTOR-n line."""
    front = f"""---
license: other
license_name: '<img src=x onerror={JS}>'
license_link: 'javascript:{JS}'
tags:
- '<script>{JS}</script>'
- '<svg onload={JS}>'
- '"><img src=x onerror={JS}>'
- 'javascript:{JS}'
library_name: '<img src=x onerror={JS}>'
datasets:
- '<img src=x onerror={JS}>'
metrics:
- '"><svg onload={JS}>'
thumbnail: 'javascript:{JS}'
model_name: '<script>{JS}</script>'
widget:
- text: '<img src=x onerror={JS}>'
"""
    if gated:
        front += f"""extra_gated_heading: '<script>{JS}</script>Gated heading'
extra_gated_prompt: '<img src=x onerror={JS}> You agree [here](javascript:{JS}).'
extra_gated_description: '<svg onload={JS}>description'
extra_gated_button_content: '<img src=x onerror={JS}>Submit'
extra_gated_fields:
  '<img src=x onerror={JS}> Company': text
  '<script>{JS}</script> I agree': checkbox
  '"><svg onload={JS}> Country': country
"""
    front += "---\n"
    body = [
        f"# Card heading <img src=x onerror={JS}>",
        "",
        f"{sentinel}",
        "",
        "| column <img src=x onerror=" + JS + "> | value |",
        "| --- | --- |",
        f"| <script>{JS_BODY}</script> | [x](javascript:{JS}) |",
        "",
        "```html",
        f"<script>{JS_BODY}</script>",
        "```",
        "",
    ]
    for n, vector in (vectors if vectors is not None else list(enumerate(all_vectors(script_src)))):
        body += [f"VECTOR-{n}", "", vector, ""]
    body += [f"{sentinel} end", ""]
    return front + "\n".join(body)


def comment(script_src: list[str], with_null: bool = False) -> str:
    parts = ["Comment text before the vectors.", ""]
    parts += [v for v in markdown_vectors()] + html_vectors(script_src)
    if with_null:
        parts += NULL_VECTORS
    return "\n\n".join(parts)
