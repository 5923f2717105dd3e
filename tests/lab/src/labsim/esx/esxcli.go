package esx

// esxcli: the namespaces vm-capture uses, with the default (table / struct) output and
// the --formatter=csv|xml|keyvalue variants:
//   network vm list                      World ID, Name, Num Ports, Networks
//   network vm port list -w WORLDID      one block per vNIC
//   network nic list                     the uplinks
//   system version get

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

type field struct {
	key   string // machine name: "WorldID"
	label string // display name: "World ID"
	typ   string // "integer", "string", "string[]"
	s     string
	n     int64
	list  []string
}

func (f field) text() string {
	switch f.typ {
	case "integer":
		return strconv.FormatInt(f.n, 10)
	case "string[]":
		return strings.Join(f.list, ", ")
	}
	return f.s
}

func intF(key, label string, n int64) field {
	return field{key: key, label: label, typ: "integer", n: n}
}
func strF(key, label, s string) field { return field{key: key, label: label, typ: "string", s: s} }
func listF(key, label string, l []string) field {
	return field{key: key, label: label, typ: "string[]", list: l}
}

type record []field

type esxcliResult struct {
	typeName string
	shape    string // "table", "structs" (one block per record), "struct" (single record)
	recs     []record
	labels   []record // for an empty table: the column layout
}

func cmdEsxcli(c *cmdCtx) int {
	formatter := ""
	args := c.args[1:]
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--formatter="):
			formatter = strings.TrimPrefix(a, "--formatter=")
		case a == "--formatter" && i+1 < len(args):
			formatter = args[i+1]
			i++
		case a == "--debug" || a == "--version" && len(rest) == 0:
		default:
			rest = append(rest, a)
		}
	}
	switch formatter {
	case "", "csv", "xml", "keyvalue", "simple", "table", "tree":
	default:
		fmt.Fprintf(c.stderr, "Error: Invalid formatter: %s. Valid formatters are: csv, keyvalue, xml\n", formatter)
		return 1
	}
	ns := []string{}
	var opts []string
	for i, a := range rest {
		if strings.HasPrefix(a, "-") {
			opts = rest[i:]
			break
		}
		ns = append(ns, a)
	}
	path := strings.Join(ns, " ")
	var res *esxcliResult
	var err error
	switch path {
	case "network vm list":
		res, err = c.h.esxcliVMList(opts)
	case "network vm port list":
		res, err = c.h.esxcliPortList(opts)
	case "network nic list":
		res, err = c.h.esxcliNicList(opts)
	case "system version get":
		res, err = c.h.esxcliVersion(opts)
	default:
		if path == "" {
			fmt.Fprintln(c.stdout, "Usage: esxcli [options] {namespace}+ {cmd} [cmd options]\n\nAvailable Namespaces:\n  network               Operations that pertain to the maintenance of networking on the target host.\n  system                VMkernel system properties and commands for configuring properties of the kernel core system.")
			return 0
		}
		fmt.Fprintf(c.stderr, "Error: Unknown command or namespace %s\n", path)
		return 1
	}
	if err != nil {
		fmt.Fprintln(c.stderr, err.Error())
		return 1
	}
	switch formatter {
	case "csv":
		writeCSV(c.stdout, res)
	case "xml":
		writeXML(c.stdout, res)
	case "keyvalue":
		writeKeyValue(c.stdout, res)
	default:
		writeDefault(c.stdout, res)
	}
	return 0
}

func checkNoOpts(opts []string) error {
	if len(opts) > 0 {
		return fmt.Errorf("Error: Invalid option %s", opts[0])
	}
	return nil
}

func (h *Host) esxcliVMList(opts []string) (*esxcliResult, error) {
	if err := checkNoOpts(opts); err != nil {
		return nil, err
	}
	ports := h.w.HostPorts(h.name)
	res := &esxcliResult{typeName: "VM", shape: "table"}
	for _, v := range h.w.VMsSnapshot() {
		if v.Host != h.name || !v.PoweredOn || v.WorldID == 0 {
			continue
		}
		var nets []string
		n := int64(0)
		for _, p := range ports {
			if p.WorldID != v.WorldID {
				continue
			}
			n++
			dup := false
			for _, x := range nets {
				dup = dup || x == p.Portgroup
			}
			if !dup {
				nets = append(nets, p.Portgroup)
			}
		}
		res.recs = append(res.recs, record{intF("WorldID", "World ID", v.WorldID), strF("Name", "Name", v.Name),
			intF("NumPorts", "Num Ports", n), listF("Networks", "Networks", nets)})
	}
	sort.SliceStable(res.recs, func(i, j int) bool { return res.recs[i][0].n < res.recs[j][0].n })
	res.labels = []record{{intF("WorldID", "World ID", 0), strF("Name", "Name", ""), intF("NumPorts", "Num Ports", 0), listF("Networks", "Networks", nil)}}
	return res, nil
}

