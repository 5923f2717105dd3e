package vc

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/vmware/govmomi/vim25/types"
)

// Strict requests: vCenter parses a SOAP request against the vim25 schema and
// rejects one whose body has an element the type does not have, an element out of
// the schema's sequence order, or a required element missing, with an
// InvalidRequest fault whose faultstring names the problem and where it was found,
// e.g. (yavijava issue 267, a real vCenter reply):
//
//	<faultstring>
//	Required parameter path is missing
//
//	while parsing call information for method RegisterVM_Task
//	at line 1, column 88
//
//	while parsing SOAP body
//	at line 1, column 82
//
//	while parsing SOAP envelope
//	at line 1, column 22
//	...</faultstring><detail><InvalidRequestFault xmlns="urn:vim25" xsi:type="InvalidRequest"></InvalidRequestFault></detail>
//
// The bare simulator decodes leniently (Go's decoder skips what it does not know),
// so a client could send what real vCenter refuses and never learn it in the lab.
// checkRequest walks the request against the govmomi vim25/types Go types, which
// follow the schema: a struct's fields in order are the xsd:sequence (an embedded
// base type's fields first), `omitempty` is minOccurs 0, a field of an interface
// type (BaseX, AnyType) takes an xsi:type naming a subtype. See tests/lab/README.md
// for the sources of each message.

const (
	soapEnvNS = "http://schemas.xmlsoap.org/soap/envelope/"
	xsiNS     = "http://www.w3.org/2001/XMLSchema-instance"
	xsdNS     = "http://www.w3.org/2001/XMLSchema"
)

// requestError is a rejected request: the message and the frames that say where,
// innermost first.
type requestError struct {
	msg    string
	frames []string
}

// faultString is the text vCenter puts in faultstring: a leading newline, the
// message, then each frame after a blank line.
func (e *requestError) faultString() string {
	var b strings.Builder
	b.WriteString("\n")
	b.WriteString(e.msg)
	for _, f := range e.frames {
		b.WriteString("\n\n")
		b.WriteString(f)
	}
	return b.String()
}

func (e *requestError) Error() string { return strings.TrimSpace(e.faultString()) }

func (e *requestError) in(frame string) *requestError {
	if e != nil {
		e.frames = append(e.frames, frame)
	}
	return e
}

// checker walks one request.
type checker struct {
	d          *xml.Decoder
	body       []byte
	lineStarts []int
	ns         []map[string]string // prefix -> namespace, innermost last
}

// checkRequest validates a SOAP request; nil when vCenter would parse it (or when it
// is not a SOAP request of a known method at all: the simulator answers those).
func checkRequest(body []byte) *requestError {
	c := &checker{d: xml.NewDecoder(bytes.NewReader(body)), body: body, lineStarts: []int{0}}
	for i, b := range body {
		if b == '\n' {
			c.lineStarts = append(c.lineStarts, i+1)
		}
	}
	env, envPos, ok := c.nextStart()
	if !ok || env.Name.Local != "Envelope" || c.resolve(env.Name.Space) != soapEnvNS {
		return nil
	}
	for {
		el, pos, ok := c.nextStart()
		if !ok {
			return nil
		}
		if el.Name.Local != "Body" {
			if err := c.skip(); err != nil {
				return nil
			}
			continue
		}
		method, mpos, ok := c.nextStart()
		if !ok {
			return nil
		}
		rt, known := types.TypeFunc()(method.Name.Local)
		if !known || rt.Kind() != reflect.Struct {
			return nil
		}
		err := c.structContent(rt, true)
		if err == nil {
			return nil
		}
		if err.msg == "" { // not XML vCenter could read: leave it to the simulator
			return nil
		}
		return err.in(fmt.Sprintf("while parsing call information for method %s\n%s", method.Name.Local, mpos)).
			in("while parsing SOAP body\n" + pos.String()).
			in("while parsing SOAP envelope\n" + envPos.String())
	}
}

type position struct{ line, col int }

