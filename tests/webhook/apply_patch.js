// Strict RFC 6902 application with npm fast-json-patch: node apply_patch.js DOC PATCH > OUT
'use strict';
const fs = require('fs');
const jsonpatch = require('fast-json-patch');
const doc = JSON.parse(fs.readFileSync(process.argv[2]));
const ops = JSON.parse(fs.readFileSync(process.argv[3]));
const err = jsonpatch.validate(ops, doc);
if (err) {
  console.error(`${err.name}: ${err.message}`);
  process.exit(1);
}
process.stdout.write(JSON.stringify(jsonpatch.applyPatch(doc, ops, true, false).newDocument));
