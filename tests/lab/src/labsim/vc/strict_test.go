package vc

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const envOpen = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:vim25="urn:vim25">
<soapenv:Body>
`

const envClose = `
</soapenv:Body>
</soapenv:Envelope>`

func soapRequest(method string) string { return envOpen + method + envClose }

// retrieve is a RetrievePropertiesEx whose specSet content is spec.
func retrieve(spec, options string) string {
	return soapRequest(`<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector</_this>` +
		`<specSet>` + spec + `</specSet>` + options + `</RetrievePropertiesEx>`)
}

const (
	propSet   = `<propSet><type>VirtualMachine</type><pathSet>name</pathSet><pathSet>runtime</pathSet></propSet>`
	objectSet = `<objectSet><obj type="VirtualMachine">vm-1</obj><skip>false</skip></objectSet>`
	options   = `<options></options>`
)

func TestStrictRequestsAcceptValidRequests(t *testing.T) {
	for name, req := range map[string]string{
		"retrieve": retrieve(propSet+objectSet, options),
		"traversal with xsi:type": retrieve(propSet+`<objectSet><obj type="Folder">group-d1</obj>`+
			`<selectSet xsi:type="TraversalSpec"><name>t</name><type>Folder</type><path>childEntity</path>`+
			`<selectSet><name>t</name></selectSet></selectSet></objectSet>`, options),
		"prefixed xsi:type and elements": retrieve(`<vim25:propSet><vim25:type>VirtualMachine</vim25:type></vim25:propSet>`+
			`<objectSet><obj type="Folder">group-d1</obj><selectSet xsi:type="vim25:TraversalSpec"><type>Folder</type>`+
			`<path>childEntity</path></selectSet></objectSet>`, `<options><maxObjects>10</maxObjects></options>`),
		"anyType value": soapRequest(`<UpdateOptions xmlns="urn:vim25"><_this type="OptionManager">o</_this>` +
			`<changedValue><key>a</key><value xsi:type="xsd:string">b</value></changedValue>` +
			`<changedValue><key>c</key><value xsi:type="ArrayOfString"><string>d</string></value></changedValue></UpdateOptions>`),
		"unknown method (the simulator answers)": soapRequest(`<NoSuchMethod xmlns="urn:vim25"><x/></NoSuchMethod>`),
	} {
		if err := checkRequest([]byte(req)); err != nil {
			t.Errorf("%s: rejected: %v", name, err)
		}
	}
	if err := checkRequest([]byte("not xml at all")); err != nil {
		t.Errorf("not XML: %v (the simulator answers it)", err)
	}
}

func TestStrictRequestsRejectWithVCenterMessages(t *testing.T) {
	cases := []struct {
		name, req string
		want      []string // message, then frames in order (each a prefix)
	}{
		{"unknown element", retrieve(`<propSet><type>VirtualMachine</type><bogus>1</bogus></propSet>`+objectSet, options),
			[]string{`Unexpected element tag "bogus" seen`,
				"while parsing serialized DataObject of type PropertySpec\nat line 4, column ",
				`while parsing property "propSet" of static type ArrayOfPropertySpec`,
				"while parsing serialized DataObject of type PropertyFilterSpec\nat line 4, column ",
				`while parsing property "specSet" of static type ArrayOfPropertyFilterSpec`,
				"while parsing call information for method RetrievePropertiesEx\nat line 4, column 0",
				"while parsing SOAP body\nat line 3, column 0",
				"while parsing SOAP envelope\nat line 2, column 0"}},
		{"out of order", retrieve(objectSet+propSet, options),
			[]string{`Unexpected element tag "propSet" seen`, "while parsing serialized DataObject of type PropertyFilterSpec"}},
		{"out of order, prefixed as sent", retrieve(`<vim25:propSet><vim25:pathSet>name</vim25:pathSet><vim25:type>VirtualMachine</vim25:type></vim25:propSet>`+objectSet, options),
			[]string{`Unexpected element tag "vim25:type" seen`, "while parsing serialized DataObject of type PropertySpec"}},
		{"array not contiguous", retrieve(propSet+objectSet+propSet, options),
			[]string{`Unexpected element tag "propSet" seen`}},
		{"non-array twice", retrieve(`<propSet><type>VirtualMachine</type><type>HostSystem</type></propSet>`+objectSet, options),
			[]string{`Unexpected element tag "type" seen`}},
		{"element inside a text value", retrieve(`<propSet><type><x/></type></propSet>`+objectSet, options),
			[]string{`Unexpected element tag "x" seen`, `while parsing property "type" of static type xsd:string`,
				"while parsing serialized DataObject of type PropertySpec"}},
		{"missing required property", retrieve(`<propSet><pathSet>name</pathSet></propSet>`+objectSet, options),
			[]string{"Required property type is missing from data object of type PropertySpec",
				"while parsing serialized DataObject of type PropertySpec"}},
		{"missing required array", retrieve(propSet, options),
			[]string{"Required property objectSet is missing from data object of type PropertyFilterSpec"}},
		{"missing required parameter", retrieve(propSet+objectSet, ""),
			[]string{"Required parameter options is missing", "while parsing call information for method RetrievePropertiesEx"}},
		{"missing _this", soapRequest(`<RetrieveServiceContent xmlns="urn:vim25"></RetrieveServiceContent>`),
			[]string{"Required parameter _this is missing"}},
		{"unknown xsi:type", retrieve(propSet+`<objectSet><obj type="Folder">f</obj><selectSet xsi:type="NoSuchSpec"><name>x</name></selectSet></objectSet>`, options),
			[]string{`Unknown type name "NoSuchSpec"`, `while parsing property "selectSet" of static type ArrayOfSelectionSpec`}},
		{"xsi:type not a subtype", retrieve(propSet+`<objectSet><obj type="Folder">f</obj><selectSet xsi:type="PropertySpec"><type>x</type></selectSet></objectSet>`, options),
			[]string{`Type "PropertySpec" is not a subtype of SelectionSpec`}},
		{"unknown element of an xsi:type subtype", retrieve(propSet+`<objectSet><obj type="Folder">f</obj><selectSet xsi:type="TraversalSpec"><type>Folder</type><path>p</path><extra/></selectSet></objectSet>`, options),
			[]string{`Unexpected element tag "extra" seen`, "while parsing serialized DataObject of type TraversalSpec"}},
	}
	for _, c := range cases {
		err := checkRequest([]byte(c.req))
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if err.msg != c.want[0] {
			t.Errorf("%s: message %q, want %q", c.name, err.msg, c.want[0])
		}
		for i, f := range c.want[1:] {
			if i >= len(err.frames) || !strings.HasPrefix(err.frames[i], f) {
				t.Errorf("%s: frames %q, want frame %d to start %q", c.name, err.frames, i, f)
				break
			}
		}
		if fs := err.faultString(); !strings.HasPrefix(fs, "\n"+c.want[0]+"\n\nwhile parsing ") ||
			!strings.HasSuffix(fs, "while parsing SOAP envelope\nat line 2, column 0") {
			t.Errorf("%s: faultstring %q", c.name, fs)
		}
	}
}

// Positions are those of the element's '<': line from 1, column from 0.
func TestStrictRequestPositions(t *testing.T) {
	req := `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
		`<RegisterVM_Task xmlns="urn:vim25"><_this type="Folder">group-v3</_this><asTemplate>false</asTemplate></RegisterVM_Task>` +
		`</soapenv:Body></soapenv:Envelope>`
	err := checkRequest([]byte(req))
	if err == nil || err.msg != "Required parameter path is missing" {
		t.Fatalf("RegisterVM_Task without path: %v", err)
	}
	body := strings.Index(req, "<soapenv:Body>")
	method := strings.Index(req, "<RegisterVM_Task")
	want := []string{"while parsing call information for method RegisterVM_Task\nat line 1, column " + strconv.Itoa(method),
		"while parsing SOAP body\nat line 1, column " + strconv.Itoa(body), "while parsing SOAP envelope\nat line 1, column 21"}
	if strings.Join(err.frames, "|") != strings.Join(want, "|") {
		t.Errorf("frames %q, want %q", err.frames, want)
	}
}

