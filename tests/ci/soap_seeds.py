#!/usr/bin/env python3
"""Turns the recorded vCenter 8.0.3 replies (../shared/conformance/vcenter-recordings,
read at run time, never copied into the project) into seeds for fuzz_soap_reply:
[scenario][framing][body] files in OUTDIR.

  tests/ci/soap_seeds.py OUTDIR [RECORDINGS_DIR]

pyvmomi reads properties with Fetch; its returnval carries the XML a
RetrievePropertiesEx <val> carries, so each FetchResponse is re-wrapped as the
RetrievePropertiesExResponse the product reads (as src/vsphere/test_cassette.h does).
Prints how many seeds it wrote; writes none (and says so) when the recordings are absent.
"""
import hashlib
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_SEED = 64 * 1024

# Scenario numbers: the order of kScenarioTable in src/vsphere/fuzz_soap_reply.cc.
S_VERSIONS, S_SERVICE, S_LOGIN, S_VM, S_HOST, S_PORTS, S_CLUSTER, S_DATASTORE, S_TASK, \
    S_FIND_NAME, S_FIND_MAC, S_CONTINUE, S_VIEW, S_PATH, S_WAIT, S_EVENTS, S_FILTER, S_DRS = range(18)

BY_TYPE = {
    "VirtualMachine": [S_VM, S_FIND_NAME, S_FIND_MAC],
    "HostSystem": [S_HOST, S_PORTS],
    "ClusterComputeResource": [S_CLUSTER],
    "Datastore": [S_DATASTORE],
    "Task": [S_TASK],
}


class Loader(yaml.SafeLoader):
    pass


# vcrpy under Python 2 tagged some strings !!python/unicode.
Loader.add_constructor("tag:yaml.org,2002:python/unicode", lambda loader, node: loader.construct_scalar(node))


def as_retrieve(body, this_type, this_id, prop):
    m_open = body.find("<returnval")
    m_close = body.rfind("</returnval>")
    f_open = body.find("<FetchResponse")
    f_close = body.find("</FetchResponse>")
    if min(m_open, m_close, f_open, f_close) < 0:
        return None
    val = "<val" + body[m_open + 10:m_close] + "</val>"
    inner = ('<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="%s">%s</obj>'
             '<propSet><name>%s</name>%s</propSet></objects></returnval></RetrievePropertiesExResponse>'
             % (this_type, this_id, prop, val))
    return body[:f_open] + inner + body[f_close + 16:]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    rec = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "..", "shared", "conformance",
                                                             "vcenter-recordings")
    if not os.path.isdir(rec):
        print("soap seeds: no recordings at %s; only the committed seeds are used" % rec)
        return
    os.makedirs(out, exist_ok=True)
    seeds = set()

    def emit(scenario, framing, payload):
        data = bytes([scenario, framing]) + payload.encode()
        if len(data) > MAX_SEED:
            return
        name = hashlib.sha1(data).hexdigest()
        if name not in seeds:
            seeds.add(name)
            with open(os.path.join(out, "rec-" + name), "wb") as f:
                f.write(data)

    for file in sorted(os.listdir(rec)):
        if not file.endswith(".yaml"):
            continue
        with open(os.path.join(rec, file)) as f:
            cassette = yaml.load(f, Loader=Loader)
        for it in cassette.get("interactions", []):
            rq, rs = it["request"], it["response"]
            req = rq.get("body") or ""
            body = (rs.get("body") or {}).get("string") or ""
            if isinstance(body, bytes):
                body = body.decode("utf-8", "replace")
            status = rs["status"]["code"]
            framing = 0 if status == 200 else 1
            m = re.search(r"Body>\s*<(\w+)", req)
            op = m.group(1) if m else "GET"
            if op == "GET":
                emit(S_VERSIONS, framing, body)
            elif op == "RetrieveServiceContent":
                emit(S_SERVICE, framing, body)
            elif op == "Login":
                emit(S_LOGIN, framing, body)
                # The whole response, with the recorded headers (Set-Cookie...).
                head = "HTTP/1.1 %d %s\r\n" % (status, rs["status"].get("message", ""))
                for name, values in (rs.get("headers") or {}).items():
                    if name.lower() in ("content-length", "transfer-encoding"):
                        continue
                    for v in values:
                        head += "%s: %s\r\n" % (name, v)
                emit(S_LOGIN, 2, head + "Content-Length: %d\r\n\r\n" % len(body.encode()) + body)
            elif op == "CreateContainerView":
                emit(S_VIEW, framing, body)
            elif op == "Fetch":
                t = re.search(r'<_this[^>]*type="([^"]+)"[^>]*>([^<]*)</_this>', req)
                p = re.search(r"<prop[^>]*>([^<]*)</prop>", req)
                if not t or not p:
                    continue
                wrapped = as_retrieve(body, t.group(1), t.group(2), p.group(1).strip())
                if wrapped is None:
                    continue
                for scenario in BY_TYPE.get(t.group(1), [S_VM]):
                    emit(scenario, framing, wrapped)
    print("soap seeds: %d from %s" % (len(seeds), os.path.normpath(rec)))


if __name__ == "__main__":
    main()
