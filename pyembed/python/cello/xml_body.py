"""Python data as XML for Response.xml(): dicts become elements, lists <item> elements."""
from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            name = str(key)
            if not _NAME.match(name) or name.lower().startswith("xml"):
                raise ValueError(f"{name!r} cannot be an XML element name")
            _fill(ElementTree.SubElement(element, name), child)
    elif isinstance(value, (list, tuple)):
        for child in value:
            _fill(ElementTree.SubElement(element, "item"), child)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def to_xml(data: Any, root_name: str = "root") -> bytes:
    """``<?xml ...?>`` and `data` under a `root_name` element, UTF-8."""
    if not _NAME.match(root_name):
        raise ValueError(f"{root_name!r} cannot be an XML element name")
    root = ElementTree.Element(root_name)
    _fill(root, data)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