// postSOAP sends a raw request to the lab's /sdk with the session of l.c.
func postSOAP(t *testing.T, l *lab, body string) (int, string) {
	t.Helper()
	u, _ := url.Parse(l.v.URL())
	req, err := http.NewRequest("POST", u.String(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", "urn:vim25/8.0.3.0")
	for _, c := range l.c.Client.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	hc := &http.Client{Transport: l.c.Client.Client.DefaultTransport()}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Over HTTP: a bad request gets vCenter's fault (HTTP 500, ServerFaultCode,
// InvalidRequest detail), which govmomi reads as an InvalidRequest; strict_requests
// false restores the simulator's lenient decoding.
func TestStrictRequestsOverHTTPAndSetting(t *testing.T) {
	l := startLab(t, nil)
	if !l.v.Options().StrictRequests || !DefaultOptions().StrictRequests {
		t.Fatalf("strict_requests is not the default")
	}
	vm := l.vm("testvm1").Reference()
	bad := retrieve(`<propSet><type>VirtualMachine</type><pathSet>name</pathSet><bogus/></propSet>`+
		`<objectSet><obj type="VirtualMachine">`+vm.Value+`</obj></objectSet>`, options)
	code, body := postSOAP(t, l, bad)
	if code != 500 || !strings.Contains(body, "<faultcode>ServerFaultCode</faultcode><faultstring>\nUnexpected element tag \"bogus\" seen\n\nwhile parsing serialized DataObject of type PropertySpec\n") ||
		!strings.Contains(body, `<detail><InvalidRequestFault xmlns="urn:vim25" xsi:type="InvalidRequest"></InvalidRequestFault></detail>`) {
		t.Fatalf("strict: %d %s", code, body)
	}

	// govmomi's client sees the fault as InvalidRequest.
	_, err := methods.RetrievePropertiesEx(context.Background(), l.c.Client, &types.RetrievePropertiesEx{
		This:    l.c.Client.ServiceContent.PropertyCollector,
		SpecSet: []types.PropertyFilterSpec{{PropSet: []types.PropertySpec{{Type: "VirtualMachine", PathSet: []string{"name"}}}}},
	})
	if err == nil || !soap.IsSoapFault(err) {
		t.Fatalf("RetrievePropertiesEx without objectSet: %v", err)
	}
	if _, ok := soap.ToSoapFault(err).VimFault().(types.InvalidRequest); !ok {
		t.Errorf("fault %#v, want InvalidRequest", soap.ToSoapFault(err).VimFault())
	}
	if !strings.Contains(err.Error(), "Required property objectSet is missing from data object of type PropertyFilterSpec") {
		t.Errorf("message: %v", err)
	}

	o := l.v.Options()
	o.StrictRequests = false
	l.v.SetOptions(o)
	code, body = postSOAP(t, l, bad)
	if code != 200 || !strings.Contains(body, "RetrievePropertiesExResponse") || !strings.Contains(body, "testvm1") {
		t.Errorf("lenient: %d %s", code, body)
	}
}
