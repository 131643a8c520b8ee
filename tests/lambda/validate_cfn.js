#!/usr/bin/env node
// AWS's offline CloudFormation validator (@aws/cloudformation-validate) on a template (JSON or YAML).
//   validate_cfn.js TEMPLATE                    every ERROR/FATAL diagnostic fails
//   validate_cfn.js TEMPLATE --baseline ORIG    only ERROR/FATAL that ORIG (the unpatched input) does
//                                               not have: the macro must add no problem, and cannot fix
//                                               those of a third-party template
// Prints each failing diagnostic; exit 1 if there is any, 2 on usage errors.
'use strict';
const path = require('path');
const v = require(path.join(__dirname, '../../node_modules/@aws/cloudformation-validate'));

function problems(engine, file) {
  const report = engine.validateStandard(new v.TemplateFile(file), {});
  return report.diagnostics
    .filter((d) => ['ERROR', 'FATAL'].includes(String(d.severity).toUpperCase()))
    .map((d) => `${String(d.severity).toUpperCase()} ${d.ruleId}: ${d.message}`);
}

const args = process.argv.slice(2);
if (!(args.length === 1 || (args.length === 3 && args[1] === '--baseline'))) {
  console.error('usage: validate_cfn.js TEMPLATE [--baseline ORIGINAL]');
  process.exit(2);
}
const engine = new v.CelEngine();
let fresh = [];
try {
  fresh = problems(engine, args[0]);
  if (args.length === 3) {
    const base = problems(engine, args[2]);
    fresh = fresh.filter((p) => {
      const i = base.indexOf(p);
      if (i < 0) return true;
      base.splice(i, 1);
      return false;
    });
  }
} finally {
  engine.free();
}
for (const p of fresh) console.log(`${args[0]}: ${p}`);
process.exit(fresh.length ? 1 : 0);
