#!/usr/bin/env node
// AWS's offline CloudFormation validator (@aws/cloudformation-validate) on each template given (JSON or
// YAML). Prints every ERROR/FATAL diagnostic; exit 1 if there is any, 2 on usage errors.
'use strict';
const path = require('path');
const v = require(path.join(__dirname, '../../node_modules/@aws/cloudformation-validate'));

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: validate_cfn.js TEMPLATE...');
  process.exit(2);
}
const engine = new v.CelEngine();
let bad = 0;
try {
  for (const f of files) {
    const report = engine.validateStandard(new v.TemplateFile(f), {});
    for (const d of report.diagnostics) {
      const sev = String(d.severity).toUpperCase();
      if (sev === 'ERROR' || sev === 'FATAL') {
        bad++;
        console.log(`${f}: ${sev} ${d.ruleId}: ${d.message}`);
      }
    }
  }
} finally {
  engine.free();
}
process.exit(bad ? 1 : 0);
