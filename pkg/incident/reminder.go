package incident

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Shift is a stretch of on-call time of one person on one schedule.
type Shift struct {
	Schedule   string
	User       string
	Start, End time.Time
}

// ShiftSource lists the shifts that start in [from, to).
type ShiftSource interface {
	ShiftsStarting(from, to time.Time) []Shift
}

// Reminders settings (config/oncall/reminders.yaml):
//
//	reminders:
//	  lead: 30m            # how long before a shift starts
//	  channels: [slack]
type Reminders struct {
	Lead     Duration `yaml:"lead"`
	Channels []string `yaml:"channels"`
}

// Validate reports every problem of r.
func (r Reminders) Validate() error {
	var errs []error
	if r.Lead <= 0 || time.Duration(r.Lead) > 7*24*time.Hour {
		errs = append(errs, fmt.Errorf("lead: %s is not between 0 and 7 days", time.Duration(r.Lead)))
	}
	if len(r.Channels) == 0 {
		errs = append(errs, errors.New("channels: at least one is required"))
	}
	return errors.Join(errs...)
}

// Reminder is one reminder to send.
type Reminder struct {
	// Key is stable per shift and channel: the reminder run every few
	// minutes sends each once.
	Key     string
	Shift   Shift
	Channel string
}

// Due returns the reminders of the shifts starting in (now, now+lead]:
// run on a schedule at any interval up to lead, each shift is reminded
// once (the key makes repeats no-ops at the channel's notifier).
func (r Reminders) Due(src ShiftSource, now time.Time) []Reminder {
	var out []Reminder
	for _, sh := range src.ShiftsStarting(now.Add(time.Nanosecond), now.Add(time.Duration(r.Lead)+time.Nanosecond)) {
		for _, ch := range r.Channels {
			out = append(out, Reminder{Key: fmt.Sprintf("reminder/%s/%s/%d/%s", sh.Schedule, sh.User, sh.Start.Unix(), ch), Shift: sh, Channel: ch})
		}
	}
	return out
}

// RunReminders sends the due reminders through deliver; every failure is
// returned joined, after the others were tried.
func (r Reminders) RunReminders(ctx context.Context, src ShiftSource, now time.Time, deliver func(context.Context, Reminder) error) (sent int, err error) {
	var errs []error
	for _, rem := range r.Due(src, now) {
		if err := deliver(ctx, rem); err != nil {
			errs = append(errs, fmt.Errorf("reminder %s: %w", rem.Key, err))
			continue
		}
		sent++
	}
	return sent, errors.Join(errs...)
}
