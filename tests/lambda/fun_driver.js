// Drives the real `bootstrap` through @vercel/fun's Lambda Runtime API server (Runtime "provided").
//   node fun_driver.js ZIP OUTDIR [--env NAME=VALUE]... EVENT.json...
// Invokes the function once per event file, in order, on one warm instance, and writes the function's
// result to OUTDIR/<event basename>: the response JSON, or for a function error
// {"FunctionError": ..., "payload": <error JSON>}. Run it under `timeout`: fun enforces none.
'use strict';
const fs = require('fs');
const path = require('path');
const { createFunction } = require('@vercel/fun');

async function main() {
  const [zip, outDir, ...rest] = process.argv.slice(2);
  const env = {};
  const events = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--env') {
      const kv = rest[++i];
      const eq = kv.indexOf('=');
      env[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else {
      events.push(rest[i]);
    }
  }
  const fn = await createFunction({
    Code: { ZipFile: fs.readFileSync(zip) },
    Handler: 'bootstrap',
    Runtime: 'provided',
    Environment: { Variables: env },
    MemorySize: 128,
    Timeout: 30,
  });
  try {
    for (const ev of events) {
      const result = await fn.invoke({
        InvocationType: 'RequestResponse',
        Payload: fs.readFileSync(ev, 'utf8'),
      });
      const payload = String(result.Payload);
      const out = result.FunctionError
        ? JSON.stringify({ FunctionError: result.FunctionError, payload: JSON.parse(payload) })
        : payload;
      fs.writeFileSync(path.join(outDir, path.basename(ev)), out);
    }
  } finally {
    await fn.destroy();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error('fun_driver:', e && e.stack ? e.stack : e);
    process.exit(1);
  },
);
