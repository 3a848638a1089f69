"""A tamper-evident evidence log that a victim can hand to the police or a helpline.

    >>> log = nudeguard.EvidenceLog("evidence.jsonl")
    >>> log.add_message("stranger42", "pay me $300 or I send your pics to everyone", time=1718000000)
    >>> log.add_profile("stranger42", {"display_name": "Jess", "profile_url": "https://..."})
    >>> log.add_media("stranger42", sha256="9f86...", pdq="a1b2...")
    >>> log.verify().ok
    True
    >>> log.export_html("report.html"); log.export_json("report.json")

The file is JSON lines, one record per line, only ever appended to. Each record holds
``seq`` (0, 1, 2 …), ``type`` (``message``, ``profile``, ``media``, ``note``), ``recorded_at``
(UTC, when it was logged), ``data``, ``prev`` (the previous record's hash; 64 zeros for the
first) and ``hash`` = SHA-256 of the canonical JSON of the record without ``hash`` (keys
sorted, no spaces, UTF-8). Changing, deleting, inserting or reordering a record breaks the
chain at that line, and :meth:`EvidenceLog.verify` names the line. Removing records from
the *end* leaves a valid shorter chain: keep :attr:`EvidenceLog.head` somewhere else (or in
the exported report) and pass it to ``verify(expected_head=...)`` to detect that too.

No image pixels are ever stored: media are recorded by their hashes (PDQ, MD5, SHA-256).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

__all__ = ["EvidenceLog", "VerifyResult"]

GENESIS = "0" * 64
PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :meth:`EvidenceLog.verify`."""

    ok: bool
    records: int
    """Records checked (all of them when ``ok``; the good ones before the break otherwise)."""
    line: Optional[int] = None
    """1-based line of the first broken record, or ``None``."""
    reason: str = ""
    head: str = GENESIS
    """Hash of the last good record."""

    def __bool__(self) -> bool:
        return self.ok


