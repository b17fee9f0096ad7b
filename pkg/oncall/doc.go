// Package oncall resolves who is on call: on-call schedules read from YAML,
// made of rotation layers stacked on one another and overrides for a person
// over a time range, answered at any instant and exported as iCalendar.
//
// # The file
//
//	schedules:
//	  - name: primary
//	    timeZone: Europe/Berlin          # IANA name; every wall-clock time below is in it
//	    layers:                          # later layers win where they have someone on call
//	      - name: weekly
//	        start: "2026-03-02T09:00"    # local wall-clock time of the first handoff
//	        length: 1w                   # Nh, Nd, Nw or Nmo
//	        participants: [alice, bob, carol]
//	        restrictions:                # optional; outside them the layer has nobody
//	          - {days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00"}
//	    overrides:
//	      - {user: dave, from: "2026-03-28T20:00:00+01:00", to: "2026-03-29T12:00:00+02:00"}
//
// # Resolution
//
// A layer hands over to its next participant at the same local wall-clock
// time every period, in the order listed, starting again from the first
// after the last. Periods are counted on the schedule's calendar, never as
// fixed durations, so a weekly rotation hands off at 09:00 local time on
// both sides of a daylight-saving change (that week is an hour shorter or
// longer):
//
//   - Nd and Nw add N or 7N calendar days to the date of the first handoff.
//   - Nmo adds N calendar months; a start on the 29th to 31st hands off on the
//     last day of shorter months (start 2026-01-31 gives Feb 28, Mar 31,
//     Apr 30, ...) without drifting: every handoff is computed from the
//     first, not from the previous one.
//   - Nh adds N hours of wall-clock time: a 12h layer starting at 09:00 hands
//     off at 09:00 and 21:00 local time every day, so the shift that spans a
//     change lasts 11 or 13 hours.
//
// A wall-clock time that happens twice (the autumn overlap) means its first
// occurrence; one that does not happen (the spring gap) means the instant
// as much later as the gap is long (02:30 in a gap from 02:00 to 03:00 is
// 03:30), the reading RFC 5545 gives such times. An hour-based shift whose
// both ends fall in the same gap therefore lasts no time and is skipped; the
// rotation order is unchanged (the next participant follows as usual).
//
// Restrictions limit a layer to windows of local time on given days of the
// week (mon..sun or monday..sunday, any case; omitted means every day):
// from "00:00" to "24:00" by default, and a window whose to is earlier than
// its from ends the next day (22:00 to 06:00 is a night shift that starts on
// the day listed). The rotation goes on outside the windows: a restriction
// only hides who would be on call. Before its start a layer has nobody.
//
// At an instant, an override covering it wins over every layer; otherwise
// the last layer that has someone wins; otherwise nobody is on call.
// Overrides are half-open ranges [from, to) of absolute time (RFC 3339).
//
// # Guarantees
//
// Parse and LoadFile decode strictly (an unknown field is an error) and
// report every problem at once, each naming the file, line, schedule, layer
// and field; on any problem they return no Config. A Config and its
// Schedules are immutable after parsing and safe for concurrent use. Who
// costs a few zone lookups per layer and a binary search of the overrides,
// independent of how far the instant is from the layers' starts.
package oncall
