// Command oncall-reminder reminds each on-call person before their shift
// starts (config/oncall/reminders.yaml), once per shift and channel. This
// file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry/incidentfn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() { os.Exit(wiring.Main(incidentfn.Reminder, incidentfn.BuildReminder)) }
