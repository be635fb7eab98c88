"""Check X12 against the HIPAA implementation guides, with pyx12's maps and validator.

pyx12 (pinned at 4.0.0) is run in-process on a ``StringIO``: nothing touches the disk. Its
error tree is read through its own JSON visitor and flattened into findings that name the
segment (id and 1-based number in the file) and the element. Three habits of pyx12 are
handled here so that callers never see them:

* it crashes building a 999 for some erroneous files (an 835, whose ST has no ST03), so no
  999 is asked of it: claimflow writes its own (``render_remits.render_999``);
* it raises ``EngineError`` for a version it has no map for (e.g. 837P 005010X222A2) and may
  raise anything on input it does not expect; every such exception becomes a finding;
* it logs each error, with the offending value (which may be PHI), through the ``pyx12``
  logger; that logger is detached from the application's handlers and its records are
  collected into findings instead.

pyx12 is imported on first use: its maps are large, and ``import claims.x12`` stays cheap.

pyx12 4.0.0 has no map for the eligibility guide (270/271, 005010X279A1); ``x279_map``
describes it, and a file of that guide is validated against a map folder made once per
pyx12 version and map content: pyx12's own files (linked) plus the two maps and an index
naming them. The folder sits in the temporary directory under a name that is a digest of
its content, holds no data from any file validated, and is shared by every process.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# pyx12's walker and maps are not documented as thread-safe; one validation at a time.
_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class ValidationFinding:
    """One problem pyx12 found. ``line`` is the segment's 1-based number in the file."""

    code: str
    message: str
    segment_id: str | None = None
    line: int | None = None
    element: str | None = None
    transaction_control_number: str | None = None

    def __str__(self) -> str:
        where = f"segment {self.line} ({self.segment_id})" if self.line else "file"
        element = f" {self.element}" if self.element else ""
        return f"{where}{element}: [{self.code}] {self.message}"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def validate(text: str | bytes) -> list[ValidationFinding]:
    """Findings for ``text``; empty when pyx12 accepts it. Never raises."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("latin-1")
    handler = _Collect()
    logger = logging.getLogger("pyx12")
    with _LOCK:
        logger.propagate = False
        logger.addHandler(handler)
        try:
            return _run(text, handler)
        except Exception as exc:  # noqa: BLE001 - a validator crash is a finding, by contract
            return [ValidationFinding("PYX12_CRASH", f"pyx12 failed: {type(exc).__name__}: {exc}")]
        finally:
            logger.removeHandler(handler)


def _run(text: str, handler: _Collect) -> list[ValidationFinding]:
    import pyx12.params
    import pyx12.x12n_document

    out = io.StringIO()
    try:
        map_path = x279_map_dir() if "005010X279" in text else None
        ok = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), None, None, None, out, map_path=map_path
        )
    except Exception as exc:  # noqa: BLE001
        return [ValidationFinding("PYX12_ENGINE", f"{type(exc).__name__}: {exc}")]
    findings = _flatten(json.loads(out.getvalue())) if out.getvalue() else []
    if not ok and not findings:
        reason = "; ".join(handler.messages) or "pyx12 rejected the file without a reason"
        findings.append(ValidationFinding("PYX12_REJECTED", reason))
    return findings


def _flatten(doc: dict[str, Any]) -> list[ValidationFinding]:
    found: list[ValidationFinding] = []

    def level(node: dict[str, Any], seg_id: str, st: str | None) -> None:
        for err in node.get("errors", []):
            found.append(
                ValidationFinding(
                    str(err.get("err_cde")),
                    str(err.get("err_str")),
                    seg_id,
                    node.get("cur_line"),
                    None,
                    st,
                )  # fmt: skip
            )

    for isa in doc.get("interchanges", []):
        level(isa, "ISA", None)
        for gs in isa.get("groups", []):
            level(gs, "GS", None)
            for st in gs.get("transactions", []):
                control = st.get("trn_set_control_num")
                level(st, "ST", control)
                for seg in st.get("segments", []):
                    sid, line = seg.get("seg_id"), seg.get("cur_line")
                    for err in seg.get("errors", []):
                        found.append(
                            ValidationFinding(
                                str(err.get("err_cde")),
                                str(err.get("err_str")),
                                sid,
                                line,
                                None,
                                control,
                            )  # fmt: skip
                        )
                    for ele in seg.get("elements", []):
                        pos = ele.get("ele_pos")
                        element = f"{sid}{int(pos):02d}" if isinstance(pos, int) else None
                        if element and ele.get("subele_pos"):
                            element += f"-{int(ele['subele_pos']):02d}"
                        for err in ele.get("errors", []):
                            found.append(
                                ValidationFinding(
                                    str(err.get("err_cde")),
                                    str(err.get("err_str")),
                                    sid,
                                    line,
                                    element,
                                    control,
                                )  # fmt: skip
                            )
    return found


@functools.cache
def x279_map_dir() -> str:
    """The pyx12 map folder that also knows 005010X279A1 (made on first use)."""
    from importlib.metadata import version
    from importlib.resources import files

    from claims.x12 import x279_map

    source = Path(str(files("pyx12") / "map"))
    names = {
        e.get("ele_num", ""): e.get("name", "")
        for e in ET.parse(source / "dataele.xml").getroot().iter("data_ele")
    }
    generated: dict[str, bytes] = {}
    for set_id, file_name in x279_map.MAP_FILES.items():
        envelope = ET.parse(source / "277.5010.X214.xml").getroot()
        tree = x279_map.build_map(set_id, envelope, names)  # type: ignore[arg-type]
        generated[file_name] = ET.tostring(tree, encoding="utf-8", xml_declaration=True)
    index = ET.parse(source / "maps.xml").getroot()
    for version_node in index.iter("version"):
        if version_node.get("icvn") == "00501":
            for set_id, file_name in x279_map.MAP_FILES.items():
                entry = ET.SubElement(
                    version_node, "map", vriic=x279_map.VERSION,
                    fic=x279_map.FUNCTIONAL_IDS[set_id], abbr=set_id,
                )  # fmt: skip
                entry.text = file_name
    generated["maps.xml"] = ET.tostring(index, encoding="utf-8", xml_declaration=True)
    digest = hashlib.sha256(version("pyx12").encode())
    for file_name in sorted(generated):
        digest.update(file_name.encode() + generated[file_name])
    uid = os.getuid() if hasattr(os, "getuid") else 0
    target = Path(tempfile.gettempdir()) / f"claimflow-pyx12-maps-{uid}-{digest.hexdigest()[:16]}"
    staging = Path(tempfile.mkdtemp(prefix=".claimflow-pyx12-maps-"))
    if target.is_dir():
        # Someone else's folder of that name is not trusted: this process makes its own.
        if target.stat().st_uid == uid:
            staging.rmdir()
            return str(target)
        target = staging
    try:
        for item in source.iterdir():
            if item.is_file() and item.suffix in (".xml", ".xsd") and item.name != "maps.xml":
                try:
                    os.symlink(item, staging / item.name)
                except OSError:
                    shutil.copyfile(item, staging / item.name)
        for file_name, content in generated.items():
            (staging / file_name).write_bytes(content)
        if staging != target:
            staging.rename(target)
    except OSError:
        # Another process made the same folder first (same name, same content): use it.
        shutil.rmtree(staging, ignore_errors=True)
        if not target.is_dir():
            raise
    return str(target)
