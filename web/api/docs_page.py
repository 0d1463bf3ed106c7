"""GET /api/v1/docs: the OpenAPI document rendered server-side as one self-contained HTML page."""

from __future__ import annotations

from html import escape
from typing import Any

CSS = """
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:2px solid #ccc;padding-bottom:.2rem;margin-top:2.5rem}
.op{border:1px solid #ddd;border-radius:6px;padding:.5rem .8rem;margin:.8rem 0}
.method{display:inline-block;min-width:4.5rem;font-weight:bold;text-transform:uppercase}
.get{color:#1565c0}.post{color:#2e7d32}.patch{color:#ef6c00}.delete{color:#c62828}
code{background:#f4f4f4;padding:0 .25rem;border-radius:3px}
table{border-collapse:collapse;margin:.3rem 0}td,th{border:1px solid #ddd;padding:.15rem .5rem;
text-align:left;vertical-align:top}small{color:#666}
"""


def _schema_name(schema: dict[str, Any] | None) -> str:
    """A readable type: a linked component name, ``array of X``, ``X or null`` or the JSON type."""
    if not schema:
        return "—"
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    if schema.get("type") == "array":
        return "array of " + _schema_name(schema.get("items"))
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " or ".join(_schema_name(s) for s in schema[key])
    if "enum" in schema:
        return " | ".join(f"<code>{escape(str(v))}</code>" for v in schema["enum"])
    text = escape(str(schema.get("type", "any")))
    if "format" in schema:
        text += f" ({escape(str(schema['format']))})"
    if "const" in schema:
        text = f"<code>{escape(str(schema['const']))}</code>"
    return text


def _body(content: dict[str, Any] | None) -> str:
    if not content:
        return "no body"
    return ", ".join(f"{_schema_name(media.get('schema'))} <small>{escape(kind)}</small>"
                     for kind, media in content.items())


def _operation(method: str, path: str, op: dict[str, Any]) -> list[str]:
    scopes = [s for item in op.get("security", []) for scope in item.values() for s in scope]
    out = [f'<div class="op" id="{escape(op.get("operationId", method + path))}">',
           f'<span class="method {escape(method)}">{escape(method)}</span> '
           f"<code>{escape(path)}</code> — {escape(op.get('summary', ''))}"]
    if scopes:
        out.append(f"<br><small>API key scope: {escape(', '.join(scopes))}</small>")
    params = op.get("parameters", [])
    if params:
        out.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th>"
                   "<th>description</th></tr>")
        out += [f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
                f"<td>{_schema_name(p.get('schema'))}</td><td>{'yes' if p.get('required') else ''}"
                f"</td><td>{escape(p.get('description', ''))}</td></tr>" for p in params]
        out.append("</table>")
    if "requestBody" in op:
        out.append(f"<div>request body: {_body(op['requestBody'].get('content'))}</div>")
    out.append("<table><tr><th>status</th><th>body</th><th>when</th></tr>")
    out += [f"<tr><td>{escape(code)}</td><td>{_body(r.get('content'))}</td>"
            f"<td>{escape(r.get('description', ''))}</td></tr>"
            for code, r in sorted(op.get("responses", {}).items())]
    out.append("</table></div>")
    return out


def _component(name: str, schema: dict[str, Any]) -> list[str]:
    out = [f'<div class="op" id="schema-{escape(name)}"><b>{escape(name)}</b>']
    if schema.get("description"):
        out.append(f" — {escape(schema['description'])}")
    properties: dict[str, Any] = schema.get("properties", {})
    if properties:
        required = set(schema.get("required", []))
        out.append("<table><tr><th>field</th><th>type</th><th>required</th></tr>")
        out += [f"<tr><td><code>{escape(field)}</code></td><td>{_schema_name(prop)}</td>"
                f"<td>{'yes' if field in required else ''}</td></tr>"
                for field, prop in properties.items()]
        out.append("</table>")
    elif schema:
        out.append(f"<div>{_schema_name(schema)}</div>")
    out.append("</div>")
    return out


def render(doc: dict[str, Any], openapi_url: str) -> str:
    """The whole page; every asset is inline, nothing is fetched from elsewhere."""
    info = doc.get("info", {})
    title = escape(f"{info.get('title', 'API')} v{info.get('version', '')}")
    server = escape(doc.get("servers", [{}])[0].get("url", ""))
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title><style>{CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p>Base path <code>{server}</code>. Machine-readable document: "
        f'<a href="{escape(openapi_url)}">{escape(openapi_url)}</a>. Authenticate with '
        "<code>Authorization: Bearer &lt;API key&gt;</code> "
        "(<code>station apikey create --scopes ...</code>). Errors are "
        "<code>application/problem+json</code>.</p>",
        "<h2>Operations</h2>",
    ]
    for path, methods in doc.get("paths", {}).items():
        for method, op in methods.items():
            parts += _operation(method, path, op)
    webhooks: dict[str, Any] = doc.get("webhooks", {})
    if webhooks:
        parts.append("<h2>Webhook events (sent to your endpoints)</h2>")
        for event_type, methods in webhooks.items():
            for method, op in methods.items():
                parts += _operation(method, event_type, op)
    parts.append("<h2>Schemas</h2>")
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        parts += _component(name, schema)
    parts.append("</body></html>")
    return "\n".join(parts)
