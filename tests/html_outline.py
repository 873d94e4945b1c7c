"""The structure of an HTML report as lines of text, for the golden file: headings, tables (their
headings and row counts; the village table and candidate rows in full), charts (bar labels and
values), filter options and the audit labels. Values that change between runs of the same input
(generation time, tool version, hashes) are left out. The same outline is taken of the file as
written and of the page a browser built from it (tests/test_html_browser.py), so the golden
file also proves the browser parsed the page as it was meant."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"meta", "link", "input", "br", "img", "hr", "rect", "col", "source", "wbr"}


@dataclass
class Node:
    """An element: tag, attributes, children (nodes and text)."""

    tag: str
    attrs: dict[str, str]
    children: list = field(default_factory=list)

    def text(self) -> str:
        """All text inside, whitespace squeezed."""
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join("".join(parts).split())

    def all(self, tag: str | None = None, cls: str | None = None) -> list["Node"]:
        """Every descendant element with that tag and/or class, in document order."""
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and (cls is None or cls in child.attrs.get("class", "").split()):
                    found.append(child)
                found += child.all(tag, cls)
        return found

    def by_id(self, ident: str) -> "Node | None":
        """The descendant with that id."""
        return next((n for n in self.all() if n.attrs.get("id") == ident), None)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    """The element tree of an HTML text (tolerant, like a browser for the tags a report uses)."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def _texts(node: Node, tag: str, sep: str) -> str:
    return sep.join(n.text() for n in node.all(tag))


def _cells(row: Node) -> str:
    return " | ".join(c.text() for c in row.children if isinstance(c, Node) and c.tag in ("td", "th"))


def outline(html: str) -> list[str]:
    """The report's structure as lines (see the module docstring)."""
    doc = parse(html)
    lines = [f"title: {doc.all('title')[0].text()}"]
    for section in doc.all("section"):
        lines.append(f"section #{section.attrs.get('id')}")
        in_tables = {id(p) for table in section.all("table") for p in table.all("p")}
        for node in section.all():
            if node.tag in ("h2", "h3", "p") and id(node) not in in_tables:
                lines.append(f"  {node.tag}: {node.text()}")
            elif node.tag == "table" and "findings" not in node.attrs.get("class", ""):
                lines += _table(node)
            elif node.tag == "figure":
                lines.append(f"  figure #{node.attrs.get('id')}: {node.all('figcaption')[0].text()}")
                lines += [f"    legend: {node.all('div', 'legend')[0].text()}"] if node.all("div", "legend") else []
                lines += [f"    bar: {_texts(g, 'text', ' ')} [{_texts(g, 'rect', '、')}]" for g in node.all("g", "bar")]
            elif node.tag == "select":
                lines.append(f"  select #{node.attrs['id']}: {' / '.join(o.text() for o in node.all('option'))}")
            elif "card" in node.attrs.get("class", "").split():
                lines.append(f"  card: {node.text()}")
    return lines


def _table(table: Node) -> list[str]:
    ident = table.attrs.get("id") or table.attrs.get("class", "")
    head = table.all("thead")
    lines = [f"  table {ident}: {_cells(head[0].all('tr')[0]) if head else ''}"]
    if ident == "audit-table":
        return lines + [f"    audit: {' / '.join(th.text() for th in table.all('th')[2:])}"]
    body_rows = [r for b in table.all("tbody") for r in b.all("tr")]
    if ident == "candidate-table":
        for row in table.all("tr"):
            kind = row.attrs.get("class", "")
            if kind == "group-head":
                lines.append(f"    group: {row.text()}")
            elif kind == "cand":
                lines.append(f"    cand [{row.attrs.get('data-verdict')}; {row.attrs.get('data-rules')}]: {_cells(row)}")
            elif kind.startswith("detail"):
                count = len(row.all("tbody")[0].all("tr")) if row.all("tbody") else 0
                lines.append(" ".join([f"      findings: {count}", *(p.text() for p in row.all("p"))]))
        return lines
    lines += [f"    {_cells(row)}" for row in body_rows if row.all("td") or row.all("th")]
    return lines + [f"    foot: {_cells(r)}" for f in table.all("tfoot") for r in f.all("tr")]
