package main

import (
	"context"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// The event and bootTime settings: defaults as documented, each old behaviour
// reachable, bad values refused without changing anything.
func TestEventSettings(t *testing.T) {
	l, info := start(t)
	ctl := info.Control
	code, body := call(t, "GET", ctl+"/settings", nil)
	for _, want := range []string{`"reset_sets_boottime": false`, `"event_filtering": true`, `"event_type_subclasses": true`,
		`"event_page_size": 1000`, `"event_max_collectors": 32`, `"ha_reset_screenshot": true`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET /settings: %d, no %s in %s", code, want, body)
		}
	}
	code, body = call(t, "POST", ctl+"/settings", strings.NewReader(`{"reset_sets_boottime": true, "event_filtering": false,
		"event_type_subclasses": false, "event_page_size": 10, "event_max_collectors": 1000, "ha_reset_screenshot": false}`))
	o := l.vc.Options()
	if code != 200 || !o.ResetSetsBootTime || !o.EventFilterOff || !o.EventTypeExact || o.PageSize() != 10 ||
		o.MaxCollectors() != 1000 || !o.HAResetPlain || !strings.Contains(body, `"event_filtering": false`) {
		t.Fatalf("POST old behaviours: %d %s -> %+v", code, body, o)
	}
	for q, want := range map[string]string{
		"event_page_size=0":                 "event_page_size",
		"event_page_size=1001":              "event_page_size",
		"event_max_collectors=-2":           "event_max_collectors",
		"event_filtering=maybe":             "event_filtering",
		"ha_reset_screenshot=1&flood_pps=x": "flood_pps",
	} {
		if code, body := call(t, "POST", ctl+"/settings?"+q, nil); code != 400 || !strings.Contains(body, want) {
			t.Errorf("POST %s: %d %s", q, code, body)
		}
	}
	if l.vc.Options() != o {
		t.Errorf("a refused POST changed the options: %+v -> %+v", o, l.vc.Options())
	}
	code, _ = call(t, "POST", ctl+"/settings?reset_sets_boottime=false&event_filtering=true&event_type_subclasses=true"+
		"&event_page_size=1000&event_max_collectors=32&ha_reset_screenshot=true", nil)
	if o := l.vc.Options(); code != 200 || o.ResetSetsBootTime || o.EventFilterOff || o.EventTypeExact || o.HAResetPlain ||
		o.PageSize() != 1000 || o.MaxCollectors() != 32 {
		t.Errorf("back to the defaults: %d %+v", code, o)
	}
}

// POST /events/burst posts N events at once and answers their keys; they reach a
// vSphere client's event collector.
func TestControlEventBurst(t *testing.T) {
	_, info := start(t)
	ctl := info.Control
	ctx := context.Background()
	u, _ := url.Parse(info.VCenter.URL)
	sc := soap.NewClient(u, false)
	if err := sc.SetRootCAs(info.VCenter.CACert); err != nil {
		t.Fatal(err)
	}
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	c := &govmomi.Client{Client: vc, SessionManager: session.NewManager(vc)}
	if err := c.Login(ctx, url.UserPassword(info.VCenter.User, info.VCenter.Password)); err != nil {
		t.Fatal(err)
	}
	ec, err := methods.CreateCollectorForEvents(ctx, c, &types.CreateCollectorForEvents{This: *c.ServiceContent.EventManager,
		Filter: types.EventFilterSpec{MaxCount: 10}})
	if err != nil {
		t.Fatal(err)
	}
	code, body := call(t, "POST", ctl+"/events/burst?count=12", nil)
	var res struct {
		Count int     `json:"count"`
		Keys  []int32 `json:"keys"`
	}
	if err := json.Unmarshal([]byte(body), &res); code != 200 || err != nil || res.Count != 12 || len(res.Keys) != 12 {
		t.Fatalf("burst: %d %s %v", code, body, err)
	}
	var m mo.EventHistoryCollector
	if err := property.DefaultCollector(c.Client).RetrieveOne(ctx, ec.Returnval, []string{"latestPage"}, &m); err != nil {
		t.Fatal(err)
	}
	var page []int32
	for _, e := range m.LatestPage {
		page = append(page, e.GetEvent().Key)
	}
	sort.Slice(page, func(i, j int) bool { return page[i] < page[j] })
	if jsonOf(page) != jsonOf(res.Keys[2:]) {
		t.Errorf("latestPage of 10 %v, want the burst's last ten %v", page, res.Keys[2:])
	}
	code, body = call(t, "POST", ctl+"/events/burst?count=3&kinds=alarm,ssh", nil)
	if code != 200 || !strings.Contains(body, `"count": 3`) {
		t.Errorf("burst of alarms: %d %s", code, body)
	}
	for q, want := range map[string]string{"count=0": "count", "count=x": "count", "count=2&kinds=fire": "unknown event kind"} {
		if code, body := call(t, "POST", ctl+"/events/burst?"+q, nil); code != 400 || !strings.Contains(body, want) {
			t.Errorf("burst %s: %d %s", q, code, body)
		}
	}
	if code, _ := call(t, "GET", ctl+"/events/burst?count=1", nil); code != 405 {
		t.Errorf("GET burst: %d", code)
	}
}

func jsonOf(v interface{}) string {
	b, _ := json.Marshal(v)
	return string(b)
}
