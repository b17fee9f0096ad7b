// runner.mjs runs one execution of an ASL definition with the npm package
// aws-local-stepfunctions, the reference interpreter of the benchmarks in
// this directory, as a whole process:
//
//   node runner.mjs [--validate] DEFINITION.json INPUT.json
//
// It prints the execution's output as one line of JSON on stdout and, on
// stderr, one line of JSON with the phases' wall times in milliseconds
// (import of the package, reading and parsing the files and construction,
// which includes validation when asked for, and the run itself), so
// the benchmark can say where a whole-process run spends its time. A failed
// execution prints the error on stderr and exits 1.
//
// By default the definition is not validated (validationOptions.noValidate):
// that is the package at its fastest, the bar to beat. --validate runs its
// asl-validator pass first, which on long chains costs more than the run.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
const validate = args[0] === '--validate';
if (validate) args.shift();
const [defPath, inputPath] = args;
if (!defPath || !inputPath || args.length !== 2) {
  process.stderr.write('usage: node runner.mjs [--validate] DEFINITION.json INPUT.json\n');
  process.exit(2);
}

const t0 = performance.now();
const { StateMachine } = await import('aws-local-stepfunctions');
const t1 = performance.now();
const definition = JSON.parse(readFileSync(defPath, 'utf8'));
const input = JSON.parse(readFileSync(inputPath, 'utf8'));
const machine = new StateMachine(definition, { validationOptions: { noValidate: !validate } });
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
