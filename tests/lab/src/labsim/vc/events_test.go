package vc

import (
	"testing"
	"text/template"

	"github.com/vmware/govmomi/simulator"
)

func TestEventTemplatesAllParse(t *testing.T) {
	fixEventTemplates()
	m := simulator.VPX()
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	defer m.Remove()
	for _, e := range simulator.Map.EventManager().Description.EventInfo {
		if _, err := template.New(e.Key).Parse(e.FullFormat); err != nil {
			t.Errorf("%s: %v", e.Key, err)
		}
		if e.Key == "VmMigratedEvent" && e.FullFormat != "Migration of virtual machine {{.Vm.Name}} from {{.SourceHost.Name}}, {{.SourceDatastore.Name}} to {{.Host.Name}}, {{.Ds.Name}} completed" {
			t.Errorf("VmMigratedEvent repaired as %q", e.FullFormat)
		}
	}
}
