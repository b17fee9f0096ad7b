// runner.mjs runs one execution of an ASL definition with the npm package
// aws-local-stepfunctions, the reference interpreter of the benchmarks in
// this directory, as a whole process:
//
//   node runner.mjs DEFINITION.json INPUT.json
//
// It prints the execution's output as one line of JSON on stdout and, on
// stderr, one line of JSON with the phases' wall times in milliseconds
// (import of the package, construction with validation, the run itself), so
// the benchmark can say where a whole-process run spends its time. A failed
// execution prints the error on stderr and exits 1.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [defPath, inputPath] = process.argv.slice(2);
if (!defPath || !inputPath) {
  process.stderr.write('usage: node runner.mjs DEFINITION.json INPUT.json\n');
  process.exit(2);
}

const t0 = performance.now();
const { StateMachine } = await import('aws-local-stepfunctions');
const t1 = performance.now();
const definition = JSON.parse(readFileSync(defPath, 'utf8'));
const input = JSON.parse(readFileSync(inputPath, 'utf8'));
// Default options: the definition is validated, as cogniforge sfn run
// compiles (and so checks) it before running.
const machine = new StateMachine(definition);
const t2 = performance.now();
let output;
try {
  output = await machine.run(input).result;
} catch (err) {
  process.stderr.write(`execution failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
}
const t3 = performance.now();
process.stdout.write(JSON.stringify(output) + '\n');
process.stderr.write(JSON.stringify({ importMs: t1 - t0, constructMs: t2 - t1, runMs: t3 - t2, sinceStartMs: t3 }) + '\n');
