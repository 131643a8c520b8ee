#!/usr/bin/env node
// AWS's offline CloudFormation validator (@aws/cloudformation-validate) on templates (JSON or YAML),
// all in one process (the validator's start-up dominates: seconds per process).
//   validate_cfn.js SPEC...   SPEC is TEMPLATE (every ERROR/FATAL fails) or TEMPLATE=ORIGINAL (only
//                             ERROR/FATAL that ORIGINAL, the unpatched input, does not have: the macro
//                             must add no problem, and cannot fix those of a third-party template)
// Prints "ok TEMPLATE" or "bad TEMPLATE: problem" lines; exit 1 if any is bad, 2 on usage errors.
'use strict';
const path = require('path');
const v = require(path.join(__dirname, '../../node_modules/@aws/cloudformation-validate'));

function problems(engine, file) {
  const report = engine.validateStandard(new v.TemplateFile(file), {});
  return report.diagnostics
    .filter((d) => ['ERROR', 'FATAL'].includes(String(d.severity).toUpperCase()))
    .map((d) => `${String(d.severity).toUpperCase()} ${d.ruleId}: ${d.message}`);
}

const specs = process.argv.slice(2);
if (specs.length === 0) {
  console.error('usage: validate_cfn.js TEMPLATE[=ORIGINAL]...');
  process.exit(2);
}
const engine = new v.CelEngine();
let bad = 0;
try {
  for (const spec of specs) {
    const [file, baseline] = spec.split('=');
    let fresh = problems(engine, file);
    if (baseline) {
      const base = problems(engine, baseline);
      fresh = fresh.filter((p) => {
        const i = base.indexOf(p);
        if (i < 0) return true;
        base.splice(i, 1);
        return false;
      });
    }
    if (fresh.length === 0) console.log(`ok ${file}`);
    for (const p of fresh) console.log(`bad ${file}: ${p}`);
    if (fresh.length) bad++;
  }
} finally {
  engine.free();
}
process.exit(bad ? 1 : 0);
