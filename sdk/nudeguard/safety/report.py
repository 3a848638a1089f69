"""A report of threats to share intimate images, for the platform, a helpline or the police.

    >>> report = nudeguard.threat_report(log, reporter=Person(age=15), sender_id="stranger42",
    ...                                  sender=SenderProfile(account_age_days=4, country="NG"),
    ...                                  messages=[3, 5], images=[fingerprint], locale="de-AT")
    >>> report.save("report.json", "report.html")

One call turns the :class:`~nudeguard.EvidenceLog`, the messages the person selects (by the
log's ``seq`` numbers), what is known about the sender and the hashes of the images involved
into a JSON document and a readable, self-contained HTML page in the person's language.
Images are given as hashes only (a :class:`~nudeguard.Fingerprint`, a
:class:`~nudeguard.PdqHash` or a mapping of ``pdq`` / ``sha256`` / ``md5`` hex digests):
anything that could hold pixels is refused.

The JSON (``format`` ``"nudeguard-threat-report/1"``):

``created_at``     when the report was made (UTC, ISO 8601).
``locale``         the catalogue of the texts (``"de"``); ``country`` the helplines' country.
``reporter``       ``{"age_group": "minor" | "adult" | "unknown"}``: no name, no exact age.
``sender``         ``id``, ``profile`` (the :class:`SenderProfile` fields that are known) and
                   ``recorded_profiles`` (the ``details`` of the log's profile records of ``id``).
``messages``       the selected message records, verbatim (``seq``, ``type``, ``recorded_at``,
                   ``data``, ``prev``, ``hash``), each with ``intact``: whether it lies before
                   the first broken link of the chain.
``images``         ``pdq`` / ``quality`` / ``sha256`` / ``md5`` / ``label``, as given.
``evidence``       the chain verified over the whole log: ``source``, ``verified``,
                   ``records``, ``line`` and ``reason`` of the first break, ``head`` (keep it:
                   it proves later that nothing was cut off the end), ``expected_head``.
``next_steps``     ``kind`` (``advice``, ``report``, ``removal``, ``helpline``), ``name``,
                   ``text``, ``url``, ``phone``: don't pay, don't send more, report the account
                   to the platform, Take It Down (under 18) or StopNCII (adults; both when the
                   age is unknown), the NCMEC CyberTipline, the police, then the helplines and
                   reporting services of the locale's country.

A broken chain does not stop the report: it says where the log was changed, and which
selected messages come after that point.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from .contact import SenderProfile
from .evidence import EvidenceLog
from .policy import Person
from .wording import Resource, catalogue, resolve_country, resolve_locale, resources_for

__all__ = ["REPORT_FORMAT", "ThreatReport", "threat_report"]

REPORT_FORMAT = "nudeguard-threat-report/1"

#: Hex digits each image hash has.
HASH_DIGITS = {"pdq": 64, "sha256": 64, "md5": 32}

PathLike = Union[str, "os.PathLike[str]"]

_HEX = re.compile(r"[0-9a-fA-F]+")


@dataclass(frozen=True)
class ThreatReport:
    """A finished report: :attr:`data` is the JSON document; :meth:`to_html` the page."""

    data: Mapping[str, Any]

    @property
    def verified(self) -> bool:
        """Whether the evidence log's hash chain was intact."""
        return bool(self.data["evidence"]["verified"])

    def to_json(self) -> str:
        return json.dumps(self.data, ensure_ascii=False, indent=2) + "\n"

    def to_html(self) -> str:
        """A self-contained page in the report's language; every text from the log, the
        profile or the caller is HTML-escaped."""
        return _render_html(self.data)

    def save(self, json_path: Optional[PathLike] = None, html_path: Optional[PathLike] = None) -> None:
        """Write the JSON document and/or the HTML page."""
        if json_path is None and html_path is None:
            raise ValueError("save needs json_path=, html_path= or both")
        for path, text in ((json_path, self.to_json), (html_path, self.to_html)):
            if path is not None:
                with open(path, "w", encoding="utf-8") as stream:
                    stream.write(text())


