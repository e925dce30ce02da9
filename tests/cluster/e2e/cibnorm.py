#!/usr/bin/python3
# tests/cluster/e2e/cibnorm.py: prints the resources, constraints and properties of a CIB in a normal form,
# so that the pcs and crmsh configurations can be compared. Licence: GPL-2.0-or-later.
import re
import sys
import xml.etree.ElementTree as ET

ROLES = {"Master": "Promoted", "Slave": "Unpromoted"}


def ms(v):
    m = re.fullmatch(r"(\d+)\s*(ms|s|m|min|h)?", v or "0")
    if not m:
        return v
    n, u = int(m.group(1)), m.group(2) or "s"
    return n * {"ms": 1, "s": 1000, "m": 60000, "min": 60000, "h": 3600000}[u]


def nv(el, tag):
    out = {}
    for s in el.findall(tag):
        for p in s.findall("nvpair"):
            out[p.get("name")] = p.get("value")
    return out


def main(path):
    root = ET.parse(path).getroot()
    conf = root.find("configuration")
    lines = []
    props = nv(conf.find("crm_config"), "cluster_property_set")
    for k in ("stonith-enabled", "priority-fencing-delay", "start-failure-is-fatal"):
        lines.append(f"property {k}={props.get(k)}")
    for p in conf.iter("primitive"):
        if p.get("class") == "stonith":
            continue
        lines.append(f"primitive {p.get('id')} {p.get('class')}:{p.get('provider')}:{p.get('type')}")
        for k, v in sorted(nv(p, "instance_attributes").items()):
            lines.append(f"  param {k}={v}")
        for k, v in sorted(nv(p, "meta_attributes").items()):
            lines.append(f"  meta {k}={v}")
        for op in p.iter("op"):
            if op.get("name") != "monitor" and p.get("type") == "IPaddr2":
                continue    # pcs adds the agent's default start/stop timeouts
            if op.get("name") in ("reload-agent", "reload", "migrate_to", "migrate_from"):
                continue    # pcs adds every action of the meta-data
            extra = nv(op, "instance_attributes")
            lines.append("  op %s interval=%s timeout=%s role=%s %s" % (
                op.get("name"), ms(op.get("interval")), ms(op.get("timeout")),
                ROLES.get(op.get("role"), op.get("role")),
                " ".join(f"{k}={v}" for k, v in sorted(extra.items()))))
    for c in conf.iter("clone"):
        child = c.find("primitive")
        meta = nv(c, "meta_attributes")
        meta = {k.replace("master-max", "promoted-max"): v for k, v in meta.items()}
        lines.append(f"clone {c.get('id')} {child.get('id')} " +
                     " ".join(f"{k}={v}" for k, v in sorted(meta.items())))
    for c in conf.iter("rsc_colocation"):
        lines.append("colocation %s %s:%s with %s:%s %s" % (
            c.get("id"), c.get("rsc"), ROLES.get(c.get("rsc-role"), c.get("rsc-role") or "Started"),
            c.get("with-rsc"), ROLES.get(c.get("with-rsc-role"), c.get("with-rsc-role") or "Started"),
            c.get("score").upper().replace("+", "")))
    for c in conf.iter("rsc_order"):
        lines.append("order %s %s:%s then %s:%s %s" % (
            c.get("id"), c.get("first"), c.get("first-action") or "start",
            c.get("then"), c.get("then-action") or "start", c.get("kind") or "Mandatory"))
    blocks = []
    for line in lines:
        if line.startswith("  "):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    for b in sorted(blocks):
        print("\n".join([b[0]] + sorted(b[1:])))


if __name__ == "__main__":
    main(sys.argv[1])
