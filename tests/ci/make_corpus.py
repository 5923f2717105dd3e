#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer targets (tests/fuzz/corpus/<target>/).

The seeds are committed; this script is how they were made, so they can be made again
(or extended) the same way:  tests/ci/make_corpus.py [corpus-dir]
Each seed is a small valid input of its target's format (with the target's selector
bytes in front where it has them), so the fuzzer starts inside the parsers instead of
at their first check. Recorded vCenter replies are NOT written here: tests/ci/fuzz.sh
turns ../shared/conformance into more SOAP seeds at run time (soap_seeds.py).
"""
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write(corpus, target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- pcap / pcapng -------------------------------------------------------------------

def frame(n):
    dst = bytes.fromhex("005056a02c7e")
    src = bytes.fromhex("005056a09901")
    payload = bytes([0x45, 0, 0, 28]) + bytes(16) + struct.pack(">HH", 8, n) + bytes(4)
    return dst + src + b"\x08\x00" + payload


def pcap(endian="<", nsec=False, frames=3, snaplen=65535, linktype=1):
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for i in range(frames):
        f = frame(i)
        sub = 500 * i if not nsec else 500000 * i
        out += struct.pack(endian + "IIII", 1764144000 + i, sub, len(f), len(f) + (4 if i == 1 else 0))
        out += f
    return out


def block(btype, body):
    body += bytes(-len(body) % 4)
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def option(code, value):
    return struct.pack("<HH", code, len(value)) + value + bytes(-len(value) % 4)


def pcapng():
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
                + option(4, b"vm-capture seed") + option(0, b""))
    idb0 = block(1, struct.pack("<HHI", 1, 0, 262144) + option(2, b"testvm1:in")
                 + option(9, b"\x06") + option(0, b""))
    idb1 = block(1, struct.pack("<HHI", 1, 0, 262144) + option(2, b"testvm1:out")
                 + option(9, b"\x09") + option(0, b""))
    out = shb + idb0 + idb1
    ts = 1764144000 * 1000000
    for i in range(4):
        f = frame(i)
        t = ts + i * 1000
        opts = option(2, struct.pack("<I", 1 if i % 2 == 0 else 2)) + (option(1, b"re-pin") if i == 2 else b"") + option(0, b"")
        out += block(6, struct.pack("<IIIII", i % 2, t >> 32, t & 0xFFFFFFFF, len(f), len(f)) + f + opts)
    f = frame(9)
    out += block(3, struct.pack("<I", len(f)) + f)  # simple packet block
    return out


# ---- the SOAP reply target: [scenario][framing][payload] -------------------------------

ENV = ('<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope '
       'xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" '
       'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
       'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
       'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<soapenv:Body>\n%s\n'
       '</soapenv:Body>\n</soapenv:Envelope>')

# Scenario numbers: the order of kScenarioTable in src/vsphere/fuzz_soap_reply.cc.
S_VERSIONS, S_SERVICE, S_LOGIN, S_VM, S_HOST, S_PORTS, S_CLUSTER, S_DATASTORE, S_TASK, \
    S_FIND_NAME, S_FIND_MAC, S_CONTINUE, S_VIEW, S_PATH, S_WAIT, S_EVENTS, S_FILTER, S_DRS = range(18)


def props(type_, id_, propsets):
    return ('<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="%s">%s</obj>%s'
            '</objects></returnval></RetrievePropertiesExResponse>' % (type_, id_, propsets))


def propset(name, val):
    return "<propSet><name>%s</name>%s</propSet>" % (name, val)


NIC = ('<VirtualDevice xsi:type="VirtualVmxnet3"><key>4000</key><deviceInfo><label>Network adapter 1</label>'
       '<summary>VM Network</summary></deviceInfo><backing xsi:type="VirtualEthernetCardNetworkBackingInfo">'
       '<deviceName>VM Network</deviceName><network type="Network">network-13</network></backing>'
       '<connectable><startConnected>true</startConnected><allowGuestControl>true</allowGuestControl>'
       '<connected>true</connected><status>ok</status></connectable><controllerKey>100</controllerKey>'
       '<unitNumber>7</unitNumber><addressType>assigned</addressType><macAddress>00:50:56:A0:2C:7E</macAddress>'
       '</VirtualDevice><VirtualDevice xsi:type="VirtualE1000e"><key>4001</key><deviceInfo><label>Network adapter 2'
       '</label><summary>dvs</summary></deviceInfo><backing xsi:type="VirtualEthernetCardDistributedVirtualPortBackingInfo">'
       '<port><switchUuid>50 2a 6c 8f</switchUuid><portgroupKey>dvportgroup-31</portgroupKey><portKey>12</portKey>'
       '</port></backing><macAddress>00:50:56:a0:99:01</macAddress></VirtualDevice>')

VM_PROPS = (propset("name", '<val xsi:type="xsd:string">web</val>')
            + propset("runtime.host", '<val type="HostSystem" xsi:type="ManagedObjectReference">host-21</val>')
            + propset("runtime.powerState", '<val xsi:type="VirtualMachinePowerState">poweredOn</val>')
            + propset("runtime.bootTime", '<val xsi:type="xsd:dateTime">2026-11-26T07:01:02.5Z</val>')
            + propset("parent", '<val type="Folder" xsi:type="ManagedObjectReference">group-v3</val>')
            + propset("config.hardware.device", '<val xsi:type="ArrayOfVirtualDevice">%s</val>' % NIC))

PORTGROUPS = ('<val xsi:type="ArrayOfHostPortGroup"><HostPortGroup><key>key-vim.host.PortGroup-VM Network</key>'
              '<port><key>key-vim.host.PortGroup.Port-33554442</key><mac>00:50:56:a0:2c:7e</mac>'
              '<type>virtualMachine</type></port><port><key>key-vim.host.PortGroup.Port-33554443</key>'
              '<mac>00:50:56:a0:99:01</mac><type>virtualMachine</type></port><vswitch>key-vim.host.VirtualSwitch-vSwitch0'
              '</vswitch><spec><name>VM Network</name><vlanId>0</vlanId><vswitchName>vSwitch0</vswitchName>'
              '<policy></policy></spec></HostPortGroup></val>')

NETWORK = ('<val xsi:type="HostNetworkInfo"><vswitch><name>vSwitch0</name><key>key-vim.host.VirtualSwitch-vSwitch0</key>'
           '<numPorts>128</numPorts><numPortsAvailable>120</numPortsAvailable><mtu>1500</mtu>'
           '<pnic>key-vim.host.PhysicalNic-vmnic0</pnic></vswitch><pnic><key>key-vim.host.PhysicalNic-vmnic0</key>'
           '<device>vmnic0</device><pci>0000:0b:00.0</pci><mac>00:0c:29:aa:bb:01</mac></pnic>'
           '<vnic><device>vmk0</device><key>key-vim.host.VirtualNic-vmk0</key><portgroup>Management Network</portgroup>'
           '<spec><ip><dhcp>false</dhcp><ipAddress>10.0.0.21</ipAddress><subnetMask>255.255.255.0</subnetMask></ip>'
           '<mac>00:0c:29:aa:bb:02</mac></spec></vnic></val>')

CLUSTER = ('<val xsi:type="ClusterConfigInfoEx"><dasConfig></dasConfig><drsConfig><enabled>true</enabled>'
           '<defaultVmBehavior>fullyAutomated</defaultVmBehavior><vmotionRate>3</vmotionRate></drsConfig>'
           '<drsVmConfig><key type="VirtualMachine">vm-42</key><enabled>true</enabled><behavior>manual</behavior>'
           '</drsVmConfig></val>')

DATASTORE = ('<val xsi:type="DatastoreSummary"><datastore type="Datastore">datastore-11</datastore><name>ds1</name>'
             '<url>ds:///vmfs/volumes/5f0c/</url><capacity>536870912000</capacity><freeSpace>322122547200</freeSpace>'
             '<accessible>true</accessible><multipleHostAccess>false</multipleHostAccess><type>VMFS</type></val>')

TASK = ('<val xsi:type="TaskInfo"><key>task-9</key><task type="Task">task-9</task><descriptionId>x</descriptionId>'
        '<state>error</state><cancelled>false</cancelled><cancelable>false</cancelable><error><fault '
        'xsi:type="NoPermission"><object type="ClusterComputeResource">domain-c8</object><privilegeId>'
        'Host.Inventory.EditCluster</privilegeId></fault><localizedMessage>Permission denied.</localizedMessage>'
        '</error><reason xsi:type="TaskReasonUser"><userName>u</userName></reason><queueTime>2026-11-26T08:00:00Z'
        '</queueTime><eventChainId>1</eventChainId></val>')

UPDATE = ('<WaitForUpdatesExResponse xmlns="urn:vim25"><returnval><version>7</version><filterSet><filter '
          'type="PropertyFilter">session[1]f</filter><objectSet><kind>modify</kind><obj type="VirtualMachine">vm-42'
          '</obj><changeSet><name>runtime.host</name><op>assign</op><val type="HostSystem" '
          'xsi:type="ManagedObjectReference">host-22</val></changeSet><changeSet><name>runtime.bootTime</name><op>'
          'assign</op><val xsi:type="xsd:dateTime">2026-11-26T08:00:01Z</val></changeSet></objectSet><objectSet>'
          '<kind>modify</kind><obj type="EventHistoryCollector">session[1]e</obj><changeSet><name>latestPage</name>'
          '<op>assign</op><val xsi:type="ArrayOfEvent"><Event xsi:type="VmResettingEvent"><key>101</key><chainId>101'
          '</chainId><createdTime>2026-11-26T08:00:00.5Z</createdTime><userName>u</userName><host><name>esx1</name>'
          '<host type="HostSystem">host-21</host></host><vm><name>web</name><vm type="VirtualMachine">vm-42</vm></vm>'
          '<fullFormattedMessage>web on esx1 is reset</fullFormattedMessage></Event><Event xsi:type="VmMigratedEvent">'
          '<key>102</key><chainId>102</chainId><createdTime>2026-11-26T08:00:02Z</createdTime><userName>u</userName>'
          '<host><name>esx2</name><host type="HostSystem">host-22</host></host><vm><name>web</name><vm '
          'type="VirtualMachine">vm-42</vm></vm><sourceHost><name>esx1</name><host type="HostSystem">host-21</host>'
          '</sourceHost></Event></val></changeSet></objectSet><objectSet><kind>leave</kind><obj type="VirtualMachine">'
          'vm-43</obj></objectSet></filterSet></returnval></WaitForUpdatesExResponse>')

FAULT = ('<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>The session is not authenticated.'
         '</faultstring><detail><NotAuthenticatedFault xmlns="urn:vim25" xsi:type="NotAuthenticated"><object '
         'type="PropertyCollector">propertyCollector</object><privilegeId>System.View</privilegeId>'
         '</NotAuthenticatedFault></detail></soapenv:Fault>')


def soap_seeds(corpus):
    t = "fuzz_soap_reply"
    env = lambda inner: (ENV % inner).encode()
    seeds = {
        "versions": (S_VERSIONS, 0, b'<?xml version="1.0" encoding="UTF-8"?>\n<namespaces version="1.0"><namespace>'
                     b'<name>urn:vim25</name><version>8.0.3.0</version><priorVersions><version>8.0.2.0</version>'
                     b'<version>uA046D008</version></priorVersions></namespace></namespaces>'),
        "service": (S_SERVICE, 0, env('<RetrieveServiceContentResponse xmlns="urn:vim25"><returnval><rootFolder '
                    'type="Folder">group-d1</rootFolder><propertyCollector type="PropertyCollector">propertyCollector'
                    '</propertyCollector><about><name>VMware vCenter Server</name><fullName>VMware vCenter Server 8.0.3'
                    '</fullName><vendor>VMware, Inc.</vendor><version>8.0.3</version><build>1</build><osType>linux-x64'
                    '</osType><productLineId>vpx</productLineId><apiType>VirtualCenter</apiType><apiVersion>8.0.3.0'
                    '</apiVersion></about><sessionManager type="SessionManager">SessionManager</sessionManager>'
                    '</returnval></RetrieveServiceContentResponse>')),
        "login-raw": (S_LOGIN, 2, b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nSet-Cookie: "
                      b"vmware_soap_session=\"52a1\"; Path=/; HttpOnly; Secure;\r\nContent-Length: 0\r\n\r\n"),
        "login-fault": (S_LOGIN, 1, env('<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Cannot '
                        'complete login due to an incorrect user name or password.</faultstring><detail>'
                        '<InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"></InvalidLoginFault></detail>'
                        '</soapenv:Fault>')),
        "vm": (S_VM, 0, env(props("VirtualMachine", "vm-42", VM_PROPS))),
        "vm-fault": (S_VM, 1, env(FAULT)),
        "host": (S_HOST, 0, env(props("HostSystem", "host-21", propset("name", '<val xsi:type="xsd:string">esx1</val>')
                 + propset("parent", '<val type="ClusterComputeResource" xsi:type="ManagedObjectReference">domain-c8</val>')
                 + propset("config.product", '<val xsi:type="AboutInfo"><name>VMware ESXi</name><fullName>VMware ESXi 8.0.3'
                           '</fullName><vendor>VMware, Inc.</vendor><version>8.0.3</version><build>1</build><osType>'
                           'vmnix-x86</osType><productLineId>embeddedEsx</productLineId><apiType>HostAgent</apiType>'
                           '<apiVersion>8.0.3.0</apiVersion></val>')
                 + propset("config.network", NETWORK)))),
        "ports": (S_PORTS, 0, env(props("HostSystem", "host-21", propset("config.network.portgroup", PORTGROUPS)))),
        "cluster": (S_CLUSTER, 0, env(props("ClusterComputeResource", "domain-c8",
                    propset("name", '<val xsi:type="xsd:string">c1</val>') + propset("configurationEx", CLUSTER)
                    + propset("host", '<val xsi:type="ArrayOfManagedObjectReference"><ManagedObjectReference '
                              'type="HostSystem" xsi:type="ManagedObjectReference">host-21</ManagedObjectReference>'
                              '</val>')))),
        "datastore": (S_DATASTORE, 0, env(props("Datastore", "datastore-11", propset("summary", DATASTORE)))),
        "task": (S_TASK, 0, env(props("Task", "task-9", propset("info", TASK)))),
        "find-name": (S_FIND_NAME, 0, env(props("VirtualMachine", "vm-42", VM_PROPS))),
        "find-mac": (S_FIND_MAC, 0, env(props("VirtualMachine", "vm-42", VM_PROPS))),
        "continue": (S_CONTINUE, 0, env('<ContinueRetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects>'
                     '<obj type="VirtualMachine">vm-43</obj>%s</objects></returnval>'
                     '</ContinueRetrievePropertiesExResponse>' % propset("name", '<val xsi:type="xsd:string">web</val>'))),
        "view": (S_VIEW, 0, env('<CreateContainerViewResponse xmlns="urn:vim25"><returnval type="ContainerView">'
                 'session[1]v</returnval></CreateContainerViewResponse>')),
        "path": (S_PATH, 0, env('<FindByInventoryPathResponse xmlns="urn:vim25"><returnval type="VirtualMachine">'
                 'vm-42</returnval></FindByInventoryPathResponse>')),
        "wait": (S_WAIT, 0, env(UPDATE)),
        "events": (S_EVENTS, 0, env('<CreateCollectorForEventsResponse xmlns="urn:vim25"><returnval '
                   'type="EventHistoryCollector">session[1]e</returnval></CreateCollectorForEventsResponse>')),
        "filter": (S_FILTER, 0, env('<CreateFilterResponse xmlns="urn:vim25"><returnval type="PropertyFilter">'
                   'session[1]f</returnval></CreateFilterResponse>')),
        "drs": (S_DRS, 0, env('<ReconfigureComputeResource_TaskResponse xmlns="urn:vim25"><returnval type="Task">'
                'task-9</returnval></ReconfigureComputeResource_TaskResponse>')),
        "drs-fault": (S_DRS, 1, env(FAULT)),
    }
    for name, (scenario, framing, payload) in seeds.items():
        write(corpus, t, name, bytes([scenario, framing]) + payload)


# ---- host text parsers -----------------------------------------------------------------

VM_LIST_TABLE = ("World ID  Name                 Num Ports  Networks\n"
                 "--------  -------------------  ---------  ----------------------------\n"
                 "  2101364 testvm1                      1  VM Network\n"
                 "  2101987 web server (prod) 2          2  VM Network, dvportgroup-1010\n")
VM_LIST_CSV = "Name,Networks,NumPorts,WorldID,\ntestvm1,VM Network,1,2101364,\n\"a, b\",\"VM Network, x\",2,2101987,\n"
VM_LIST_KV = ("VM.Name.string=testvm1\nVM.Networks.string[]=VM Network\nVM.NumPorts.integer=1\n"
              "VM.WorldID.integer=2101364\n")
VM_LIST_XML = ('<?xml version="1.0" ?><output xmlns="http://www.vmware.com/Products/ESX/5.0/esxcli"><root><list '
               'type="structure"><structure typeName="VM"><field name="Name"><string>testvm1</string></field>'
               '<field name="Networks"><list type="string"><string>VM Network</string></list></field><field '
               'name="NumPorts"><integer>1</integer></field><field name="WorldID"><integer>2101364</integer>'
               '</field></structure></list></root></output>\n')
PORT_LIST_BLOCKS = ("Port ID: 33554442\n   vSwitch: vSwitch0\n   Portgroup: VM Network\n   DVPort ID: \n"
                    "   MAC Address: 00:50:56:a1:b2:c3\n   IP Address: 0.0.0.0\n   Team Uplink: vmnic0\n"
                    "   Uplink Port ID: 33554433\n   Active Filters: \n\n")
PORT_LIST_CSV = ("ActiveFilters,DVPortID,IPAddress,MACAddress,PortID,Portgroup,TeamUplink,UplinkPortID,vSwitch,\n"
                 ",,0.0.0.0,00:50:56:a1:b2:c3,33554442,VM Network,vmnic0,33554433,vSwitch0,\n")

NETSTATS = ("PortNum          Type SubType SwitchName       MACAddress         ClientName\r\n"
            "33554433            4       0 vSwitch0         00:0c:29:aa:bb:01  vmnic0\r\n"
            "33554442            5       9 vSwitch0         00:50:56:a1:b2:c3  testvm1.eth0\r\n"
            "50331651            2       0 DvsPortset-0     lag1\r\n")
VDF = ("Filesystem   Size   Used Avail Use% Mounted on\n"
       "VMFS-6     499.8G 200.5G 299.2G  40% /vmfs/volumes/datastore1\n"
       "vfat-with-a-very-long-name\n"
       "             4.0G 201.6M   3.8G   5% /vmfs/volumes/BOOTBANK1\n"
       "-----\n"
       "Ramdisk                   Size      Used Available Use% Mounted on\n"
       "tmp                       256M      255M        1M  99% --\n")
PS = ("WID      CID      World Name                     Command\n"
      "1        0        system                         \n"
      "2099101  2099100  pktcap-uw                      pktcap-uw --switchport 33554442 --dir 2 -o -\n")
VMWARE_VL = "VMware ESXi 8.0.3 build-24022510\nVMware ESXi 8.0 Update 3\n"
PKTCAP_STDERR = ("The switch port id is 0x0400002e.\npktcap: The output file is -.\n"
                 "pktcap: No server port specifed, select 7799 as the port.\npktcap: Local CID 2.\n"
                 "pktcap: Listen on port 7799.\npktcap: Accept...\npktcap: Vsock connection from port 1096 cid 2.\n"
                 "Destroying session 5.\nDone.\r\n")


def host_seeds(corpus):
    # fuzz_esxcli: first byte picks EsxcliFormat {Auto, Table, Blocks, Csv, KeyValue, Xml}.
    for name, fmt, text in [("vm-table", 1, VM_LIST_TABLE), ("vm-csv", 3, VM_LIST_CSV), ("vm-kv", 4, VM_LIST_KV),
                            ("vm-xml", 5, VM_LIST_XML), ("vm-auto", 0, VM_LIST_TABLE),
                            ("ports-blocks", 2, PORT_LIST_BLOCKS), ("ports-csv", 3, PORT_LIST_CSV)]:
        write(corpus, "fuzz_esxcli", name, bytes([fmt]) + text.encode())
    for name, text in [("netstats", NETSTATS), ("vdf", VDF), ("ps", PS), ("vmware-vl", VMWARE_VL),
                       ("port-key", "key-vim.host.PortGroup.Port-33554436")]:
        write(corpus, "fuzz_host_text", name, text)
    write(corpus, "fuzz_pktcap_stderr", "stderr", PKTCAP_STDERR)
    write(corpus, "fuzz_pktcap_stderr", "pid-framed", "2099101\n" + "\xd4\xc3\xb2\xa1\x02\x00")
    write(corpus, "fuzz_pktcap_stderr", "errors", "error: No such capture point: VnicRxx\n"
          "pktcap-uw: unrecognized option '--dirr'\nerror: Error writing 16 bytes of pkt header to file\n")


# ---- plans, journal ---------------------------------------------------------------------

def plan_seeds(corpus):
    # The shipped examples and policies and src/plan/testdata are more plan seeds; fuzz.sh
    # passes those folders to the fuzzer as they are, so they are not copied here.
    write(corpus, "fuzz_plan_loader", "minimal.yaml",
          "targets:\n  vms: [testvm1]\nfilter:\n  proto: udp\n  port: 67\nstop:\n  after: 10m\n")


JOURNAL = "\n".join([
    '{"at":"2026-11-26T07:25:00.123Z","name":"web","pid":12345,"session":"20261126T072500Z-12345",'
    '"type":"session.start"}',
    '{"address":"10.0.0.21","at":"2026-11-26T07:25:01.000Z","host":"HostSystem:host-21","host_name":"esx1",'
    '"pin":"vm-42/4000","pin_name":"web:eth0","remote_pid":2099101,"type":"process.started"}',
    '{"applied":{"behavior":"manual","enabled":true},"at":"2026-11-26T07:25:01.500Z",'
    '"cluster":"ClusterComputeResource:domain-c8","previous":null,"type":"override.set",'
    '"vm":"VirtualMachine:vm-42"}',
    '{"applied":null,"at":"2026-11-26T07:30:00.000Z","cluster":"ClusterComputeResource:domain-c8",'
    '"previous":{"behavior":"fullyAutomated"},"type":"override.restored","vm":"VirtualMachine:vm-42"}',
    '{"address":"10.0.0.21","at":"2026-11-26T07:30:00.100Z","detail":"stopped","host":"HostSystem:host-21",'
    '"host_name":"esx1","pin":"vm-42/4000","pin_name":"web:eth0","remote_pid":2099101,"type":"process.stopped"}',
    '{"at":"2026-11-26T07:30:01.000Z","detail":"duration","type":"session.end"}',
    '{"at":"2026-11-26T08:00:00.000Z","type":"cleanup.done"}',
]) + "\n"


# ---- boot frames (fuzz_boot_frame: the first byte's low bit marks a frame cut by the
# snaplen; the rest is one Ethernet frame) -------------------------------------------

VM_MAC = bytes.fromhex("00505680 0001".replace(" ", ""))
GW_MAC = bytes.fromhex("02005e000001")
BCAST = b"\xff" * 6


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def eth(dst, src, etype, payload, vlan=None):
    tag = struct.pack(">HH", 0x8100, vlan) if vlan is not None else b""
    f = dst + src + tag + struct.pack(">H", etype) + payload
    return f + bytes(max(0, 60 - len(f)))


def ipv4(src, dst, proto, payload, options=b""):
    hl = 20 + len(options)
    return struct.pack(">BBHHHBBH4s4s", 0x40 | hl // 4, 0, hl + len(payload), 1, 0, 64, proto, 0,
                       ip4(src), ip4(dst)) + options + payload


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def dhcp(op, mtype, opts, yiaddr="0.0.0.0", siaddr="0.0.0.0", file=b""):
    b = struct.pack(">BBBBIHH4s4s4s4s", op, 1, 6, 0, 0xdeadbeef, 0, 0, bytes(4), ip4(yiaddr), ip4(siaddr), bytes(4))
    b += VM_MAC + bytes(10) + bytes(64) + file + bytes(128 - len(file))
    b += bytes([99, 130, 83, 99, 53, 1, mtype])
    for code, val in opts:
        b += bytes([code, len(val)]) + val
    b += b"\xff"
    return b + bytes(max(0, 300 - len(b)))


def client(msg, vlan=None, options=b""):
    return eth(BCAST, VM_MAC, 0x0800, ipv4("0.0.0.0", "255.255.255.255", 17, udp(68, 67, msg), options), vlan)


def server(msg, broadcast=False):
    dst, to = (BCAST, "255.255.255.255") if broadcast else (VM_MAC, "10.128.0.1")
    return eth(dst, GW_MAC, 0x0800, ipv4("10.255.255.254", to, 17, udp(67, 68, msg)))


def arp(op, sha, spa, tha, tpa, dst):
    return eth(dst, sha, 0x0806, struct.pack(">HHBBH", 1, 0x0800, 6, 4, op) + sha + ip4(spa) + tha + ip4(tpa))


def ipv6(src, dst, nh, payload):
    return struct.pack(">IHBB", 0x60000000, len(payload), nh, 255) + src + dst + payload


LL = bytes.fromhex("fe800000000000000250 56fffe800001".replace(" ", ""))


def boot_frame_seeds(corpus):
    t = "fuzz_boot_frame"
    cid = (61, b"\x01" + VM_MAC)
    write(corpus, t, "dhcp-discover", b"\0" + client(dhcp(1, 1, [cid, (12, b"testvm1"), (55, bytes([1, 3, 6, 15]))])))
    write(corpus, t, "dhcp-offer-pxe", b"\0" + server(dhcp(2, 2, [(54, ip4("10.255.255.254")), (51, struct.pack(">I", 86400)),
                                                               (60, b"PXEClient"), (66, b"10.255.255.254"),
                                                               (67, b"pxelinux.0")], "10.128.0.1", "10.255.255.254",
                                                              b"pxelinux.0")))
    write(corpus, t, "dhcp-nak", b"\0" + server(dhcp(2, 6, [(54, ip4("10.255.255.254")), (56, b"wrong network")]), True))
    write(corpus, t, "dhcp-decline", b"\0" + client(dhcp(1, 4, [cid, (50, ip4("10.254.0.1")), (54, ip4("10.255.255.254"))])))
    write(corpus, t, "dhcp-vlan-ipopts", b"\0" + client(dhcp(1, 3, [cid, (50, ip4("10.128.0.1"))]), 42, b"\x01\x01\x01\x00"))
    write(corpus, t, "dhcp-cut", b"\1" + client(dhcp(1, 1, [cid]))[:200])
    write(corpus, t, "arp-probe", b"\0" + arp(1, VM_MAC, "0.0.0.0", bytes(6), "10.254.0.1", BCAST))
    write(corpus, t, "arp-reply", b"\0" + arp(2, bytes.fromhex("02005e000099"), "10.254.0.1", VM_MAC, "0.0.0.0", VM_MAC))
    write(corpus, t, "tftp-rrq", b"\0" + eth(GW_MAC, VM_MAC, 0x0800, ipv4("10.128.0.1", "10.255.255.254", 17,
                                                                      udp(2070, 69, b"\0\1pxelinux.0\0octet\0"))))
    write(corpus, t, "tftp-error", b"\0" + eth(VM_MAC, GW_MAC, 0x0800, ipv4("10.255.255.254", "10.128.0.1", 17,
                                                                        udp(49152, 2070, b"\0\5\0\1File not found\0"))))
    write(corpus, t, "icmpv6-rs", b"\0" + eth(bytes.fromhex("333300000002"), VM_MAC, 0x86dd,
                                             ipv6(LL, bytes.fromhex("ff020000000000000000000000000002"), 58,
                                                  bytes([133, 0, 0, 0, 0, 0, 0, 0, 1, 1]) + VM_MAC)))
    solicit = bytes([1, 0xab, 0xcd, 0xef]) + bytes([0, 1, 0, 10, 0, 3, 0, 1]) + VM_MAC + bytes([0, 8, 0, 2, 0, 0])
    write(corpus, t, "dhcpv6-solicit", b"\0" + eth(bytes.fromhex("333300010002"), VM_MAC, 0x86dd,
                                                  ipv6(LL, bytes.fromhex("ff020000000000000000000000010002"), 17,
                                                       udp(546, 547, solicit))))


# ---- mirrored packets (fuzz_erspan): [link selector][link header][IPv4][GRE][ERSPAN][frame] ----

def ip_checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4_gre(payload, src=bytes([127, 0, 1, 1]), dst=bytes([127, 0, 0, 1])):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, 64, 47, 0, src, dst)
    h = h[:10] + struct.pack(">H", ip_checksum(h)) + h[12:]
    return h + payload


def erspan_seeds(corpus):
    f = frame(5)
    seeds = {
        "gre-seq": struct.pack(">HHI", 0x1000, 0x6558, 1) + f,
        "gre-key-seq": struct.pack(">HHII", 0x3000, 0x6558, 40, 2) + f,
        "gre-plain": struct.pack(">HH", 0, 0x6558) + f,
        "erspan1": struct.pack(">HH", 0, 0x88BE) + f,
        # type II: Ver 1, COS 3, T, session 40, index 5
        "erspan2": struct.pack(">HHIHHI", 0x1000, 0x88BE, 3, 0x1000, 3 << 13 | 1 << 10 | 40, 5) + f,
        # type III: Ver 2, session 12, timestamp, SGT 0, P 1, D 1, Gra 01
        "erspan3": struct.pack(">HHIHHIHH", 0x1000, 0x22EB, 4, 0x2000, 12, 0xDEADBEEF, 0, 0x800A) + f,
        # type III with the O bit and a platform subheader (Platf ID 3)
        "erspan3-subheader": struct.pack(">HHIHHIHHQ", 0x1000, 0x22EB, 5, 0x2000, 12, 1, 0, 0x8005,
                                         3 << 58 | 5) + f,
    }
    macs = bytes.fromhex("005056010203005056040506")
    for name, gre in seeds.items():
        pkt = ipv4_gre(gre)
        write(corpus, "fuzz_erspan", name + "-ipv4", bytes([0]) + pkt)
        write(corpus, "fuzz_erspan", name + "-ethernet", bytes([1]) + macs + b"\x08\x00" + pkt)
    sll = struct.pack(">HHH8sH", 0, 1, 6, bytes.fromhex("0050560102030000"), 0x0800)
    write(corpus, "fuzz_erspan", "erspan3-linux-cooked", bytes([2]) + sll + ipv4_gre(seeds["erspan3"]))
    sll2 = struct.pack(">HHIHBB8s", 0x0800, 0, 1, 1, 0, 6, bytes.fromhex("0050560102030000"))
    write(corpus, "fuzz_erspan", "erspan2-linux-cooked-v2", bytes([3]) + sll2 + ipv4_gre(seeds["erspan2"]))


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "fuzz", "corpus")
    write(corpus, "fuzz_pcap_file_reader", "pcap-le-usec", pcap("<"))
    write(corpus, "fuzz_pcap_file_reader", "pcap-be-nsec", pcap(">", nsec=True))
    write(corpus, "fuzz_pcap_file_reader", "pcapng", pcapng())
    # fuzz_pcap_stream_reader: the first byte picks the chunk size (1 + b % 64).
    write(corpus, "fuzz_pcap_stream_reader", "pcap-chunk-7", bytes([6]) + pcap("<"))
    write(corpus, "fuzz_pcap_stream_reader", "pcap-nsec-chunk-64", bytes([63]) + pcap("<", nsec=True))
    write(corpus, "fuzz_pcap_stream_reader", "pcap-be-chunk-1", bytes([0]) + pcap(">", frames=2))
    soap_seeds(corpus)
    host_seeds(corpus)
    plan_seeds(corpus)
    write(corpus, "fuzz_journal", "session", JOURNAL)
    write(corpus, "fuzz_journal", "torn", JOURNAL[:-40])
    boot_frame_seeds(corpus)
    erspan_seeds(corpus)


if __name__ == "__main__":
    main()