func (p position) String() string { return fmt.Sprintf("at line %d, column %d", p.line, p.col) }

func (c *checker) pos(offset int64) position {
	i := sort.Search(len(c.lineStarts), func(i int) bool { return c.lineStarts[i] > int(offset) }) - 1
	return position{line: i + 1, col: int(offset) - c.lineStarts[i]}
}

// token reads the next raw token, keeping the namespace scopes; it returns where the
// token began.
func (c *checker) token() (xml.Token, position, error) {
	off := c.d.InputOffset()
	tok, err := c.d.RawToken()
	if err != nil {
		return nil, position{}, err
	}
	switch t := tok.(type) {
	case xml.StartElement:
		scope := map[string]string{}
		for _, a := range t.Attr {
			if a.Name.Space == "xmlns" {
				scope[a.Name.Local] = a.Value
			} else if a.Name.Space == "" && a.Name.Local == "xmlns" {
				scope[""] = a.Value
			}
		}
		c.ns = append(c.ns, scope)
		return t.Copy(), c.pos(off), nil
	case xml.EndElement:
		defer func() { c.ns = c.ns[:len(c.ns)-1] }()
		return t, c.pos(off), nil
	}
	return tok, c.pos(off), nil
}

// resolve maps a prefix to its namespace in the current scopes.
func (c *checker) resolve(prefix string) string {
	for i := len(c.ns) - 1; i >= 0; i-- {
		if ns, ok := c.ns[i][prefix]; ok {
			return ns
		}
	}
	return ""
}

// nextStart returns the next start element, skipping text; ok is false at the end of
// the enclosing element or on an error.
func (c *checker) nextStart() (xml.StartElement, position, bool) {
	for {
		tok, pos, err := c.token()
		if err != nil {
			return xml.StartElement{}, position{}, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, pos, true
		case xml.EndElement:
			return xml.StartElement{}, position{}, false
		}
	}
}

// skip consumes the rest of the current element.
func (c *checker) skip() error {
	for depth := 1; depth > 0; {
		tok, _, err := c.token()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// unreadable marks XML the decoder itself could not read (no vCenter message).
var unreadable = &requestError{}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// field is one element of a type's xsd:sequence.
type field struct {
	name     string
	typ      reflect.Type // the field's Go type
	optional bool         // omitempty, a pointer (nillable), or a slice with omitempty
	array    bool
}

var fieldCache sync.Map // reflect.Type -> []field

// fieldsOf lists a struct's elements in schema order: embedded base types first.
func fieldsOf(t reflect.Type) []field {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]field)
	}
	var fs []field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("xml")
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			fs = append(fs, fieldsOf(f.Type)...)
			continue
		}
		if f.PkgPath != "" || tag == "-" || f.Name == "XMLName" {
			continue
		}
		parts := strings.Split(tag, ",")
		name := parts[0]
		attr := false
		omit := false
		for _, p := range parts[1:] {
			switch p {
			case "attr", "chardata", "innerxml", "comment", "any":
				attr = true
			case "omitempty":
				omit = true
			}
		}
		if attr || name == "" {
			continue
		}
		array := f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() != reflect.Uint8
		fs = append(fs, field{name: name, typ: f.Type, array: array,
			optional: omit || f.Type.Kind() == reflect.Ptr})
	}
	fieldCache.Store(t, fs)
	return fs
}

// hasText says whether a struct's value is text (chardata), as ManagedObjectReference.
func hasText(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		if strings.Contains(t.Field(i).Tag.Get("xml"), ",chardata") {
			return true
		}
	}
	return false
}

// simple says whether values of t are text only (no child elements).
func simple(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct:
		return t == timeType || hasText(t)
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8 // base64Binary
	case reflect.Interface:
		return false
	}
	return true
}

