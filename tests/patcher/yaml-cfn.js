#!/usr/bin/env node
// npm yaml-cfn (js-yaml with CloudFormation's short-form tags) as an independent YAML reader:
//   node yaml-cfn.js tojson IN.yaml OUT.json   write IN's long-form JSON (what CloudFormation sees)
//   node yaml-cfn.js same OUT.yaml OUT.json... each YAML file must parse to the same value as its JSON twin
// Exit 0 ok, 1 a difference (printed), 2 usage or parse error.
const fs = require('fs');
const path = require('path');
const { yamlParse } = require(path.join(__dirname, '../../node_modules/yaml-cfn'));

function canon(v) {
  // Key order matters to kilt (it keeps it), so compare the JSON text, keys in document order.
  return JSON.stringify(v);
}

const [mode, ...files] = process.argv.slice(2);
try {
  if (mode === 'tojson' && files.length === 2) {
    fs.writeFileSync(files[1], JSON.stringify(yamlParse(fs.readFileSync(files[0], 'utf8')), null, 2) + '\n');
    process.exit(0);
  }
  if (mode === 'same' && files.length >= 2 && files.length % 2 === 0) {
    let bad = 0;
    for (let i = 0; i < files.length; i += 2) {
      const y = canon(yamlParse(fs.readFileSync(files[i], 'utf8')));
      const j = canon(JSON.parse(fs.readFileSync(files[i + 1], 'utf8')));
      if (y !== j) {
        let k = 0;
        while (k < y.length && y[k] === j[k]) k++;
        console.log(`${files[i]}: differs from ${files[i + 1]} at ...${y.slice(Math.max(0, k - 80), k + 80)}\n   vs ...${j.slice(Math.max(0, k - 80), k + 80)}`);
        bad++;
      }
    }
    process.exit(bad ? 1 : 0);
  }
} catch (e) {
  console.log(`yaml-cfn.js: ${e.message}`);
  process.exit(2);
}
console.error('usage: yaml-cfn.js tojson IN OUT | same Y1 J1 [Y2 J2...]');
process.exit(2);