func (h *Host) esxcliPortList(opts []string) (*esxcliResult, error) {
	wid := ""
	for i := 0; i < len(opts); i++ {
		a := opts[i]
		switch {
		case (a == "-w" || a == "--world-id" || a == "--worldid") && i+1 < len(opts):
			wid = opts[i+1]
			i++
		case strings.HasPrefix(a, "--world-id="):
			wid = strings.TrimPrefix(a, "--world-id=")
		case strings.HasPrefix(a, "-w") && len(a) > 2:
			wid = a[2:]
		default:
			return nil, fmt.Errorf("Error: Invalid option %s", a)
		}
	}
	if wid == "" {
		return nil, fmt.Errorf("Error: Missing required parameter -w|--world-id")
	}
	id, err := strconv.ParseInt(wid, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("Error: Invalid value for parameter -w|--world-id: %s is not an integer", wid)
	}
	res := &esxcliResult{typeName: "Port", shape: "structs"}
	for _, p := range h.w.HostPorts(h.name) {
		if p.WorldID != id || p.VM == "" {
			continue
		}
		vsw, dvport := h.vswitchName(), ""
		if p.DVS {
			// The NIC's distributed port key, as vCenter shows it in the NIC's backing.
			vsw, dvport = h.dvsName(), p.DVPort
		}
		team := h.w.UplinkFor(h.name, p.MAC)
		teamID := h.uplinkPortID(team)
		if team == "" {
			team = "void"
		}
		res.recs = append(res.recs, record{
			intF("PortID", "Port ID", p.ID), strF("vSwitch", "vSwitch", vsw), strF("Portgroup", "Portgroup", p.Portgroup),
			strF("DVPortID", "DVPort ID", dvport), strF("MACAddress", "MAC Address", p.MAC),
			strF("IPAddress", "IP Address", "0.0.0.0"), strF("TeamUplink", "Team Uplink", team),
			intF("UplinkPortID", "Uplink Port ID", teamID), strF("ActiveFilters", "Active Filters", "")})
	}
	if len(res.recs) == 0 {
		return nil, fmt.Errorf("Error: Invalid World ID %d: no running VM has this world ID", id)
	}
	return res, nil
}

func (h *Host) esxcliNicList(opts []string) (*esxcliResult, error) {
	if err := checkNoOpts(opts); err != nil {
		return nil, err
	}
	res := &esxcliResult{typeName: "PhysicalNic", shape: "table"}
	for i, u := range h.hs.Uplinks {
		res.recs = append(res.recs, record{strF("Name", "Name", u), strF("PCIDevice", "PCI Device", fmt.Sprintf("0000:0b:00.%d", i)),
			strF("Driver", "Driver", "ixgben"), strF("AdminStatus", "Admin Status", "Up"), strF("LinkStatus", "Link Status", "Up"),
			intF("Speed", "Speed", 10000), strF("Duplex", "Duplex", "Full"), strF("MACAddress", "MAC Address", h.uplinkMAC(i)),
			intF("MTU", "MTU", 1500), strF("Description", "Description", "Intel(R) Ethernet Controller X540-AT2")})
	}
	return res, nil
}

func (h *Host) esxcliVersion(opts []string) (*esxcliResult, error) {
	if err := checkNoOpts(opts); err != nil {
		return nil, err
	}
	v := h.version()
	return &esxcliResult{typeName: "VersionGet", shape: "struct", recs: []record{{
		strF("Product", "Product", "VMware ESXi"), strF("Version", "Version", v.full),
		strF("Build", "Build", "Releasebuild-"+v.build), strF("Update", "Update", strconv.Itoa(v.update)),
		strF("Patch", "Patch", "0")}}}, nil
}