def threat_report(log: EvidenceLog, *, reporter: Person, sender: Optional[SenderProfile] = None,
                  sender_id: Optional[str] = None, messages: Optional[Sequence[int]] = None,
                  images: Iterable[Any] = (), locale: Optional[str] = None,
                  expected_head: Optional[str] = None) -> ThreatReport:
    """Build the report (see the module's description of its fields).

    ``messages``: the ``seq`` numbers of the log's message records the person selected;
    ``None`` takes every message of ``sender_id`` (every message when ``sender_id`` is
    ``None`` too). ``reporter`` picks the next steps for their age. ``expected_head``: a head
    hash kept elsewhere, to detect records cut off the end of the log.
    Raises ``ValueError`` for a selection that is not a message of the log, or an image that
    is not given as hashes.
    """
    if not isinstance(log, EvidenceLog):
        raise ValueError(f"log must be a nudeguard.EvidenceLog, got {type(log).__name__}")
    if not isinstance(reporter, Person):
        raise ValueError(f"reporter must be a nudeguard.Person, e.g. Person(age=15), got {type(reporter).__name__}")
    if sender is not None and not isinstance(sender, SenderProfile):
        raise ValueError(f"sender must be a nudeguard.SenderProfile or None, got {type(sender).__name__}")
    if sender_id is not None and not isinstance(sender_id, str):
        raise ValueError(f"sender_id must be a string or None, got {type(sender_id).__name__}")

    verification = log.verify(expected_head=expected_head)
    records = _readable_records(log)
    selected = _select_messages(records, messages, sender_id)
    profiles = [record["data"].get("details", {}) for record in records
                if record.get("type") == "profile" and sender_id is not None
                and isinstance(record.get("data"), dict) and record["data"].get("sender") == sender_id]
    language = resolve_locale(locale)
    data: Dict[str, Any] = {
        "format": REPORT_FORMAT,
        "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "locale": language,
        "country": resolve_country(locale),
        "reporter": {"age_group": reporter.age_group.value},
        "sender": {
            "id": sender_id,
            "profile": {} if sender is None else {name: value for name, value in vars(sender).items()
                                                  if value is not None},
            "recorded_profiles": profiles,
        },
        "messages": [dict(record, intact=not verification.line or record["seq"] < verification.records)
                     for record in selected],
        "images": [_image_hashes(image, index) for index, image in enumerate(images)],
        "evidence": {
            "source": str(log.path),
            "verified": verification.ok,
            "records": verification.records,
            "line": verification.line,
            "reason": verification.reason,
            "head": verification.head,
            "expected_head": expected_head,
        },
        "next_steps": _next_steps(reporter, locale),
    }
    return ThreatReport(data)


def _readable_records(log: EvidenceLog) -> List[Dict[str, Any]]:
    """The log's records that still parse: a damaged line must not stop the report, which
    says where the chain broke."""
    if not log.path.exists():
        return []
    found = []
    with open(log.path, encoding="utf-8", errors="replace") as stream:
        for line in stream:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("seq"), int):
                found.append(record)
    return found


def _select_messages(records: List[Dict[str, Any]], messages: Optional[Sequence[int]],
                     sender_id: Optional[str]) -> List[Dict[str, Any]]:
    by_seq = {record["seq"]: record for record in records if record.get("type") == "message"}
    if messages is None:
        return [record for record in by_seq.values()
                if sender_id is None or (isinstance(record.get("data"), dict)
                                         and record["data"].get("sender") == sender_id)]
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise ValueError("messages must be a list of the log's seq numbers, e.g. [3, 5]")
    chosen = []
    for seq in messages:
        if isinstance(seq, bool) or not isinstance(seq, int):
            raise ValueError(f"messages must hold the log's seq numbers (whole numbers), got {seq!r}")
        if seq not in by_seq:
            raise ValueError(f"record {seq} is not a message of the evidence log "
                             f"(its messages are {sorted(by_seq) or 'none'})")
        chosen.append(by_seq[seq])
    return sorted({record["seq"]: record for record in chosen}.values(), key=lambda record: record["seq"])


def _hex_digest(value: object, kind: str, index: int) -> str:
    if not isinstance(value, str) or len(value) != HASH_DIGITS[kind] or not _HEX.fullmatch(value):
        raise ValueError(f"images[{index}].{kind} must be {HASH_DIGITS[kind]} hex digits, got {value!r}")
    return value.lower()


def _image_hashes(image: object, index: int) -> Dict[str, Any]:
    """The hashes of one image: from a Fingerprint, a PdqHash or a mapping; never pixels."""
    if isinstance(image, Mapping):
        given = dict(image)
    elif hasattr(image, "hex") and hasattr(image, "quality") and isinstance(getattr(image, "hex"), str):
        given = {"pdq": image.hex, "quality": image.quality}  # type: ignore[attr-defined]
    elif hasattr(image, "pdq") and hasattr(image, "quality"):
        given = {key: getattr(image, key, None) for key in ("pdq", "quality", "sha256", "md5")}
    else:
        raise ValueError(f"images[{index}] is a {type(image).__name__}: give each image as hashes (a "
                         "nudeguard.Fingerprint, a PdqHash or {'pdq': ..., 'sha256': ...}), never its pixels "
                         "or file; nudeguard.fingerprint(image) computes them on the device")
    unknown = set(given) - set(HASH_DIGITS) - {"quality", "label"}
    if unknown:
        raise ValueError(f"images[{index}] has {sorted(unknown)}: only pdq, sha256, md5, quality and label "
                         "belong in a report")
    entry: Dict[str, Any] = {kind: _hex_digest(given[kind], kind, index)
                             for kind in HASH_DIGITS if given.get(kind) is not None}
    if not entry:
        raise ValueError(f"images[{index}] needs at least one of pdq, sha256, md5")
    quality = given.get("quality")
    if quality is not None:
        if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 100:
            raise ValueError(f"images[{index}].quality must be a PDQ quality 0..100, got {quality!r}")
        entry["quality"] = quality
    label = given.get("label")
    if label is not None:
        entry["label"] = str(label)
    return entry


