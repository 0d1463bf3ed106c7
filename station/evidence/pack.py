"""Evidence pack: one inspection as a ZIP (originals, JSON manifest with hashes, audit rows, summary)."""

from __future__ import annotations

import html
import io
import json
import zipfile
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from station import audit
from station.db.models import AuditEvent, Inspection
from station.db.video_models import VideoChunk
from station.evidence.store import PhotoStore, sha256_hex
from station.returns.payloads import event_data

PACK_VERSION = 1


def _audit_row(event: AuditEvent) -> dict[str, Any]:
    return {"seq": event.seq, "at": event.at.isoformat(), "actor": event.actor, "action": event.action,
            "data": event.data, "prev_hash": event.prev_hash, "hash": event.hash,
            "hash_ok": audit.event_hash(event) == event.hash}


def manifest(inspection: Inspection, trail: list[AuditEvent], originals: dict[str, bytes],
             made_at: datetime, made_by: str) -> dict[str, Any]:
    """What the pack holds and how to check it: every photo's SHA-256 and every audit row's hash."""
    rma = inspection.rma
    return {
        "pack_version": PACK_VERSION,
        "made_at": made_at.isoformat(),
        "made_by": made_by,
        "inspection": event_data(inspection),
        "return": None if rma is None else {
            "rma_id": rma.rma_id, "order_id": rma.order_id, "tracking_number": rma.tracking_number,
            "reason": rma.reason, "reason_note": rma.reason_note,
            "delivered_at": rma.delivered_at.isoformat() if rma.delivered_at else None,
            "items": [{"line_id": i.line_id, "sku": i.sku, "gtin": i.gtin, "description": i.description,
                       "quantity": i.quantity, "expected_serials": i.expected_serials,
                       "accessories": i.accessories} for i in rma.items],
        },
        "scans": [{"raw": s.raw, "gtin": s.gtin, "sku": s.sku, "serial": s.serial, "result": s.result,
                   "at": s.scanned_at.isoformat()} for s in inspection.scans],
        "checklist": inspection.checklist,
        "decision": inspection.decision,
        "review": inspection.review,
        "photos": [{"id": p.id, "angle": p.angle, "file": _photo_name(p.angle, p.sha256),
                    "sha256": p.sha256, "size_bytes": p.size_bytes, "width": p.width, "height": p.height,
                    "taken_at": p.taken_at.isoformat(),
                    "sha256_verified": p.id in originals and sha256_hex(originals[p.id]) == p.sha256}
                   for p in inspection.photos],
        "audit": [_audit_row(e) for e in trail],
    }


def _photo_name(angle: str, sha256: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in angle)[:40]
    return f"photos/{safe}-{sha256[:16]}.jpg"


def summary_html(data: dict[str, Any]) -> str:
    """A self-contained page a carrier or customer can open: result, photos, hashes, audit trail."""
    e = html.escape
    ins = data["inspection"]
    rows = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in (
        ("Inspection", ins["inspection_id"]), ("Return", ins["rma_id"]), ("Order", ins["order_id"]),
        ("Station", ins["station_id"]), ("State", ins["state"]), ("Received", ins["received_at"]),
        ("Grade", ins["grade"]), ("Disposition", ins["disposition"]),
        ("Refund recommendation", ins["recommendation"]), ("Flags", ", ".join(ins["flags"])),
        ("Measured weight (g)", ins["weight"]["measured_g"]), ("Expected weight (g)", ins["weight"]["expected_g"]),
    ))
    photos = "".join(
        f'<figure><img src="{e(p["file"])}" alt="{e(p["angle"])}"><figcaption>{e(p["angle"])}<br>'
        f'<code>SHA-256 {e(p["sha256"])}</code></figcaption></figure>' for p in data["photos"])
    trail = "".join(
        f"<tr><td>{a['seq']}</td><td>{e(a['at'])}</td><td>{e(a['actor'])}</td><td>{e(a['action'])}</td>"
        f"<td><code>{e(a['hash'][:16])}…</code></td></tr>" for a in data["audit"])
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Evidence {e(ins['inspection_id'])}</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{text-align:left;padding:4px 8px;border-bottom:1px solid #ccc}}
figure{{display:inline-block;margin:8px;max-width:320px}}img{{max-width:320px}}video{{max-width:320px}}code{{font-size:11px;word-break:break-all}}</style>
</head><body><h1>Inspection evidence</h1><table>{rows}</table>
<h2>Photos</h2>{photos}{_videos_html(data.get("videos") or [])}
<h2>Audit trail</h2><table><tr><th>#</th><th>At</th><th>Who</th><th>What</th><th>Hash</th></tr>{trail}</table>
<p>Check: the SHA-256 of each file under photos/ equals the value in manifest.json; each audit row's hash is
recomputable from the row (manifest.json "hash_ok").</p></body></html>"""


def _video_name(chunk: VideoChunk) -> str:
    key = chunk.storage_key or ""
    extension = key.rsplit(".", 1)[-1] if "." in key else "bin"
    return f"video/{chunk.sequence:06d}-{chunk.sha256[:16]}.{extension}"


def _video_rows(videos: Sequence[tuple[VideoChunk, bytes | None]]) -> list[dict[str, Any]]:
    """The manifest's unboxing video chunks: hashes, times, and whether the file is in the pack."""
    return [{"sequence": c.sequence, "file": _video_name(c) if data is not None else None,
             "sha256": c.sha256, "size_bytes": c.size_bytes, "codec": c.codec,
             "content_type": c.content_type, "width": c.width, "height": c.height,
             "frames": c.frames, "dropped_frames": c.dropped_frames,
             "started_at": c.started_at.isoformat(), "ended_at": c.ended_at.isoformat(),
             "pruned_at": c.pruned_at.isoformat() if c.pruned_at else None,
             "sha256_verified": data is not None and sha256_hex(data) == c.sha256}
            for c, data in videos]


def _videos_html(rows: list[dict[str, Any]]) -> str:
    e = html.escape
    if not rows:
        return ""
    items = "".join(
        (f'<figure><video controls preload="metadata" src="{e(r["file"])}"></video>' if r["file"]
         else "<figure>") + f'<figcaption>#{r["sequence"]} {e(r["started_at"])}<br>'
        f'<code>SHA-256 {e(r["sha256"])}</code>{" (pruned)" if r["pruned_at"] else ""}'
        "</figcaption></figure>" for r in rows)
    return f"<h2>Unboxing video</h2>{items}"


def build_pack(store: PhotoStore, inspection: Inspection, trail: list[AuditEvent], made_at: datetime,
               made_by: str, videos: Sequence[tuple[VideoChunk, bytes | None]] = ()) -> bytes:
    """The ZIP bytes: manifest.json, summary.html, photos/<angle>-<sha>.jpg (originals, unchanged)
    and video/<seq>-<sha>.<ext> (the unboxing video chunks kept; None bytes: pruned or missing)."""
    originals = {p.id: store.get_original(p.storage_key) for p in inspection.photos}
    data = manifest(inspection, trail, originals, made_at, made_by)
    data["videos"] = _video_rows(videos)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as pack:
        pack.writestr("manifest.json", json.dumps(data, indent=2, ensure_ascii=False))
        pack.writestr("summary.html", summary_html(data))
        for photo in inspection.photos:
            pack.writestr(zipfile.ZipInfo(_photo_name(photo.angle, photo.sha256)), originals[photo.id])
        for chunk, video in videos:  # already compressed: stored as they are
            if video is not None:
                pack.writestr(zipfile.ZipInfo(_video_name(chunk)), video,
                              compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()