// staticTypeName is how vCenter names a property's declared type.
func staticTypeName(t reflect.Type) string {
	switch {
	case t.Kind() == reflect.Ptr:
		return staticTypeName(t.Elem())
	case t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8:
		n := staticTypeName(t.Elem())
		if strings.HasPrefix(n, "xsd:") {
			n = strings.ToUpper(n[4:5]) + n[5:]
		}
		return "ArrayOf" + n
	case t.Kind() == reflect.Interface:
		if t.Name() == "AnyType" || t.Name() == "" {
			return "anyType"
		}
		return strings.TrimPrefix(t.Name(), "Base")
	case t == timeType:
		return "xsd:dateTime"
	case t.PkgPath() == "":
		return xsdName(t)
	}
	return t.Name()
}

func xsdName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "xsd:boolean"
	case reflect.Int8:
		return "xsd:byte"
	case reflect.Int16:
		return "xsd:short"
	case reflect.Int32:
		return "xsd:int"
	case reflect.Int64, reflect.Int:
		return "xsd:long"
	case reflect.Float32:
		return "xsd:float"
	case reflect.Float64:
		return "xsd:double"
	case reflect.Slice:
		return "xsd:base64Binary"
	}
	return "xsd:string"
}

// xsdTypes are the primitive xsi:type names (prefix xsd = the XML Schema namespace).
var xsdTypes = map[string]reflect.Type{
	"boolean": reflect.TypeOf(false), "byte": reflect.TypeOf(int8(0)), "short": reflect.TypeOf(int16(0)),
	"int": reflect.TypeOf(int32(0)), "long": reflect.TypeOf(int64(0)), "float": reflect.TypeOf(float32(0)),
	"double": reflect.TypeOf(float64(0)), "string": reflect.TypeOf(""), "dateTime": timeType,
	"base64Binary": reflect.TypeOf([]byte(nil)), "anyURI": reflect.TypeOf(""),
	"unsignedByte": reflect.TypeOf(uint8(0)), "unsignedShort": reflect.TypeOf(uint16(0)),
	"unsignedInt": reflect.TypeOf(uint32(0)), "unsignedLong": reflect.TypeOf(uint64(0)),
}

// xsiType returns an element's xsi:type (its raw value, and the type it names: nil
// when unknown); raw is "" when there is none.
func (c *checker) xsiType(el xml.StartElement) (string, reflect.Type) {
	for _, a := range el.Attr {
		if a.Name.Local != "type" || a.Name.Space == "" || c.resolve(a.Name.Space) != xsiNS {
			continue
		}
		prefix, local := "", a.Value
		if i := strings.IndexByte(a.Value, ':'); i >= 0 {
			prefix, local = a.Value[:i], a.Value[i+1:]
		}
		if c.resolve(prefix) == xsdNS || prefix == "xsd" {
			return a.Value, xsdTypes[local]
		}
		t, _ := types.TypeFunc()(local)
		return a.Value, t
	}
	return "", nil
}

// embeds says whether struct type r is s or extends it (s embedded, at any depth).
func embeds(r, s reflect.Type) bool {
	if r == s {
		return true
	}
	if r.Kind() != reflect.Struct {
		return false
	}
	for i := 0; i < r.NumField(); i++ {
		if f := r.Field(i); f.Anonymous && embeds(f.Type, s) {
			return true
		}
	}
	return false
}

// elementType resolves the type of an element declared as static (a field's element
// type, pointers removed) with its xsi:type.
func (c *checker) elementType(el xml.StartElement, static reflect.Type) (reflect.Type, *requestError) {
	raw, named := c.xsiType(el)
	if raw == "" {
		if static.Kind() == reflect.Interface && static.Name() != "AnyType" && static.Name() != "" {
			if base, ok := types.TypeFunc()(strings.TrimPrefix(static.Name(), "Base")); ok {
				return base, nil
			}
		}
		return static, nil
	}
	if named == nil {
		return nil, &requestError{msg: fmt.Sprintf("Unknown type name %q", raw)}
	}
	ok := false
	switch {
	case static.Kind() == reflect.Interface:
		ok = static.NumMethod() == 0 || named.Implements(static) || reflect.PtrTo(named).Implements(static)
	case static.Kind() == reflect.Struct && named.Kind() == reflect.Struct:
		ok = embeds(named, static)
	default:
		ok = named == static || named.Kind() == static.Kind()
	}
	if !ok {
		return nil, &requestError{msg: fmt.Sprintf("Type %q is not a subtype of %s", raw, staticTypeName(static))}
	}
	return named, nil
}

