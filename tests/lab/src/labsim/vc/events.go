package vc

import (
	"regexp"
	"sync"
	"text/template"

	"github.com/vmware/govmomi/simulator/esx"
)

var (
	singleBrace   = regexp.MustCompile(`(\{\{[^{}]*)\}([^}]|$)`)
	fixTemplateMu sync.Once
)

// fixEventTemplates repairs, once per process and before any simulator model exists,
// the event message templates that do not parse (VmMigratedEvent and
// VmBeingMigratedEvent have "{{.X.Name}," in govmomi 0.24.2): the simulator panics
// posting such an event. Every EventManager takes its templates from esx.EventInfo.
func fixEventTemplates() {
	fixTemplateMu.Do(func() {
		for i := range esx.EventInfo {
			f := esx.EventInfo[i].FullFormat
			if _, err := template.New("x").Parse(f); err == nil {
				continue
			}
			fixed := singleBrace.ReplaceAllString(f, "$1}}$2")
			if _, err := template.New("x").Parse(fixed); err != nil {
				fixed = esx.EventInfo[i].Key
			}
			esx.EventInfo[i].FullFormat = fixed
		}
	})
}
