package registry_test

import (
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/registry"
)

func TestManifestFromTriggers(t *testing.T) {
	fns := []faas.Function{
		{Name: "front", Description: "http", Triggers: []faas.Trigger{{Kind: faas.TriggerHTTP}}},
		{Name: "worker", Consumes: []string{"b.v1", "a.v1"}, Triggers: []faas.Trigger{
			{Kind: faas.TriggerQueue},
			{Kind: faas.TriggerSchedule, Schedule: "rate(5 minutes)"},
			{Kind: faas.TriggerEventBus, EventTypes: []string{"c.v1"}},
		}},
		{Name: "step", Triggers: []faas.Trigger{{Kind: faas.TriggerStepFunctions}, {Kind: faas.TriggerRotation}}},
	}
	m, err := registry.NewManifest(fns)
	if err != nil {
		t.Fatal(err)
	}
	if m.Functions["front"].FunctionURL == nil {
		t.Error("an HTTP trigger gives no function_url")
	}
	w := m.Functions["worker"]
	if w.Queue == nil || w.Queue.MaxReceives != registry.DefaultMaxReceives || strings.Join(w.Queue.EventTypes, ",") != "a.v1,b.v1" {
		t.Errorf("queue %+v; want the function's Consumes, sorted, and the default max receives", w.Queue)
	}
	if w.Schedules["schedule-1"].Expression != "rate(5 minutes)" || strings.Join(w.EventRules["rule-1"].DetailTypes, ",") != "c.v1" {
		t.Errorf("schedules %+v rules %+v", w.Schedules, w.EventRules)
	}
	if s := m.Functions["step"]; !s.StepFunctionsTask || !s.SecretsRotation {
		t.Errorf("step %+v", s)
	}
	a, err := m.JSON()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.JSON()
	if string(a) != string(b) || !strings.HasSuffix(string(a), "}\n") {
		t.Error("manifest JSON is not reproducible or lacks its final newline")
	}
}

func TestManifestRefusesWhatTerraformCannotSay(t *testing.T) {
	for name, fn := range map[string]faas.Function{
		"queue of every type": {Name: "q", Triggers: []faas.Trigger{{Kind: faas.TriggerQueue}}},
		"two queues":          {Name: "q2", Consumes: []string{"a.v1"}, Triggers: []faas.Trigger{{Kind: faas.TriggerQueue}, {Kind: faas.TriggerQueue}}},
		"rule of every type":  {Name: "r", Triggers: []faas.Trigger{{Kind: faas.TriggerEventBus}}},
		"unknown kind":        {Name: "u", Triggers: []faas.Trigger{{Kind: "carrier-pigeon"}}},
	} {
		if _, err := registry.NewManifest([]faas.Function{fn}); err == nil || !strings.Contains(err.Error(), fn.Name) {
			t.Errorf("%s: err %v, want one naming function %s", name, err, fn.Name)
		}
	}
}
