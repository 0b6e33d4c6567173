"""report.html draws its diagrams as inline SVG (no script, no network); report.md keeps them as Mermaid.

Structure, not pixels: every SVG parses as XML, every rack, switch, node and tenant has its box with its name
written in it, every link (BGP session, or uplink in L2 mode) and every parent-child tenant edge is drawn
between the right boxes, no two boxes overlap, and everything lies inside the drawing.
(The look was checked once by a headless Chromium screenshot; see the report of that change.)
"""
import re
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils import report

import sitegen
from inventory_loader import load_inventory, REPO

SVG = "{http://www.w3.org/2000/svg}"


def _figures(html):
    """[(heading text, parsed <svg>)] in page order."""
    found = re.findall(r"<h\d>([^<]*)</h\d>\s*<figure class=\"diagram\">\s*(<svg.*?</svg>)\s*</figure>", html, re.S)
    return [(title, ET.fromstring(svg)) for title, svg in found]


def _boxes(svg, kind):
    """{name: (x, y, width, height, [texts])} of the boxes of one kind."""
    out = {}
    for group in svg.iter(SVG + "g"):
        if kind in group.get("class", "").split() and "box" in group.get("class", "").split():
            rect = group.find(SVG + "rect")
            out[group.get("data-name")] = (float(rect.get("x")), float(rect.get("y")), float(rect.get("width")),
                                           float(rect.get("height")), [t.text for t in group.iter(SVG + "text")])
    return out


def _edges(svg):
    return [(e.get("data-from"), e.get("data-to"), e) for e in svg.iter() if "edge" in e.get("class", "").split()]


def _assert_layout(svg, boxes):
    width, height = float(svg.get("width")), float(svg.get("height"))
    items = sorted(boxes.items())
    for name, (x, y, w, h, texts) in items:
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height, name
        assert name in texts
    for i, (a, (ax, ay, aw, ah, _texts_a)) in enumerate(items):
        for b, (bx, by, bw, bh, _texts_b) in items[i + 1:]:
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, "%s overlaps %s" % (a, b)


def _inside(x, y, box, slack=3.0):
    bx, by, bw, bh = box[:4]
    return bx - slack <= x <= bx + bw + slack and by - slack <= y <= by + bh + slack


def _check_fabric(plan, svg, links):
    racks = {g.get("data-name") for g in svg.iter(SVG + "g") if g.get("class") == "rack"}
    assert racks == {n["rack"] for n in plan["nodes"].values()} | {s["rack"] for s in plan["switches"].values()}
    rack_text = " ".join(t.text for t in svg.iter(SVG + "text"))
    assert all("rack %s" % rack in rack_text for rack in racks)
    switches, nodes = _boxes(svg, "switch"), _boxes(svg, "node")
    assert set(switches) == set(plan["switches"]) and set(nodes) == set(plan["nodes"])
    boxes = dict(switches, **nodes)
    _assert_layout(svg, boxes)
    drawn = {}
    for source, target, element in _edges(svg):
        assert element.tag == SVG + "line"
        drawn[(source, target)] = element
    assert set(drawn) == set(links)
    for (switch, node), line in drawn.items():   # each line runs from its switch to its node
        assert _inside(float(line.get("x1")), float(line.get("y1")), switches[switch])
        assert _inside(float(line.get("x2")), float(line.get("y2")), nodes[node])


@pytest.fixture(scope="module")
def example_plan():
    return plan_core.build_plan(*load_inventory(REPO / "inventories" / "example"))


def test_example_report_draws_both_diagrams(example_plan):
    bundle = plan_core.render_bundle(example_plan, ["plan"])
    html = bundle["report.html"]
    assert "<script" not in html and "mermaid" not in html
    figures = _figures(html)
    assert [title for title, _svg in figures] == ["Fabric", "Tenant tree"]
    for _title, svg in figures:
        assert svg.tag == SVG + "svg" and float(svg.get("width")) > 0 and float(svg.get("height")) > 0
    _check_fabric(example_plan, figures[0][1], {(s["switch"], s["node"]) for s in example_plan["bgp"]["sessions"]})

    tenants = example_plan["tenants"]["tenants"]
    tree = figures[1][1]
    boxes = _boxes(tree, "tenant")
    assert set(boxes) == {t["name"] for t in tenants}
    for tenant in tenants:
        assert tenant["namespace"] in boxes[tenant["name"]][4]
    _assert_layout(tree, boxes)
    parents = {(t["parent"], t["name"]) for t in tenants if t.get("parent")}
    edges = {(a, b) for a, b, _e in _edges(tree)}
    assert edges == parents
    for parent, child in parents:   # a parent sits above its children
        assert boxes[parent][1] + boxes[parent][3] < boxes[child][1]
    # Markdown keeps the Mermaid source of the same two graphs
    assert bundle["report.md"].count("```mermaid") == 2


def test_l2_mode_draws_the_uplinks_and_big_racks_wrap_without_overlap():
    site = sitegen.make_site(racks=2, nodes_per_rack=11, switches_per_rack=3, mode="l2", tenants=0)
    plan = plan_core.build_plan(*site)
    assert not plan["bgp"]["enabled"]
    html = plan_core.render_bundle(plan, ["plan"])["report.html"]
    title, svg = _figures(html)[0]
    assert title == "Fabric"
    links = {(u["switch"], host) for host, node in plan["nodes"].items() for u in node["uplinks"]}
    assert links
    _check_fabric(plan, svg, links)


def test_names_are_escaped_in_the_svg():
    svg = ET.fromstring(report.fabric_svg({"a&b": {"switches": ["s<1>"], "nodes": ['n"1']}}, [("s<1>", 'n"1')],
                                          {'n"1': "worker"}))
    assert set(_boxes(svg, "switch")) == {"s<1>"} and set(_boxes(svg, "node")) == {'n"1'}
    assert [(a, b) for a, b, _e in _edges(svg)] == [("s<1>", 'n"1')]
    tree = ET.fromstring(report.tenant_svg([{"name": "r&d", "namespace": "tenant-r", "parent": None},
                                            {"name": "x", "namespace": "<x>", "parent": "r&d"}]))
    assert set(_boxes(tree, "tenant")) == {"r&d", "x"}