def _next_steps(reporter: Person, locale: Optional[str]) -> List[Dict[str, Any]]:
    texts = catalogue(resolve_locale(locale))
    steps: List[Dict[str, Any]] = [
        {"kind": "advice", "name": None, "text": texts["tips"]["dont_pay"], "url": None, "phone": None},
        {"kind": "advice", "name": None, "text": texts["tips"]["dont_send_more"], "url": None, "phone": None},
        {"kind": "report", "name": None, "text": texts["threat_report"]["platform"], "url": None, "phone": None},
    ]
    resources = resources_for(reporter.age_group, locale)
    # The police come after the international services (no ``source``), before the country's own.
    international = [resource for resource in resources if resource.source is None]
    local = [resource for resource in resources if resource.source is not None]
    police = {"kind": "report", "name": None, "text": texts["threat_report"]["police"], "url": None, "phone": None}
    return steps + [_step(resource) for resource in international] + [police] + [_step(resource) for resource in local]


def _step(resource: Resource) -> Dict[str, Any]:
    return {"kind": resource.kind, "name": resource.name, "text": resource.description, "url": resource.url,
            "phone": resource.phone}


_STYLE = ("body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}"
          "td,th{border:1px solid #999;padding:4px 8px;vertical-align:top;text-align:left}"
          "td.t{white-space:pre-wrap}.bad{color:#a00}.ok{color:#060}code{word-break:break-all}")


def _render_html(data: Mapping[str, Any]) -> str:
    def esc(value: object) -> str:
        return html.escape("" if value is None else str(value), quote=True)

    texts = catalogue(data["locale"])["threat_report"]
    labels = texts["labels"]
    evidence = data["evidence"]
    sender = data["sender"]
    parts = [f"<!DOCTYPE html>\n<html lang=\"{esc(data['locale'])}\"><head><meta charset=\"utf-8\">",
             f"<title>{esc(texts['title'])}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{esc(texts['title'])}</h1>",
             f"<p>{esc(texts['created'].format(time=data['created_at']))}</p>",
             f"<p>{esc(texts['intro'])}</p>"]

    parts.append(f"<h2>{esc(texts['integrity'])}</h2>")
    if evidence["verified"]:
        parts.append(f"<p class=\"ok\">{esc(texts['chain_ok'].format(records=evidence['records']))}</p>")
    else:
        broken = texts["chain_broken"].format(line=evidence["line"], reason=evidence["reason"])
        parts.append(f"<p class=\"bad\"><b>{esc(broken)}</b></p>")
    parts.append(f"<p>{esc(texts['head'])}: <code>{esc(evidence['head'])}</code></p>")

    parts.append(f"<h2>{esc(texts['sender'])}</h2><table>")
    rows = [(labels["sender_id"], sender["id"])] if sender["id"] is not None else []
    for name, value in sender["profile"].items():
        if name == "is_contact":
            rows.append((labels["relation"], texts["relation"]["contact" if value else "stranger"]))
        else:
            rows.append((labels[name], value))
    rows += [(labels["details"], ", ".join(f"{key}: {value}" for key, value in details.items()))
             for details in sender["recorded_profiles"] if isinstance(details, dict)]
    parts += [f"<tr><th>{esc(label)}</th><td class=\"t\">{esc(value)}</td></tr>" for label, value in rows]
    parts.append("</table>")

    parts.append(f"<h2>{esc(texts['messages'])}</h2><table><tr><th>{esc(labels['record'])}</th>"
                 f"<th>{esc(labels['time'])}</th><th>{esc(labels['recorded'])}</th><th>{esc(labels['text'])}</th>"
                 f"<th>{esc(labels['checksum'])}</th></tr>")
    for record in data["messages"]:
        message = record.get("data") if isinstance(record.get("data"), dict) else {}
        mark = "" if record["intact"] else " class=\"bad\""
        parts.append(f"<tr{mark}><td>{esc(record['seq'])}</td><td>{esc(message.get('time'))}</td>"
                     f"<td>{esc(record.get('recorded_at'))}</td><td class=\"t\">{esc(message.get('text'))}</td>"
                     f"<td><code>{esc(record.get('hash'))}</code></td></tr>")
    parts.append("</table>")

    if data["images"]:
        parts.append(f"<h2>{esc(texts['images'])}</h2><table>")
        for image in data["images"]:
            cells = "<br>".join(f"<b>{esc(key)}</b>: <code>{esc(value)}</code>" for key, value in image.items())
            parts.append(f"<tr><td>{cells}</td></tr>")
        parts.append("</table>")

    parts.append(f"<h2>{esc(texts['next_steps'])}</h2><ol>")
    for step in data["next_steps"]:
        name = f"<b>{esc(step['name'])}</b>: " if step["name"] else ""
        reach = [f"<a href=\"{esc(step['url'])}\">{esc(step['url'])}</a>"] if step["url"] else []
        reach += [f"☎ {esc(step['phone'])}"] if step["phone"] else []
        parts.append(f"<li>{name}{esc(step['text'])}{' — ' + ', '.join(reach) if reach else ''}</li>")
    parts.append("</ol></body></html>\n")
    return "\n".join(parts)
