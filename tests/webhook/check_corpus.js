// Checks the webhook's answers for the corpus pods (tests/webhook/e2e.sh runs the TLS and kubectl
// parts, this one does the comparisons in one process: spawning jq per check is slow on a busy box).
// usage: node check_corpus.js CORPUS_DIR OUT_DIR DECODED_LIST_JSON ID...
// For each ID, OUT_DIR/ID holds resp.json (webhook answer), patched.json (kubectl patch --local result)
// and again.json (answer to the reinvocation). DECODED_LIST_JSON is `kubectl set env --local` output
// for every patched pod whose original decodes. Prints "ok ID" or "FAIL ID: reasons" per pod.
'use strict';
const fs = require('fs');
const path = require('path');
const jsonpatch = require('fast-json-patch');

const [corpus, out, decodedFile, ...ids] = process.argv.slice(2);
const decoded = new Map();
if (decodedFile && fs.existsSync(decodedFile) && fs.statSync(decodedFile).size > 0) {
  // kubectl prints one JSON object per input file, one after the other (or a List).
  const text = fs.readFileSync(decodedFile, 'utf8');
  const objects = [];
  let depth = 0, inString = false, escaped = false, start = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') { if (depth++ === 0) start = i; }
    else if (ch === '}' && --depth === 0) objects.push(JSON.parse(text.slice(start, i + 1)));
  }
  for (const d of objects)
    for (const item of d.kind === 'List' ? d.items : [d]) decoded.set(item.metadata.annotations['kilt-e2e/id'], item);
}
const read = (f) => JSON.parse(fs.readFileSync(f));
const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b);
function canon(v) {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) {
      const c = canon(v[k]);
      // Go's omitempty drops zero values (readOnly: false) when re-encoding: not a lost field.
      if (c === null || c === undefined || c === false || c === '' || c === 0) continue;
      if (typeof c === 'object' && !Array.isArray(c) && Object.keys(c).length === 0) continue;
      o[k] = c;
    }
    return o;
  }
  return v;
}
function normalize(pod) {
  const p = JSON.parse(JSON.stringify(pod));
  delete p.status;
  if (p.metadata) delete p.metadata.creationTimestamp;
  for (const c of [...(p.spec.containers || []), ...(p.spec.initContainers || [])]) {
    if (c.env) c.env = c.env.filter((e) => e.name !== 'KILT_E2E_DUMMY');
    if (c.env && c.env.length === 0) delete c.env;
  }
  return canon(p);
}

let failed = 0;
for (const id of ids) {
  const problems = [];
  const pod = read(path.join(corpus, `${id}.pod.json`));
  const review = read(path.join(corpus, `${id}.review.json`));
  const d = path.join(out, id);
  const resp = read(path.join(d, 'resp.json')).response || {};
  if (resp.uid !== review.request.uid) problems.push('uid not echoed');
  if (resp.allowed !== true) problems.push('not allowed');
  if (resp.patchType !== 'JSONPatch' || !resp.patch) problems.push('no JSONPatch');
  const ops = JSON.parse(Buffer.from(resp.patch || 'W10=', 'base64').toString());
  const err = jsonpatch.validate(ops, pod);
  let strict = null;
  if (err) problems.push(`fast-json-patch refuses the patch: ${err.message}`);
  else strict = jsonpatch.applyPatch(JSON.parse(JSON.stringify(pod)), ops, true, false).newDocument;
  const patched = read(path.join(d, 'patched.json'));
  if (strict && !eq(canon(strict), canon(patched))) problems.push('kubectl and fast-json-patch results differ');
  // What the patch must have done.
  const cs = patched.spec.containers;
  if (!cs.every((c) => eq(c.command, ['/kilt/run', '--']) && (c.args || []).length > 0 &&
      (c.volumeMounts || []).some((m) => m.name === 'kilt-payload' && m.mountPath === '/kilt' && m.readOnly)))
    problems.push('a container is not wrapped or lacks the read-only /kilt mount');
  const init = (patched.spec.initContainers || [])[0] || {};
  const ann = patched.metadata.annotations || {};
  if (init.name !== 'kilt-init' || init.image !== 'kilt.example/kilt:1.0') problems.push('kilt-init is not the first init container');
  if (!(patched.spec.volumes || []).some((v) => v.name === 'kilt-payload' && v.emptyDir && v.emptyDir.sizeLimit))
    problems.push('no kilt-payload emptyDir with a sizeLimit');
  if (ann['kilt.io/status'] !== 'injected' || ann['cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes'] !== 'kilt-payload')
    problems.push('status / safe-to-evict annotations missing');
  if ((patched.spec.initContainers || []).length !== (pod.spec.initContainers || []).length + 1) problems.push('init containers lost or duplicated');
  // Docker's rule: command set ⇒ command ++ args; else image ENTRYPOINT ++ (args or image CMD).
  pod.spec.containers.forEach((b, i) => {
    const cmd = b.command || [], args = b.args || [];
    const want = cmd.length ? [...cmd, ...args] : ['/entry-of-image', ...(args.length ? args : ['cmd-of-image'])];
    if (!eq(cs[i].args, want)) problems.push(`container ${b.name}: args ${JSON.stringify(cs[i].args)}, want ${JSON.stringify(want)}`);
  });
  // Typed decode must neither fail nor drop a field.
  if (decoded.has(id)) {
    if (!eq(normalize(decoded.get(id)), normalize(patched))) problems.push('typed decode dropped or changed fields');
  } else if (!fs.existsSync(path.join(d, 'original-undecodable'))) {
    problems.push('patched pod missing from the typed decode');
  }
  const again = read(path.join(d, 'again.json')).response || {};
  if (again.allowed !== true || again.patch) problems.push('reinvocation on the patched pod changed it');
  if (problems.length) {
    failed++;
    console.log(`FAIL ${id}: ${problems.join('; ')}`);
  } else {
    console.log(`ok ${id}${fs.existsSync(path.join(d, 'original-undecodable')) ? ' (original not typed-decodable: corpus data)' : ''}`);
  }
}
process.exit(failed ? 1 : 0);
