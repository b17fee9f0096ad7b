// Parses iCalendar files with ical.js (an independent RFC 5545 parser) and
// prints, per file, the calendar's properties and each event as JSON.
// Usage: node icaldump.mjs FILE... (ical.js resolved from NODE_PATH-free
// import: the script is copied next to node_modules by the test).
import ICAL from 'ical.js';
import fs from 'node:fs';

const out = [];
for (const file of process.argv.slice(2)) {
  const cal = new ICAL.Component(ICAL.parse(fs.readFileSync(file, 'utf8')));
  out.push({
    file,
    version: cal.getFirstPropertyValue('version'),
    prodid: cal.getFirstPropertyValue('prodid'),
    events: cal.getAllSubcomponents('vevent').map((v) => {
      const e = new ICAL.Event(v);
      return {
        uid: e.uid,
        summary: e.summary,
        stamp: v.getFirstPropertyValue('dtstamp').toJSDate().toISOString(),
        start: e.startDate.toJSDate().toISOString(),
        end: e.endDate.toJSDate().toISOString(),
        utc: e.startDate.zone === ICAL.Timezone.utcTimezone && e.endDate.zone === ICAL.Timezone.utcTimezone,
      };
    }),
  });
}
process.stdout.write(JSON.stringify(out));