// structContent checks the children of an element of struct type t, through its end
// element. method says t is a request type (its children are parameters).
func (c *checker) structContent(t reflect.Type, method bool) *requestError {
	fields := fieldsOf(t)
	index := map[string]int{}
	for i, f := range fields {
		index[f.name] = i
	}
	seen := make([]bool, len(fields))
	cur := -1
	for {
		tok, pos, err := c.token()
		if err != nil {
			return unreadable
		}
		var el xml.StartElement
		switch x := tok.(type) {
		case xml.EndElement:
			for i, f := range fields {
				if seen[i] || f.optional {
					continue
				}
				if method {
					return &requestError{msg: fmt.Sprintf("Required parameter %s is missing", f.name)}
				}
				return &requestError{msg: fmt.Sprintf("Required property %s is missing from data object of type %s", f.name, t.Name())}
			}
			return nil
		case xml.StartElement:
			el = x
		default:
			continue
		}
		i, known := index[el.Name.Local]
		if !known || i < cur || i == cur && !fields[i].array {
			return &requestError{msg: fmt.Sprintf("Unexpected element tag %q seen", qname(el.Name))}
		}
		cur, seen[i] = i, true
		f := fields[i]
		static := f.typ
		if f.array {
			static = static.Elem()
		}
		for static.Kind() == reflect.Ptr {
			static = static.Elem()
		}
		frame := fmt.Sprintf("while parsing property %q of static type %s", f.name, staticTypeName(f.typ))
		if rerr := c.value(el, pos, static); rerr != nil {
			if rerr == unreadable {
				return rerr
			}
			return rerr.in(frame)
		}
	}
}

// value checks one element whose declared type is static, through its end element.
func (c *checker) value(el xml.StartElement, pos position, static reflect.Type) *requestError {
	t, err := c.elementType(el, static)
	if err != nil {
		return err
	}
	if t.Kind() == reflect.Interface { // anyType without xsi:type: not checked
		if c.skip() != nil {
			return unreadable
		}
		return nil
	}
	if simple(t) {
		return c.textContent()
	}
	if t.Kind() != reflect.Struct {
		if c.skip() != nil {
			return unreadable
		}
		return nil
	}
	if rerr := c.structContent(t, false); rerr != nil {
		if rerr == unreadable {
			return rerr
		}
		return rerr.in(fmt.Sprintf("while parsing serialized DataObject of type %s\n%s", t.Name(), pos))
	}
	return nil
}

// textContent consumes a text-only element; a child element is unexpected.
func (c *checker) textContent() *requestError {
	for {
		tok, _, err := c.token()
		if err != nil {
			return unreadable
		}
		switch x := tok.(type) {
		case xml.StartElement:
			return &requestError{msg: fmt.Sprintf("Unexpected element tag %q seen", qname(x.Name))}
		case xml.EndElement:
			return nil
		}
	}
}

// writeRequestFault answers a rejected request as vCenter does: HTTP 500, a SOAP
// fault with faultcode ServerFaultCode and an InvalidRequest detail.
func writeRequestFault(w io.Writer, e *requestError) {
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="%s" xmlns:xsd="%s" xmlns:xsi="%s">
<soapenv:Body>
<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>%s</faultstring><detail><InvalidRequestFault xmlns="urn:vim25" xsi:type="InvalidRequest"></InvalidRequestFault></detail></soapenv:Fault>
</soapenv:Body>
</soapenv:Envelope>
`, soapEnvNS, xsdNS, xsiNS, escapeText(e.faultString()))
}

// escapeText escapes XML markup, keeping newlines as they are (as vCenter's are).
func escapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
