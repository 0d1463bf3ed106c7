"""RMA files for benches without the API: JSON (one RMA or a list) or CSV (one row per line)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from station.returns.errors import DomainError, FieldProblem, IntakeError
from station.returns.intake import ReturnAuthorizationIn, parse_rma

MAX_FILE_BYTES = 20 * 1024 * 1024
RMA_COLUMNS = ("rma_id", "order_id", "tracking_number", "reason", "reason_note",
               "requested_resolution", "delivered_at", "window_days", "currency")
LIST_COLUMNS = ("serials", "accessories")  # separated by "|" in a CSV cell


class ImportFileError(DomainError):
    """The file as a whole is unusable, or some records in it are; nothing was imported."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_import_file", message)


def _records_from_json(text: str) -> list[Any]:
    data = json.loads(text)
    if isinstance(data, dict) and "rmas" in data:
        data = data["rmas"]
    return data if isinstance(data, list) else [data]


def _records_from_csv(text: str) -> list[Any]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "rma_id" not in reader.fieldnames:
        raise ImportFileError("CSV needs a header row with at least rma_id")
    records: dict[str, dict[str, Any]] = {}
    for row in reader:
        cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
        rma_id = cells.get("rma_id", "")
        record = records.setdefault(rma_id, {"items": []})
        for key in RMA_COLUMNS:
            if cells.get(key):
                record.setdefault(key, cells[key])
        item = {k: v for k, v in cells.items() if k not in RMA_COLUMNS and v != ""}
        for key in LIST_COLUMNS:
            if key in item:
                item[key] = [part.strip() for part in item[key].split("|") if part.strip()]
        record["items"].append(item)
    return list(records.values())


def read_rma_file(path: Path) -> list[ReturnAuthorizationIn]:
    """Every RMA in the file, validated; any bad record fails the whole file, naming it."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImportFileError(f"{path}: larger than {MAX_FILE_BYTES // 1024 // 1024} MiB")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{path}: not UTF-8 text") from exc
    try:
        records = _records_from_csv(text) if path.suffix.lower() == ".csv" else \
            _records_from_json(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"{path}: not valid JSON: {exc}") from exc
    except csv.Error as exc:
        raise ImportFileError(f"{path}: not valid CSV: {exc}") from exc
    if not records:
        raise ImportFileError(f"{path}: no return authorizations in the file")
    parsed: list[ReturnAuthorizationIn] = []
    problems: list[FieldProblem] = []
    for index, record in enumerate(records):
        try:
            parsed.append(parse_rma(record))
        except IntakeError as exc:
            label = record.get("rma_id", f"#{index + 1}") if isinstance(record, dict) else \
                f"#{index + 1}"
            problems.extend(FieldProblem(f"{label}: {p.field}", p.reason) for p in exc.problems)
    if problems:
        raise IntakeError(problems)
    ids = [r.rma_id for r in parsed]
    if len(set(ids)) != len(ids):
        raise ImportFileError(f"{path}: an rma_id appears twice")
    return parsed
