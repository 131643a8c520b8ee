// Turns every pod template of the Kubernetes corpus into a Pod and an AdmissionReview v1 for it, and
// writes a recipe whose hints give every image an ENTRYPOINT/CMD (the lookup's job in a cluster).
// usage: node corpus_reviews.js CORPUS_K8S_DIR OUT_DIR KILT_IMAGE
'use strict';
const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');

const [dir, out, kiltImage] = process.argv.slice(2);
fs.mkdirSync(out, { recursive: true });
const images = new Set();
let n = 0;

function podsOf(obj) {
  if (!obj || typeof obj !== 'object') return [];
  const kind = obj.kind || '';
  if (kind === 'List' || kind.endsWith('List')) return (obj.items || []).flatMap(podsOf);
  const name = (obj.metadata && obj.metadata.name) || 'unnamed';
  if (kind === 'Pod') return [{ resource: `${kind}-${name}`, metadata: obj.metadata || {}, spec: obj.spec }];
  let tmpl = null;
  if (['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController'].includes(kind))
    tmpl = obj.spec && obj.spec.template;
  else if (kind === 'CronJob') tmpl = obj.spec && obj.spec.jobTemplate && obj.spec.jobTemplate.spec.template;
  else return [];
  const md = Object.assign({}, (tmpl && tmpl.metadata) || {});
  md.generateName = `${name}-`;
  return [{ resource: `${kind}-${name}`, metadata: md, spec: tmpl.spec }];
}

for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
  const docs = yaml.loadAll(fs.readFileSync(path.join(dir, file), 'utf8'));
  for (const doc of docs) {
    for (const p of podsOf(doc)) {
      n++;
      const id = `${String(n).padStart(3, '0')}-${p.resource}`.replace(/[^A-Za-z0-9_.-]/g, '_');
      // The id annotation lets the checker find each pod in kubectl's List output.
      p.metadata.annotations = Object.assign({}, p.metadata.annotations, { 'kilt-e2e/id': id });
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: p.metadata, spec: p.spec };
      for (const c of pod.spec.containers || []) images.add(c.image);
      const review = {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: `uid-${id}`,
          kind: { group: '', version: 'v1', kind: 'Pod' },
          resource: { group: '', version: 'v1', resource: 'pods' },
          requestKind: { group: '', version: 'v1', kind: 'Pod' },
          requestResource: { group: '', version: 'v1', resource: 'pods' },
          namespace: 'apps',
          operation: 'CREATE',
          userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
          object: pod,
          oldObject: null,
          dryRun: false,
          options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
        },
      };
      fs.writeFileSync(path.join(out, `${id}.pod.json`), JSON.stringify(pod, null, 1));
      fs.writeFileSync(path.join(out, `${id}.review.json`), JSON.stringify(review));
    }
  }
}
let toml = `image = ${JSON.stringify(kiltImage)}\n`;
for (const img of [...images].sort())
  toml += `\n[[hints]]\nimage = ${JSON.stringify(img)}\nentrypoint = ["/entry-of-image"]\ncmd = ["cmd-of-image"]\n`;
fs.writeFileSync(path.join(out, 'recipe.toml'), toml);
console.log(`${n} pods`);