def _canonical(record: Mapping[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _record_hash(record: Mapping[str, Any]) -> str:
    return hashlib.sha256(_canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


def _iso(time: Any) -> Optional[str]:
    """A timestamp as ISO 8601: datetimes (naive = UTC), Unix seconds, or strings as given."""
    if time is None:
        return None
    if isinstance(time, _dt.datetime):
        if time.tzinfo is None:
            time = time.replace(tzinfo=_dt.timezone.utc)
        return time.isoformat()
    if isinstance(time, (int, float)) and not isinstance(time, bool):
        return _dt.datetime.fromtimestamp(float(time), _dt.timezone.utc).isoformat()
    if isinstance(time, str):
        return time
    raise TypeError(f"time must be a datetime, Unix seconds or an ISO string, got {type(time).__name__}")


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class EvidenceLog:
    """An append-only, hash-chained JSON-lines file of messages, profiles and media hashes."""

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        self._seq = 0
        self._head = GENESIS
        if self.path.exists():
            for record in self._read():
                self._seq = int(record.get("seq", self._seq)) + 1
                self._head = str(record.get("hash", self._head))

    @property
    def head(self) -> str:
        """Hash of the last record: keep it elsewhere to detect records cut off the end."""
        return self._head

    def __len__(self) -> int:
        return self._seq

    # ------------------------------------------------------------------ writing

    def _append(self, kind: str, data: Dict[str, Any]) -> Dict[str, Any]:
        record: Dict[str, Any] = {"seq": self._seq, "type": kind, "recorded_at": _now(), "data": data,
                                  "prev": self._head}
        record["hash"] = _record_hash(record)
        line = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        with open(self.path, "a", encoding="utf-8") as stream:
            stream.write(line + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        self._seq += 1
        self._head = record["hash"]
        return record

    def add_message(self, sender: str, text: str, time: Any = None, **details: Any) -> Dict[str, Any]:
        """Record a message: who sent it, its text and when (datetime, Unix seconds or ISO string).
        Extra keyword arguments (``chat_id=``, ``message_id=``, ``risk=``) are stored as well."""
        return self._append("message", {"sender": str(sender), "text": str(text), "time": _iso(time), **details})

    def add_profile(self, sender: str, details: Mapping[str, Any], time: Any = None) -> Dict[str, Any]:
        """Record what the client knows about a sender: user name, display name, profile link,
        account id, creation date … (JSON-serializable values)."""
        return self._append("profile", {"sender": str(sender), "details": dict(details), "time": _iso(time)})

    def add_media(self, sender: str, *, pdq: Optional[str] = None, md5: Optional[str] = None,
                  sha256: Optional[str] = None, image: Any = None, time: Any = None,
                  **details: Any) -> Dict[str, Any]:
        """Record an image or video by its hashes, never its pixels.

        Pass the hashes the client has, or ``image=`` (whatever ``nudeguard.fingerprint``
        accepts) to compute them on the device when that function is available.
        """
        if image is not None:
            computed = _fingerprint(image)
            pdq = pdq or computed.get("pdq")
            md5 = md5 or computed.get("md5")
            sha256 = sha256 or computed.get("sha256")
        if not (pdq or md5 or sha256):
            raise ValueError("add_media needs at least one of pdq=, md5=, sha256= (or image=)")
        hashes = {k: str(v) for k, v in (("pdq", pdq), ("md5", md5), ("sha256", sha256)) if v}
        return self._append("media", {"sender": str(sender), "hashes": hashes, "time": _iso(time), **details})

    def add_note(self, text: str, time: Any = None) -> Dict[str, Any]:
        """A note by the person keeping the log ("blocked the account", "reported to …")."""
        return self._append("note", {"text": str(text), "time": _iso(time)})

    # ------------------------------------------------------------------ reading

    def _read(self) -> List[Dict[str, Any]]:
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as stream:
            return [json.loads(line) for line in stream if line.strip()]

    def records(self) -> List[Dict[str, Any]]:
        """All records, in order (not verified: call :meth:`verify`)."""
        return self._read()

    def verify(self, expected_head: Optional[str] = None) -> VerifyResult:
        """Check the whole chain. ``ok`` is False at the first line that was edited, deleted,
        inserted or moved (``line`` says which, 1-based, ``reason`` what); with
        ``expected_head``, also when records were cut off the end."""
        prev = GENESIS
        count = 0
        if not self.path.exists():
            return VerifyResult(expected_head in (None, GENESIS), 0, None,
                                "" if expected_head in (None, GENESIS) else "log file is missing")
        with open(self.path, encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    return VerifyResult(False, count, number, "empty line", prev)
                try:
                    record = json.loads(line)
                except ValueError:
                    return VerifyResult(False, count, number, "not valid JSON", prev)
                if not isinstance(record, dict) or set(record) != {"seq", "type", "recorded_at", "data", "prev", "hash"}:
                    return VerifyResult(False, count, number, "record fields were changed", prev)
                if record["seq"] != count:
                    return VerifyResult(False, count, number,
                                        f"sequence number {record['seq']!r}, expected {count}: a record was "
                                        "deleted, inserted or moved", prev)
                if record["prev"] != prev:
                    return VerifyResult(False, count, number, "does not follow the previous record", prev)
                if _record_hash(record) != record["hash"]:
                    return VerifyResult(False, count, number, "content does not match its hash: edited", prev)
                prev = record["hash"]
                count += 1
        if expected_head is not None and prev != expected_head:
            return VerifyResult(False, count, count + 1, "last record is not the expected head: records "
                                "were removed from the end", prev)
        return VerifyResult(True, count, None, "", prev)

    # ------------------------------------------------------------------ export

    def export_json(self, path: PathLike) -> None:
        """Write a JSON report: the verification result, the head hash and every record."""
        result = self.verify()
        report = {
            "format": "nudeguard-evidence/1",
            "exported_at": _now(),
            "source": str(self.path),
            "verified": result.ok,
            "verification": {"records": result.records, "line": result.line, "reason": result.reason},
            "head": result.head,
            "records": self.records(),
        }
        with open(path, "w", encoding="utf-8") as stream:
            json.dump(report, stream, ensure_ascii=False, indent=2)
            stream.write("\n")

    def export_html(self, path: PathLike, title: str = "Evidence report") -> None:
        """Write a self-contained, readable HTML report (every text is HTML-escaped)."""
        result = self.verify()
        esc = html.escape
        rows = []
        for r in self.records():
            data = r.get("data", {}) if isinstance(r.get("data"), dict) else {}
            kind = str(r.get("type", ""))
            if kind == "message":
                content = esc(str(data.get("text", "")))
            elif kind == "profile":
                content = "<br>".join(f"<b>{esc(str(k))}</b>: {esc(str(v))}"
                                      for k, v in dict(data.get("details", {})).items())
            elif kind == "media":
                content = "<br>".join(f"<b>{esc(str(k))}</b>: <code>{esc(str(v))}</code>"
                                      for k, v in dict(data.get("hashes", {})).items())
            else:
                content = esc(str(data.get("text", "")))
            rows.append(
                f"<tr><td>{esc(str(r.get('seq')))}</td><td>{esc(kind)}</td>"
                f"<td>{esc(str(data.get('time') or ''))}</td><td>{esc(str(r.get('recorded_at', '')))}</td>"
                f"<td>{esc(str(data.get('sender', '')))}</td><td class=c>{content}</td>"
                f"<td><code>{esc(str(r.get('hash', ''))[:16])}…</code></td></tr>"
            )
        status = ("The hash chain is intact: no record was changed, removed or reordered."
                  if result.ok else f"WARNING: the hash chain is broken at line {result.line}: {result.reason}.")
        document = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:4px 8px;vertical-align:top}}td.c{{white-space:pre-wrap;max-width:40em}}</style>
</head><body>
<h1>{esc(title)}</h1>
<p>Exported {esc(_now())} from <code>{esc(str(self.path))}</code>, {result.records} records.</p>
<p><b>{esc(status)}</b><br>Last record hash (SHA-256): <code>{esc(result.head)}</code></p>
<p>Each record's hash is the SHA-256 of its canonical JSON including the previous record's hash;
the JSON export holds every field needed to check it. Images are listed by hash only.</p>
<table><tr><th>#</th><th>type</th><th>sent</th><th>recorded (UTC)</th><th>sender</th><th>content</th><th>hash</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(document)


def _fingerprint(image: Any) -> Dict[str, Optional[str]]:
    import sys

    fingerprint = getattr(sys.modules[__package__ or "nudeguard"], "fingerprint", None)
    if fingerprint is None:
        raise ValueError("this build has no nudeguard.fingerprint(); pass pdq=, md5= or sha256= instead")
    result = fingerprint(image)
    if isinstance(result, Mapping):
        return {k: (str(result[k]) if result.get(k) is not None else None) for k in ("pdq", "md5", "sha256")}
    return {k: (str(getattr(result, k)) if getattr(result, k, None) is not None else None)
            for k in ("pdq", "md5", "sha256")}