// writeDefault: tables get a header, a dashed rule and two spaces between columns
// (integers right-aligned); struct lists get "   Label: value" blocks, each followed by
// an empty line.
func writeDefault(w io.Writer, r *esxcliResult) {
	switch r.shape {
	case "structs", "struct":
		for _, rec := range r.recs {
			for _, f := range rec {
				fmt.Fprintf(w, "   %s: %s\n", f.label, f.text())
			}
			if r.shape == "structs" {
				fmt.Fprintln(w)
			}
		}
		return
	}
	cols := r.labels
	if len(r.recs) > 0 {
		cols = r.recs[:1]
	}
	if len(cols) == 0 {
		return
	}
	width := make([]int, len(cols[0]))
	for i, f := range cols[0] {
		width[i] = utf8.RuneCountInString(f.label)
	}
	for _, rec := range r.recs {
		for i, f := range rec {
			if l := utf8.RuneCountInString(f.text()); l > width[i] {
				width[i] = l
			}
		}
	}
	line := func(cells []string, right []bool) {
		var b strings.Builder
		for i, s := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(s)) // columns count characters
			if right[i] {
				b.WriteString(pad + s)
			} else if i == len(cells)-1 {
				b.WriteString(s)
			} else {
				b.WriteString(s + pad)
			}
		}
		fmt.Fprintln(w, b.String())
	}
	n := len(width)
	hdr, rule, left := make([]string, n), make([]string, n), make([]bool, n)
	for i, f := range cols[0] {
		hdr[i], rule[i] = f.label, strings.Repeat("-", width[i])
	}
	line(hdr, left)
	line(rule, left)
	for _, rec := range r.recs {
		cells, right := make([]string, n), make([]bool, n)
		for i, f := range rec {
			cells[i], right[i] = f.text(), f.typ == "integer"
		}
		line(cells, right)
	}
}

func sortedFields(rec record) record {
	out := append(record{}, rec...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

func csvCell(s string) string {
	if strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// writeCSV: a header of field keys in sorted order, every line ending with a comma.
func writeCSV(w io.Writer, r *esxcliResult) {
	cols := r.labels
	if len(r.recs) > 0 {
		cols = r.recs[:1]
	}
	if len(cols) == 0 {
		return
	}
	var b strings.Builder
	for _, f := range sortedFields(cols[0]) {
		b.WriteString(f.key + ",")
	}
	fmt.Fprintln(w, b.String())
	for _, rec := range r.recs {
		b.Reset()
		for _, f := range sortedFields(rec) {
			v := f.text()
			if f.typ == "string[]" {
				v = strings.Join(f.list, ",")
			}
			b.WriteString(csvCell(v) + ",")
		}
		fmt.Fprintln(w, b.String())
	}
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")
	return r.Replace(s)
}

func writeXML(w io.Writer, r *esxcliResult) {
	fmt.Fprintln(w, `<?xml version="1.0" encoding="utf-8"?>`)
	fmt.Fprintln(w, `<output xmlns="http://www.vmware.com/Products/ESX/5.0/esxcli">`)
	fmt.Fprintln(w, `<root>`)
	ind := "   "
	if r.shape != "struct" {
		fmt.Fprintln(w, `   <list type="structure">`)
		ind = "      "
	}
	for _, rec := range r.recs {
		fmt.Fprintf(w, "%s<structure typeName=\"%s\">\n", ind, r.typeName)
		for _, f := range sortedFields(rec) {
			fmt.Fprintf(w, "%s   <field name=\"%s\">\n", ind, f.key)
			switch f.typ {
			case "integer":
				fmt.Fprintf(w, "%s      <integer>%d</integer>\n", ind, f.n)
			case "string[]":
				fmt.Fprintf(w, "%s      <list type=\"string\">\n", ind)
				for _, s := range f.list {
					fmt.Fprintf(w, "%s         <string>%s</string>\n", ind, xmlEscape(s))
				}
				fmt.Fprintf(w, "%s      </list>\n", ind)
			default:
				fmt.Fprintf(w, "%s      <string>%s</string>\n", ind, xmlEscape(f.s))
			}
			fmt.Fprintf(w, "%s   </field>\n", ind)
		}
		fmt.Fprintf(w, "%s</structure>\n", ind)
	}
	if r.shape != "struct" {
		fmt.Fprintln(w, `   </list>`)
	}
	fmt.Fprintln(w, `</root>`)
	fmt.Fprintln(w, `</output>`)
}

// writeKeyValue: TypeName.Key.type=value, one line per field (per element for lists),
// an empty line between records.
func writeKeyValue(w io.Writer, r *esxcliResult) {
	for i, rec := range r.recs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		for _, f := range sortedFields(rec) {
			switch f.typ {
			case "string[]":
				if len(f.list) == 0 {
					fmt.Fprintf(w, "%s.%s.string[]=\n", r.typeName, f.key)
				}
				for _, s := range f.list {
					fmt.Fprintf(w, "%s.%s.string[]=%s\n", r.typeName, f.key, s)
				}
			default:
				fmt.Fprintf(w, "%s.%s.%s=%s\n", r.typeName, f.key, f.typ, f.text())
			}
		}
	}
}
