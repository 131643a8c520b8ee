#!/usr/bin/env node
// Builds a CloudFormation macro event the way CloudFormation sends it: the template as JSON (a YAML
// template is converted, short-form tags becoming Fn::* objects, with npm yaml-cfn), the stack's
// parameter values (the template's defaults, then --tpv overrides), and the Transform params.
//   node make_event.js TEMPLATE [--id REQUEST_ID] [--params JSON] [--tpv JSON] [--replicate N] > event.json
// --min-bytes B copies the first ECS task definition (new logical ids, 16 more environment variables
// per container, like real services) until the template is at least B bytes: a large template.
'use strict';
const fs = require('fs');
const { yamlParse } = require('yaml-cfn');

const args = process.argv.slice(2);
const file = args[0];
let id = 'req-1';
let params = {};
let tpv = {};
let minBytes = 0;
for (let i = 1; i < args.length; i++) {
  if (args[i] === '--id') id = args[++i];
  else if (args[i] === '--params') params = JSON.parse(args[++i]);
  else if (args[i] === '--tpv') tpv = JSON.parse(args[++i]);
  else if (args[i] === '--min-bytes') minBytes = Number(args[++i]);
}
const text = fs.readFileSync(file, 'utf8');
const fragment = /\.json$/.test(file) ? JSON.parse(text) : yamlParse(text);
delete fragment.Transform;  // CloudFormation sends the template without its Transform section

const values = {};
for (const [name, p] of Object.entries(fragment.Parameters || {})) {
  if (p.Default !== undefined) values[name] = p.Type === 'CommaDelimitedList' || /^List</.test(p.Type)
    ? String(p.Default).split(',') : String(p.Default);
}
Object.assign(values, tpv);

if (minBytes > 0) {
  const res = fragment.Resources;
  const [lid, td] = Object.entries(res).find(([, r]) => r.Type === 'AWS::ECS::TaskDefinition');
  let size = JSON.stringify(fragment).length;
  for (let n = 1; size < minBytes; n++) {
    const copy = JSON.parse(JSON.stringify(td));
    for (const c of copy.Properties.ContainerDefinitions) {
      c.Environment = (c.Environment || []).concat(
        Array.from({ length: 16 }, (_, k) => ({ Name: `SETTING_${k}`, Value: `value-${n}-${k}-abcdefghijklmnop` })));
    }
    res[`${lid}Copy${n}`] = copy;
    size += JSON.stringify(copy).length + lid.length + 12;
  }
}

process.stdout.write(JSON.stringify({
  accountId: '123456789012',
  region: 'us-east-1',
  transformId: '123456789012::Falco::FargateSupport',
  requestId: id,
  params,
  templateParameterValues: values,
  fragment,
}));
