#!/usr/bin/env node
// Validates CloudFormation templates with AWS's offline validator (@aws/cloudformation-validate) and fails
// on ERROR/FATAL diagnostics. One process for many files (starting the engine is the slow part).
//   node validate-cfn.js TEMPLATE...              every ERROR/FATAL fails
//   node validate-cfn.js OUTPUT=ORIGINAL...       only ERROR/FATAL that ORIGINAL (the unpatched input) does
//                                                 not have fail: kilt must not add problems, and cannot fix theirs.
// Diagnostics are compared as (rule, message) without a count: they carry no location, and kilt copies the
// first app container's log configuration into the sidecar by design, so an input's broken
// `awslogs-group: !Ref Missing` is reported twice in the output. A new kind of problem still fails.
// Prints one line per failing diagnostic; exit 0 ok, 1 diagnostics, 2 usage/crash.
const path = require('path');
const v = require(path.join(__dirname, '../../node_modules/@aws/cloudformation-validate'));

function errors(engine, file) {
  const report = engine.validateStandard(new v.TemplateFile(file));
  return report.diagnostics
    .filter((d) => /^(error|fatal)$/i.test(d.severity))
    .map((d) => `${d.ruleId}: ${d.message}`);
}

const args = process.argv.slice(2);
if (args.length === 0) {
  console.error('usage: validate-cfn.js TEMPLATE[=ORIGINAL]...');
  process.exit(2);
}
const engine = new v.CelEngine();
let failed = 0;
try {
  for (const arg of args) {
    const [file, original] = arg.split('=');
    const found = errors(engine, file);
    // The unpatched input is validated only when the output has something to excuse (half the work
    // for the usual clean output).
    const base = new Set(original && found.length ? errors(engine, original) : []);
    for (const e of found) {
      if (base.has(e)) continue;
      console.log(`${file}: ${e}`);
      failed++;
    }
  }
} finally {
  engine.free();
}
process.exit(failed ? 1 : 0);
