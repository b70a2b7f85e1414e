"""An explanation as plain text or JSON, each with the provenance of the inputs."""

from __future__ import annotations

import json

from lsprules.audit.explanation import Explanation
from lsprules.audit.provenance import Provenance


def render_explanation_text(explanation: Explanation, provenance: Provenance) -> str:
    """Heading, then each section's title and indented lines, then provenance."""
    out = [explanation.heading, ""]
    for section in explanation.sections:
        out.append(section.title)
        out.extend(f"  {line}" for line in section.lines)
        out.append("")
    out.extend(provenance.lines())
    return "\n".join(out) + "\n"


def render_explanation_json(explanation: Explanation, provenance: Provenance) -> str:
    """The facts, the sections in words, and provenance; stable key order."""
    document = {"heading": explanation.heading, **explanation.facts,
                "sections": [{"title": s.title, "lines": list(s.lines)} for s in explanation.sections],
                "provenance": provenance.to_dict()}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
